import {
  type BlockOptionsByName,
  blocks,
  createBlock,
  createModel,
  createRng,
  initBackend,
  listBlocks,
  type Module,
  Residual,
  Sequential,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

interface SmallCase {
  readonly options: object;
  /** NHWC input and output shapes. */
  readonly input: readonly [number, number, number, number];
  readonly output: readonly number[];
}

/** Small options of every built-in block; a block registered without an entry here fails the test. */
const SMALL = {
  'conv-bn-act': {
    options: {
      inChannels: 3,
      outChannels: 8,
      kernelSize: 3,
      strides: 2,
      activation: 'relu',
      rng: createRng(0),
    },
    input: [2, 8, 8, 3],
    output: [2, 4, 4, 8],
  },
  'resnet-basic': {
    options: { inChannels: 4, outChannels: 8, strides: 2, seed: 1 },
    input: [2, 8, 8, 4],
    output: [2, 4, 4, 8],
  },
  'depthwise-separable': {
    options: { inChannels: 4, outChannels: 8, strides: 2, seed: 2 },
    input: [2, 8, 8, 4],
    output: [2, 4, 4, 8],
  },
  'inverted-residual': {
    options: { inChannels: 8, outChannels: 8, expandRatio: 3, seed: 3 },
    input: [2, 8, 8, 8],
    output: [2, 8, 8, 8],
  },
  'dynamic-mbconv': {
    // Kernel 3 of [3, 5]: OFA's 5 → 3 transform runs, so every parameter is used.
    options: {
      maxInChannels: 4,
      maxOutChannels: 8,
      kernelSizes: [3, 5],
      kernelSize: 3,
      expandRatio: 3,
      stride: 2,
      seed: 4,
    },
    input: [2, 8, 8, 4],
    output: [2, 4, 4, 8],
  },
  'slimmable-basic': {
    options: { maxInChannels: 4, maxOutChannels: 8, stride: 2, seed: 5 },
    input: [2, 8, 8, 4],
    output: [2, 4, 4, 8],
  },
} satisfies { readonly [N in keyof BlockOptionsByName]: SmallCase & { options: BlockOptionsByName[N] } };

const hasNaN = (t: tf.Tensor): boolean => tf.tidy(() => tf.any(tf.isNaN(t)).dataSync()[0] === 1);

test('every registered block has a small test case', () => {
  expect(Object.keys(SMALL).sort()).toEqual(listBlocks());
});

describe.each(listBlocks())('registered block %s', (name) => {
  test('forward + backward on a small input: right shape, no NaN, a gradient for every parameter, no leak', () => {
    const small = (SMALL as Record<string, SmallCase>)[name];
    const { options, input, output } = small as SmallCase;
    const before = tf.memory().numTensors;
    const block = createBlock(name, options);
    const x = tf.randomNormal([...input], 0, 1, 'float32', 6);
    const parameters = [...block.namedParameters().values()];
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(block.apply(x, { training: true }))) as tf.Scalar,
      parameters,
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads)).toHaveLength(parameters.length);
    for (const grad of Object.values(grads)) expect(hasNaN(grad)).toBe(false);
    const y = block.apply(x);
    expect(y.shape).toEqual(output);
    expect(hasNaN(y)).toBe(false);
    tf.dispose([x, y, value, ...Object.values(grads)]);
    block.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('block registry', () => {
  test('an unknown name lists the registered blocks', () => {
    expect(() => createBlock('mbconv', {})).toThrow(
      '@automl-ts/core/createBlock: unknown block "mbconv"; registered: conv-bn-act, depthwise-separable, dynamic-mbconv, inverted-residual, resnet-basic, slimmable-basic',
    );
  });

  test('every block has a description', () => {
    for (const [name, entry] of blocks.entries()) {
      expect(entry.description.length, name).toBeGreaterThan(10);
    }
  });

  test('the model builders are made of the registered blocks', () => {
    const resnet = createModel('resnet20', { inputSize: 8, shortcut: 'A' });
    const mobilenetV1 = createModel('mobilenetv1', { inputSize: 32, widthMultiplier: 0.25 });
    const mobilenetV2 = createModel('mobilenetv2', { inputSize: 32, widthMultiplier: 0.35 });
    const child = (model: Module, path: string): Module =>
      [...model.modules()].find((m) => m.path === path) as Module;
    const cases: Array<[Module, Module]> = [
      [
        child(resnet, 'stage2.block0'),
        createBlock('resnet-basic', { inChannels: 16, outChannels: 32, strides: 2, shortcut: 'A' }),
      ],
      [child(resnet, 'stage2.block1'), createBlock('resnet-basic', { inChannels: 32, outChannels: 32 })],
      [
        child(mobilenetV1, 'block1'),
        createBlock('depthwise-separable', { inChannels: 16, outChannels: 32, strides: 2 }),
      ],
      [
        child(mobilenetV2, 'stage1.block0'),
        createBlock('inverted-residual', { inChannels: 16, outChannels: 8, expandRatio: 1 }),
      ],
      [
        child(mobilenetV2, 'stage3.block1'),
        createBlock('inverted-residual', { inChannels: 16, outChannels: 16 }),
      ],
    ];
    for (const [inModel, standalone] of cases) {
      expect(standalone.constructor).toBe(inModel.constructor);
      const shapes = (m: Module) =>
        [...m.namedVariables()].map(([n, v]) => [m.path === '' ? n : n.slice(m.path.length + 1), v.shape]);
      expect(shapes(standalone)).toEqual(shapes(inModel));
      standalone.dispose();
    }
    expect(cases.map(([m]) => m.constructor)).toEqual([Residual, Residual, Sequential, Sequential, Residual]);
    for (const model of [resnet, mobilenetV1, mobilenetV2]) model.dispose();
  });
});
