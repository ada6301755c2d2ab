// Yu & Huang, "Universally Slimmable Networks", ICCV 2019, §3.3 (BN statistics re-estimated per
// sub-network after training), done on a copy so that concurrent evaluations cannot interleave.
import type * as tf from '@tensorflow/tfjs';
import type { Sequential } from '../nn/layers/sequential.js';
import type { Architecture } from '../search-space/search-space.js';
import type { Supernet } from '../supernet/supernet.js';
import type { Batch, BatchIterable } from './batch.js';
import { recalibrateBatchNorm } from './recalibrate-batch-norm.js';

/** Options of {@link recalibratedSubnet}. */
export interface RecalibratedSubnetOptions {
  /** Stop after this many batches. @default all */
  maxBatches?: number;
}

/**
 * The sub-network of `arch` as a standalone copy (`supernet.extract(arch)`) whose batch-norm
 * statistics are re-estimated on `batches` (`recalibrateBatchNorm` on the copy). The supernet's
 * shared running statistics are never touched, and the copy is taken synchronously before any
 * batch is awaited, so any number of evaluations may run at once (evolution's concurrent
 * evaluator) while the supernet is not being trained. The caller disposes the returned module.
 *
 * @example
 * const subnet = await recalibratedSubnet(supernet, arch, trainBatches, { maxBatches: 20 });
 * const accuracy = evaluateAccuracy(subnet, validation);
 * subnet.dispose();
 */
export async function recalibratedSubnet(
  supernet: Supernet,
  arch: Architecture,
  batches: BatchIterable<tf.Tensor | Batch>,
  options: RecalibratedSubnetOptions = {},
): Promise<Sequential> {
  const subnet = supernet.extract(arch);
  try {
    await recalibrateBatchNorm(
      subnet,
      batches,
      options.maxBatches === undefined ? {} : { maxBatches: options.maxBatches },
    );
    return subnet;
  } catch (error) {
    subnet.dispose();
    throw error;
  }
}
