// Side-effect entry: `import '@automl-ts/rep-blocks/register'` lets core's generic tools handle rep
// blocks: `moduleFromConfig` rebuilds them, and `toLayersModel` exports an unfused block as its
// fused conv (+ activation) directly.
import { registerRepBlockClasses } from './register-classes.js';

registerRepBlockClasses();
