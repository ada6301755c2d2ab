// Cai et al., "Once-for-All", ICLR 2020 (DynamicBatchNorm2d: the first active channels' affine
// parameters and running statistics); Yu & Huang, "Universally Slimmable Networks", ICCV 2019, §3.2
// (shared statistics re-estimated per width after training: `recalibrateBatchNorm`).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import {
  BatchNorm,
  checkMomentum,
  normalizeBatch,
  type RecalibratableNorm,
  updateRunningStatistics,
} from '../nn/layers/batch-norm.js';
import { checkInput, checkInteger, emitTrace } from '../nn/layers/layer-utils.js';
import { type ApplyContext, Module } from '../nn/module.js';
import type { ExtractionContext, SubnetExtractable } from './extraction.js';
import { checkPermutation, copyVariablesInto, permuteVariable } from './variable-utils.js';

/** Options of {@link DynamicBatchNorm}. */
export interface DynamicBatchNormOptions {
  /** Largest width; the active width is the input's last axis. */
  maxChannels: number;
  /** Weight of a new batch in the running statistics (PyTorch convention); `null` for a cumulative average. @default 0.1 */
  momentum?: number | null;
  /** @default 1e-5 */
  epsilon?: number;
}

const SOURCE = '@automl-ts/core/DynamicBatchNorm';

/**
 * Batch normalisation whose width follows its input: a `C`-channel input uses the first `C`
 * entries of `gamma`, `beta`, `runningMean` and `runningVar`, and training updates only those
 * running statistics. Same variables, conventions and {@link RecalibratableNorm} interface as
 * `BatchNorm`, so `recalibrateBatchNorm` re-estimates statistics for one subnet.
 *
 * @example
 * const bn = new DynamicBatchNorm({ maxChannels: 32 });
 * bn.apply(x24, { training: true }); // normalises 24 channels, updates runningMean[0:24]
 */
export class DynamicBatchNorm extends Module implements SubnetExtractable, RecalibratableNorm {
  static override readonly className: string = 'DynamicBatchNorm';

  readonly maxChannels: number;
  readonly epsilon: number;
  #momentum: number | null;
  #batchesTracked = 0;

  constructor(options: DynamicBatchNormOptions) {
    super();
    this.maxChannels = checkInteger(SOURCE, 'maxChannels', options?.maxChannels);
    this.#momentum = checkMomentum(SOURCE, options.momentum === undefined ? 0.1 : options.momentum);
    const epsilon = options.epsilon ?? 1e-5;
    if (typeof epsilon !== 'number' || !(epsilon > 0)) {
      throw new AutomlError(SOURCE, `epsilon must be a number > 0, got ${describeValue(epsilon)}`);
    }
    this.epsilon = epsilon;
    const shape = [this.maxChannels];
    this.addVariable('gamma', tf.ones(shape));
    this.addVariable('beta', tf.zeros(shape));
    this.addVariable('runningMean', tf.zeros(shape), 'buffer');
    this.addVariable('runningVar', tf.ones(shape), 'buffer');
  }

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

  resetRunningStats(): void {
    tf.tidy(() => {
      this.variable('runningMean').assign(tf.zeros([this.maxChannels]));
      this.variable('runningVar').assign(tf.ones([this.maxChannels]));
    });
    this.#batchesTracked = 0;
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    checkInput(this.#source('forward'), x, [2, 4], undefined, '[N, C] or NHWC');
    const channels = x.shape[x.rank - 1] as number;
    if (channels > this.maxChannels) {
      throw new AutomlError(
        this.#source('forward'),
        `input has ${channels} channels; this layer takes 1 to ${this.maxChannels}`,
      );
    }
    const take = (name: string) => firstChannels(this.param(name, ctx), channels);
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (ctx.training) {
      const moments = tf.moments(x, x.rank === 4 ? [0, 1, 2] : [0]);
      mean = moments.mean;
      variance = moments.variance;
      if (ctx.updateStats) this.#updateRunningStats(mean, variance, x.size / channels);
    } else {
      mean = take('runningMean');
      variance = take('runningVar');
    }
    // Same arithmetic as BatchNorm, so an extracted subnet reproduces the supernet bit for bit.
    const y = normalizeBatch(x, mean, variance, take('gamma'), take('beta'), this.epsilon, ctx.training);
    emitTrace(ctx, this, 'batchNorm', [x], y, { channels, epsilon: this.epsilon, momentum: this.#momentum });
    return y;
  }

  /** A plain `BatchNorm` with the active channels' parameters and statistics copied. */
  extractSubnet(ctx: ExtractionContext): BatchNorm {
    const shape = ctx.inputShape(this);
    const channels = shape[shape.length - 1] as number;
    const weights = tf.tidy(() => ({
      gamma: firstChannels(this.variable('gamma'), channels).clone(),
      beta: firstChannels(this.variable('beta'), channels).clone(),
      runningMean: firstChannels(this.variable('runningMean'), channels).clone(),
      runningVar: firstChannels(this.variable('runningVar'), channels).clone(),
    }));
    try {
      return new BatchNorm({ channels, momentum: this.#momentum, epsilon: this.epsilon }, weights);
    } finally {
      tf.dispose([weights.gamma, weights.beta, weights.runningMean, weights.runningVar]);
    }
  }

  /** Reorders channels in place (`order[i]` is the old index of new channel `i`), statistics included. */
  permuteChannels(order: readonly number[]): void {
    checkPermutation(this.#source('permuteChannels'), order, this.maxChannels);
    for (const name of ['gamma', 'beta', 'runningMean', 'runningVar'])
      permuteVariable(this.variable(name), order, 0);
  }

  /** A deep copy, statistics included. */
  clone(): DynamicBatchNorm {
    const copy = new DynamicBatchNorm({
      maxChannels: this.maxChannels,
      momentum: this.#momentum,
      epsilon: this.epsilon,
    });
    copyVariablesInto(this, copy);
    copy.#batchesTracked = this.#batchesTracked;
    return copy;
  }

  #updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    this.#batchesTracked += 1;
    updateRunningStatistics(this, { mean, variance, count }, this.#momentum, this.#batchesTracked);
  }

  #source(method: string): string {
    return `${SOURCE}.${method}${this.path === '' ? '' : ` (${this.path})`}`;
  }
}

function firstChannels(vector: tf.Tensor, channels: number): tf.Tensor {
  return channels === vector.shape[0] ? vector : tf.slice(vector, 0, channels);
}
