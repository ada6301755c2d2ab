// Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018, Table 2 (architecture) and §3.3 (inverted residual block); channels rounded to multiples of 8 as in the reference implementation.
import { AutomlError, describeValue } from '../internal/errors.js';
import { Dense } from '../nn/layers/dense.js';
import { GlobalAvgPool } from '../nn/layers/global-avg-pool.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';
import { createRng } from '../random/rng.js';
import { convBnAct } from './conv-bn-act.js';
import { invertedResidual } from './inverted-residual.js';
import { type BaseModelOptions, checkBaseOptions, makeDivisible } from './model-options.js';

/** Options of {@link createMobileNetV2}. */
export interface MobileNetV2Options extends BaseModelOptions {
  /** Scales every layer's channels (α); rounded to multiples of 8. The last conv never shrinks below 1280. */
  widthMultiplier: number;
}

/** The default options (ImageNet: 224×224×3, 1000 classes, α = 1). */
export const MOBILENET_V2_DEFAULTS: Readonly<MobileNetV2Options> = {
  widthMultiplier: 1,
  numClasses: 1000,
  inputSize: 224,
  inChannels: 3,
  seed: 0,
};

/** Table 2 of the paper: expansion t, output channels c, repeats n, first stride s. */
const STAGES: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

const SOURCE = '@automl-ts/core/createMobileNetV2';

/**
 * MobileNetV2: conv3×3/2 (32) → 17 inverted residual blocks in 7 stages → conv1×1 (1280) → global
 * average pool → fc. A block is `expand` (1×1, ReLU6; absent when t = 1) → `depthwise` (3×3, ReLU6)
 * → `project` (1×1, linear), residual when stride 1 and widths match. Names:
 * `stage2.block0.expand.conv.kernel`, `stage2.block1.depthwise.bn.gamma`, `head.conv.kernel`, `fc.kernel`.
 * 1.0-224 has 3,504,872 parameters (the paper's "3.4M").
 *
 * @example
 * const model = createMobileNetV2({ widthMultiplier: 0.5, numClasses: 10, inputSize: 96 });
 */
export function createMobileNetV2(options: Partial<MobileNetV2Options> = {}): Sequential {
  const o: MobileNetV2Options = { ...MOBILENET_V2_DEFAULTS, ...options };
  checkBaseOptions(SOURCE, o, 32);
  if (typeof o.widthMultiplier !== 'number' || !(o.widthMultiplier > 0)) {
    throw new AutomlError(
      SOURCE,
      `widthMultiplier must be a number > 0, got ${describeValue(o.widthMultiplier)}`,
    );
  }
  const rng = createRng(o.seed);
  const alpha = o.widthMultiplier;
  let channels = makeDivisible(32 * alpha);
  const layers: Array<[string, Module]> = [
    [
      'stem',
      convBnAct({
        inChannels: o.inChannels,
        outChannels: channels,
        kernelSize: 3,
        strides: 2,
        activation: 'relu6',
        rng,
      }),
    ],
  ];
  STAGES.forEach(([expansion, width, repeats, firstStride], stage) => {
    const outChannels = makeDivisible(width * alpha);
    const blocks: Array<[string, Module]> = [];
    for (let b = 0; b < repeats; b++) {
      const strides = b === 0 ? firstStride : 1;
      blocks.push([
        `block${b}`,
        invertedResidual({ inChannels: channels, outChannels, strides, expandRatio: expansion, seed: rng }),
      ]);
      channels = outChannels;
    }
    layers.push([`stage${stage + 1}`, new Sequential(blocks)]);
  });
  const lastChannels = makeDivisible(1280 * Math.max(1, alpha));
  layers.push([
    'head',
    convBnAct({ inChannels: channels, outChannels: lastChannels, kernelSize: 1, activation: 'relu6', rng }),
  ]);
  layers.push(['pool', new GlobalAvgPool()]);
  layers.push(['fc', new Dense({ inUnits: lastChannels, outUnits: o.numClasses, seed: rng })]);
  return new Sequential(layers);
}
