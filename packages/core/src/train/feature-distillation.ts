// Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015, §2.2 (a student's intermediate
// feature maps regress the teacher's: the L2 "hint" loss), averaged over stages as in stage-wise
// pruning (Wang et al., "Effective Model Compression via Stage-wise Pruning", 2020).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { stopGradient } from './stop-gradient.js';

/** Options of {@link featureDistillationLoss}. */
export interface FeatureDistillationOptions {
  /** Weight of each stage's term, one per feature map. @default 1 / (number of maps) each */
  weights?: readonly number[];
}

/**
 * Feature-map distillation: `Σ_s w_s · mean((student_s − teacher_s)²)` over pairs of feature maps
 * of equal shape (one per stage), the teacher a constant (no gradient reaches it). The logit
 * counterpart is `distillationLoss`.
 *
 * @example
 * const loss = featureDistillationLoss([s1, s2, s3], [t1, t2, t3]); // mean of per-stage MSEs
 */
export function featureDistillationLoss(
  student: tf.Tensor | readonly tf.Tensor[],
  teacher: tf.Tensor | readonly tf.Tensor[],
  options: FeatureDistillationOptions = {},
): tf.Scalar {
  const source = '@automl-ts/core/featureDistillationLoss';
  const students = student instanceof tf.Tensor ? [student] : [...student];
  const teachers = teacher instanceof tf.Tensor ? [teacher] : [...teacher];
  if (students.length === 0 || students.length !== teachers.length) {
    throw new AutomlError(
      source,
      `needs as many teacher as student feature maps (at least one), got ${students.length} and ${teachers.length}`,
    );
  }
  const weights = options.weights ?? students.map(() => 1 / students.length);
  if (
    weights.length !== students.length ||
    !weights.every((w) => typeof w === 'number' && w >= 0 && Number.isFinite(w))
  ) {
    throw new AutomlError(
      source,
      `weights must be ${students.length} finite numbers >= 0, got ${describeValue(weights)}`,
    );
  }
  students.forEach((s, i) => {
    const t = teachers[i] as tf.Tensor;
    if (s.rank !== t.rank || s.shape.some((d, k) => d !== t.shape[k])) {
      throw new AutomlError(
        source,
        `feature map ${i}: student [${s.shape}] and teacher [${t.shape}] must have the same shape`,
      );
    }
  });
  return tf.tidy(() => {
    let total: tf.Tensor = tf.scalar(0);
    students.forEach((s, i) => {
      const mse = tf.mean(tf.square(tf.sub(s, stopGradient(teachers[i] as tf.Tensor))));
      total = tf.add(total, tf.mul(mse, weights[i] as number));
    });
    return total as tf.Scalar;
  });
}
