import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../../internal/errors.js';
import type { Rng } from '../../random/rng.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import type { WeightInit } from './initializers.js';
import { initWeight } from './initializers.js';
import {
  type ChannelSelection,
  checkIndices,
  checkInput,
  checkInteger,
  checkWeightShape,
  copyVariable,
  emitTrace,
  gatherAxis,
} from './layer-utils.js';

/** Options of {@link Dense}. */
export interface DenseOptions {
  inUnits: number;
  outUnits: number;
  /** @default true */
  useBias?: boolean;
  /** @default 'glorotUniform' */
  init?: WeightInit;
  /** Seed or rng for the initial kernel. @default TF.js's global (unseeded) generator */
  seed?: number | string | Rng;
}

/** Initial values for {@link Dense} (copied; the caller keeps ownership). */
export interface DenseWeights {
  /** Shape `[inUnits, outUnits]`. */
  kernel: tf.Tensor;
  /** Shape `[outUnits]`; zeros when omitted. */
  bias?: tf.Tensor;
}

/** The JSON form of a {@link Dense}. */
export type DenseConfig = { readonly inUnits: number; readonly outUnits: number; readonly useBias: boolean };

const SOURCE = '@automl-ts/core/Dense';

/**
 * Fully connected layer over `[batch, inUnits]`: `y = x · kernel + bias`, with `kernel`
 * `[inUnits, outUnits]` and `bias` `[outUnits]`.
 *
 * @example
 * const fc = new Dense({ inUnits: 64, outUnits: 10, seed: 3 });
 * const logits = fc.apply(features); // [batch, 10]
 */
export class Dense extends Module {
  static override readonly className: string = 'Dense';

  readonly inUnits: number;
  readonly outUnits: number;
  readonly useBias: boolean;

  constructor(options: DenseOptions, initial?: DenseWeights) {
    super();
    this.inUnits = checkInteger(SOURCE, 'inUnits', options?.inUnits);
    this.outUnits = checkInteger(SOURCE, 'outUnits', options.outUnits);
    this.useBias = options.useBias ?? true;
    const kernelShape = [this.inUnits, this.outUnits];
    if (initial === undefined) {
      this.addVariable(
        'kernel',
        initWeight(kernelShape, options.init ?? 'glorotUniform', this.inUnits, this.outUnits, options.seed),
      );
      if (this.useBias) this.addVariable('bias', tf.zeros([this.outUnits]));
      return;
    }
    checkWeightShape(SOURCE, 'kernel', initial.kernel, kernelShape);
    this.addVariable('kernel', tf.clone(initial.kernel));
    if (this.useBias) {
      if (initial.bias !== undefined) checkWeightShape(SOURCE, 'bias', initial.bias, [this.outUnits]);
      this.addVariable(
        'bias',
        initial.bias === undefined ? tf.zeros([this.outUnits]) : tf.clone(initial.bias),
      );
    } else if (initial.bias !== undefined) {
      throw new AutomlError(SOURCE, 'a bias was given but useBias is false');
    }
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(`${SOURCE}.forward (${this.path || 'root'})`, x, [2], this.inUnits, '[batch, units]');
    let y = tf.matMul(x as tf.Tensor2D, this.param('kernel', ctx) as tf.Tensor2D) as tf.Tensor;
    if (this.useBias) y = tf.add(y, this.param('bias', ctx));
    emitTrace(ctx, this, 'dense', [x], y, {
      inUnits: this.inUnits,
      outUnits: this.outUnits,
      useBias: this.useBias,
    });
    return y;
  }

  /** Plain JSON enough to rebuild the layer (weights are separate). */
  getConfig(): DenseConfig {
    return { inUnits: this.inUnits, outUnits: this.outUnits, useBias: this.useBias };
  }

  /** Rebuilds a layer from {@link Dense.getConfig} (fresh weights, or `initial`). */
  static fromConfig(config: DenseConfig, initial?: DenseWeights): Dense {
    return new Dense(config, initial);
  }

  /** A deep copy: same config, new variables holding the same values. */
  clone(): Dense {
    return this.#rebuild(copyVariable(this, 'kernel'), this.useBias ? copyVariable(this, 'bias') : undefined);
  }

  /**
   * A new layer keeping only some input and/or output units (strictly ascending; omitted means
   * all), for channel pruning: `inputs` follow the pruning of the layer before it, `outputs` prune
   * this one. After a `Flatten` of NHWC `[h, w, c]` features, input unit `(i·w + j)·c + k` is
   * channel `k` at `(i, j)`.
   */
  withChannels(selection: ChannelSelection): Dense {
    const source = this.#source('withChannels');
    const inputs =
      selection?.inputs === undefined
        ? undefined
        : checkIndices(source, 'inputs', selection.inputs, this.inUnits);
    const outputs =
      selection?.outputs === undefined
        ? undefined
        : checkIndices(source, 'outputs', selection.outputs, this.outUnits);
    const kernel = tf.tidy(() => {
      const rows =
        inputs === undefined ? this.variable('kernel') : gatherAxis(this.variable('kernel'), inputs, 0);
      return outputs === undefined ? tf.clone(rows) : gatherAxis(rows, outputs, 1);
    });
    const bias = !this.useBias
      ? undefined
      : outputs === undefined
        ? copyVariable(this, 'bias')
        : gatherAxis(this.variable('bias'), outputs, 0);
    return this.#rebuild(kernel, bias);
  }

  #rebuild(kernel: tf.Tensor, bias: tf.Tensor | undefined): Dense {
    try {
      const [inUnits, outUnits] = kernel.shape as [number, number];
      return new Dense(
        { inUnits, outUnits, useBias: this.useBias },
        bias === undefined ? { kernel } : { kernel, bias },
      );
    } finally {
      kernel.dispose();
      bias?.dispose();
    }
  }

  #source(method: string): string {
    return `${SOURCE}.${method}${this.path === '' ? '' : ` (${this.path})`}`;
  }
}
