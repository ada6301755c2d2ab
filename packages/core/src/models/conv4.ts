// Vinyals et al., "Matching Networks for One Shot Learning", NeurIPS 2016, §4.1, and Finn et al., "Model-Agnostic Meta-Learning", ICML 2017, §5.2 (the 4-block few-shot backbone).
import { AutomlError, describeValue } from '../internal/errors.js';
import { Activation } from '../nn/layers/activation.js';
import { BatchNorm } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Dense } from '../nn/layers/dense.js';
import { Flatten } from '../nn/layers/flatten.js';
import { MaxPool2d } from '../nn/layers/max-pool2d.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';
import { createRng } from '../random/rng.js';
import { type BaseModelOptions, checkBaseOptions } from './model-options.js';

/** Options of {@link createConv4}. */
export interface Conv4Options extends BaseModelOptions {
  /** Filters of every conv (64 in Vinyals et al. and for Omniglot in MAML; 32 for MAML's MiniImageNet). */
  channels: number;
}

/** The default options (5-way MiniImageNet: 84×84×3, 64 filters). */
export const CONV4_DEFAULTS: Readonly<Conv4Options> = {
  channels: 64,
  numClasses: 5,
  inputSize: 84,
  inChannels: 3,
  seed: 0,
};

/**
 * The few-shot backbone: 4 × [conv3×3 (with bias, as in MAML's reference code) → BN → ReLU →
 * 2×2 max pool] → flatten → fc. Names: `block1.conv.kernel` … `block4.pool`, `fc.kernel`.
 * 84×84 inputs leave 5×5 maps (a 1600-feature head with 64 filters); 28×28 Omniglot leaves 1×1.
 *
 * @example
 * const net = createConv4({ inputSize: 28, inChannels: 1, numClasses: 20 });
 */
export function createConv4(options: Partial<Conv4Options> = {}): Sequential {
  const o: Conv4Options = { ...CONV4_DEFAULTS, ...options };
  const source = '@automl-ts/core/createConv4';
  checkBaseOptions(source, o, 16);
  if (!Number.isInteger(o.channels) || o.channels < 1) {
    throw new AutomlError(source, `channels must be an integer >= 1, got ${describeValue(o.channels)}`);
  }
  const rng = createRng(o.seed);
  const layers: Array<[string, Module]> = [];
  let size = o.inputSize;
  for (let b = 1; b <= 4; b++) {
    layers.push([
      `block${b}`,
      new Sequential([
        [
          'conv',
          new Conv2d({
            inChannels: b === 1 ? o.inChannels : o.channels,
            outChannels: o.channels,
            kernelSize: 3,
            seed: rng,
          }),
        ],
        ['bn', new BatchNorm({ channels: o.channels })],
        ['relu', new Activation('relu')],
        ['pool', new MaxPool2d({ poolSize: 2 })],
      ]),
    ]);
    size = Math.floor(size / 2);
  }
  layers.push(['flatten', new Flatten()]);
  layers.push(['fc', new Dense({ inUnits: o.channels * size * size, outUnits: o.numClasses, seed: rng })]);
  return new Sequential(layers);
}
