import { AutomlError, describeValue } from '../internal/errors.js';
import type { Module } from '../nn/module.js';
import { Registry, type RegistryFilter } from '../registry/registry.js';
import {
  DynamicMBConvBlock,
  type DynamicMBConvBlockOptions,
} from '../supernet/blocks/dynamic-mbconv-block.js';
import {
  SlimmableBasicBlock,
  type SlimmableBasicBlockOptions,
} from '../supernet/blocks/slimmable-basic-block.js';
import { type ConvBnActOptions, convBnAct } from './conv-bn-act.js';
import { type DepthwiseSeparableOptions, depthwiseSeparable } from './depthwise-separable.js';
import { type InvertedResidualOptions, invertedResidual } from './inverted-residual.js';
import { type ResNetBasicBlockOptions, resnetBasicBlock } from './resnet-basic-block.js';

/** A registered block: a factory from the block's options to a fresh module, and a description. */
export interface BlockEntry<O extends object = object> {
  /** One line: what the block computes and where it comes from. */
  readonly description: string;
  /** Builds a fresh module with new weights. */
  create(options: O): Module;
}

/** Options of the built-in blocks, for typed {@link createBlock} calls. */
export interface BlockOptionsByName {
  'conv-bn-act': ConvBnActOptions;
  'resnet-basic': ResNetBasicBlockOptions;
  'depthwise-separable': DepthwiseSeparableOptions;
  'inverted-residual': InvertedResidualOptions;
  'dynamic-mbconv': DynamicMBConvBlockOptions;
  'slimmable-basic': SlimmableBasicBlockOptions;
}

const BUILTIN_BLOCKS: { readonly [N in keyof BlockOptionsByName]: BlockEntry<BlockOptionsByName[N]> } = {
  'conv-bn-act': {
    description: 'conv (no bias) → BN → activation, `same` padding; the unit of every built-in model',
    create: convBnAct,
  },
  'resnet-basic': {
    description: 'ResNet basic block (He et al. 2016): two 3×3 conv → BN, shortcut A or B, ReLU',
    create: resnetBasicBlock,
  },
  'depthwise-separable': {
    description:
      'MobileNetV1 block (Howard et al. 2017): depthwise 3×3 → BN → ReLU → pointwise 1×1 → BN → ReLU',
    create: depthwiseSeparable,
  },
  'inverted-residual': {
    description: 'MobileNetV2 block (Sandler et al. 2018): expand 1×1 → depthwise 3×3 → linear project 1×1',
    create: invertedResidual,
  },
  'dynamic-mbconv': {
    description:
      'Once-for-All elastic inverted residual: kernel size, expand ratio and width from the architecture',
    create: (options) => new DynamicMBConvBlock(options),
  },
  'slimmable-basic': {
    description: 'slimmable ResNet basic block: inner and output widths from the architecture',
    create: (options) => new SlimmableBasicBlock(options),
  },
};

/**
 * The building blocks of the built-in models and supernets by name, for {@link createBlock}: the
 * six of {@link BlockOptionsByName} and any added with {@link registerBlock}.
 */
export const blocks = /* @__PURE__ */ new Registry<BlockEntry>(
  {
    kind: 'block',
    sources: { get: '@automl-ts/core/createBlock', register: '@automl-ts/core/registerBlock' },
  },
  Object.entries(BUILTIN_BLOCKS),
);

/**
 * Builds a registered block. The built-in names take typed options ({@link BlockOptionsByName});
 * other names take the object their `create` expects. An unknown name throws listing the
 * registered ones.
 *
 * @example
 * const block = createBlock('inverted-residual', { inChannels: 16, outChannels: 24, strides: 2, seed: 0 });
 * block.apply(tf.zeros([1, 32, 32, 16])); // [1, 16, 16, 24]
 */
export function createBlock<N extends keyof BlockOptionsByName>(
  name: N,
  options: BlockOptionsByName[N],
): Module;
export function createBlock<N extends string>(
  name: N extends keyof BlockOptionsByName ? never : N,
  options: object,
): Module;
export function createBlock(name: string, options: object): Module {
  return blocks.get(name).create(options);
}

/** Registered block names, sorted, optionally filtered by a glob (`'*basic'`) or a predicate. */
export function listBlocks(filter?: RegistryFilter<BlockEntry>): string[] {
  return blocks.list(filter);
}

/**
 * Adds a block to the registry used by {@link createBlock}; throws when the name is taken.
 *
 * @example
 * registerBlock('conv-relu', {
 *   description: '3×3 conv → ReLU',
 *   create: (o: { inChannels: number; outChannels: number }) =>
 *     new Sequential([
 *       ['conv', new Conv2d({ ...o, kernelSize: 3 })],
 *       ['relu', new Activation('relu')],
 *     ]),
 * });
 */
export function registerBlock<O extends object>(name: string, entry: BlockEntry<O>): void {
  if (typeof entry?.create !== 'function') {
    throw new AutomlError(
      '@automl-ts/core/registerBlock',
      `block ${describeValue(name)} needs a create(options) function`,
    );
  }
  blocks.register(name, entry as BlockEntry);
}

/** Removes a registered block (for tests and plugins that re-register); returns whether it existed. */
export function unregisterBlock(name: string): boolean {
  return blocks.unregister(name);
}
