// Ding et al., "Diverse Branch Block", CVPR 2021, §3.2 Transform V (KxK average pooling is a conv with 1/K² on each channel's own input).

import { errorFactory } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

const fail = errorFactory('@automl-ts/rep-blocks/avgPoolKernel');

/**
 * KxK average pooling (padded cells counted, as `AvgPool2d` with explicit padding or after
 * BN-and-pad) as the `[k, k, channels / groups, channels]` kernel of a conv with `groups`:
 * `1 / k²` for output `o` and input `o mod (channels / groups)`.
 */
export function avgPoolKernel(channels: number, groups: number, kernelSize: number): tf.Tensor4D {
  if (channels % groups !== 0 || !Number.isInteger(kernelSize) || kernelSize < 1) {
    throw fail(
      `needs groups dividing channels and a kernel size >= 1, got channels ${channels}, groups ${groups}, kernel ${kernelSize}`,
    );
  }
  const perGroup = channels / groups;
  const values = new Float32Array(kernelSize * kernelSize * perGroup * channels);
  const weight = 1 / (kernelSize * kernelSize);
  for (let s = 0; s < kernelSize * kernelSize; s++) {
    for (let o = 0; o < channels; o++) values[(s * perGroup + (o % perGroup)) * channels + o] = weight;
  }
  return tf.tensor4d(values, [kernelSize, kernelSize, perGroup, channels]);
}
