import * as tf from '@tensorflow/tfjs';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import { checkInput, emitTrace } from './layer-utils.js';

/** The JSON form of a {@link GlobalAvgPool} (it has no settings). */
export type GlobalAvgPoolConfig = Record<string, never>;

/**
 * Averages NHWC features over height and width: `[n, h, w, c]` → `[n, c]`.
 *
 * @example
 * new GlobalAvgPool().apply(tf.ones([2, 7, 7, 64])); // [2, 64]
 */
export class GlobalAvgPool extends Module {
  static override readonly className: string = 'GlobalAvgPool';

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(`@automl-ts/core/GlobalAvgPool.forward (${this.path || 'root'})`, x, [4], undefined, 'NHWC');
    const y = tf.mean(x, [1, 2]);
    emitTrace(ctx, this, 'globalAvgPool', [x], y);
    return y;
  }

  /** Plain JSON enough to rebuild the layer. */
  getConfig(): GlobalAvgPoolConfig {
    return {};
  }

  /** Rebuilds a layer from {@link GlobalAvgPool.getConfig}. */
  static fromConfig(_config: GlobalAvgPoolConfig): GlobalAvgPool {
    return new GlobalAvgPool();
  }

  /** A copy (there are no variables). */
  clone(): GlobalAvgPool {
    return new GlobalAvgPool();
  }
}
