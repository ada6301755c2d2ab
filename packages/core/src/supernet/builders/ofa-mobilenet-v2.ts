// Cai et al., "Once-for-All: Train One Network and Specialize it for Efficient Deployment", ICLR 2020,
// §3.2 and §4.1 (elastic kernel 3/5/7, expand ratio 3/4/6, depth 2–4 per stage) on the MobileNetV2
// backbone of Sandler et al., CVPR 2018, Table 2, with an elastic width multiplier as in
// Yu & Huang, "Universally Slimmable Networks", ICCV 2019.
import { AutomlError, describeValue } from '../../internal/errors.js';
import { makeDivisible } from '../../models/model-options.js';
import { Activation, type ActivationKind } from '../../nn/layers/activation.js';
import { GlobalAvgPool } from '../../nn/layers/global-avg-pool.js';
import { Sequential } from '../../nn/layers/sequential.js';
import type { ArchValues, Module } from '../../nn/module.js';
import { toRng } from '../../random/rng.js';
import { type Choice, categorical, intRange } from '../../search-space/choices.js';
import { defineSearchSpace, type SearchSpace } from '../../search-space/search-space.js';
import { DynamicMBConvBlock } from '../blocks/dynamic-mbconv-block.js';
import { DynamicBatchNorm } from '../dynamic-batch-norm.js';
import { DynamicConv2d } from '../dynamic-conv2d.js';
import { DynamicLinear } from '../dynamic-linear.js';
import { ElasticDepth } from '../elastic-depth.js';
import type { SizeRule } from '../size-rule.js';
import { Supernet } from '../supernet.js';
import { checkInteger, checkPositiveIntegers, resolveBuilderOptions } from './builder-options.js';

/** One elastic stage of {@link ofaMobileNetV2}. */
export interface OfaStage {
  /** Output width at width multiplier 1. */
  readonly channels: number;
  /** Stride of the stage's first block. */
  readonly stride: number;
}

/** Options of {@link ofaMobileNetV2} (`createSupernet('ofa-mobilenetv2', options)`). */
export interface OfaMobileNetV2Options {
  /** Input height and width (square NHWC inputs). @default 32 */
  inputSize?: number;
  /** Input channels. @default 3 */
  inChannels?: number;
  /** @default 10 */
  numClasses?: number;
  /** Depthwise kernel sizes, one choice per block. @default [3, 5, 7] */
  kernelSizes?: readonly number[];
  /** Expand ratios, one choice per block. @default [3, 4, 6] */
  expandRatios?: readonly number[];
  /** Fewest blocks a stage runs. @default 2 */
  minDepth?: number;
  /** Blocks per stage in the supernet. @default 4 */
  maxDepth?: number;
  /** Width multipliers, one global choice `width` when there are several. @default [0.75, 1] */
  widthMultipliers?: readonly number[];
  /** The elastic stages. @default 24/s1, 32/s2, 64/s2, 96/s1, 160/s2 (MobileNetV2 for 32×32 inputs) */
  stages?: readonly OfaStage[];
  /** @default 32 */
  stemChannels?: number;
  /** @default 1 (2 for ImageNet-sized inputs) */
  stemStride?: number;
  /** Width of the fixed first block (3×3, expand ratio 1). @default 16 */
  firstBlockChannels?: number;
  /** Width of the final 1×1 conv before pooling (not scaled). @default 1280 */
  lastChannels?: number;
  /** Widths are rounded to multiples of this. @default 8 */
  channelDivisor?: number;
  /** OFA's kernel transformation matrices in the depthwise convs. @default true */
  transformKernels?: boolean;
  /** @default 'relu6' */
  activation?: ActivationKind;
  /** Seed of the initial weights. @default 0 */
  seed?: number;
}

const SOURCE = '@automl-ts/core/ofaMobileNetV2';

