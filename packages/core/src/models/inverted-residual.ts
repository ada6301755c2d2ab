// Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018, §3.3 and
// Table 1 (the inverted residual block with a linear bottleneck).
import { Residual } from '../nn/layers/residual.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';
import { type Rng, toRng } from '../random/rng.js';
import { convBnAct } from './conv-bn-act.js';

/** Options of the MobileNetV2 inverted residual (`createBlock('inverted-residual', options)`). */
export interface InvertedResidualOptions {
  inChannels: number;
  outChannels: number;
  /** Expansion t: the hidden width is `round(inChannels × t)`; 1 drops the expand conv. @default 6 */
  expandRatio?: number;
  /** Stride of the depthwise conv. @default 1 */
  strides?: number;
  /** Seed or rng of the initial kernels. @default 0 */
  seed?: number | string | Rng;
}

/**
 * `expand` 1×1 → BN → ReLU6 (absent when t = 1) → `depthwise` 3×3 (stride) → BN → ReLU6 →
 * `project` 1×1 → BN, linear; a `Residual` when the stride is 1 and the widths match, else a
 * `Sequential`. Each part is a {@link convBnAct} with children `conv`, `bn`, `act`.
 */
export function invertedResidual(options: InvertedResidualOptions): Module {
  const { inChannels, outChannels } = options;
  const strides = options.strides ?? 1;
  const expandRatio = options.expandRatio ?? 6;
  const rng = toRng(options.seed ?? 0);
  const hidden = Math.round(inChannels * expandRatio);
  const body: Array<[string, Module]> = [];
  if (expandRatio !== 1) {
    body.push([
      'expand',
      convBnAct({ inChannels, outChannels: hidden, kernelSize: 1, activation: 'relu6', rng }),
    ]);
  }
  body.push([
    'depthwise',
    convBnAct({
      inChannels: hidden,
      outChannels: hidden,
      kernelSize: 3,
      strides,
      groups: hidden,
      activation: 'relu6',
      rng,
    }),
  ]);
  body.push([
    'project',
    convBnAct({ inChannels: hidden, outChannels, kernelSize: 1, activation: null, rng }),
  ]);
  return strides === 1 && inChannels === outChannels ? new Residual({ body }) : new Sequential(body);
}
