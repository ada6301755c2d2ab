// Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016, §7 (label smoothing: q' = (1 − ε)·q + ε/K).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { logSoftmax } from './log-softmax.js';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** ε of label smoothing, in [0, 1). @default 0 */
  labelSmoothing?: number;
}

/**
 * Mean softmax cross-entropy over the batch, from logits `[n, k]` and labels that are either class
 * indices `[n]` (int32 or whole floats, in `[0, k)`) or target distributions `[n, k]` (one-hot).
 *
 * @example
 * const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 */
export function crossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
  options: CrossEntropyOptions = {},
): tf.Scalar {
  const source = '@automl-ts/core/crossEntropy';
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) {
    throw new AutomlError(
      source,
      `labelSmoothing must be a number in [0, 1), got ${describeValue(smoothing)}`,
    );
  }
  if (logits.rank !== 2)
    throw new AutomlError(source, `logits must be [batch, classes], got shape [${logits.shape}]`);
  const [batch, classes] = logits.shape as [number, number];
  const indices = labels.rank === 1 && labels.shape[0] === batch;
  const distributions = labels.rank === 2 && labels.shape[0] === batch && labels.shape[1] === classes;
  if (!indices && !distributions) {
    throw new AutomlError(
      source,
      `labels must be class indices [${batch}] or distributions [${batch}, ${classes}] for logits [${logits.shape}], got shape [${labels.shape}]`,
    );
  }
  return tf.tidy(() => {
    let target = indices ? tf.oneHot(tf.cast(labels, 'int32'), classes) : tf.cast(labels, 'float32');
    if (smoothing > 0) target = tf.add(tf.mul(target, 1 - smoothing), smoothing / classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logSoftmax(logits)), 1))) as tf.Scalar;
  });
}
