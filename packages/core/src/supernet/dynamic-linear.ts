// Cai et al., "Once-for-All", ICLR 2020 (DynamicLinear: the classifier reads the first active features).
import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../internal/errors.js';
import { Dense } from '../nn/layers/dense.js';
import type { WeightInit } from '../nn/layers/initializers.js';
import { initWeight } from '../nn/layers/initializers.js';
import { checkInput, checkInteger, emitTrace } from '../nn/layers/layer-utils.js';
import { type ApplyContext, Module } from '../nn/module.js';
import type { Rng } from '../random/rng.js';
import type { Choice } from '../search-space/choices.js';
import type { DeclaresChoices, ExtractionContext, SubnetExtractable } from './extraction.js';
import { checkRule, choicesOfRule, resolveSize, type SizeRule } from './size-rule.js';
import { checkPermutation, copyVariablesInto, permuteVariable } from './variable-utils.js';

/** Options of {@link DynamicLinear}. */
export interface DynamicLinearOptions {
  /** Largest input width; the active width is the input's last axis. */
  maxInUnits: number;
  maxOutUnits: number;
  /** Active output width. @default maxOutUnits */
  outUnits?: SizeRule;
  /** @default true */
  useBias?: boolean;
  /** @default 'glorotUniform' */
  init?: WeightInit;
  seed?: number | string | Rng;
}

const SOURCE = '@automl-ts/core/DynamicLinear';

/**
 * A fully connected layer over `[batch, units]` whose input width follows its input (the first
 * rows of the kernel) and whose output width follows a {@link SizeRule} (the first columns).
 *
 * @example
 * const classifier = new DynamicLinear({ maxInUnits: 320, maxOutUnits: 10 });
 * classifier.apply(features240); // uses kernel[0:240, :]
 */
export class DynamicLinear extends Module implements SubnetExtractable, DeclaresChoices {
  static override readonly className: string = 'DynamicLinear';

  readonly maxInUnits: number;
  readonly maxOutUnits: number;
  readonly useBias: boolean;
  readonly outUnitsRule: SizeRule;

  constructor(options: DynamicLinearOptions) {
    super();
    this.maxInUnits = checkInteger(SOURCE, 'maxInUnits', options?.maxInUnits);
    this.maxOutUnits = checkInteger(SOURCE, 'maxOutUnits', options.maxOutUnits);
    this.useBias = options.useBias ?? true;
    this.outUnitsRule = options.outUnits ?? this.maxOutUnits;
    checkRule(SOURCE, 'outUnits', this.outUnitsRule, this.maxOutUnits);
    this.addVariable(
      'kernel',
      initWeight(
        [this.maxInUnits, this.maxOutUnits],
        options.init ?? 'glorotUniform',
        this.maxInUnits,
        this.maxOutUnits,
        options.seed,
      ),
    );
    if (this.useBias) this.addVariable('bias', tf.zeros([this.maxOutUnits]));
  }

  searchChoices(): readonly Choice[] {
    return choicesOfRule(this.outUnitsRule);
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const source = this.#source('forward');
    checkInput(source, x, [2], undefined, '[batch, units]');
    const inUnits = x.shape[1] as number;
    if (inUnits > this.maxInUnits) {
      throw new AutomlError(source, `input has ${inUnits} units; this layer takes 1 to ${this.maxInUnits}`);
    }
    const outUnits = resolveSize(this.outUnitsRule, ctx.arch, inUnits, source, 'outUnits', this.maxOutUnits);
    const kernel = this.param('kernel', ctx);
    const active =
      inUnits === this.maxInUnits && outUnits === this.maxOutUnits
        ? kernel
        : tf.slice(kernel, [0, 0], [inUnits, outUnits]);
    let y: tf.Tensor = tf.matMul(x as tf.Tensor2D, active as tf.Tensor2D);
    if (this.useBias) {
      const bias = this.param('bias', ctx);
      y = tf.add(y, outUnits === this.maxOutUnits ? bias : tf.slice(bias, 0, outUnits));
    }
    emitTrace(ctx, this, 'dense', [x], y, { inUnits, outUnits, useBias: this.useBias });
    return y;
  }

  /** A plain `Dense` with the active rows and columns copied. */
  extractSubnet(ctx: ExtractionContext): Dense {
    const inUnits = ctx.inputShape(this)[1] as number;
    const outUnits = resolveSize(
      this.outUnitsRule,
      ctx.arch,
      inUnits,
      this.#source('extractSubnet'),
      'outUnits',
      this.maxOutUnits,
    );
    const weights = tf.tidy(() => {
      const kernel = tf.slice(this.variable('kernel'), [0, 0], [inUnits, outUnits]);
      return this.useBias ? { kernel, bias: tf.slice(this.variable('bias'), 0, outUnits) } : { kernel };
    });
    try {
      return new Dense({ inUnits, outUnits, useBias: this.useBias }, weights);
    } finally {
      tf.dispose([weights.kernel, weights.bias]);
    }
  }

  /** Reorders input units in place (`order[i]` is the old index of new unit `i`). */
  permuteInputs(order: readonly number[]): void {
    checkPermutation(this.#source('permuteInputs'), order, this.maxInUnits);
    permuteVariable(this.variable('kernel'), order, 0);
  }

  /** A deep copy. */
  clone(): DynamicLinear {
    const copy = new DynamicLinear({
      maxInUnits: this.maxInUnits,
      maxOutUnits: this.maxOutUnits,
      outUnits: this.outUnitsRule,
      useBias: this.useBias,
      seed: 0,
    });
    copyVariablesInto(this, copy);
    return copy;
  }

  #source(method: string): string {
    return `${SOURCE}.${method}${this.path === '' ? '' : ` (${this.path})`}`;
  }
}
