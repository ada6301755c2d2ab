// Ding et al., "Diverse Branch Block", CVPR 2021, §3.4 (replace every KxK conv (+BN) of an existing architecture by a block for training).

import {
  Activation,
  AvgPool2d,
  BatchNorm,
  Conv2d,
  cloneModule,
  Dense,
  Dropout,
  errorFactory,
  Flatten,
  GlobalAvgPool,
  MaxPool2d,
  type Module,
  Residual,
  Sequential,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { type BranchEntry, RepBlock } from './rep-block.js';

/** Options of {@link toRepBlocks}. */
export interface ToRepBlocksOptions {
  /** The branches of every block (the first `conv_kxk` branch is initialised from the original conv and BN). */
  branches: readonly BranchEntry[];
  /** Convert only convs whose full name passes. @default every eligible conv */
  filter?: (path: string, conv: Conv2d) => boolean;
  /** Seed of the new branches' weights. @default 0 */
  seed?: number;
}

const SOURCE = '@automl-ts/rep-blocks/toRepBlocks';
const fail = errorFactory(SOURCE);

/** A conv a rep block can replace: square odd kernel, no dilation, 'same' or symmetric centred padding. */
function eligible(conv: Conv2d): boolean {
  const [kh, kw] = conv.kernelSize;
  if (kh !== kw || kh % 2 !== 1 || conv.dilation[0] !== 1 || conv.dilation[1] !== 1) return false;
  if (conv.strides[0] !== conv.strides[1]) return false;
  const p = (kh - 1) / 2;
  if (conv.padding === 'same') return true;
  if (conv.padding === 'valid') return kh === 1;
  return conv.padding.every(([a, b]) => a === p && b === p);
}

/**
 * A copy of `model` for training in which every eligible KxK conv (optionally with the batch norm
 * right after it) is a {@link RepBlock} of `branches` (no activation inside: the model's own
 * activations stay). The block's `conv_kxk` branch starts from the conv's kernel and the BN's
 * parameters and statistics; the other branches are new. Works on core Modules built from
 * `Sequential` and `Residual` containers, and on `tf.LayersModel`s that are a chain of Conv2D,
 * BatchNormalization, ReLU/Activation, pooling, Flatten, Dropout and Dense layers. Convs with
 * `'same'` padding at stride 2 become symmetric (TF pads bottom-right only), so border outputs of
 * such layers move by one cell. `reparameterize` fuses the result back into a plain conv net.
 *
 * @example
 * const trainable = toRepBlocks(plainNet, { branches: ['conv_kxk', 'conv_1x1', 'conv_1x1_kxk', 'conv_1x1_avg'] });
 */
export function toRepBlocks(model: Module | tf.LayersModel, options: ToRepBlocksOptions): Module {
  if (!Array.isArray(options?.branches) || options.branches.length === 0) {
    throw fail(
      `options.branches must be a non-empty list of branch types, got ${JSON.stringify(options?.branches)}`,
    );
  }
  const module = model instanceof tf.LayersModel ? fromLayersModel(model) : model;
  let seed = options.seed ?? 0;
  const convert = (conv: Conv2d, bn: BatchNorm | undefined): RepBlock | undefined => {
    if (!eligible(conv) || (options.filter !== undefined && !options.filter(conv.path, conv)))
      return undefined;
    const block = new RepBlock({
      inChannels: conv.inChannels,
      outChannels: conv.outChannels,
      kernelSize: conv.kernelSize[0],
      strides: conv.strides[0],
      groups: conv.groups,
      branches: options.branches,
      activation: null,
      seed: seed++,
      ...(bn === undefined
        ? {}
        : { bnEpsilon: bn.epsilon, ...(bn.momentum === null ? {} : { bnMomentum: bn.momentum }) }),
    });
    initialiseKxk(block, conv, bn);
    return block;
  };
  const rewrite = (layers: Array<readonly [string, Module]>): Array<readonly [string, Module]> => {
    const out: Array<readonly [string, Module]> = [];
    for (let i = 0; i < layers.length; i++) {
      const [name, layer] = layers[i] as readonly [string, Module];
      if (layer instanceof Conv2d) {
        const next = layers[i + 1]?.[1];
        const bn = next instanceof BatchNorm && next.channels === layer.outChannels ? next : undefined;
        const block = convert(layer, bn);
        if (block !== undefined) {
          out.push([name, block]);
          if (bn !== undefined) i++;
          continue;
        }
      }
      out.push([name, mapModule(layer)]);
    }
    return out;
  };
  const mapModule = (child: Module): Module => {
    if (child instanceof Sequential) return new Sequential(rewrite([...child.children()]));
    if (child instanceof Residual) {
      return new Residual({
        body: rewrite(child.body()),
        ...(child.shortcut === undefined ? {} : { shortcut: mapModule(child.shortcut) }),
        ...(child.postActivation === undefined ? {} : { postActivation: child.postActivation }),
      });
    }
    if (child instanceof Conv2d) return convert(child, undefined) ?? child.clone();
    return cloneModule(child, (inner) =>
      inner instanceof Sequential || inner instanceof Residual || inner instanceof Conv2d
        ? mapModule(inner)
        : undefined,
    );
  };
  const result = mapModule(module);
  if (module !== model) module.dispose();
  return result;
}

/** The block's `conv_kxk` branch takes the conv's kernel (and bias, through BN's beta) and the BN. */
function initialiseKxk(block: RepBlock, conv: Conv2d, bn: BatchNorm | undefined): void {
  const branch = block.children().get('conv_kxk');
  if (branch === undefined) return;
  tf.tidy(() => {
    const target = branch.namedVariables();
    const prefix = branch.path;
    target.get(`${prefix}.conv.kernel`)?.assign(conv.variable('kernel'));
    if (bn !== undefined) {
      for (const name of ['gamma', 'beta', 'runningMean', 'runningVar']) {
        target.get(`${prefix}.bn.${name}`)?.assign(bn.variable(name));
      }
      if (conv.useBias) {
        const gamma = bn.variable('gamma');
        const std = tf.sqrt(tf.add(bn.variable('runningVar'), bn.epsilon));
        target
          .get(`${prefix}.bn.beta`)
          ?.assign(tf.add(bn.variable('beta'), tf.div(tf.mul(conv.variable('bias'), gamma), std)));
      }
    } else if (conv.useBias) {
      target.get(`${prefix}.bn.beta`)?.assign(conv.variable('bias'));
      target.get(`${prefix}.bn.runningVar`)?.assign(tf.fill([conv.outChannels], 1 - 1e-5));
    }
  });
}

/** A chain-shaped `tf.LayersModel` as a core `Sequential` with the same weights. */
function fromLayersModel(model: tf.LayersModel): Module {
  const layers: Array<readonly [string, Module]> = [];
  let channels = model.inputs[0]?.shape.at(-1) ?? undefined;
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1 || (layer.inboundNodes[0]?.inboundLayers.length ?? 0) > 1) {
      throw fail(`layer "${layer.name}" (${className}) has several inputs; only chain-shaped models convert`);
    }
    const config = layer.getConfig() as Record<string, unknown>;
    const name = layer.name.replace(/[^A-Za-z0-9_]/g, '_');
    const weights = layer.getWeights();
    const outChannels = (layer.outputShape as number[]).at(-1) as number;
    switch (className) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = className === 'DepthwiseConv2D';
        const kernelSize = config['kernelSize'] as [number, number];
        const useBias = config['useBias'] as boolean;
        const kernel = depthwise
          ? tf.reshape(weights[0] as tf.Tensor, [kernelSize[0], kernelSize[1], 1, outChannels])
          : (weights[0] as tf.Tensor);
        layers.push([
          name,
          new Conv2d(
            {
              inChannels: channels as number,
              outChannels,
              kernelSize,
              strides: config['strides'] as [number, number],
              padding: config['padding'] as 'same' | 'valid',
              dilation: config['dilationRate'] as [number, number],
              groups: depthwise ? (channels as number) : 1,
              useBias,
            },
            { kernel, ...(useBias ? { bias: weights[1] as tf.Tensor } : {}) },
          ),
        ]);
        if (depthwise) kernel.dispose();
        const activation = config['activation'];
        if (activation === 'relu') layers.push([`${name}_relu`, new Activation('relu')]);
        else if (activation !== 'linear')
          throw fail(
            `layer "${layer.name}" has activation ${JSON.stringify(activation)}; only relu and linear convert`,
          );
        break;
      }
      case 'BatchNormalization': {
        const [gamma, beta, runningMean, runningVar] = weights as tf.Tensor[];
        layers.push([
          name,
          new BatchNorm(
            {
              channels: outChannels,
              epsilon: config['epsilon'] as number,
              momentum: 1 - (config['momentum'] as number),
            },
            { gamma: gamma!, beta: beta!, runningMean: runningMean!, runningVar: runningVar! },
          ),
        ]);
        break;
      }
      case 'ReLU':
        layers.push([name, new Activation('relu')]);
        break;
      case 'Activation':
        if (config['activation'] !== 'relu')
          throw fail(`layer "${layer.name}": only relu activations convert`);
        layers.push([name, new Activation('relu')]);
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const args = {
          poolSize: config['poolSize'] as [number, number],
          strides: config['strides'] as [number, number],
          padding: config['padding'] as 'same' | 'valid',
        };
        layers.push([name, className === 'MaxPooling2D' ? new MaxPool2d(args) : new AvgPool2d(args)]);
        break;
      }
      case 'GlobalAveragePooling2D':
        layers.push([name, new GlobalAvgPool()]);
        break;
      case 'Flatten':
        layers.push([name, new Flatten()]);
        break;
      case 'Dropout':
        layers.push([name, new Dropout({ rate: config['rate'] as number })]);
        break;
      case 'Dense': {
        const useBias = config['useBias'] as boolean;
        layers.push([
          name,
          new Dense(
            { inUnits: channels as number, outUnits: outChannels, useBias },
            { kernel: weights[0] as tf.Tensor, ...(useBias ? { bias: weights[1] as tf.Tensor } : {}) },
          ),
        ]);
        if (config['activation'] !== 'linear')
          throw fail(`layer "${layer.name}": Dense activations other than linear do not convert`);
        break;
      }
      default:
        throw fail(
          `layer "${layer.name}" (${className}) has no conversion; supported: Conv2D, DepthwiseConv2D, BatchNormalization, ReLU, Activation(relu), MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dropout, Dense`,
        );
    }
    channels = outChannels;
  }
  return new Sequential(layers);
}
