// Cast for wasm: to the same dtype without a copy (the ReLU and clone gradients cast float32 masks
// and gradients to float32), and to bool as `x != 0` (wasm's kernel copies the numbers into bytes,
// so 3 stays 3 and -1 becomes 255). Identities: cast(x, x.dtype) = x, sharing the immutable data
// like Identity (see identity.ts); cast(x, 'bool')[i] = x[i] != 0 (NaN is true, as on cpu).
// Other conversions go to wasm's own kernel.
import type * as tf from '@tensorflow/tfjs';
import { shareData } from './identity.js';
import type { KernelOverride } from './kernel-override.js';
import { wasmHeap } from './wasm-heap.js';

const KERNEL = 'Cast';

function castToBool(x: tf.TensorInfo): tf.TensorInfo {
  const heap = wasmHeap(KERNEL);
  const out = heap.makeOutput([...x.shape], 'bool');
  const values = heap.typedArrayFromHeap(x);
  const flags = heap.typedArrayFromHeap(out);
  for (let i = 0; i < values.length; i++) flags[i] = values[i] !== 0 ? 1 : 0;
  return out;
}

/** Same-dtype casts by reference; numeric-to-bool casts as `x != 0`. */
export const castOverride: KernelOverride = {
  kernelName: KERNEL,
  run: ({ inputs, attrs }) => {
    const { dtype } = attrs as unknown as tf.CastAttrs;
    const x = inputs['x'];
    if (x == null) return undefined;
    if (x.dtype === dtype) return shareData(x);
    if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) return castToBool(x);
    return undefined;
  },
};
