// Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018, Table 1 (the
// block); Cai et al., "Once-for-All", ICLR 2020, §3.2 (elastic kernel, expand ratio and width, and
// the channel sorting of §3.2 "elastic width" applied to the expanded channels).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../../internal/errors.js';
import { makeDivisible } from '../../models/model-options.js';
import { Activation, type ActivationKind } from '../../nn/layers/activation.js';
import { emitTrace } from '../../nn/layers/layer-utils.js';
import { Residual } from '../../nn/layers/residual.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { type ApplyContext, type ArchValues, Module } from '../../nn/module.js';
import type { Rng } from '../../random/rng.js';
import { toRng } from '../../random/rng.js';
import type { Choice } from '../../search-space/choices.js';
import { DynamicBatchNorm } from '../dynamic-batch-norm.js';
import { DynamicConv2d } from '../dynamic-conv2d.js';
import type { DeclaresChoices, ExtractionContext, SubnetExtractable } from '../extraction.js';
import { isChoice, type SizeRule } from '../size-rule.js';
import { copyVariablesInto, orderByImportance } from '../variable-utils.js';

/** Options of {@link DynamicMBConvBlock}. */
export interface DynamicMBConvBlockOptions {
  maxInChannels: number;
  maxOutChannels: number;
  /** Active output width (a stage width shared by the stage's blocks). @default maxOutChannels */
  outChannels?: SizeRule;
  /** Kernel sizes of the depthwise conv. */
  kernelSizes: readonly number[];
  /** Active kernel size. @default the largest */
  kernelSize?: SizeRule;
  /**
   * Active expand ratio: a number or a choice with numeric values. Ratio 1 everywhere drops the
   * expand conv (MobileNetV2's first block).
   */
  expandRatio: number | Choice;
  /** @default 1 */
  stride?: number;
  /** Expanded widths are rounded to a multiple of this (OFA's `make_divisible`). @default 8 */
  channelDivisor?: number;
  /** @default 'relu6' */
  activation?: ActivationKind;
  /** Learn OFA's kernel transformation matrices in the depthwise conv. @default true */
  transformKernels?: boolean;
  /** Choices the width rule reads (a global width multiplier), declared to the search space. */
  choices?: readonly Choice[];
  seed?: number | string | Rng;
}

const SOURCE = '@automl-ts/core/DynamicMBConvBlock';

/**
 * OFA's elastic inverted-residual block: expand 1×1 (width `round(in × e)`) → BN → act →
 * depthwise k×k (stride) → BN → act → project 1×1 → BN, plus the input when the stride is 1 and
 * the widths match. Kernel size, expand ratio and output width follow the architecture.
 *
 * Children: `expand`, `expandBn`, `expandAct` (absent when every expand ratio is 1), `depthwise`,
 * `depthwiseBn`, `depthwiseAct`, `project`, `projectBn` — the names the extracted `Residual` or
 * `Sequential` keeps.
 *
 * @example
 * const block = new DynamicMBConvBlock({
 *   maxInChannels: 24, maxOutChannels: 24, kernelSizes: [3, 5, 7],
 *   kernelSize: categorical('s1.b0.kernel', [3, 5, 7]), expandRatio: categorical('s1.b0.expand', [3, 4, 6]),
 * });
 */
export class DynamicMBConvBlock extends Module implements SubnetExtractable, DeclaresChoices {
  static override readonly className: string = 'DynamicMBConvBlock';

  readonly residual: boolean;
  readonly expandRatio: number | Choice;
  readonly channelDivisor: number;
  readonly #options: DynamicMBConvBlockOptions;
  readonly #expand: DynamicConv2d | undefined;
  readonly #expandBn: DynamicBatchNorm | undefined;
  readonly #expandAct: Activation | undefined;
  readonly #depthwise: DynamicConv2d;
  readonly #depthwiseBn: DynamicBatchNorm;
  readonly #depthwiseAct: Activation;
  readonly #project: DynamicConv2d;
  readonly #projectBn: DynamicBatchNorm;

