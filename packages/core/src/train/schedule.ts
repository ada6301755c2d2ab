// Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017, eq. 5 (cosine annealing, one cycle); Goyal et al., "Accurate, Large Minibatch SGD", 2017, §2.2 (linear warm-up).
import { AutomlError, describeValue } from '../internal/errors.js';

/** Learning rate for a 0-based step index. */
export type LearningRateSchedule = (step: number) => number;

/** Options of {@link cosineSchedule}. */
export interface CosineScheduleOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  baseLearningRate: number;
  /** Steps of the whole schedule (warm-up included); later steps stay at `minLearningRate`. */
  totalSteps: number;
  /** Linear warm-up steps. @default 0 */
  warmupSteps?: number;
  /** Learning rate at the end of the cosine. @default 0 */
  minLearningRate?: number;
  /** Learning rate the warm-up starts from. @default 0 */
  warmupStartLearningRate?: number;
}

const SOURCE = '@automl-ts/core/cosineSchedule';

/**
 * Linear warm-up then cosine decay. Step `s < W` (warm-up) gets
 * `start + (base − start)·(s + 1)/W`; afterwards `min + ½(base − min)(1 + cos(π·(s − W)/(T − W)))`.
 *
 * @example
 * const schedule = cosineSchedule({ baseLearningRate: 0.1, totalSteps: 10_000, warmupSteps: 500 });
 * optimizer.learningRate = schedule(optimizer.iterations);
 */
export function cosineSchedule(options: CosineScheduleOptions): LearningRateSchedule {
  const base = checkRate('baseLearningRate', options?.baseLearningRate);
  const min = checkRate('minLearningRate', options.minLearningRate ?? 0);
  const start = checkRate('warmupStartLearningRate', options.warmupStartLearningRate ?? 0);
  const total = options.totalSteps;
  const warmup = options.warmupSteps ?? 0;
  if (!Number.isInteger(total) || total < 1) {
    throw new AutomlError(SOURCE, `totalSteps must be an integer >= 1, got ${describeValue(total)}`);
  }
  if (!Number.isInteger(warmup) || warmup < 0 || warmup >= total) {
    throw new AutomlError(
      SOURCE,
      `warmupSteps must be an integer in [0, totalSteps = ${total}), got ${describeValue(warmup)}`,
    );
  }
  return (step: number) => {
    if (step < warmup) return start + ((base - start) * (step + 1)) / warmup;
    const progress = Math.min(1, (step - warmup) / (total - warmup));
    return min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * progress));
  };
}

function checkRate(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new AutomlError(SOURCE, `${name} must be a finite number >= 0, got ${describeValue(value)}`);
  }
  return value;
}
