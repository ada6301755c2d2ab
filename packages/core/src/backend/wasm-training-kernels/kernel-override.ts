import type * as tf from '@tensorflow/tfjs';

/** Kernel inputs and attributes, as a kernel function receives them. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}

/**
 * A faster path for some calls of a kernel wasm already has. `run` returns `undefined` for the
 * calls it does not cover, which then go to wasm's own kernel.
 */
export interface KernelOverride {
  readonly kernelName: string;
  run(args: KernelArgs): tf.TensorInfo | undefined;
}

/**
 * Wraps wasm's `original` kernel with `override`. wasm's setup (which binds its C++ function) is
 * kept, because the original still runs the calls the override declines.
 */
export function overrideKernel(original: tf.KernelConfig, override: KernelOverride): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => override.run(args) ?? original.kernelFunc(args);
  return { ...original, kernelFunc };
}
