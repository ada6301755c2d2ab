import { Activation, type ActivationKind } from '../nn/layers/activation.js';
import { BatchNorm } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';
import type { Rng } from '../random/rng.js';

/** Options of {@link convBnAct}. */
export interface ConvBnActOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  /** @default 1 */
  strides?: number;
  /** @default 1 */
  groups?: number;
  /** `null` for a linear output (MobileNetV2 projections). */
  activation: ActivationKind | null;
  /** Draws the kernel's initial values. */
  rng: Rng;
}

/**
 * The standard conv → BN → activation unit, as a Sequential with children `conv`, `bn` and
 * (unless `activation` is null) `act`. The conv has no bias (BN's β replaces it) and `same` padding.
 */
export function convBnAct(options: ConvBnActOptions): Sequential {
  const layers: Array<[string, Module]> = [
    [
      'conv',
      new Conv2d({
        inChannels: options.inChannels,
        outChannels: options.outChannels,
        kernelSize: options.kernelSize,
        strides: options.strides ?? 1,
        groups: options.groups ?? 1,
        useBias: false,
        seed: options.rng,
      }),
    ],
    ['bn', new BatchNorm({ channels: options.outChannels })],
  ];
  if (options.activation !== null) layers.push(['act', new Activation(options.activation)]);
  return new Sequential(layers);
}
