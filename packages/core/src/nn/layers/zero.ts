import * as tf from '@tensorflow/tfjs';
import { type ApplyContext, Module } from '../module.js';
import { emitTrace } from './layer-utils.js';

/** The JSON form of a {@link Zero} (it has no settings). */
export type ZeroConfig = Record<string, never>;

/**
 * Outputs zeros shaped like its input: the `zero` candidate op of DARTS (Liu et al.,
 * "DARTS: Differentiable Architecture Search", ICLR 2019, §2.1), which lets a search drop a
 * connection. Traced as a `mul` (by zero).
 *
 * @example
 * new Zero().apply(tf.ones([1, 4, 4, 8])); // zeros [1, 4, 4, 8]
 */
export class Zero extends Module {
  static override readonly className: string = 'Zero';

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const y = tf.zerosLike(x);
    emitTrace(ctx, this, 'mul', [x], y);
    return y;
  }

  /** Plain JSON enough to rebuild the layer. */
  getConfig(): ZeroConfig {
    return {};
  }

  /** Rebuilds a layer from {@link Zero.getConfig}. */
  static fromConfig(_config: ZeroConfig): Zero {
    return new Zero();
  }

  /** A copy (there are no variables). */
  clone(): Zero {
    return new Zero();
  }
}
