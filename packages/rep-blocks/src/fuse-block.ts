// Ding et al., "RepVGG", CVPR 2021, §3.3, and "Diverse Branch Block", CVPR 2021, §3.2 (structural re-parameterisation).

import { Activation, Conv2d, cloneModule, type Module, Sequential } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { isRepBlock, type RepBlock } from './rep-block.js';

/**
 * The trained block (inference mode: batch norms use their running statistics) as one KxK
 * `Conv2d` with bias, symmetric padding `(K − 1)/2`, the block's stride and groups. The block is
 * left as it was. Its activation is not included (see {@link reparameterize}).
 *
 * @example
 * const conv = fuseBlock(block);
 * conv.apply(x); // equals block.apply(x) before the activation, to float32 rounding
 */
export function fuseBlock(block: RepBlock): Conv2d {
  const { inChannels, outChannels, kernelSize, strides, groups } = block.config;
  const p = (kernelSize - 1) / 2;
  const { kernel, bias } = block.fuseWeights();
  try {
    return new Conv2d(
      {
        inChannels,
        outChannels,
        kernelSize,
        strides,
        groups,
        padding: [
          [p, p],
          [p, p],
        ],
        useBias: true,
      },
      { kernel, bias },
    );
  } finally {
    tf.dispose([kernel, bias]);
  }
}

/** A block's inference form: the fused conv (child `conv`) then its activation (child `act`). */
export function fusedBlockModule(block: RepBlock): Module {
  const conv = fuseBlock(block);
  if (block.config.activation === null) return conv;
  return new Sequential([
    ['conv', conv],
    ['act', new Activation(block.config.activation)],
  ]);
}

/**
 * A copy of `model` with every rep block replaced by its fused conv (+ activation): the inference
 * network, a plain stack of convs that exports to a stock `tf.LayersModel`. Pure: the original
 * keeps its branches and stays trainable. Containers must be cloneable (core's are).
 *
 * @example
 * const deployed = reparameterize(trained);
 * const model = toLayersModel(deployed, { inputShape: [32, 32, 3] });
 */
export function reparameterize(model: Module): Module {
  if (isRepBlock(model)) return fusedBlockModule(model);
  return cloneModule(model, (child) => (isRepBlock(child) ? fusedBlockModule(child) : undefined));
}
