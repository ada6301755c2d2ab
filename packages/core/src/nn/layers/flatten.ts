import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../../internal/errors.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import { emitTrace } from './layer-utils.js';

/** The JSON form of a {@link Flatten} (it has no settings). */
export type FlattenConfig = Record<string, never>;

/**
 * Flattens all but the batch axis in row-major (NHWC) order: `[n, h, w, c]` → `[n, h·w·c]`.
 *
 * @example
 * new Flatten().apply(tf.ones([2, 5, 5, 64])); // [2, 1600]
 */
export class Flatten extends Module {
  static override readonly className: string = 'Flatten';

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    if (x.rank < 2) {
      throw new AutomlError(
        `@automl-ts/core/Flatten.forward (${this.path || 'root'})`,
        `expected an input with a batch axis, got shape [${x.shape}]`,
      );
    }
    const y = tf.reshape(x, [x.shape[0] as number, -1]);
    emitTrace(ctx, this, 'flatten', [x], y);
    return y;
  }

  /** Plain JSON enough to rebuild the layer. */
  getConfig(): FlattenConfig {
    return {};
  }

  /** Rebuilds a layer from {@link Flatten.getConfig}. */
  static fromConfig(_config: FlattenConfig): Flatten {
    return new Flatten();
  }

  /** A copy (there are no variables). */
  clone(): Flatten {
    return new Flatten();
  }
}
