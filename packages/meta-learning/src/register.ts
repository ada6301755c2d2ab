// Side-effect entry: `import '@automl-ts/meta-learning/register'` registers the second-order
// gradients TF.js lacks (see registerSecondOrderGradients), for code that nests tf.grad itself.
import { registerSecondOrderGradients } from './second-order/register-second-order-gradients.js';

registerSecondOrderGradients();
