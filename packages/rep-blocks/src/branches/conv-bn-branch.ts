// Ding et al., "ACNet: Strengthening the Kernel Skeletons", ICCV 2019 (1xK and Kx1 branches), and "RepVGG", CVPR 2021 (KxK and 1x1 conv-BN branches).

import type { ApplyContext } from '@automl-ts/core';
import { BatchNorm, Conv2d, Module } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { batchNormParameters, foldBatchNorm } from '../fusion/fold-batch-norm.js';
import type { FusedKernel } from '../fusion/fused-kernel.js';
import { padKernel } from '../fusion/pad-kernel.js';
import type { BranchSpec } from './branch-spec.js';

/**
 * A `kh x kw` conv (no bias) then batch norm, padded symmetrically by `((kh − 1)/2, (kw − 1)/2)`
 * so that its centre is the block's centre at any stride. Children `conv` and `bn`.
 */
export class ConvBnBranch extends Module {
  static override readonly className: string = 'ConvBnBranch';

  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(spec: BranchSpec, kernelShape: readonly [number, number]) {
    super();
    const [kh, kw] = kernelShape;
    this.conv = this.addModule(
      'conv',
      new Conv2d({
        inChannels: spec.inChannels,
        outChannels: spec.outChannels,
        kernelSize: [kh, kw],
        strides: spec.strides,
        padding: [
          [(kh - 1) / 2, (kh - 1) / 2],
          [(kw - 1) / 2, (kw - 1) / 2],
        ],
        groups: spec.groups,
        useBias: false,
        seed: spec.rng,
      }),
    );
    this.bn = this.addModule(
      'bn',
      new BatchNorm({ channels: spec.outChannels, momentum: spec.bnMomentum, epsilon: spec.bnEpsilon }),
    );
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    return this.bn.forward(this.conv.forward(x, ctx), ctx);
  }

  /** The branch as one `K x K` conv with bias (BN folded, kernel centred). */
  fuse(kernelSize: number): FusedKernel {
    return tf.tidy(() => {
      const bn = batchNormParameters(this.bn);
      const folded = foldBatchNorm(this.conv.variable('kernel'), undefined, bn);
      return { kernel: padKernel(folded.kernel, [kernelSize, kernelSize]), bias: folded.bias };
    });
  }
}
