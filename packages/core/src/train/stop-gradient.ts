import * as tf from '@tensorflow/tfjs';

const identityWithoutGradient = tf.customGrad((...inputs) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * `x` as a constant for differentiation (TF's `stop_gradient`, which TF.js lacks): the value is
 * `x`, the gradient through it is zero. Used for distillation targets.
 */
export function stopGradient(x: tf.Tensor): tf.Tensor {
  return identityWithoutGradient(x) as tf.Tensor;
}
