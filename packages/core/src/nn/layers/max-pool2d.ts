import * as tf from '@tensorflow/tfjs';
import type { ApplyContext } from '../module.js';
import { checkInput, emitTrace } from './layer-utils.js';
import type { Pool2dConfig, Pool2dOptions } from './pool2d.js';
import { Pool2d } from './pool2d.js';

/**
 * Max pooling over NHWC inputs.
 *
 * @example
 * const pool = new MaxPool2d({ poolSize: 2 }); // [n, 32, 32, c] → [n, 16, 16, c]
 */
export class MaxPool2d extends Pool2d {
  static override readonly className: string = 'MaxPool2d';

  constructor(options: Pool2dOptions) {
    super(options, '@automl-ts/core/MaxPool2d');
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(`@automl-ts/core/MaxPool2d.forward (${this.path || 'root'})`, x, [4], undefined, 'NHWC');
    const y = tf.maxPool(
      x as tf.Tensor4D,
      this.poolSize as [number, number],
      this.strides as [number, number],
      this.padding as 'same' | 'valid',
    );
    emitTrace(ctx, this, 'maxPool', [x], y, this.traceAttrs());
    return y;
  }

  /** Rebuilds a layer from {@link MaxPool2d.getConfig}. */
  static fromConfig(config: Pool2dConfig): MaxPool2d {
    return new MaxPool2d(config);
  }

  /** A copy (there are no variables). */
  clone(): MaxPool2d {
    return new MaxPool2d(this.getConfig());
  }
}
