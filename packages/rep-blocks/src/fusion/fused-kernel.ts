import type * as tf from '@tensorflow/tfjs';

/**
 * A convolution as plain weights: `kernel` `[kh, kw, inChannels / groups, outChannels]` (core
 * `Conv2d`'s layout) and `bias` `[outChannels]`. Every fusion function takes and returns these;
 * the caller owns (and disposes) the tensors.
 */
export type FusedKernel = {
  readonly kernel: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
};

/** A batch norm's inference parameters, as plain tensors (`[channels]` each). */
export interface BatchNormParameters {
  readonly gamma: tf.Tensor;
  readonly beta: tf.Tensor;
  readonly mean: tf.Tensor;
  readonly variance: tf.Tensor;
  readonly epsilon: number;
}
