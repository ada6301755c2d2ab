// Side-effect entry: `import '@automl-ts/core/register'` registers the wasm training kernels (and the
// dilation-aware convolution gradients, and the Node `file://` router)
// for users who call `tf.setBackend('wasm')` themselves instead of `initBackend()`. The wasm
// backend is imported first: the pack wraps some of its kernels, which must exist already.
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './backend/wasm-training-kernels/register-wasm-training-kernels.js';
import { registerFileSystemRouter } from './io/file-system-router.js';
import { registerDilatedConvolutionGradients } from './train/dilated-convolution-gradients.js';

registerWasmTrainingKernels();
registerDilatedConvolutionGradients();
// `model.save('file://…')` and `tf.loadLayersModel('file://…')` in Node, as after initBackend().
registerFileSystemRouter();
