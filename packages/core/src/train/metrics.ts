import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';

/**
 * How many rows of `logits` `[n, k]` have their label among the `topK` highest logits. Labels are
 * class indices `[n]` or one-hot / distributions `[n, k]` (the argmax counts). Sum it over batches
 * and divide by the sample count for a dataset's accuracy.
 */
export function topKCorrect(logits: tf.Tensor, labels: tf.Tensor, topK = 1): number {
  const source = '@automl-ts/core/topKCorrect';
  if (logits.rank !== 2)
    throw new AutomlError(source, `logits must be [batch, classes], got shape [${logits.shape}]`);
  const [batch, classes] = logits.shape as [number, number];
  if (!Number.isInteger(topK) || topK < 1 || topK > classes) {
    throw new AutomlError(source, `topK must be an integer in [1, ${classes}], got ${describeValue(topK)}`);
  }
  if (
    labels.shape[0] !== batch ||
    !(labels.rank === 1 || (labels.rank === 2 && labels.shape[1] === classes))
  ) {
    throw new AutomlError(source, `labels of shape [${labels.shape}] do not match logits [${logits.shape}]`);
  }
  return tf.tidy(() => {
    const target = labels.rank === 1 ? tf.cast(labels, 'int32') : tf.argMax(labels, 1);
    const { indices } = tf.topk(logits, topK);
    const hits = tf.any(tf.equal(indices, tf.expandDims(target, 1)), 1);
    return tf.sum(tf.cast(hits, 'int32')).dataSync()[0] as number;
  });
}

/**
 * Fraction of rows whose label is among the `topK` highest logits (top-1 accuracy by default).
 *
 * @example
 * topKAccuracy(logits, labels);    // top-1
 * topKAccuracy(logits, labels, 5); // top-5
 */
export function topKAccuracy(logits: tf.Tensor, labels: tf.Tensor, topK = 1): number {
  const batch = logits.shape[0] ?? 0;
  return batch === 0 ? 0 : topKCorrect(logits, labels, topK) / batch;
}
