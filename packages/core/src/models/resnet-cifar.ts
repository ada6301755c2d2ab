// He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, §4.2 (CIFAR-10 ResNets: 6n + 2 layers, 16/32/64 channels, shortcut options A and B).
import { AutomlError, describeValue } from '../internal/errors.js';
import { Dense } from '../nn/layers/dense.js';
import { GlobalAvgPool } from '../nn/layers/global-avg-pool.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';
import { createRng } from '../random/rng.js';
import { convBnAct } from './conv-bn-act.js';
import { type BaseModelOptions, checkBaseOptions } from './model-options.js';
import { resnetBasicBlock } from './resnet-basic-block.js';

/** Options of {@link createResNetCifar}. */
export interface ResNetCifarOptions extends BaseModelOptions {
  /** Layers, `6n + 2` (20, 32, 44, 56, 110): n basic blocks per stage. */
  depth: number;
  /**
   * How blocks that change width or resolution join: `'A'` zero-pads the identity (no
   * parameters, He et al.'s CIFAR choice); `'B'` projects with a 1×1 conv + BN.
   */
  shortcut: 'A' | 'B';
  /** Channels of the first stage; stages double it. The paper uses 16. */
  width: number;
}

const SOURCE = '@automl-ts/core/createResNetCifar';

/**
 * The default options. Shortcut `'B'` is the default (not the paper's `'A'`) because a 1×1
 * projection decouples each stage's channels from the previous stage's, so every channel
 * stays prunable by slicing convs and BNs; `'A'` ties the padded channels to fixed positions.
 * It costs 2,752 extra parameters on ResNet-20 (272,474 vs 269,722; both "0.27M").
 */
export const RESNET_CIFAR_DEFAULTS: Readonly<ResNetCifarOptions> = {
  depth: 20,
  shortcut: 'B',
  width: 16,
  numClasses: 10,
  inputSize: 32,
  inChannels: 3,
  seed: 0,
};

/**
 * A CIFAR ResNet: conv3×3 → 3 stages of n basic blocks (16, 32, 64 channels; stride 2 at the
 * start of stages 2 and 3) → global average pool → fc. Names: `stem.conv.kernel`,
 * `stage1.block0.conv1.kernel`, `stage2.block0.shortcut.conv.kernel`, `fc.kernel`.
 *
 * @example
 * const resnet56 = createResNetCifar({ depth: 56, shortcut: 'A' });
 * resnet56.countParameters(); // 853,018
 */
export function createResNetCifar(options: Partial<ResNetCifarOptions> = {}): Sequential {
  const o: ResNetCifarOptions = { ...RESNET_CIFAR_DEFAULTS, ...options };
  checkBaseOptions(SOURCE, o, 4);
  if (!Number.isInteger(o.depth) || o.depth < 8 || (o.depth - 2) % 6 !== 0) {
    throw new AutomlError(
      SOURCE,
      `depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, 110), got ${describeValue(o.depth)}`,
    );
  }
  if (o.shortcut !== 'A' && o.shortcut !== 'B') {
    throw new AutomlError(SOURCE, `shortcut must be 'A' or 'B', got ${describeValue(o.shortcut)}`);
  }
  if (!Number.isInteger(o.width) || o.width < 2 || o.width % 2 !== 0) {
    throw new AutomlError(SOURCE, `width must be an even integer >= 2, got ${describeValue(o.width)}`);
  }
  const rng = createRng(o.seed);
  const blocksPerStage = (o.depth - 2) / 6;
  const layers: Array<[string, Module]> = [
    [
      'stem',
      convBnAct({ inChannels: o.inChannels, outChannels: o.width, kernelSize: 3, activation: 'relu', rng }),
    ],
  ];
  let channels = o.width;
  for (let stage = 0; stage < 3; stage++) {
    const outChannels = o.width * 2 ** stage;
    const blocks: Array<[string, Module]> = [];
    for (let b = 0; b < blocksPerStage; b++) {
      const strides = stage > 0 && b === 0 ? 2 : 1;
      blocks.push([
        `block${b}`,
        resnetBasicBlock({ inChannels: channels, outChannels, strides, shortcut: o.shortcut, seed: rng }),
      ]);
      channels = outChannels;
    }
    layers.push([`stage${stage + 1}`, new Sequential(blocks)]);
  }
  layers.push(['pool', new GlobalAvgPool()]);
  layers.push(['fc', new Dense({ inUnits: channels, outUnits: o.numClasses, seed: rng })]);
  return new Sequential(layers);
}
