// Yu & Huang, "Universally Slimmable Networks and Improved Training Techniques", ICCV 2019, §3.3 (post-training BN statistics), as used by Cai et al., "Once-for-All", ICLR 2020, §3.
import type * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { isRecalibratableNorm, type RecalibratableNorm } from '../nn/layers/batch-norm.js';
import type { ArchValues, Module, ParamOverrides } from '../nn/module.js';
import type { Batch, BatchIterable } from './batch.js';

/** Options of {@link recalibrateBatchNorm}. */
export interface RecalibrateOptions {
  /** Architecture to recalibrate (supernets: the statistics of this subnet). */
  arch?: ArchValues;
  /** Stop after this many batches. @default all */
  maxBatches?: number;
  /**
   * Weights to run instead of the module's variables (generated weights, e.g. a PruningNet's, or
   * fast weights); only the running statistics change. @default none
   */
  params?: ParamOverrides;
}

/**
 * Re-estimates every batch-norm layer's running statistics for the current weights (and `arch`):
 * resets them, then runs the batches in training mode keeping a cumulative average (every batch
 * weighs the same), then restores each layer's momentum. Weights are untouched. Returns the number
 * of batches used. Batches may be tensors or `{ x, y }` (the labels are ignored); they are not disposed.
 * Any module with `momentum` and `resetRunningStats()` (see `RecalibratableNorm`) takes part.
 *
 * @example
 * await recalibrateBatchNorm(supernet, trainBatches.slice(0, 50), { arch: candidate });
 * const accuracy = evaluate(supernet, validation, { arch: candidate });
 */
export async function recalibrateBatchNorm(
  module: Module,
  batches: BatchIterable<tf.Tensor | Batch>,
  options: RecalibrateOptions = {},
): Promise<number> {
  const source = '@automl-ts/core/recalibrateBatchNorm';
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  if (maxBatches !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxBatches) || maxBatches < 1)) {
    throw new AutomlError(source, `maxBatches must be an integer >= 1, got ${describeValue(maxBatches)}`);
  }
  const norms = [...module.modules()].filter((m): m is Module & RecalibratableNorm =>
    isRecalibratableNorm(m),
  );
  if (norms.length === 0) throw new AutomlError(source, `${module.className} has no batch-norm layers`);
  const momenta = norms.map((norm) => norm.momentum);
  let used = 0;
  try {
    for await (const batch of batches) {
      if (used === 0) {
        for (const norm of norms) {
          norm.momentum = null;
          norm.resetRunningStats();
        }
      }
      const x = 'x' in batch ? batch.x : batch;
      module
        .apply(x, { training: true, updateStats: true, arch: options.arch, params: options.params })
        .dispose();
      used += 1;
      if (used >= maxBatches) break;
    }
  } finally {
    norms.forEach((norm, i) => {
      norm.momentum = momenta[i] ?? null;
    });
  }
  if (used === 0)
    throw new AutomlError(source, 'no batches were given; the running statistics are unchanged');
  return used;
}
