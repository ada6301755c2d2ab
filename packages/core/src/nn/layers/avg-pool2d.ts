import * as tf from '@tensorflow/tfjs';
import type { ApplyContext } from '../module.js';
import { checkInput, emitTrace } from './layer-utils.js';
import type { Pool2dConfig, Pool2dOptions } from './pool2d.js';
import { Pool2d } from './pool2d.js';

/**
 * Average pooling over NHWC inputs. With explicit padding `[[top, bottom], [left, right]]` the
 * input is zero-padded first and every window divides by its full size, so the layer is a fixed
 * depthwise convolution (weights `1 / (kh·kw)`) at the borders too; traced as a `pad` then a
 * `'valid'` `avgPool`, exported as Keras `ZeroPadding2D` + `AveragePooling2D`.
 *
 * @example
 * const pool = new AvgPool2d({ poolSize: 3, strides: 1, padding: 'same' });
 * const asConv = new AvgPool2d({ poolSize: 3, strides: 2, padding: [[1, 1], [1, 1]] });
 */
export class AvgPool2d extends Pool2d {
  static override readonly className: string = 'AvgPool2d';

  constructor(options: Pool2dOptions) {
    super(options, '@automl-ts/core/AvgPool2d', true);
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(`@automl-ts/core/AvgPool2d.forward (${this.path || 'root'})`, x, [4], undefined, 'NHWC');
    const poolSize = this.poolSize as [number, number];
    const strides = this.strides as [number, number];
    if (typeof this.padding === 'string') {
      const y = tf.avgPool(x as tf.Tensor4D, poolSize, strides, this.padding);
      emitTrace(ctx, this, 'avgPool', [x], y, this.traceAttrs());
      return y;
    }
    const [rows, cols] = this.padding;
    const paddings: Array<[number, number]> = [
      [0, 0],
      [rows[0], rows[1]],
      [cols[0], cols[1]],
      [0, 0],
    ];
    const padded = tf.pad(x, paddings);
    emitTrace(ctx, this, 'pad', [x], padded, { paddings });
    const y = tf.avgPool(padded as tf.Tensor4D, poolSize, strides, 'valid');
    emitTrace(ctx, this, 'avgPool', [padded], y, { ...this.traceAttrs(), padding: 'valid' });
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
