// Ding et al., "Diverse Branch Block", CVPR 2021, §3.2 Transform VI (a smaller kernel is a KxK kernel zero-padded around the same centre).

import { errorFactory } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

const fail = errorFactory('@automl-ts/rep-blocks/padKernel');

/**
 * Zero-pads a `[kh, kw, in, out]` kernel to `[size[0], size[1], in, out]` around its centre.
 * Each dimension must differ by an even amount (so the centres coincide). Pure.
 */
export function padKernel(kernel: tf.Tensor4D, size: readonly [number, number]): tf.Tensor4D {
  const [kh, kw] = kernel.shape;
  const dh = size[0] - kh;
  const dw = size[1] - kw;
  if (dh < 0 || dw < 0 || dh % 2 !== 0 || dw % 2 !== 0) {
    throw fail(
      `a ${kh}x${kw} kernel cannot be centred in ${size[0]}x${size[1]}: sizes must differ by a non-negative even amount`,
    );
  }
  if (dh === 0 && dw === 0) return tf.clone(kernel);
  return tf.pad(kernel, [
    [dh / 2, dh / 2],
    [dw / 2, dw / 2],
    [0, 0],
    [0, 0],
  ]);
}