  constructor(options: DynamicMBConvBlockOptions) {
    super();
    this.#options = { ...options };
    const stride = options.stride ?? 1;
    this.channelDivisor = options.channelDivisor ?? 8;
    if (!Number.isInteger(this.channelDivisor) || this.channelDivisor < 1) {
      throw new AutomlError(
        SOURCE,
        `channelDivisor must be an integer >= 1, got ${describeValue(this.channelDivisor)}`,
      );
    }
    this.expandRatio = options.expandRatio;
    const ratios = ratioValues(options.expandRatio);
    const maxRatio = Math.max(...ratios);
    const rng = toRng(options.seed ?? 0);
    const activation = options.activation ?? 'relu6';
    const maxIn = options.maxInChannels;
    let mid = maxIn;
    if (maxRatio > 1) {
      mid = makeDivisible(maxIn * maxRatio, this.channelDivisor);
      const ratioRule = (arch: ArchValues | undefined, inChannels: number): number =>
        makeDivisible(inChannels * this.#activeRatio(arch), this.channelDivisor);
      this.#expand = this.addModule(
        'expand',
        new DynamicConv2d({
          maxInChannels: maxIn,
          maxOutChannels: mid,
          kernelSizes: [1],
          outChannels: ratioRule,
          seed: rng,
        }),
      );
      this.#expandBn = this.addModule('expandBn', new DynamicBatchNorm({ maxChannels: mid }));
      this.#expandAct = this.addModule('expandAct', new Activation(activation));
    }
    this.#depthwise = this.addModule(
      'depthwise',
      new DynamicConv2d({
        maxInChannels: mid,
        maxOutChannels: mid,
        depthwise: true,
        kernelSizes: options.kernelSizes,
        ...(options.kernelSize === undefined ? {} : { kernelSize: options.kernelSize }),
        strides: stride,
        transformKernels: options.transformKernels ?? true,
        seed: rng,
      }),
    );
    this.#depthwiseBn = this.addModule('depthwiseBn', new DynamicBatchNorm({ maxChannels: mid }));
    this.#depthwiseAct = this.addModule('depthwiseAct', new Activation(activation));
    this.#project = this.addModule(
      'project',
      new DynamicConv2d({
        maxInChannels: mid,
        maxOutChannels: options.maxOutChannels,
        kernelSizes: [1],
        ...(options.outChannels === undefined ? {} : { outChannels: options.outChannels }),
        ...(options.choices === undefined ? {} : { choices: options.choices }),
        seed: rng,
      }),
    );
    this.#projectBn = this.addModule(
      'projectBn',
      new DynamicBatchNorm({ maxChannels: options.maxOutChannels }),
    );
    this.residual = stride === 1 && options.maxInChannels === options.maxOutChannels;
  }

  searchChoices(): readonly Choice[] {
    return isChoice(this.expandRatio) ? [this.expandRatio] : [];
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    let h = x;
    for (const [, layer] of this.#layers()) h = layer.forward(h, ctx);
    if (!this.residual) return h;
    if (h.shape[3] !== x.shape[3]) {
      throw new AutomlError(
        `${SOURCE}.forward (${this.path || 'root'})`,
        `the residual add needs equal widths, got input [${x.shape}] and output [${h.shape}]; give the block's input and output the same width rule`,
      );
    }
    const y = tf.add(h, x);
    emitTrace(ctx, this, 'add', [h, x], y);
    return y;
  }

  /** A plain `Residual` (or `Sequential`) of Conv2d / BatchNorm / Activation with the active weights. */
  extractSubnet(ctx: ExtractionContext): Module {
    const body = this.#layers().map(([name, layer]) => [name, ctx.extract(layer)] as const);
    return this.residual ? new Residual({ body }) : new Sequential(body);
  }

  /**
   * Sorts the expanded channels by the L1 norm of the expand conv's filters, most important
   * first, and permutes the expand conv's outputs, both BNs, the depthwise conv and the project
   * conv's inputs the same way, so the full block computes the same function and narrower
   * expand ratios keep the most important channels (OFA §3.2).
   */
  reorderChannels(): void {
    if (this.#expand === undefined || this.#expandBn === undefined) return;
    const order = orderByImportance(this.#expand.filterImportance());
    this.#expand.permuteOutputs(order);
    this.#expandBn.permuteChannels(order);
    this.#depthwise.permuteOutputs(order);
    this.#depthwiseBn.permuteChannels(order);
    this.#project.permuteInputs(order);
  }

  /** A deep copy. */
  clone(): DynamicMBConvBlock {
    const copy = new DynamicMBConvBlock({ ...this.#options, seed: 0 });
    copyVariablesInto(this, copy);
    return copy;
  }

  #layers(): Array<[string, Module]> {
    const layers: Array<[string, Module | undefined]> = [
      ['expand', this.#expand],
      ['expandBn', this.#expandBn],
      ['expandAct', this.#expandAct],
      ['depthwise', this.#depthwise],
      ['depthwiseBn', this.#depthwiseBn],
      ['depthwiseAct', this.#depthwiseAct],
      ['project', this.#project],
      ['projectBn', this.#projectBn],
    ];
    return layers.filter((entry): entry is [string, Module] => entry[1] !== undefined);
  }

  #activeRatio(arch: ArchValues | undefined): number {
    if (typeof this.expandRatio === 'number') return this.expandRatio;
    const value = arch?.[this.expandRatio.name];
    if (typeof value !== 'number' || !ratioValues(this.expandRatio).includes(value)) {
      throw new AutomlError(
        `${SOURCE}.forward (${this.path || 'root'})`,
        `choice "${this.expandRatio.name}" is ${describeValue(value)}; expected one of ${ratioValues(this.expandRatio).join(', ')}`,
      );
    }
    return value;
  }
}

function ratioValues(ratio: number | Choice): number[] {
  let values: unknown[];
  if (typeof ratio === 'number') values = [ratio];
  else if (ratio?.kind === 'categorical') values = [...ratio.values];
  else if (ratio?.kind === 'int')
    values = Array.from(
      { length: (ratio.max - ratio.min) / ratio.step + 1 },
      (_, i) => ratio.min + i * ratio.step,
    );
  else values = [ratio];
  for (const value of values) {
    if (typeof value !== 'number' || !(value >= 1) || !Number.isFinite(value)) {
      throw new AutomlError(SOURCE, `expand ratios must be numbers >= 1, got ${describeValue(value)}`);
    }
  }
  return values as number[];
}
