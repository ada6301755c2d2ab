// Ding et al., "Diverse Branch Block", CVPR 2021, §3.3 (the 1x1 → KxK branch with BN-and-pad, Transforms I and III).

import type { ApplyContext } from '@automl-ts/core';
import { BatchNorm, Conv2d, Module } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { batchNormParameters, foldBatchNorm } from '../fusion/fold-batch-norm.js';
import type { FusedKernel } from '../fusion/fused-kernel.js';
import { identityKernel } from '../fusion/identity-kernel.js';
import { mergeSequential } from '../fusion/merge-sequential.js';
import { padKernel } from '../fusion/pad-kernel.js';
import { BNAndPad } from './bn-and-pad.js';
import type { BranchSpec } from './branch-spec.js';

/**
 * 1x1 conv (`inChannels → inChannels`, identity-initialised as in DBB) → BN-and-pad → K x K
 * valid conv at the block's stride → BN. Children `conv1`, `bnPad`, `conv2`, `bn2`.
 */
export class Conv1x1KxkBranch extends Module {
  static override readonly className: string = 'Conv1x1KxkBranch';

  readonly conv1: Conv2d;
  readonly bnPad: BNAndPad;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm;
  readonly #groups: number;

  constructor(spec: BranchSpec) {
    super();
    const mid = spec.inChannels;
    this.#groups = spec.groups;
    const identity = identityKernel(mid, spec.groups, 1);
    try {
      this.conv1 = this.addModule(
        'conv1',
        new Conv2d(
          {
            inChannels: spec.inChannels,
            outChannels: mid,
            kernelSize: 1,
            groups: spec.groups,
            padding: 'valid',
            useBias: false,
          },
          { kernel: identity },
        ),
      );
    } finally {
      identity.dispose();
    }
    this.bnPad = this.addModule(
      'bnPad',
      new BNAndPad({
        channels: mid,
        pad: (spec.kernelSize - 1) / 2,
        momentum: spec.bnMomentum,
        epsilon: spec.bnEpsilon,
      }),
    );
    this.conv2 = this.addModule(
      'conv2',
      new Conv2d({
        inChannels: mid,
        outChannels: spec.outChannels,
        kernelSize: spec.kernelSize,
        strides: spec.strides,
        padding: 'valid',
        groups: spec.groups,
        useBias: false,
        seed: spec.rng,
      }),
    );
    this.bn2 = this.addModule(
      'bn2',
      new BatchNorm({ channels: spec.outChannels, momentum: spec.bnMomentum, epsilon: spec.bnEpsilon }),
    );
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const mid = this.bnPad.forward(this.conv1.forward(x, ctx), ctx);
    return this.bn2.forward(this.conv2.forward(mid, ctx), ctx);
  }

  /** The branch as one `K x K` conv with bias. */
  fuse(kernelSize: number): FusedKernel {
    return tf.tidy(() => {
      const first = foldBatchNorm(
        this.conv1.variable('kernel'),
        undefined,
        batchNormParameters(this.bnPad.bn),
      );
      const second = foldBatchNorm(this.conv2.variable('kernel'), undefined, batchNormParameters(this.bn2));
      const merged = mergeSequential(first, second, this.#groups);
      return { kernel: padKernel(merged.kernel, [kernelSize, kernelSize]), bias: merged.bias };
    });
  }
}
