import type { Rng } from '@automl-ts/core';

/** The block a branch is built for: every branch of a block shares these. */
export interface BranchSpec {
  readonly inChannels: number;
  readonly outChannels: number;
  /** The block's (odd) kernel size K; every branch is centred in a KxK window. */
  readonly kernelSize: number;
  /** Stride of the block (1 or more); every branch subsamples by it. */
  readonly strides: number;
  /** Channel groups of the block (`inChannels` for depthwise). */
  readonly groups: number;
  /** Batch-norm momentum of the branch's norms (PyTorch convention). */
  readonly bnMomentum: number;
  /** Batch-norm epsilon. */
  readonly bnEpsilon: number;
  /** Generator for the initial weights. */
  readonly rng: Rng;
}
