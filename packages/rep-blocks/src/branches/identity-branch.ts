// Ding et al., "RepVGG: Making VGG-style ConvNets Great Again", CVPR 2021, §3.3 (identity-BN branch).

import type { ApplyContext } from '@automl-ts/core';
import { BatchNorm, Module } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { batchNormParameters, foldBatchNorm } from '../fusion/fold-batch-norm.js';
import type { FusedKernel } from '../fusion/fused-kernel.js';
import { identityKernel } from '../fusion/identity-kernel.js';
import type { BranchSpec } from './branch-spec.js';

/** Batch norm of the block input (needs stride 1 and equal channels). Child `bn`. */
export class IdentityBranch extends Module {
  static override readonly className: string = 'IdentityBranch';

  readonly bn: BatchNorm;
  readonly #groups: number;

  constructor(spec: BranchSpec) {
    super();
    this.#groups = spec.groups;
    this.bn = this.addModule(
      'bn',
      new BatchNorm({ channels: spec.outChannels, momentum: spec.bnMomentum, epsilon: spec.bnEpsilon }),
    );
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    return this.bn.forward(x, ctx);
  }

  /** The identity as a centred `K x K` kernel, BN folded. */
  fuse(kernelSize: number): FusedKernel {
    return tf.tidy(() => {
      const kernel = identityKernel(this.bn.channels, this.#groups, kernelSize);
      return foldBatchNorm(kernel, undefined, batchNormParameters(this.bn));
    });
  }
}
