// Ding et al., "Diverse Branch Block", CVPR 2021, §3.2 Transform III (a 1x1 conv then a KxK conv, both with bias, is one KxK conv; per group for grouped convs, Transform IV).

import { errorFactory } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import type { FusedKernel } from './fused-kernel.js';

const fail = errorFactory('@automl-ts/rep-blocks/mergeSequential');

/**
 * `second(first(x))` as one conv, where `first` is a 1x1 conv `[1, 1, in/g, mid]` and `second` a
 * KxK conv `[k, k, mid/g, out]`, both with `groups` g. Exact at the borders only when the
 * padding between them carries `first`'s bias (BN-and-pad), which the branches here do. Per group:
 * `W[s, i, o] = Σ_m W2[s, m, o]·W1[i, m]` and `b_o = b2_o + Σ_{s, m} W2[s, m, o]·b1_m`.
 */
export function mergeSequential(first: FusedKernel, second: FusedKernel, groups: number): FusedKernel {
  const [fh, fw, inPerGroup, mid] = first.kernel.shape;
  const [kh, kw, midPerGroup, out] = second.kernel.shape;
  if (fh !== 1 || fw !== 1) throw fail(`the first conv must be 1x1, got ${fh}x${fw}`);
  if (mid % groups !== 0 || out % groups !== 0 || mid / groups !== midPerGroup) {
    throw fail(
      `the first conv's ${mid} outputs do not feed the second's ${midPerGroup} inputs per group over ${groups} groups`,
    );
  }
  return tf.tidy(() => {
    const w1 = tf.reshape(first.kernel, [inPerGroup, mid]);
    const w2 = tf.reshape(second.kernel, [kh * kw, midPerGroup, out]);
    const outPerGroup = out / groups;
    const kernels: tf.Tensor[] = [];
    const biases: tf.Tensor[] = [];
    for (let g = 0; g < groups; g++) {
      const w1g = tf.slice(w1, [0, g * midPerGroup], [inPerGroup, midPerGroup]);
      const w2g = tf.slice(w2, [0, 0, g * outPerGroup], [kh * kw, midPerGroup, outPerGroup]);
      // [kh·kw, in/g, out/g] = W1g [in/g, mid/g] · W2g[s] [mid/g, out/g] for every spatial s.
      kernels.push(tf.matMul(tf.tile(tf.expandDims(w1g, 0), [kh * kw, 1, 1]), w2g));
      const b1g = tf.slice(first.bias, [g * midPerGroup], [midPerGroup]);
      biases.push(tf.reshape(tf.matMul(tf.reshape(b1g, [1, midPerGroup]), tf.sum(w2g, 0)), [outPerGroup]));
    }
    const kernel = tf.reshape(groups === 1 ? kernels[0]! : tf.concat(kernels, 2), [kh, kw, inPerGroup, out]);
    const bias = tf.add(groups === 1 ? biases[0]! : tf.concat(biases, 0), second.bias);
    return { kernel: kernel as tf.Tensor4D, bias: bias as tf.Tensor1D };
  });
}
