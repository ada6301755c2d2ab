import * as tf from '@tensorflow/tfjs';
import type { ApplyContext } from '../module.js';
import { checkInput, emitTrace } from './layer-utils.js';
import type { Pool2dConfig, Pool2dOptions } from './pool2d.js';
import { Pool2d } from './pool2d.js';

/**
 * Average pooling over NHWC inputs.
 *
 * @example
 * const pool = new AvgPool2d({ poolSize: 3, strides: 1, padding: 'same' });
 */
export class AvgPool2d extends Pool2d {
  static override readonly className: string = 'AvgPool2d';

  constructor(options: Pool2dOptions) {
    super(options, '@automl-ts/core/AvgPool2d');
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(`@automl-ts/core/AvgPool2d.forward (${this.path || 'root'})`, x, [4], undefined, 'NHWC');
    const y = tf.avgPool(
      x as tf.Tensor4D,
      this.poolSize as [number, number],
      this.strides as [number, number],
      this.padding,
    );
    emitTrace(ctx, this, 'avgPool', [x], y, this.traceAttrs());
    return y;
  }

  /** Rebuilds a layer from {@link AvgPool2d.getConfig}. */
  static fromConfig(config: Pool2dConfig): AvgPool2d {
    return new AvgPool2d(config);
  }

  /** A copy (there are no variables). */
  clone(): AvgPool2d {
    return new AvgPool2d(this.getConfig());
  }
}
