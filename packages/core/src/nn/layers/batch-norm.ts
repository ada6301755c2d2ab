// Ioffe & Szegedy, "Batch Normalization", 2015, Alg. 1 (training) and Alg. 2 (inference with population statistics).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../../internal/errors.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import {
  arraysEqual,
  type ChannelSelection,
  checkIndices,
  checkInput,
  checkInteger,
  checkWeightShape,
  emitTrace,
  gatherAxis,
} from './layer-utils.js';

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions {
  /** Features normalised: the last axis of `[N, C]` or NHWC `[N, H, W, C]` inputs. */
  channels: number;
  /**
   * Weight of the new batch in the running statistics (PyTorch convention:
   * `running = (1 − momentum)·running + momentum·batch`). `null` keeps a cumulative average over
   * all batches since the last {@link BatchNorm.resetRunningStats} (used by BN recalibration).
   * @default 0.1
   */
  momentum?: number | null;
  /** @default 1e-5 */
  epsilon?: number;
}

/** Initial values for {@link BatchNorm} (copied; the caller keeps ownership), each of shape `[channels]`. */
export interface BatchNormWeights {
  gamma: tf.Tensor;
  beta: tf.Tensor;
  runningMean: tf.Tensor;
  runningVar: tf.Tensor;
}

/** The JSON form of a {@link BatchNorm}. */
export type BatchNormConfig = {
  readonly channels: number;
  readonly momentum: number | null;
  readonly epsilon: number;
};

/**
 * A normalisation layer whose running statistics can be reset and re-estimated (see
 * `recalibrateBatchNorm`). Supernet norms with sliced statistics implement it too.
 */
export interface RecalibratableNorm {
  /** Weight of a new batch in the running statistics; `null` for a cumulative average. */
  momentum: number | null;
  /** Running mean to 0, running variance to 1, batch count to 0. */
  resetRunningStats(): void;
}

/** True when `value` has the {@link RecalibratableNorm} shape (duck-typed). */
export function isRecalibratableNorm(value: unknown): value is RecalibratableNorm {
  const candidate = value as Partial<RecalibratableNorm> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.resetRunningStats === 'function' &&
    'momentum' in candidate
  );
}

const SOURCE = '@automl-ts/core/BatchNorm';

/**
 * Batch normalisation over the last axis of 1-D `[N, C]` or 2-D NHWC `[N, H, W, C]` inputs.
 *
 * Variables: parameters `gamma` (scale, 1) and `beta` (shift, 0); buffers `runningMean` (0) and
 * `runningVar` (1). Training normalises with the batch mean and biased variance and, when
 * `ctx.updateStats`, moves the running statistics towards the batch's (unbiased variance, as
 * PyTorch). Inference normalises with the running statistics.
 *
 * @example
 * const bn = new BatchNorm({ channels: 16 });
 * const y = bn.apply(x, { training: true }); // batch statistics; running statistics updated
 */
export class BatchNorm extends Module implements RecalibratableNorm {
  static override readonly className: string = 'BatchNorm';

  readonly channels: number;
  readonly epsilon: number;
  #momentum: number | null;
  #batchesTracked = 0;

  constructor(options: BatchNormOptions, initial?: BatchNormWeights) {
    super();
    this.channels = checkInteger(SOURCE, 'channels', options?.channels);
    this.#momentum = checkMomentum(SOURCE, options.momentum === undefined ? 0.1 : options.momentum);
    const epsilon = options.epsilon ?? 1e-5;
    if (typeof epsilon !== 'number' || !(epsilon > 0)) {
      throw new AutomlError(SOURCE, `epsilon must be a number > 0, got ${describeValue(epsilon)}`);
    }
    this.epsilon = epsilon;
    const shape = [this.channels];
    if (initial !== undefined) {
      for (const name of ['gamma', 'beta', 'runningMean', 'runningVar'] as const) {
        checkWeightShape(SOURCE, name, initial[name], shape);
      }
    }
    this.addVariable('gamma', initial === undefined ? tf.ones(shape) : tf.clone(initial.gamma));
    this.addVariable('beta', initial === undefined ? tf.zeros(shape) : tf.clone(initial.beta));
    this.addVariable(
      'runningMean',
      initial === undefined ? tf.zeros(shape) : tf.clone(initial.runningMean),
      'buffer',
    );
    this.addVariable(
      'runningVar',
      initial === undefined ? tf.ones(shape) : tf.clone(initial.runningVar),
      'buffer',
    );
  }

  /** Weight of a new batch in the running statistics; `null` for a cumulative average. */
  get momentum(): number | null {
    return this.#momentum;
  }

  set momentum(value: number | null) {
    this.#momentum = checkMomentum(SOURCE, value);
  }

  /** Batches folded into the running statistics since construction or the last reset. */
  get batchesTracked(): number {
    return this.#batchesTracked;
  }

