// Ding et al., "Diverse Branch Block", CVPR 2021, §3.3 (BNAndPad: pad a BN output with BN(0) so that a 1x1 → KxK sequence stays one conv at the borders).

import type { ApplyContext } from '@automl-ts/core';
import { BatchNorm, emitTrace, Module, stopGradient } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

/** Options of {@link BNAndPad}. */
export interface BNAndPadOptions {
  channels: number;
  /** Rows and columns added on each side. */
  pad: number;
  /** @default 0.1 */
  momentum?: number;
  /** @default 1e-5 */
  epsilon?: number;
}

/**
 * Batch norm, then a border of `pad` cells filled per channel with `β − μ·γ/σ` (what the norm
 * gives a zero input, from the running statistics, without gradient, as DBB does). A following
 * valid KxK conv or pool then sees what it would see after a zero-padded 1x1 conv, so the pair
 * fuses exactly. Child `bn`; traced as `batchNorm` then `pad`.
 */
export class BNAndPad extends Module {
  static override readonly className: string = 'BNAndPad';

  readonly pad: number;
  readonly bn: BatchNorm;

  constructor(options: BNAndPadOptions) {
    super();
    this.pad = options.pad;
    this.bn = this.addModule(
      'bn',
      new BatchNorm({
        channels: options.channels,
        momentum: options.momentum ?? 0.1,
        epsilon: options.epsilon ?? 1e-5,
      }),
    );
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const y = this.bn.forward(x, ctx);
    if (this.pad === 0) return y;
    const bn = this.bn;
    const value = stopGradient(
      tf.sub(
        bn.param('beta', ctx),
        tf.div(
          tf.mul(bn.param('runningMean', ctx), bn.param('gamma', ctx)),
          tf.sqrt(tf.add(bn.param('runningVar', ctx), bn.epsilon)),
        ),
      ),
    );
    const p = this.pad;
    const padded = tf.add(
      tf.pad(tf.sub(y, value), [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ]),
      value,
    );
    emitTrace(ctx, this, 'pad', [y], padded, {
      paddings: [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ],
    });
    return padded;
  }

  /** Plain JSON enough to rebuild the layer. */
  getConfig(): { channels: number; pad: number; momentum: number; epsilon: number } {
    return {
      channels: this.bn.channels,
      pad: this.pad,
      momentum: this.bn.momentum ?? 0.1,
      epsilon: this.bn.epsilon,
    };
  }
}
