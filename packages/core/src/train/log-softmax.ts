import * as tf from '@tensorflow/tfjs';

/**
 * log(softmax(logits)) over the last axis, from basic ops. Same values as `tf.logSoftmax`, but
 * twice differentiable: `tf.logSoftmax`'s custom gradient saves its output as the tape records
 * it, so a gradient of a gradient (second-order MAML, Hessian-vector products) silently loses the
 * softmax curvature. With `@automl-ts/meta-learning/register` loaded, nested gradients through
 * this function are exact.
 */
export function logSoftmax(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shifted = tf.sub(logits, tf.max(logits, -1, true));
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
  });
}
