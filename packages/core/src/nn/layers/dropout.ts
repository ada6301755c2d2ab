// Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from Overfitting", 2014 (inverted dropout: kept units scaled by 1/(1 − rate)).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../../internal/errors.js';
import type { Rng } from '../../random/rng.js';
import { createRng, restoreRng, toRng } from '../../random/rng.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import { emitTrace } from './layer-utils.js';

/** Options of {@link Dropout}. */
export interface DropoutOptions {
  /** Probability of zeroing a unit, in [0, 1). */
  rate: number;
  /** Seed or rng for the masks; each training call draws the next mask from it. @default 0 */
  seed?: number | string | Rng;
}

/** The JSON form of a {@link Dropout}. */
export type DropoutConfig = { readonly rate: number };

/**
 * Inverted dropout, active only with `training: true`. Masks come from a seeded generator, so a
 * run is reproducible; the n-th training call gets the n-th mask.
 *
 * @example
 * const drop = new Dropout({ rate: 0.2, seed: 7 });
 * drop.apply(x, { training: true });
 */
export class Dropout extends Module {
  static override readonly className: string = 'Dropout';

  readonly rate: number;
  readonly #rng: Rng;

  constructor(options: DropoutOptions) {
    super();
    const rate = options?.rate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new AutomlError(
        '@automl-ts/core/Dropout',
        `rate must be a number in [0, 1), got ${describeValue(rate)}`,
      );
    }
    this.rate = rate;
    this.#rng = options.seed === undefined ? createRng(0) : toRng(options.seed);
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const y =
      ctx.training && this.rate > 0 ? tf.dropout(x, this.rate, undefined, this.#rng.seed()) : tf.clone(x);
    emitTrace(ctx, this, 'dropout', [x], y, { rate: this.rate });
    return y;
  }

  /** Plain JSON enough to rebuild the layer. */
  getConfig(): DropoutConfig {
    return { rate: this.rate };
  }

  /** Rebuilds a layer from {@link Dropout.getConfig}. */
  static fromConfig(config: DropoutConfig): Dropout {
    return new Dropout(config);
  }

  /** A copy whose generator continues from the same state (same future masks). */
  clone(): Dropout {
    return new Dropout({ rate: this.rate, seed: restoreRng(this.#rng.state()) });
  }
}