  /** Running mean to 0, running variance to 1, batch count to 0. */
  resetRunningStats(): void {
    tf.tidy(() => {
      this.variable('runningMean').assign(tf.zeros([this.channels]));
      this.variable('runningVar').assign(tf.ones([this.channels]));
    });
    this.#batchesTracked = 0;
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(`${SOURCE}.forward (${this.path || 'root'})`, x, [2, 4], this.channels, '[N, C] or NHWC');
    const gamma = this.param('gamma', ctx);
    const beta = this.param('beta', ctx);
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (ctx.training) {
      const moments = tf.moments(x, x.rank === 4 ? [0, 1, 2] : [0]);
      mean = moments.mean;
      variance = moments.variance;
      if (ctx.updateStats) this.#updateRunningStats(mean, variance, x.size / this.channels);
    } else {
      mean = this.param('runningMean', ctx);
      variance = this.param('runningVar', ctx);
    }
    const y = normalizeBatch(x, mean, variance, gamma, beta, this.epsilon, ctx.training);
    emitTrace(ctx, this, 'batchNorm', [x], y, {
      channels: this.channels,
      epsilon: this.epsilon,
      momentum: this.#momentum,
    });
    return y;
  }

  /** Plain JSON enough to rebuild the layer (weights are separate). */
  getConfig(): BatchNormConfig {
    return { channels: this.channels, momentum: this.#momentum, epsilon: this.epsilon };
  }

  /** Rebuilds a layer from {@link BatchNorm.getConfig} (fresh statistics, or `initial`). */
  static fromConfig(config: BatchNormConfig, initial?: BatchNormWeights): BatchNorm {
    return new BatchNorm(config, initial);
  }

  /** A deep copy: same config, new variables holding the same values and statistics. */
  clone(): BatchNorm {
    return this.#rebuild((name) => tf.clone(this.variable(name)));
  }

  /**
   * A new layer keeping only the given channels (strictly ascending), statistics included. A
   * batch norm's inputs are its outputs: give either, or both if they are equal.
   */
  withChannels(selection: ChannelSelection): BatchNorm {
    const source = `${SOURCE}.withChannels${this.path === '' ? '' : ` (${this.path})`}`;
    const { inputs, outputs } = selection ?? {};
    if (inputs !== undefined && outputs !== undefined && !arraysEqual(inputs, outputs)) {
      throw new AutomlError(
        source,
        `inputs ${describeValue(inputs)} and outputs ${describeValue(outputs)} differ; a batch norm keeps the same channels on both sides`,
      );
    }
    const chosen = outputs ?? inputs;
    const kept =
      chosen === undefined
        ? undefined
        : checkIndices(source, outputs === undefined ? 'inputs' : 'outputs', chosen, this.channels);
    return this.#rebuild((name) =>
      kept === undefined ? tf.clone(this.variable(name)) : gatherAxis(this.variable(name), kept, 0),
    );
  }

  #rebuild(take: (name: keyof BatchNormWeights) => tf.Tensor): BatchNorm {
    const weights: BatchNormWeights = {
      gamma: take('gamma'),
      beta: take('beta'),
      runningMean: take('runningMean'),
      runningVar: take('runningVar'),
    };
    try {
      const copy = new BatchNorm(
        { channels: weights.gamma.shape[0] as number, momentum: this.#momentum, epsilon: this.epsilon },
        weights,
      );
      copy.#batchesTracked = this.#batchesTracked;
      return copy;
    } finally {
      tf.dispose([weights.gamma, weights.beta, weights.runningMean, weights.runningVar]);
    }
  }

  #updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    this.#batchesTracked += 1;
    updateRunningStatistics(this, { mean, variance, count }, this.#momentum, this.#batchesTracked);
  }
}

/**
 * Folds one batch's statistics into a batch norm's `runningMean` and `runningVar`, the update every
 * batch norm here shares (PyTorch's): `running = (1 − f)·running + f·batch` with `f = momentum`, or
 * `1 / batchesTracked` for a cumulative average, and the unbiased variance (`n / (n − 1)` times the
 * batch's). Only the first `mean.size` channels move: a dynamic batch norm's active width.
 */
export function updateRunningStatistics(
  norm: Module,
  batch: { readonly mean: tf.Tensor; readonly variance: tf.Tensor; readonly count: number },
  momentum: number | null,
  batchesTracked: number,
): void {
  const factor = momentum ?? 1 / batchesTracked;
  const { count } = batch;
  const unbiased = count > 1 ? tf.mul(batch.variance, count / (count - 1)) : batch.variance;
  const channels = batch.mean.size;
  for (const [name, value] of [
    ['runningMean', batch.mean],
    ['runningVar', unbiased],
  ] as const) {
    const running = norm.variable(name);
    const active = channels === running.size ? running : tf.slice(running, 0, channels);
    const updated = tf.add(tf.mul(active, 1 - factor), tf.mul(value, factor));
    running.assign(
      channels === running.size ? updated : tf.concat([updated, tf.slice(running, channels)], 0),
    );
  }
}

/** The `momentum` option of a batch norm: a number in [0, 1], or `null` for a cumulative average. */
export function checkMomentum(source: string, value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new AutomlError(source, `momentum must be a number in [0, 1] or null, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * y = (x − mean)·γ/√(var + ε) + β, the arithmetic every batch norm here shares (so an extracted
 * subnet reproduces its supernet bit for bit). Inference runs one fused kernel (FusedBatchNorm)
 * instead of five small ops, which dominated MobileNet latency on wasm; training folds it into
 * one scale and one shift so gradients flow through the batch statistics.
 */
export function normalizeBatch(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  training: boolean,
): tf.Tensor {
  if (!training) return tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(mean, scale)));
}
