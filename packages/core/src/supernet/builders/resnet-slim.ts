// He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, §4.2 (CIFAR ResNet-6n+2 with
// projection shortcuts between stages); Yu & Huang, "Universally Slimmable Networks", ICCV 2019
// (shared weights, first-w channels); per-layer widths as searched by stage-wise pruning
// (Wang et al., "Effective Model Compression via Stage-wise Pruning", 2020).
import { AutomlError, describeValue } from '../../internal/errors.js';
import { Activation } from '../../nn/layers/activation.js';
import { GlobalAvgPool } from '../../nn/layers/global-avg-pool.js';
import { Sequential } from '../../nn/layers/sequential.js';
import type { Module } from '../../nn/module.js';
import { toRng } from '../../random/rng.js';
import { type Choice, categorical } from '../../search-space/choices.js';
import { defineSearchSpace, type SearchSpace } from '../../search-space/search-space.js';
import { SlimmableBasicBlock } from '../blocks/slimmable-basic-block.js';
import { DynamicBatchNorm } from '../dynamic-batch-norm.js';
import { DynamicConv2d } from '../dynamic-conv2d.js';
import { DynamicLinear } from '../dynamic-linear.js';
import { Supernet } from '../supernet.js';
import { checkInteger, checkPositiveIntegers, resolveBuilderOptions } from './builder-options.js';

/** Options of {@link resnetSlim} (`createSupernet('resnet20-slim' | 'resnet56-slim', options)`). */
export interface ResNetSlimOptions {
  /** Input height and width (square NHWC inputs). @default 32 */
  inputSize?: number;
  /** Input channels. @default 3 */
  inChannels?: number;
  /** @default 10 */
  numClasses?: number;
  /** Basic blocks per stage: 3 gives ResNet-20, 9 ResNet-56. @default 3 */
  blocksPerStage?: number;
  /** Largest width of each stage; stages after the first halve the resolution. @default [16, 32, 64] */
  stageChannels?: readonly number[];
  /** Width ratios each layer may keep, of its largest width (rounded, at least 1 channel). @default [0.25, 0.5, 0.75, 1] */
  widthRatios?: readonly number[];
  /** Seed of the initial weights. @default 0 */
  seed?: number;
}

const SOURCE = '@automl-ts/core/resnetSlim';

const DEFAULTS: Required<ResNetSlimOptions> = {
  inputSize: 32,
  inChannels: 3,
  numClasses: 10,
  blocksPerStage: 3,
  stageChannels: [16, 32, 64],
  widthRatios: [0.25, 0.5, 0.75, 1],
  seed: 0,
};

/**
 * The validated options and the choices of a slimmable ResNet, without any weights: what
 * {@link resnetSlim} builds from, and all its search space needs.
 */
function resnetSlimPlan(overrides: ResNetSlimOptions | undefined) {
  const o = resolveBuilderOptions(SOURCE, DEFAULTS, overrides);
  const size = checkInteger(SOURCE, 'inputSize', o.inputSize);
  const inputShape: [number, number, number] = [size, size, checkInteger(SOURCE, 'inChannels', o.inChannels)];
  const stageChannels = checkPositiveIntegers(SOURCE, 'stageChannels', o.stageChannels);
  const blocksPerStage = checkInteger(SOURCE, 'blocksPerStage', o.blocksPerStage);
  const numClasses = checkInteger(SOURCE, 'numClasses', o.numClasses);
  const ratios = [...o.widthRatios];
  if (ratios.length === 0 || !ratios.every((r) => typeof r === 'number' && r > 0 && r <= 1)) {
    throw new AutomlError(
      SOURCE,
      `widthRatios must be non-empty numbers in (0, 1], got ${describeValue(ratios)}`,
    );
  }
  const widths = (channels: number): number[] =>
    [...new Set(ratios.map((r) => Math.max(1, Math.round(channels * r))))].sort((a, b) => a - b);
  const stageWidth = stageChannels.map((channels, s) => categorical(`stage${s + 1}.width`, widths(channels)));
  const blockWidth = stageChannels.map((channels, s) =>
    Array.from({ length: blocksPerStage }, (_, b) =>
      categorical(`stage${s + 1}.block${b}.width`, widths(channels)),
    ),
  );
  const choices: Choice[] = stageChannels.flatMap((_, s) => [
    stageWidth[s] as Choice,
    ...(blockWidth[s] as Choice[]),
  ]);
  return {
    o,
    inputShape,
    stageChannels,
    numClasses,
    stageWidth,
    blockWidth,
    searchSpace: defineSearchSpace(choices),
  };
}

/** The search space of {@link resnetSlim} for these options, computed without building (no weights). */
export function resnetSlimSearchSpace(overrides?: ResNetSlimOptions): SearchSpace {
  return resnetSlimPlan(overrides).searchSpace;
}

/**
 * A slimmable CIFAR ResNet: stem 3×3 conv → stages of {@link SlimmableBasicBlock}s → global pooling
 * → classifier. Every layer's width is a choice: `stage<i>.width` for each stage's output (shared by
 * its blocks and the stem or projection feeding it, as residual adds require) and
 * `stage<i>.block<j>.width` for each block's inner conv. Values are channel counts.
 *
 * @example
 * const net = resnetSlim({ blocksPerStage: 3 }); // ResNet-20
 * net.apply(x, { arch: net.smallestArchitecture() }); // every layer at 25% width
 */
export function resnetSlim(overrides?: ResNetSlimOptions): Supernet {
  const { o, inputShape, stageChannels, numClasses, stageWidth, blockWidth, searchSpace } =
    resnetSlimPlan(overrides);
  const rng = toRng(o.seed);
  const layers: Array<readonly [string, Module]> = [];
  const first = stageChannels[0] as number;
  layers.push([
    'stem',
    new Sequential([
      [
        'conv',
        new DynamicConv2d({
          maxInChannels: inputShape[2],
          maxOutChannels: first,
          kernelSizes: [3],
          outChannels: stageWidth[0],
          seed: rng,
        }),
      ],
      ['bn', new DynamicBatchNorm({ maxChannels: first })],
      ['relu', new Activation('relu')],
    ]),
  ]);
  let inMax = first;
  stageChannels.forEach((channels, s) => {
    const blocks = (blockWidth[s] as Choice[]).map((midChannels, b) => {
      const block = new SlimmableBasicBlock({
        maxInChannels: b === 0 ? inMax : channels,
        maxOutChannels: channels,
        stride: b === 0 && s > 0 ? 2 : 1,
        midChannels,
        outChannels: stageWidth[s],
        seed: rng,
      });
      return [`block${b}`, block] as const;
    });
    layers.push([`stage${s + 1}`, new Sequential(blocks)]);
    inMax = channels;
  });
  layers.push([
    'head',
    new Sequential([
      ['pool', new GlobalAvgPool()],
      ['classifier', new DynamicLinear({ maxInUnits: inMax, maxOutUnits: numClasses, seed: rng })],
    ]),
  ]);
  return new Supernet({ layers, inputShape, searchSpace });
}