const DEFAULTS: Required<OfaMobileNetV2Options> = {
  inputSize: 32,
  inChannels: 3,
  numClasses: 10,
  kernelSizes: [3, 5, 7],
  expandRatios: [3, 4, 6],
  minDepth: 2,
  maxDepth: 4,
  widthMultipliers: [0.75, 1],
  stages: [
    { channels: 24, stride: 1 },
    { channels: 32, stride: 2 },
    { channels: 64, stride: 2 },
    { channels: 96, stride: 1 },
    { channels: 160, stride: 2 },
  ],
  stemChannels: 32,
  stemStride: 1,
  firstBlockChannels: 16,
  lastChannels: 1280,
  channelDivisor: 8,
  transformKernels: true,
  activation: 'relu6',
  seed: 0,
};

/**
 * The validated options and the choices of an OFA MobileNetV2, without any weights: what
 * {@link ofaMobileNetV2} builds from, and all its search space needs.
 */
function ofaMobileNetV2Plan(overrides: OfaMobileNetV2Options | undefined) {
  const o = resolveBuilderOptions(SOURCE, DEFAULTS, overrides);
  const size = checkInteger(SOURCE, 'inputSize', o.inputSize);
  const inputShape: [number, number, number] = [size, size, checkInteger(SOURCE, 'inChannels', o.inChannels)];
  const divisor = checkInteger(SOURCE, 'channelDivisor', o.channelDivisor);
  const minDepth = checkInteger(SOURCE, 'minDepth', o.minDepth);
  const maxDepth = checkInteger(SOURCE, 'maxDepth', o.maxDepth, minDepth);
  const kernelSizes = checkPositiveIntegers(SOURCE, 'kernelSizes', o.kernelSizes);
  const multipliers = [...o.widthMultipliers];
  if (multipliers.length === 0 || !multipliers.every((m) => typeof m === 'number' && m > 0)) {
    throw new AutomlError(
      SOURCE,
      `widthMultipliers must be non-empty positive numbers, got ${describeValue(multipliers)}`,
    );
  }
  if (!Array.isArray(o.stages) || o.stages.length === 0) {
    throw new AutomlError(
      SOURCE,
      `stages must be a non-empty array of { channels, stride }, got ${describeValue(o.stages)}`,
    );
  }
  const widthChoice: Choice | undefined =
    multipliers.length > 1 ? categorical('width', multipliers) : undefined;
  const stages = o.stages.map((stage, s) => {
    const name = `stage${s + 1}`;
    return {
      name,
      channels: checkInteger(SOURCE, `stages[${s}].channels`, stage?.channels),
      stride: checkInteger(SOURCE, `stages[${s}].stride`, stage.stride),
      depth: intRange(`${name}.depth`, { min: minDepth, max: maxDepth }),
      blocks: Array.from({ length: maxDepth }, (_, b) => ({
        kernelSize: categorical(`${name}.block${b}.kernel`, kernelSizes),
        expandRatio: categorical(`${name}.block${b}.expand`, [...o.expandRatios]),
      })),
    };
  });
  const choices: Choice[] = [
    ...(widthChoice === undefined ? [] : [widthChoice]),
    ...stages.flatMap((stage) => [
      stage.depth,
      ...stage.blocks.flatMap((b) => [b.kernelSize, b.expandRatio]),
    ]),
  ];
  return {
    o,
    inputShape,
    divisor,
    kernelSizes,
    maxMultiplier: Math.max(...multipliers),
    widthChoice,
    stages,
    stemChannels: checkInteger(SOURCE, 'stemChannels', o.stemChannels),
    stemStride: checkInteger(SOURCE, 'stemStride', o.stemStride),
    firstBlockChannels: checkInteger(SOURCE, 'firstBlockChannels', o.firstBlockChannels),
    lastChannels: checkInteger(SOURCE, 'lastChannels', o.lastChannels),
    numClasses: checkInteger(SOURCE, 'numClasses', o.numClasses),
    searchSpace: defineSearchSpace(choices),
  };
}

/** The search space of {@link ofaMobileNetV2} for these options, computed without building (no weights). */
export function ofaMobileNetV2SearchSpace(overrides?: OfaMobileNetV2Options): SearchSpace {
  return ofaMobileNetV2Plan(overrides).searchSpace;
}

