// Wang et al., "Effective Model Compression via Stage-wise Pruning", 2020, §3.4 (a width vector is
// scored by assembling its stage subnets; BN statistics re-estimated per architecture as in Yu &
// Huang, "Universally Slimmable Networks", ICCV 2019, §3.3).
import {
  type Architecture,
  architectureCost,
  type Batch,
  describeValue,
  type Module,
  recalibratedSubnet,
  type Supernet,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { failFor } from './internal/errors.js';

/** Options of {@link createWidthEvaluator}. */
export interface WidthEvaluatorOptions {
  /** A few training batches for the BN recalibration of each architecture. */
  calibration: readonly Batch[];
  /** The validation split, held out of the training set (the paper's journal version: 200 images per class on CIFAR-10). */
  validation: readonly Batch[];
  /** Recalibrate on at most this many batches. @default all of `calibration` */
  calibrationBatches?: number;
  /** Keep per-example outcomes (1 correct, 0 wrong) in the results. @default false */
  keepOutcomes?: boolean;
}

/** What a width vector scores. */
export interface WidthEvaluation {
  /** Top-1 accuracy on the validation split, after BN recalibration (the proxy accuracy). */
  readonly accuracy: number;
  readonly macs: number;
  readonly params: number;
  /** Per validation example, 1 when correct (with `keepOutcomes`). */
  readonly outcomes?: readonly number[];
}

/** A cached evaluator of width vectors, usable as `runSearch`'s evaluator. */
export interface WidthEvaluator {
  /** Scores `arch` (cached by its canonical key; concurrent calls are safe). */
  (arch: Architecture): Promise<WidthEvaluation>;
  /** Architectures evaluated so far (cache entries). */
  readonly cacheSize: () => number;
}

const fail = failFor('createWidthEvaluator');

/** Top-1 accuracy of a standalone module over batches, with per-example outcomes. */
export function evaluateAccuracy(
  module: Module,
  batches: readonly Batch[],
): { accuracy: number; outcomes: number[] } {
  const outcomes: number[] = [];
  for (const { x, y } of batches) {
    const correct = tf.tidy(() => {
      const logits = module.apply(x);
      const labels = y.rank === 2 ? tf.argMax(y, 1) : y;
      return tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'int32').dataSync();
    });
    for (const c of correct) outcomes.push(c);
  }
  if (outcomes.length === 0) throw failFor('evaluateAccuracy')('needs at least one non-empty batch');
  return { accuracy: outcomes.reduce((a, b) => a + b, 0) / outcomes.length, outcomes };
}

/**
 * Scores width vectors of a (stage-wise trained) channel supernet: extracts the sub-network
 * (the stage subnets assembled), re-estimates its BN statistics on the calibration batches (on
 * the copy: the supernet's statistics stay as they are), and measures top-1 accuracy on the
 * validation split; MACs and parameters come from `architectureCost`. Results are cached by
 * architecture. Do not train the supernet while evaluations run.
 *
 * @example
 * const evaluate = createWidthEvaluator(supernet, { calibration: train.slice(0, 10), validation });
 * const { accuracy, macs } = await evaluate(arch);
 */
export function createWidthEvaluator(supernet: Supernet, options: WidthEvaluatorOptions): WidthEvaluator {
  if (!Array.isArray(options?.calibration) || options.calibration.length === 0) {
    throw fail(
      `calibration must be a non-empty array of batches, got ${describeValue(options?.calibration)}`,
    );
  }
  if (!Array.isArray(options.validation) || options.validation.length === 0) {
    throw fail(`validation must be a non-empty array of batches, got ${describeValue(options.validation)}`);
  }
  const maxBatches = options.calibrationBatches ?? options.calibration.length;
  if (!Number.isInteger(maxBatches) || maxBatches < 1) {
    throw fail(`calibrationBatches must be an integer >= 1, got ${describeValue(maxBatches)}`);
  }
  const cache = new Map<string, Promise<WidthEvaluation>>();
  const evaluate = (arch: Architecture): Promise<WidthEvaluation> => {
    const key = supernet.searchSpace.key(arch);
    let result = cache.get(key);
    if (result === undefined) {
      result = (async () => {
        const { macs, params } = architectureCost(supernet, arch);
        const subnet = await recalibratedSubnet(supernet, arch, options.calibration, { maxBatches });
        try {
          const { accuracy, outcomes } = evaluateAccuracy(subnet, options.validation);
          return options.keepOutcomes === true
            ? { accuracy, macs, params, outcomes }
            : { accuracy, macs, params };
        } finally {
          subnet.dispose();
        }
      })();
      cache.set(key, result);
      result.catch(() => cache.delete(key));
    }
    return result;
  };
  return Object.assign(evaluate, { cacheSize: () => cache.size });
}
