// FusedBatchNorm (tf.batchNorm) for wasm with per-channel statistics. wasm's kernel is a scalar
// loop (1.9 ms CPU for 64×16×16×32); broadcast XNNPACK arithmetic does it in 0.8 ms. Identity:
//   y = (x - mean) · (scale · rsqrt(variance + ε)) + offset
// with the per-channel factor computed first (as the cpu backend: offset + (x - mean)·scale/√(var+ε)).
// Statistics of other shapes go to wasm's own kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelOverride } from './kernel-override.js';
import { asTensor } from './wasm-heap.js';

/** Batch norm of float32 tensors whose statistics are per last-axis channel (or scalars). */
export const fusedBatchNormOverride: KernelOverride = {
  kernelName: 'FusedBatchNorm',
  run: ({ inputs, attrs }) => {
    const { x: xInfo, mean, variance, offset, scale } = inputs;
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    if (xInfo == null || mean == null || variance == null || xInfo.dtype !== 'float32') return undefined;
    const channels = xInfo.shape[xInfo.shape.length - 1] ?? 1;
    const perChannel = (t: tf.TensorInfo | undefined) => {
      if (t == null) return true;
      const size = t.shape[0] ?? 1;
      return t.dtype === 'float32' && t.shape.length <= 1 && (size === 1 || size === channels);
    };
    if (![mean, variance, offset, scale].every(perChannel) || tf.util.sizeFromShape(xInfo.shape) === 0) {
      return undefined;
    }
    return tf.tidy(() => {
      let factor = tf.rsqrt(tf.add(asTensor(variance), varianceEpsilon));
      if (scale != null) factor = tf.mul(factor, asTensor(scale));
      const y = tf.mul(tf.sub(asTensor(xInfo), asTensor(mean)), factor);
      return offset != null ? tf.add(y, asTensor(offset)) : y;
    });
  },
};
