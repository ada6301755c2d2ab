// The Conv-4 backbone of few-shot learning (Vinyals et al., "Matching Networks", NeurIPS 2016;
// Finn et al., "MAML", ICML 2017, §5.2) with a searchable operation per block, the setting of
// Rong et al., "AT-NAS: Across-Task NAS via Meta Learning", 2021.
import { AutomlError } from '../../internal/errors.js';
import { Dense } from '../../nn/layers/dense.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { MaxPool2d } from '../../nn/layers/max-pool2d.js';
import { Sequential } from '../../nn/layers/sequential.js';
import type { Module } from '../../nn/module.js';
import { toRng } from '../../random/rng.js';
import { LayerChoice } from '../layer-choice.js';
import { Supernet } from '../supernet.js';
import { checkInteger, resolveBuilderOptions } from './builder-options.js';

/** Options of {@link conv4Cells} (`createSupernet('conv4-cells', options)`). */
export interface Conv4CellsOptions {
  /** Input height and width (square NHWC inputs). @default 28 (Omniglot; 84 for miniImageNet) */
  inputSize?: number;
  /** Input channels. @default 1 */
  inChannels?: number;
  /** Ways of the few-shot task. @default 5 */
  numClasses?: number;
  /** Width of every block. @default 64 */
  channels?: number;
  /** Blocks, each followed by a 2×2 max pool. @default 4 */
  blocks?: number;
  /**
   * Candidate ops of every block (registered names, see `listCandidateOps()`). `zero` is left out
   * by default: one zeroed block would silence the whole chain.
   * @default ['conv3x3', 'conv5x5', 'sep_conv3x3', 'mbconv3_e3', 'mbconv5_e6', 'skip', 'max_pool3x3', 'avg_pool3x3']
   */
  ops?: readonly string[];
  /** Seed of the initial weights. @default 0 */
  seed?: number;
}

const SOURCE = '@automl-ts/core/conv4Cells';

const DEFAULTS: Required<Conv4CellsOptions> = {
  inputSize: 28,
  inChannels: 1,
  numClasses: 5,
  channels: 64,
  blocks: 4,
  ops: [
    'conv3x3',
    'conv5x5',
    'sep_conv3x3',
    'mbconv3_e3',
    'mbconv5_e6',
    'skip',
    'max_pool3x3',
    'avg_pool3x3',
  ],
  seed: 0,
};

/**
 * A Conv-4 supernet whose every block is a {@link LayerChoice} among candidate ops, followed by a
 * 2×2 max pool; then flatten → classifier. Choices: `block<i>.op`.
 *
 * @example
 * const net = conv4Cells({ inputSize: 84, inChannels: 3, channels: 32, ops: ['conv3x3', 'sep_conv3x3', 'skip'] });
 * net.apply(x, { arch: { 'block0.op': 'conv3x3', 'block1.op': 'skip', 'block2.op': 'conv3x3', 'block3.op': 'sep_conv3x3' } });
 */
export function conv4Cells(overrides?: Conv4CellsOptions): Supernet {
  const o = resolveBuilderOptions(SOURCE, DEFAULTS, overrides);
  const size = checkInteger(SOURCE, 'inputSize', o.inputSize);
  const inputShape: [number, number, number] = [size, size, checkInteger(SOURCE, 'inChannels', o.inChannels)];
  const channels = checkInteger(SOURCE, 'channels', o.channels);
  const blockCount = checkInteger(SOURCE, 'blocks', o.blocks);
  const rng = toRng(o.seed);
  let [height, width] = inputShape;
  const layers: Array<readonly [string, Module]> = [];
  for (let b = 0; b < blockCount; b++) {
    const op = LayerChoice.fromOps({
      choice: `block${b}.op`,
      ops: o.ops,
      inChannels: b === 0 ? inputShape[2] : channels,
      outChannels: channels,
      seed: rng.fork(`block${b}`),
    });
    layers.push([
      `block${b}`,
      new Sequential([
        ['op', op],
        ['pool', new MaxPool2d({ poolSize: 2 })],
      ]),
    ]);
    height = Math.floor(height / 2);
    width = Math.floor(width / 2);
    if (height < 1 || width < 1) {
      throw new AutomlError(
        SOURCE,
        `${blockCount} blocks of 2×2 pooling do not fit an input of [${inputShape}]`,
      );
    }
  }
  layers.push([
    'head',
    new Sequential([
      ['flatten', new Flatten()],
      [
        'classifier',
        new Dense({
          inUnits: height * width * channels,
          outUnits: checkInteger(SOURCE, 'numClasses', o.numClasses),
          seed: rng,
        }),
      ],
    ]),
  ]);
  return new Supernet({ layers, inputShape });
}