/**
 * A MobileNetV2-style Once-for-All supernet: stem 3×3 conv → fixed inverted-residual block →
 * elastic stages of {@link DynamicMBConvBlock}s (per block: kernel size and expand ratio; per
 * stage: depth) → 1×1 conv → global pooling → classifier, all widths scaled by an elastic width
 * multiplier. Choices: `width`, `stage<i>.depth`, `stage<i>.block<j>.kernel`, `stage<i>.block<j>.expand`.
 *
 * @example
 * const net = ofaMobileNetV2({ numClasses: 100, stages: [{ channels: 24, stride: 1 }, { channels: 40, stride: 2 }] });
 * net.searchSpace.names; // ['width', 'stage1.depth', 'stage1.block0.kernel', 'stage1.block0.expand', …]
 */
export function ofaMobileNetV2(overrides?: OfaMobileNetV2Options): Supernet {
  const plan = ofaMobileNetV2Plan(overrides);
  const { o, inputShape, divisor, kernelSizes, maxMultiplier, widthChoice } = plan;
  const rng = toRng(o.seed);
  const widthChoices = widthChoice === undefined ? [] : [widthChoice];
  const scaled = (channels: number): { max: number; rule: SizeRule } => {
    const max = makeDivisible(channels * maxMultiplier, divisor);
    if (widthChoice === undefined) return { max, rule: max };
    const rule = (arch: ArchValues | undefined): number =>
      makeDivisible(channels * Number(arch?.[widthChoice.name]), divisor);
    return { max, rule };
  };

  const stem = scaled(plan.stemChannels);
  const layers: Array<readonly [string, Module]> = [];
  layers.push([
    'stem',
    new Sequential([
      [
        'conv',
        new DynamicConv2d({
          maxInChannels: inputShape[2],
          maxOutChannels: stem.max,
          kernelSizes: [3],
          strides: plan.stemStride,
          outChannels: stem.rule,
          choices: widthChoices,
          seed: rng,
        }),
      ],
      ['bn', new DynamicBatchNorm({ maxChannels: stem.max })],
      ['act', new Activation(o.activation)],
    ]),
  ]);
  const first = scaled(plan.firstBlockChannels);
  layers.push([
    'first',
    new DynamicMBConvBlock({
      maxInChannels: stem.max,
      maxOutChannels: first.max,
      outChannels: first.rule,
      kernelSizes: [3],
      expandRatio: 1,
      channelDivisor: divisor,
      activation: o.activation,
      choices: widthChoices,
      seed: rng,
    }),
  ]);
  let inMax = first.max;
  for (const stage of plan.stages) {
    const width = scaled(stage.channels);
    const blocks = stage.blocks.map(({ kernelSize, expandRatio }, b) => {
      const block = new DynamicMBConvBlock({
        maxInChannels: b === 0 ? inMax : width.max,
        maxOutChannels: width.max,
        outChannels: width.rule,
        kernelSizes,
        kernelSize,
        expandRatio,
        stride: b === 0 ? stage.stride : 1,
        channelDivisor: divisor,
        activation: o.activation,
        transformKernels: o.transformKernels,
        choices: widthChoices,
        seed: rng,
      });
      return [`block${b}`, block] as const;
    });
    layers.push([stage.name, new ElasticDepth({ depth: stage.depth, blocks })]);
    inMax = width.max;
  }
  const last = plan.lastChannels;
  layers.push([
    'final',
    new Sequential([
      [
        'conv',
        new DynamicConv2d({ maxInChannels: inMax, maxOutChannels: last, kernelSizes: [1], seed: rng }),
      ],
      ['bn', new DynamicBatchNorm({ maxChannels: last })],
      ['act', new Activation(o.activation)],
    ]),
  ]);
  layers.push([
    'head',
    new Sequential([
      ['pool', new GlobalAvgPool()],
      ['classifier', new DynamicLinear({ maxInUnits: last, maxOutUnits: plan.numClasses, seed: rng })],
    ]),
  ]);
  return new Supernet({ layers, inputShape, searchSpace: plan.searchSpace });
}
