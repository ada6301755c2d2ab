// Ding et al., "Diverse Branch Block", CVPR 2021, §3.2 Transform II (parallel convs with the same configuration add into one).

import { errorFactory } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import type { FusedKernel } from './fused-kernel.js';
import { padKernel } from './pad-kernel.js';

const fail = errorFactory('@automl-ts/rep-blocks/addBranches');

/**
 * The sum of parallel branches (same input, strides, groups and centre) as one conv of
 * `kernelSize`: every kernel zero-padded to that size around its centre, kernels and biases added.
 */
export function addBranches(
  branches: readonly FusedKernel[],
  kernelSize: readonly [number, number],
): FusedKernel {
  if (branches.length === 0) throw fail('needs at least one branch');
  const [, , inPerGroup, out] = branches[0]!.kernel.shape;
  for (const { kernel } of branches) {
    if (kernel.shape[2] !== inPerGroup || kernel.shape[3] !== out) {
      throw fail(`branch kernels [${kernel.shape}] and [${branches[0]!.kernel.shape}] differ in channels`);
    }
  }
  return tf.tidy(() => ({
    kernel: tf.addN(branches.map((b) => padKernel(b.kernel, kernelSize))) as tf.Tensor4D,
    bias: tf.addN(branches.map((b) => b.bias)) as tf.Tensor1D,
  }));
}
