// Identity for wasm without a copy. TF.js clones every tensor it saves for a gradient through this
// kernel, and wasm's copies the data (8 MiB per 64×32×32×32 activation, ~25 copies per step of a
// small CNN). Identity: out shares x's immutable data with one more reference, as the cpu backend
// does (and as wasm's Reshape does). Strings go to wasm's own kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelOverride } from './kernel-override.js';

/** Returns a new reference to the input data, or `undefined` for strings. */
export function shareData(x: tf.TensorInfo | undefined): tf.TensorInfo | undefined {
  if (x == null || x.dtype === 'string') return undefined;
  tf.backend().incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Identity of numeric tensors by reference. */
export const identityOverride: KernelOverride = {
  kernelName: 'Identity',
  run: ({ inputs }) => shareData(inputs['x']),
};
