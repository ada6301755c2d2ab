// Yu & Huang, "Universally Slimmable Networks", ICCV 2019 (one width per layer, shared weights);
// the base networks: Zhang et al., "LQ-Nets", ECCV 2018, §4 (VGG-Small) and Sandler et al.,
// "MobileNetV2", CVPR 2018, Table 2.
import { AutomlError, describeValue } from '../../internal/errors.js';
import {
  createMobileNetV2,
  MOBILENET_V2_DEFAULTS,
  type MobileNetV2Options,
} from '../../models/mobilenet-v2.js';
import { createVggSmall, VGG_SMALL_DEFAULTS, type VggSmallOptions } from '../../models/vgg-small.js';
import type { Module } from '../../nn/module.js';
import type { Supernet } from '../supernet.js';
import { DEFAULT_WIDTH_RATIOS, toChannelSupernet } from '../to-channel-supernet.js';

/** What a slimmable version of a plain model adds to the model's options. */
export interface SlimmableModelOptions {
  /** Width ratios of every channel-dependency group. @default [0.1, 0.2, …, 1] */
  widthRatios?: readonly number[];
}

/** Options of {@link vggSmallSlim} (`createSupernet('vgg-small-slim', options)`). */
export type VggSmallSlimOptions = Partial<VggSmallOptions> & SlimmableModelOptions;

/** Options of {@link mobileNetV2Slim} (`createSupernet('mobilenetv2-slim', options)`). */
export type MobileNetV2SlimOptions = Partial<MobileNetV2Options> & SlimmableModelOptions;

function slimmable<O extends object>(
  source: string,
  defaults: Readonly<O>,
  create: (options: Partial<O>) => Module,
  overrides: (Partial<O> & SlimmableModelOptions) | undefined,
): Supernet {
  const { widthRatios = DEFAULT_WIDTH_RATIOS, ...modelOptions } = overrides ?? {};
  for (const key of Object.keys(modelOptions)) {
    if (!(key in defaults)) {
      throw new AutomlError(
        source,
        `unknown option ${describeValue(key)}; options: ${[...Object.keys(defaults), 'widthRatios'].join(', ')}`,
      );
    }
  }
  const options = { ...defaults, ...modelOptions } as O & { inputSize: number; inChannels: number };
  const model = create(options);
  try {
    return toChannelSupernet(model, {
      inputShape: [options.inputSize, options.inputSize, options.inChannels],
      widthRatios,
    });
  } finally {
    model.dispose();
  }
}

/**
 * Slimmable VGG-Small: `createVggSmall` with one width choice per conv (each conv → BN pair is its
 * own dependency group), named by the conv (`stage1.conv1`, …). The last conv stays at full width
 * because the classifier reads its flattened 4×4 map (see `toChannelSupernet`). Fresh weights;
 * use `toChannelSupernet(trained, …)` to start from a trained VGG-Small.
 *
 * @example
 * const net = vggSmallSlim({ numClasses: 10 }); // = createSupernet('vgg-small-slim')
 */
export function vggSmallSlim(overrides?: VggSmallSlimOptions): Supernet {
  return slimmable('@automl-ts/core/vggSmallSlim', VGG_SMALL_DEFAULTS, createVggSmall, overrides);
}

/**
 * Slimmable MobileNetV2: `createMobileNetV2` with one width choice per dependency group: every
 * block's expansion width (expand conv, depthwise conv and their BNs), every stage's residual
 * width (shared by the blocks whose outputs are added), the stem and the last 1×1 conv. Choices
 * are named by the group's first layer (`stage2.block0.expand.conv`, …). Fresh weights. Defaults
 * are CIFAR-sized ({@link MOBILENET_V2_SLIM_DEFAULTS}; the strides stay the ImageNet ones).
 *
 * @example
 * const net = mobileNetV2Slim({ numClasses: 10, inputSize: 32 }); // CIFAR-sized
 */
export function mobileNetV2Slim(overrides?: MobileNetV2SlimOptions): Supernet {
  return slimmable(
    '@automl-ts/core/mobileNetV2Slim',
    MOBILENET_V2_SLIM_DEFAULTS,
    createMobileNetV2,
    overrides,
  );
}

/** CIFAR-sized defaults of {@link mobileNetV2Slim}: `createMobileNetV2`'s with 32×32 inputs and 10 classes. */
export const MOBILENET_V2_SLIM_DEFAULTS: Readonly<MobileNetV2Options> = {
  ...MOBILENET_V2_DEFAULTS,
  inputSize: 32,
  numClasses: 10,
};
