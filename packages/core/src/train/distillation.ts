// Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015, §2 (softened softmax at temperature T; the soft loss scaled by T²).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { logSoftmax } from './log-softmax.js';
import { stopGradient } from './stop-gradient.js';

/** Options of {@link distillationLoss}. */
export interface DistillationOptions {
  /** Softmax temperature T > 0. @default 1 */
  temperature?: number;
}

/**
 * Knowledge-distillation loss `T² · mean over the batch of KL(softmax(t/T) ‖ softmax(s/T))` from
 * student logits `s` and teacher logits `t` (both `[n, k]`). The teacher is a constant: no
 * gradient reaches it (in-place distillation in a supernet trains the teacher on the labels).
 *
 * @example
 * const loss = distillationLoss(studentLogits, teacherLogits, { temperature: 4 });
 */
export function distillationLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  options: DistillationOptions = {},
): tf.Scalar {
  const source = '@automl-ts/core/distillationLoss';
  const temperature = options.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) {
    throw new AutomlError(
      source,
      `temperature must be a finite number > 0, got ${describeValue(temperature)}`,
    );
  }
  if (
    studentLogits.rank !== 2 ||
    teacherLogits.rank !== 2 ||
    studentLogits.shape.some((d, i) => d !== teacherLogits.shape[i])
  ) {
    throw new AutomlError(
      source,
      `student and teacher logits must both be [batch, classes], got [${studentLogits.shape}] and [${teacherLogits.shape}]`,
    );
  }
  return tf.tidy(() => {
    const teacherLogProbs = logSoftmax(tf.div(stopGradient(teacherLogits), temperature));
    const studentLogProbs = logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(teacherLogProbs), tf.sub(teacherLogProbs, studentLogProbs)), 1);
    return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  });
}
