// Ding et al., "RepVGG: Making VGG-style ConvNets Great Again", CVPR 2021, Table 2 (A0/A1/B0 depths and widths); Zhang et al., "RepNAS", 2021, §3 (the ODBB search space on that backbone).
import {
  Dense,
  errorFactory,
  GlobalAvgPool,
  type Module,
  type Rng,
  Sequential,
  toRng,
} from '@automl-ts/core';
import { type BranchEntry, isRepBlock, RepBlock, repvggBranches } from '../rep-block.js';

/** Which blocks the backbone is built of. */
export type RepNetForm = 'plain' | 'repvgg' | 'acnet' | 'dbb' | 'odbb';

/** The six searchable RepNAS branches of a layer, in the authors' order (see {@link odbbBranches}). */
export const ODBB_BRANCH_COUNT = 6;

/** Backbone sizes: stem width, per-stage depths and widths, strides. */
export interface RepNetSize {
  readonly stemWidth: number;
  readonly depths: readonly [number, number, number, number];
  readonly widths: readonly [number, number, number, number];
  readonly stemStride: number;
  readonly stageStrides: readonly [number, number, number, number];
}

/** Presets: RepVGG-A0/A1/B0 (224×224 strides) and sizes for 32×32 inputs. */
export const REPNET_PRESETS: Readonly<Record<string, RepNetSize>> = {
  'repvgg-a0': {
    stemWidth: 48,
    depths: [2, 4, 14, 1],
    widths: [48, 96, 192, 1280],
    stemStride: 2,
    stageStrides: [2, 2, 2, 2],
  },
  'repvgg-a1': {
    stemWidth: 64,
    depths: [2, 4, 14, 1],
    widths: [64, 128, 256, 1280],
    stemStride: 2,
    stageStrides: [2, 2, 2, 2],
  },
  'repvgg-b0': {
    stemWidth: 64,
    depths: [4, 6, 16, 1],
    widths: [64, 128, 256, 1280],
    stemStride: 2,
    stageStrides: [2, 2, 2, 2],
  },
  'cifar-small': {
    stemWidth: 16,
    depths: [1, 2, 2, 1],
    widths: [16, 32, 64, 128],
    stemStride: 1,
    stageStrides: [1, 2, 2, 2],
  },
  'cifar-tiny': {
    stemWidth: 8,
    depths: [1, 1, 1, 1],
    widths: [8, 16, 32, 32],
    stemStride: 1,
    stageStrides: [1, 2, 2, 2],
  },
};

/** Options of {@link createRepNet}. */
export interface RepNetOptions {
  /** A preset name of {@link REPNET_PRESETS} or explicit sizes. @default 'cifar-small' */
  size?: string | RepNetSize;
  /** @default 'repvgg' */
  form?: RepNetForm;
  /** @default 3 */
  inChannels?: number;
  /** @default 10 */
  numClasses?: number;
  /** @default 0 */
  seed?: number | string | Rng;
  /**
   * Branches of every rep block in order (stem first), overriding `form`: e.g. a RepNAS result
   * retrained from scratch. Its length must be the number of blocks.
   * @default the form's branches
   */
  layerBranches?: ReadonlyArray<readonly BranchEntry[]>;
}

/**
 * The six RepNAS branches of a layer, in order: 1x1; 1x1 → BN-and-pad → avg-pool → BN; KxK;
 * 1x1 → BN-and-pad → KxK → BN (at stride 2 a plain KxK conv-BN, as the authors' code); 1xK; Kx1.
 */
export function odbbBranches(strides: number): BranchEntry[] {
  return [
    'conv_1x1',
    'conv_1x1_avg',
    'conv_kxk',
    strides === 1 ? 'conv_1x1_kxk' : ['conv_1x1_kxk', 'conv_kxk'],
    'conv_1xk',
    'conv_kx1',
  ];
}

/** The branches of one layer for a form; `odbb` appends the fixed identity where it applies. */
export function formBranches(
  form: RepNetForm,
  inChannels: number,
  outChannels: number,
  strides: number,
): BranchEntry[] {
  const identity = strides === 1 && inChannels === outChannels;
  switch (form) {
    case 'plain':
      return ['conv_kxk'];
    case 'repvgg':
      return repvggBranches({ inChannels, outChannels, strides });
    case 'acnet':
      return ['conv_kxk', 'conv_1xk', 'conv_kx1'];
    case 'dbb':
      return ['conv_kxk', 'conv_1x1', 'conv_1x1_kxk', 'conv_1x1_avg'];
    case 'odbb':
      return [...odbbBranches(strides), ...(identity ? ['identity'] : [])];
  }
}

const FORMS: readonly RepNetForm[] = ['plain', 'repvgg', 'acnet', 'dbb', 'odbb'];

/**
 * A RepVGG-style plain backbone: a stem block, four stages of 3x3 blocks (the first of each stage
 * strided), global average pooling and a dense classifier, every block a {@link RepBlock} of the
 * chosen form (ReLU after each). Children are flat: `stem`, `stage1_0`, …, `pool`, `fc`. Every
 * form fuses (`reparameterize`) into the same plain net.
 *
 * @example
 * const net = createRepNet({ size: 'cifar-small', form: 'dbb', seed: 0 });
 */
export function createRepNet(options: RepNetOptions = {}): Sequential {
  const fail = errorFactory('@automl-ts/rep-blocks/createRepNet');
  const sizeOption = options.size ?? 'cifar-small';
  const size = typeof sizeOption === 'string' ? REPNET_PRESETS[sizeOption] : sizeOption;
  if (size === undefined) {
    throw fail(
      `unknown size ${JSON.stringify(sizeOption)}; presets: ${Object.keys(REPNET_PRESETS).join(', ')}`,
    );
  }
  const form = options.form ?? 'repvgg';
  if (!FORMS.includes(form))
    throw fail(`form must be one of ${FORMS.join(', ')}, got ${JSON.stringify(form)}`);
  const rng = toRng(options.seed ?? 0);
  const layers: Array<readonly [string, Module]> = [];
  let index = 0;
  const block = (name: string, inChannels: number, outChannels: number, strides: number): void => {
    const branches = options.layerBranches?.[index] ?? formBranches(form, inChannels, outChannels, strides);
    index++;
    layers.push([name, new RepBlock({ inChannels, outChannels, strides, branches, seed: rng.seed() })]);
  };
  const inChannels = options.inChannels ?? 3;
  block('stem', inChannels, size.stemWidth, size.stemStride);
  let channels = size.stemWidth;
  size.depths.forEach((depth, s) => {
    for (let i = 0; i < depth; i++) {
      const width = size.widths[s] as number;
      block(`stage${s + 1}_${i}`, channels, width, i === 0 ? (size.stageStrides[s] as number) : 1);
      channels = width;
    }
  });
  if (options.layerBranches !== undefined && options.layerBranches.length !== index) {
    throw fail(`layerBranches has ${options.layerBranches.length} entries, the network has ${index} blocks`);
  }
  layers.push(['pool', new GlobalAvgPool()]);
  layers.push(['fc', new Dense({ inUnits: channels, outUnits: options.numClasses ?? 10, seed: rng.seed() })]);
  return new Sequential(layers);
}

/** The rep blocks of a network, in execution order (the searchable layers of RepNAS). */
export function repBlocksOf(model: Module): RepBlock[] {
  return [...model.modules()].filter(isRepBlock);
}
