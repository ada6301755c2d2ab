import {
  createRng,
  createSearchSpace,
  createSupernet,
  initBackend,
  listSearchSpaces,
  listSupernets,
  SearchSpace,
  searchSpaces,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** Overrides that change the space of every built-in supernet; a space registered without one fails the test. */
const OVERRIDES: Record<string, object> = {
  'ofa-mobilenetv2': {
    kernelSizes: [3, 5],
    maxDepth: 3,
    widthMultipliers: [0.5, 1],
    stages: [
      { channels: 8, stride: 1 },
      { channels: 16, stride: 2 },
    ],
  },
  'resnet20-slim': { widthRatios: [0.5, 1], stageChannels: [8, 16, 32] },
  'resnet56-slim': { widthRatios: [0.25, 1] },
  'conv4-cells': { blocks: 3, ops: ['conv3x3', 'skip'] },
  'vgg-small-slim': { widthRatios: [0.5, 1], inputSize: 8 },
  'mobilenetv2-slim': { widthRatios: [0.25, 0.5, 1], widthMultiplier: 0.5 },
};

test('every registered search space has overrides in this test', () => {
  expect(Object.keys(OVERRIDES).sort()).toEqual(listSearchSpaces());
});

describe.each(listSearchSpaces())('registered search space %s', (name) => {
  test.each<[string, object | undefined]>([
    ['defaults', undefined],
    ['overrides', OVERRIDES[name]],
  ])(
    'with its %s: the choices of the supernet of the same name, and no tensor left behind',
    (_case, overrides) => {
      const before = tf.memory().numTensors;
      const space = createSearchSpace(name, overrides);
      expect(tf.memory().numTensors).toBe(before);
      expect(space).toBeInstanceOf(SearchSpace);

      const supernet = createSupernet(name, overrides);
      expect(space.names).toEqual(supernet.searchSpace.names);
      expect(space.choices).toEqual(supernet.searchSpace.choices);
      const arch = space.sample(createRng(name));
      expect(supernet.searchSpace.contains(arch)).toBe(true);
      supernet.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});

describe('search-space registry', () => {
  test.each(['ofa-mobilenetv2', 'resnet20-slim', 'resnet56-slim'])(
    '%s: the space is computed without building the supernet (not one tensor is created)',
    (name) => {
      const first = tf.scalar(0);
      const space = createSearchSpace(name, OVERRIDES[name]);
      const next = tf.scalar(0);
      // Tensor ids are consecutive: nothing was allocated in between, not even transiently.
      expect(next.id - first.id).toBe(1);
      expect(space.names.length).toBeGreaterThan(3);
      tf.dispose([first, next]);
    },
  );

  test('every built-in supernet has its search space, with the same description', () => {
    expect(listSearchSpaces()).toEqual(listSupernets());
    for (const [name, entry] of searchSpaces.entries()) expect(entry.description, name).not.toBe('');
  });

  test('overrides that do not change the space leave it as it is', () => {
    const plain = createSearchSpace('conv4-cells');
    const resized = createSearchSpace('conv4-cells', {
      inputSize: 84,
      inChannels: 3,
      numClasses: 20,
      seed: 7,
    });
    expect(resized.choices).toEqual(plain.choices);
  });

  test('unknown options and bad values throw from the builder, leaving no tensor behind', () => {
    const before = tf.memory().numTensors;
    expect(() => createSearchSpace('resnet56-slim', { widthRatios: [] })).toThrow(
      '@automl-ts/core/resnetSlim: widthRatios must be non-empty numbers in (0, 1], got []',
    );
    expect(() => createSearchSpace('conv4-cells', { ops: ['conv3x3', 'conv9x9'] })).toThrow(
      /^@automl-ts\/core\/createCandidateOp: unknown candidate op "conv9x9"/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
