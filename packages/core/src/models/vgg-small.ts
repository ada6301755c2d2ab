// Zhang et al., "LQ-Nets: Learned Quantization for Highly Accurate and Compact Deep Neural Networks", ECCV 2018, §4 (VGG-Small for CIFAR-10: 2×128C3 – MP – 2×256C3 – MP – 2×512C3 – MP – fc, BN after every conv).
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

/** Options of {@link createVggSmall}. */
export type VggSmallOptions = BaseModelOptions;

/** The default options (CIFAR-10: 32×32×3, 10 classes). */
export const VGG_SMALL_DEFAULTS: Readonly<VggSmallOptions> = {
  numClasses: 10,
  inputSize: 32,
  inChannels: 3,
  seed: 0,
};

const STAGE_WIDTHS = [128, 256, 512] as const;

/**
 * VGG-Small: three stages of two conv3×3 + BN + ReLU and a 2×2 max pool (128, 256, 512 channels),
 * then flatten and one fc. Names: `stage1.conv1.kernel`, `stage1.bn2.gamma`, `stage3.pool`,
 * `fc.kernel`. At 32×32 the fc reads 512·4·4 features; 4,660,106 parameters for 10 classes.
 *
 * @example
 * const model = createVggSmall({ numClasses: 100 });
 */
export function createVggSmall(options: Partial<VggSmallOptions> = {}): Sequential {
  const o: VggSmallOptions = { ...VGG_SMALL_DEFAULTS, ...options };
  checkBaseOptions('@automl-ts/core/createVggSmall', o, 8);
  const rng = createRng(o.seed);
  const layers: Array<[string, Module]> = [];
  let channels = o.inChannels;
  let size = o.inputSize;
  STAGE_WIDTHS.forEach((width, stage) => {
    const stageLayers: Array<[string, Module]> = [];
    for (const i of [1, 2]) {
      stageLayers.push([
        `conv${i}`,
        new Conv2d({ inChannels: channels, outChannels: width, kernelSize: 3, useBias: false, seed: rng }),
      ]);
      stageLayers.push([`bn${i}`, new BatchNorm({ channels: width })]);
      stageLayers.push([`relu${i}`, new Activation('relu')]);
      channels = width;
    }
    stageLayers.push(['pool', new MaxPool2d({ poolSize: 2 })]);
    size = Math.floor(size / 2);
    layers.push([`stage${stage + 1}`, new Sequential(stageLayers)]);
  });
  layers.push(['flatten', new Flatten()]);
  layers.push(['fc', new Dense({ inUnits: channels * size * size, outUnits: o.numClasses, seed: rng })]);
  return new Sequential(layers);
}
