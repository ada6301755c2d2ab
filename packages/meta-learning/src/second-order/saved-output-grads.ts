// Gradients that save their input instead of their output. TF.js's gradients of Exp, Sigmoid,
// Tanh, Softmax and Elu keep a copy of the op's output, and the tape records that copy before the
// op itself, so when a gradient is differentiated again the copy looks unrelated to the op's
// input: the second derivative through it is silently dropped (or the nested tf.grad throws
// "Cannot compute gradient"). For softmax cross-entropy that drops exactly the curvature
// second-order MAML needs. These versions save the input and recompute the output; first
// derivatives are unchanged.
import * as tf from '@tensorflow/tfjs';

/** d exp(x) = exp(x)·dx. */
const expGradConfig: tf.GradConfig = {
  kernelName: 'Exp',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.exp(x as tf.Tensor)) }),
};

/** d σ(x) = σ(x)·(1 − σ(x))·dx. */
const sigmoidGradConfig: tf.GradConfig = {
  kernelName: 'Sigmoid',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({
    x: () => {
      const y = tf.sigmoid(x as tf.Tensor);
      return tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y)));
    },
  }),
};

/** d tanh(x) = (1 − tanh²(x))·dx. */
const tanhGradConfig: tf.GradConfig = {
  kernelName: 'Tanh',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({
    x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(tf.tanh(x as tf.Tensor)))),
  }),
};

/** d softmax(z) = y ⊙ (dy − Σ dy ⊙ y) with y = softmax(z) along `dim`. */
const softmaxGradConfig: tf.GradConfig = {
  kernelName: 'Softmax',
  inputsToSave: ['logits'],
  gradFunc: (dy, [logits], attrs) => ({
    logits: () => {
      const { dim } = attrs as unknown as tf.SoftmaxAttrs;
      const y = tf.softmax(logits as tf.Tensor, dim);
      const dyTimesY = tf.mul(dy as tf.Tensor, y);
      return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
    },
  }),
};

/** d elu(x) = (x > 0 ? 1 : exp(x))·dx (TF.js's ELU has α = 1). */
const eluGradConfig: tf.GradConfig = {
  kernelName: 'Elu',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({
    x: () => {
      const input = x as tf.Tensor;
      const gradient = dy as tf.Tensor;
      return tf.where(tf.greater(input, 0), gradient, tf.mul(gradient, tf.exp(input)));
    },
  }),
};

/** Replacements for TF.js's output-saving gradients of these kernels. */
export const savedInputGradConfigs: readonly tf.GradConfig[] = [
  expGradConfig,
  sigmoidGradConfig,
  tanhGradConfig,
  softmaxGradConfig,
  eluGradConfig,
];
