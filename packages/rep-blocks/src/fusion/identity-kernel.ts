// Ding et al., "RepVGG: Making VGG-style ConvNets Great Again", CVPR 2021, §3.3 (the identity branch is a conv whose kernel is the identity at the centre).

import { errorFactory } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

const fail = errorFactory('@automl-ts/rep-blocks/identityKernel');

/**
 * The `[k, k, channels / groups, channels]` kernel of the identity map for a conv with `groups`:
 * 1 at the centre for output `o` and its own input `o mod (channels / groups)`, 0 elsewhere.
 */
export function identityKernel(channels: number, groups: number, kernelSize: number): tf.Tensor4D {
  if (channels % groups !== 0 || kernelSize % 2 !== 1) {
    throw fail(
      `needs groups dividing channels and an odd kernel size, got channels ${channels}, groups ${groups}, kernel ${kernelSize}`,
    );
  }
  const perGroup = channels / groups;
  const values = new Float32Array(kernelSize * kernelSize * perGroup * channels);
  const centre = (kernelSize - 1) / 2;
  for (let o = 0; o < channels; o++) {
    values[((centre * kernelSize + centre) * perGroup + (o % perGroup)) * channels + o] = 1;
  }
  return tf.tensor4d(values, [kernelSize, kernelSize, perGroup, channels]);
}
