// Ding et al., "Diverse Branch Block", CVPR 2021, §3.3 (the 1x1 → average-pooling branch, Transforms I, III and V).

import type { ApplyContext } from '@automl-ts/core';
import { AvgPool2d, BatchNorm, Conv2d, Module } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { avgPoolKernel } from '../fusion/avg-pool-kernel.js';
import { batchNormParameters, foldBatchNorm } from '../fusion/fold-batch-norm.js';
import type { FusedKernel } from '../fusion/fused-kernel.js';
import { mergeSequential } from '../fusion/merge-sequential.js';
import { padKernel } from '../fusion/pad-kernel.js';
import { BNAndPad } from './bn-and-pad.js';
import type { BranchSpec } from './branch-spec.js';

/**
 * 1x1 conv (`inChannels → outChannels`) → BN-and-pad → K x K average pooling at the block's
 * stride (valid: the border is the BN-and-pad's) → BN. Children `conv`, `bnPad`, `pool`, `bn2`.
 */
export class Conv1x1AvgBranch extends Module {
  static override readonly className: string = 'Conv1x1AvgBranch';

  readonly conv: Conv2d;
  readonly bnPad: BNAndPad;
  readonly pool: AvgPool2d;
  readonly bn2: BatchNorm;
  readonly #groups: number;

  constructor(spec: BranchSpec) {
    super();
    this.#groups = spec.groups;
    this.conv = this.addModule(
      'conv',
      new Conv2d({
        inChannels: spec.inChannels,
        outChannels: spec.outChannels,
        kernelSize: 1,
        groups: spec.groups,
        padding: 'valid',
        useBias: false,
        seed: spec.rng,
      }),
    );
    this.bnPad = this.addModule(
      'bnPad',
      new BNAndPad({
        channels: spec.outChannels,
        pad: (spec.kernelSize - 1) / 2,
        momentum: spec.bnMomentum,
        epsilon: spec.bnEpsilon,
      }),
    );
    this.pool = this.addModule(
      'pool',
      new AvgPool2d({ poolSize: spec.kernelSize, strides: spec.strides, padding: 'valid' }),
    );
    this.bn2 = this.addModule(
      'bn2',
      new BatchNorm({ channels: spec.outChannels, momentum: spec.bnMomentum, epsilon: spec.bnEpsilon }),
    );
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const mid = this.bnPad.forward(this.conv.forward(x, ctx), ctx);
    return this.bn2.forward(this.pool.forward(mid, ctx), ctx);
  }

  /** The branch as one `K x K` conv with bias. */
  fuse(kernelSize: number): FusedKernel {
    return tf.tidy(() => {
      const channels = this.bn2.channels;
      const first = foldBatchNorm(
        this.conv.variable('kernel'),
        undefined,
        batchNormParameters(this.bnPad.bn),
      );
      const pool = avgPoolKernel(channels, this.#groups, this.pool.poolSize[0]);
      const second = foldBatchNorm(pool, undefined, batchNormParameters(this.bn2));
      const merged = mergeSequential(first, second, this.#groups);
      return { kernel: padKernel(merged.kernel, [kernelSize, kernelSize]), bias: merged.bias };
    });
  }
}
