// Liu et al., "MetaPruning", ICCV 2019, §3.3 (a candidate is scored with its generated weights after
// re-estimating the batch-norm statistics on training batches, since they are shared by all widths).
import { type Architecture, type Batch, recalibrateBatchNorm } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import type { PruningNet } from './pruning-net.js';

/** Options of {@link evaluateSubnet}. */
export interface EvaluateSubnetOptions {
  /** Training batches for the batch-norm recalibration (never the validation batches). */
  calibration: readonly Batch[];
  /** Batches to score on (a validation split held out of the training set). */
  validation: readonly Batch[];
}

/**
 * Top-1 accuracy of sub-network `arch` with PruningNet-generated weights: the weights are generated
 * once, the supernet's batch-norm statistics re-estimated with them on `calibration`, then the
 * network is run in inference mode on `validation`. Returns the accuracy and the per-example
 * correctness (1/0, in batch order).
 */
export async function evaluateSubnet(
  net: PruningNet,
  arch: Architecture,
  options: EvaluateSubnetOptions,
): Promise<{ accuracy: number; correct: number[] }> {
  const params = net.generate(arch);
  try {
    await recalibrateBatchNorm(net.supernet, options.calibration, { arch, params });
    const correct: number[] = [];
    for (const batch of options.validation) {
      const hits = tf.tidy(() => {
        const logits = net.supernet.apply(batch.x, { arch, params });
        return tf.equal(tf.argMax(logits, -1), tf.cast(batch.y, 'int32'));
      });
      correct.push(...Array.from(await hits.data(), Number));
      hits.dispose();
    }
    return { accuracy: correct.reduce((s, v) => s + v, 0) / Math.max(1, correct.length), correct };
  } finally {
    tf.dispose(Object.values(params));
  }
}
