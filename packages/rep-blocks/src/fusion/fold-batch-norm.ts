// Ding et al., "Diverse Branch Block", CVPR 2021, §3.2 Transform I (a conv followed by BN is one conv with bias).

import type { BatchNorm } from '@automl-ts/core';
import { errorFactory } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import type { BatchNormParameters, FusedKernel } from './fused-kernel.js';

const fail = errorFactory('@automl-ts/rep-blocks/foldBatchNorm');

/** The inference parameters of a core `BatchNorm` (its running statistics; copies the caller disposes). */
export function batchNormParameters(bn: BatchNorm): BatchNormParameters {
  return {
    gamma: tf.clone(bn.variable('gamma')),
    beta: tf.clone(bn.variable('beta')),
    mean: tf.clone(bn.variable('runningMean')),
    variance: tf.clone(bn.variable('runningVar')),
    epsilon: bn.epsilon,
  };
}

/**
 * Folds inference batch norm into the conv before it:
 * `W'[…, o] = W[…, o]·γ_o/σ_o`, `b'_o = β_o + (b_o − μ_o)·γ_o/σ_o`, `σ_o = √(var_o + ε)`.
 * `bias` may be omitted (a conv without bias). Pure: returns new tensors.
 *
 * @example
 * const { kernel, bias } = foldBatchNorm(conv.variable('kernel'), undefined, batchNormParameters(bn));
 */
export function foldBatchNorm(
  kernel: tf.Tensor,
  bias: tf.Tensor | undefined,
  bn: BatchNormParameters,
): FusedKernel {
  const out = kernel.shape[3];
  if (kernel.rank !== 4 || bn.gamma.size !== out) {
    throw fail(`kernel [${kernel.shape}] does not end in the batch norm's ${bn.gamma.size} channels`);
  }
  return tf.tidy(() => {
    const scale = tf.div(bn.gamma, tf.sqrt(tf.add(bn.variance, bn.epsilon)));
    const shifted = bias === undefined ? tf.neg(bn.mean) : tf.sub(bias, bn.mean);
    return {
      kernel: tf.mul(kernel, scale) as tf.Tensor4D,
      bias: tf.add(bn.beta, tf.mul(shifted, scale)) as tf.Tensor1D,
    };
  });
}
