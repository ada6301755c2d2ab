import { crossEntropy, type LossFunction } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { describeValue } from './errors.js';

/**
 * A task loss: `crossEntropy` (core's softmax cross-entropy on logits, classification), `mse` (mean
 * squared error, regression) or your own function of the model's output and the targets. Second-
 * order learners differentiate it twice: build your own from TF.js ops other than `tf.logSoftmax`
 * (whose `customGrad` drops second derivatives) and `tf.losses.*` (which use it).
 */
export type TaskLoss = 'crossEntropy' | 'mse' | LossFunction;

/** What a loss says about the targets: class labels (checked, accuracy reported) or anything else. */
export type TaskKind = 'classification' | 'regression' | 'custom';

/** A resolved task loss. */
export interface ResolvedTaskLoss {
  readonly kind: TaskKind;
  readonly name: string;
  readonly fn: LossFunction;
}

/** Targets as one-hot float32 rows for `classes` classes (from int labels `[n]` or one-hot `[n, classes]`). */
export function oneHotTargets(labels: tf.Tensor, classes: number): tf.Tensor {
  return labels.rank === 1 ? tf.oneHot(tf.cast(labels, 'int32'), classes) : tf.cast(labels, 'float32');
}

/** Core's softmax cross-entropy (twice differentiable: built on core's `logSoftmax`), as a {@link LossFunction}. */
const crossEntropyLoss: LossFunction = (logits, labels) => crossEntropy(logits, labels);

/** Mean squared error over every element. */
export function meanSquaredError(output: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(output, tf.reshape(target, output.shape))) as tf.Scalar);
}

/** Resolves a {@link TaskLoss}; `fail` reports an unknown one. */
export function resolveLoss(fail: (message: string) => Error, loss: TaskLoss | undefined): ResolvedTaskLoss {
  const value = loss ?? 'crossEntropy';
  if (value === 'crossEntropy') return { kind: 'classification', name: value, fn: crossEntropyLoss };
  if (value === 'mse') return { kind: 'regression', name: value, fn: meanSquaredError };
  if (typeof value === 'function') return { kind: 'custom', name: value.name || 'custom', fn: value };
  throw fail(
    `loss must be "crossEntropy", "mse" or a function (output, target) => scalar; got ${describeValue(value)}`,
  );
}

/** Correct predictions (argmax of the output against int or one-hot labels), read back as a number. */
export function countCorrect(output: tf.Tensor, labels: tf.Tensor): number {
  return tf.tidy(() => {
    const predicted = tf.argMax(output, -1);
    const truth = labels.rank === 1 ? tf.cast(labels, 'int32') : tf.argMax(labels, -1);
    return tf.sum(tf.cast(tf.equal(predicted, truth), 'int32')).dataSync()[0] as number;
  });
}
