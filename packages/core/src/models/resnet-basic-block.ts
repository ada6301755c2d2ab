// He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, §3.3 (the basic block;
// shortcut options A and B) and §4.2 (its CIFAR form: two 3×3 convs).
import { AutomlError, describeValue } from '../internal/errors.js';
import { Activation } from '../nn/layers/activation.js';
import { BatchNorm } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Residual } from '../nn/layers/residual.js';
import { ZeroPadShortcut } from '../nn/layers/zero-pad-shortcut.js';
import type { Module } from '../nn/module.js';
import { type Rng, toRng } from '../random/rng.js';
import { convBnAct } from './conv-bn-act.js';

/** Options of the ResNet basic block (`createBlock('resnet-basic', options)`). */
export interface ResNetBasicBlockOptions {
  inChannels: number;
  outChannels: number;
  /** Stride of the first conv and of the shortcut. @default 1 */
  strides?: number;
  /**
   * How the input joins when the stride or the width changes: `'A'` zero-pads the identity (no
   * parameters); `'B'` projects with a 1×1 conv + BN.
   * @default 'B'
   */
  shortcut?: 'A' | 'B';
  /** Seed or rng of the initial kernels. @default 0 */
  seed?: number | string | Rng;
}

const SOURCE = '@automl-ts/core/createBlock (resnet-basic)';

/**
 * conv1 3×3 (stride) → bn1 → relu1 → conv2 3×3 → bn2, added to the input (or to its `shortcut`),
 * then ReLU. Children: `conv1`, `bn1`, `relu1`, `conv2`, `bn2` and, when the stride or the width
 * changes, `shortcut`.
 */
export function resnetBasicBlock(options: ResNetBasicBlockOptions): Residual {
  const { inChannels, outChannels } = options;
  const strides = options.strides ?? 1;
  const kind = options.shortcut ?? 'B';
  if (kind !== 'A' && kind !== 'B') {
    throw new AutomlError(SOURCE, `shortcut must be 'A' or 'B', got ${describeValue(kind)}`);
  }
  const rng = toRng(options.seed ?? 0);
  const conv = (inC: number, s: number) =>
    new Conv2d({ inChannels: inC, outChannels, kernelSize: 3, strides: s, useBias: false, seed: rng });
  const body: Array<[string, Module]> = [
    ['conv1', conv(inChannels, strides)],
    ['bn1', new BatchNorm({ channels: outChannels })],
    ['relu1', new Activation('relu')],
    ['conv2', conv(outChannels, 1)],
    ['bn2', new BatchNorm({ channels: outChannels })],
  ];
  if (strides === 1 && inChannels === outChannels) return new Residual({ body, postActivation: 'relu' });
  const extra = outChannels - inChannels;
  const shortcut =
    kind === 'A'
      ? new ZeroPadShortcut({ strides, padBefore: Math.floor(extra / 2), padAfter: Math.ceil(extra / 2) })
      : convBnAct({ inChannels, outChannels, kernelSize: 1, strides, activation: null, rng });
  return new Residual({ body, shortcut, postActivation: 'relu' });
}
