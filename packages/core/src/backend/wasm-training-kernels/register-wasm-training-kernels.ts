/**
 * Registers automl-ts's training kernels for the `wasm` backend. Idempotent.
 * (Being written: see issue 2. Until then this registers nothing.)
 */
export function registerWasmTrainingKernels(): void {}
