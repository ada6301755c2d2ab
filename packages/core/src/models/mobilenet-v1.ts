// Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications", 2017, Table 1 (architecture) and §3.3 (width multiplier α).
import { AutomlError, describeValue } from '../internal/errors.js';
import { Dense } from '../nn/layers/dense.js';
import { GlobalAvgPool } from '../nn/layers/global-avg-pool.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';
import { createRng } from '../random/rng.js';
import { convBnAct } from './conv-bn-act.js';
import { depthwiseSeparable } from './depthwise-separable.js';
import { type BaseModelOptions, checkBaseOptions } from './model-options.js';

/** Options of {@link createMobileNetV1}. */
export interface MobileNetV1Options extends BaseModelOptions {
  /** Scales every layer's channels (α ∈ {1, 0.75, 0.5, 0.25} in the paper); channels are ⌊c·α⌋. */
  widthMultiplier: number;
}

/** The default options (ImageNet: 224×224×3, 1000 classes, α = 1). */
export const MOBILENET_V1_DEFAULTS: Readonly<MobileNetV1Options> = {
  widthMultiplier: 1,
  numClasses: 1000,
  inputSize: 224,
  inChannels: 3,
  seed: 0,
};

/** Table 1 of the paper after the first conv: depthwise stride, pointwise output channels. */
const BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [1, 64],
  [2, 128],
  [1, 128],
  [2, 256],
  [1, 256],
  [2, 512],
  [1, 512],
  [1, 512],
  [1, 512],
  [1, 512],
  [1, 512],
  [2, 1024],
  [1, 1024],
];

const SOURCE = '@automl-ts/core/createMobileNetV1';

/**
 * MobileNetV1: conv3×3/2 (32) → 13 depthwise-separable blocks (`depthwise` 3×3 + BN + ReLU, then
 * `pointwise` 1×1 + BN + ReLU) → global average pool → fc. Names: `block0.depthwise.conv.kernel`,
 * `block12.pointwise.bn.gamma`, `fc.kernel`. 1.0-224 has 4,231,976 parameters (the paper's "4.2M").
 *
 * @example
 * const model = createMobileNetV1({ widthMultiplier: 0.25, inputSize: 128 });
 */
export function createMobileNetV1(options: Partial<MobileNetV1Options> = {}): Sequential {
  const o: MobileNetV1Options = { ...MOBILENET_V1_DEFAULTS, ...options };
  checkBaseOptions(SOURCE, o, 32);
  if (typeof o.widthMultiplier !== 'number' || !(o.widthMultiplier > 0)) {
    throw new AutomlError(
      SOURCE,
      `widthMultiplier must be a number > 0, got ${describeValue(o.widthMultiplier)}`,
    );
  }
  const rng = createRng(o.seed);
  const scale = (c: number) => Math.max(1, Math.floor(c * o.widthMultiplier));
  let channels = scale(32);
  const layers: Array<[string, Module]> = [
    [
      'stem',
      convBnAct({
        inChannels: o.inChannels,
        outChannels: channels,
        kernelSize: 3,
        strides: 2,
        activation: 'relu',
        rng,
      }),
    ],
  ];
  BLOCKS.forEach(([strides, width], b) => {
    const outChannels = scale(width);
    layers.push([`block${b}`, depthwiseSeparable({ inChannels: channels, outChannels, strides, seed: rng })]);
    channels = outChannels;
  });
  layers.push(['pool', new GlobalAvgPool()]);
  layers.push(['fc', new Dense({ inUnits: channels, outUnits: o.numClasses, seed: rng })]);
  return new Sequential(layers);
}
