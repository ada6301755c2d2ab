// He et al., "Deep Residual Learning for Image Recognition", 2016, §3.3 and §4.2 (shortcut option A: identity with zero-padded extra channels).
import * as tf from '@tensorflow/tfjs';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import { checkInput, checkInteger, checkPair, emitTrace } from './layer-utils.js';

/** Options of {@link ZeroPadShortcut}. */
export interface ZeroPadShortcutOptions {
  /** Spatial subsampling: keeps every `strides`-th row and column, starting at the first. @default 1 */
  strides?: number | readonly [number, number];
  /** Zero channels added before the input's channels. @default 0 */
  padBefore?: number;
  /** Zero channels added after the input's channels. @default 0 */
  padAfter?: number;
}

/** The JSON form of a {@link ZeroPadShortcut}. */
export type ZeroPadShortcutConfig = {
  readonly strides: readonly [number, number];
  readonly padBefore: number;
  readonly padAfter: number;
};

/**
 * The parameter-free residual shortcut (ResNet option A): subsample NHWC input by `strides`,
 * then add zero channels on both sides, `[n, h, w, c]` → `[n, ⌈h/s⌉, ⌈w/s⌉, padBefore + c + padAfter]`.
 * Traced as op `pad` with attrs `strides` and `channelPadding: [before, after]`.
 *
 * @example
 * // 16 → 32 channels, half resolution, as between CIFAR ResNet stages:
 * new ZeroPadShortcut({ strides: 2, padBefore: 8, padAfter: 8 });
 */
export class ZeroPadShortcut extends Module {
  static override readonly className: string = 'ZeroPadShortcut';

  readonly strides: readonly [number, number];
  readonly padBefore: number;
  readonly padAfter: number;

  constructor(options: ZeroPadShortcutOptions = {}) {
    super();
    const source = '@automl-ts/core/ZeroPadShortcut';
    this.strides = checkPair(source, 'strides', options.strides, 1);
    this.padBefore = checkInteger(source, 'padBefore', options.padBefore ?? 0, 0);
    this.padAfter = checkInteger(source, 'padAfter', options.padAfter ?? 0, 0);
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(`@automl-ts/core/ZeroPadShortcut.forward (${this.path || 'root'})`, x, [4], undefined, 'NHWC');
    const [sh, sw] = this.strides;
    // A 1×1 average pool with strides picks every s-th cell and, unlike stridedSlice, has a gradient in TF.js.
    const subsampled = sh === 1 && sw === 1 ? x : tf.avgPool(x as tf.Tensor4D, [1, 1], [sh, sw], 'valid');
    const y = tf.pad(subsampled, [
      [0, 0],
      [0, 0],
      [0, 0],
      [this.padBefore, this.padAfter],
    ]);
    emitTrace(ctx, this, 'pad', [x], y, {
      strides: [sh, sw],
      channelPadding: [this.padBefore, this.padAfter],
    });
    return y;
  }

  /** Plain JSON enough to rebuild the layer. */
  getConfig(): ZeroPadShortcutConfig {
    return {
      strides: [...this.strides] as [number, number],
      padBefore: this.padBefore,
      padAfter: this.padAfter,
    };
  }

  /** Rebuilds a layer from {@link ZeroPadShortcut.getConfig}. */
  static fromConfig(config: ZeroPadShortcutConfig): ZeroPadShortcut {
    return new ZeroPadShortcut(config);
  }

  /** A copy (there are no variables). */
  clone(): ZeroPadShortcut {
    return new ZeroPadShortcut(this.getConfig());
  }
}
