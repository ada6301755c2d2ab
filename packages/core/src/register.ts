// Side-effect entry: `import '@automl-ts/core/register'` registers the wasm training
// kernels for users who call `tf.setBackend('wasm')` themselves instead of `initBackend()`.
import { registerWasmTrainingKernels } from './backend/wasm-training-kernels/register-wasm-training-kernels.js';

registerWasmTrainingKernels();
