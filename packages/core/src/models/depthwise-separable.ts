// Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
// Applications", 2017, §3.1 and Figure 3 (the depthwise separable convolution with BN and ReLU).
import { Sequential } from '../nn/layers/sequential.js';
import { type Rng, toRng } from '../random/rng.js';
import { convBnAct } from './conv-bn-act.js';

/** Options of the MobileNetV1 block (`createBlock('depthwise-separable', options)`). */
export interface DepthwiseSeparableOptions {
  inChannels: number;
  outChannels: number;
  /** Stride of the depthwise conv. @default 1 */
  strides?: number;
  /** Seed or rng of the initial kernels. @default 0 */
  seed?: number | string | Rng;
}

/**
 * `depthwise` 3×3 (stride) → BN → ReLU, then `pointwise` 1×1 → BN → ReLU, each a
 * {@link convBnAct} with children `conv`, `bn`, `act`.
 */
export function depthwiseSeparable(options: DepthwiseSeparableOptions): Sequential {
  const { inChannels, outChannels } = options;
  const rng = toRng(options.seed ?? 0);
  return new Sequential([
    [
      'depthwise',
      convBnAct({
        inChannels,
        outChannels: inChannels,
        kernelSize: 3,
        strides: options.strides ?? 1,
        groups: inChannels,
        activation: 'relu',
        rng,
      }),
    ],
    ['pointwise', convBnAct({ inChannels, outChannels, kernelSize: 1, activation: 'relu', rng })],
  ]);
}
