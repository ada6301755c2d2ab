import { BatchNorm, Conv2d, Dense, initBackend } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectTensorsClose, randomInput } from './expect-close.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const gather = (x: tf.Tensor, indices: number[], axis: number): tf.Tensor =>
  tf.gather(x, tf.tensor1d(indices, 'int32'), axis);

/** Zeroes the channels not in `kept`: what a pruned input looks like to the original layer. */
const keepOnly = (x: tf.Tensor, kept: number[]): tf.Tensor => {
  const channels = x.shape[x.rank - 1] as number;
  const mask = tf.tensor1d(Array.from({ length: channels }, (_, c) => (kept.includes(c) ? 1 : 0)));
  return tf.mul(x, mask);
};

describe('Conv2d.withChannels', () => {
  test.each<
    [
      string,
      { inChannels: number; outChannels: number; groups: number },
      number[] | undefined,
      number[] | undefined,
    ]
  >([
    ['standard, outputs', { inChannels: 4, outChannels: 6, groups: 1 }, undefined, [0, 2, 5]],
    ['standard, inputs', { inChannels: 4, outChannels: 6, groups: 1 }, [1, 3], undefined],
    ['standard, both', { inChannels: 4, outChannels: 6, groups: 1 }, [0, 3], [1, 4]],
    ['grouped, same count per group', { inChannels: 4, outChannels: 6, groups: 2 }, [1, 2], [0, 2, 3, 4]],
    ['depthwise, inputs', { inChannels: 4, outChannels: 4, groups: 4 }, [0, 3], undefined],
    ['depthwise x2, inputs', { inChannels: 3, outChannels: 6, groups: 3 }, [1, 2], undefined],
    [
      'depthwise x2, whole-group outputs',
      { inChannels: 3, outChannels: 6, groups: 3 },
      undefined,
      [0, 1, 4, 5],
    ],
  ])(
    '%s: the pruned conv on kept inputs equals the kept outputs of the original',
    (_name, shape, inputs, outputs) => {
      const conv = new Conv2d({ ...shape, kernelSize: 3, seed: 3 });
      tf.tidy(() => conv.variable('bias').assign(tf.randomNormal([shape.outChannels], 0, 1, 'float32', 9)));
      const pruned = conv.withChannels({ ...(inputs ? { inputs } : {}), ...(outputs ? { outputs } : {}) });
      const x = randomInput([2, 5, 5, shape.inChannels]);
      const keptIn =
        inputs ??
        (outputs && conv.isDepthwise
          ? [...new Set(outputs.map((o) => Math.floor(o / conv.outChannelsPerGroup)))]
          : undefined) ??
        Array.from({ length: shape.inChannels }, (_, i) => i);
      const keptOut =
        outputs ??
        (conv.isDepthwise
          ? keptIn.flatMap((c) =>
              Array.from({ length: conv.outChannelsPerGroup }, (_, j) => c * conv.outChannelsPerGroup + j),
            )
          : Array.from({ length: shape.outChannels }, (_, i) => i));
      expect(pruned.inChannels).toBe(keptIn.length);
      expect(pruned.outChannels).toBe(keptOut.length);
      expect(pruned.isDepthwise || pruned.groups === 1 || pruned.groups === shape.groups).toBe(true);
      const expected = tf.tidy(() => gather(conv.apply(keepOnly(x, keptIn)), keptOut, 3));
      const actual = tf.tidy(() => pruned.apply(gather(x, keptIn, 3)));
      expectTensorsClose(actual, expected, 1e-4);
      expect(pruned.getConfig().kernelSize).toEqual([3, 3]);
      tf.dispose([x, expected, actual]);
      conv.dispose();
      pruned.dispose();
    },
  );

  test.each<
    [
      string,
      { inChannels: number; outChannels: number; groups: number },
      { inputs?: number[]; outputs?: number[] },
      RegExp,
    ]
  >([
    [
      'unsorted',
      { inChannels: 4, outChannels: 4, groups: 1 },
      { outputs: [2, 1] },
      /outputs must be strictly ascending, got \[2,1\]/,
    ],
    [
      'out of range',
      { inChannels: 4, outChannels: 4, groups: 1 },
      { inputs: [0, 4] },
      /inputs\[1\] = 4 is not a channel index in \[0, 4\)/,
    ],
    [
      'empty',
      { inChannels: 4, outChannels: 4, groups: 1 },
      { outputs: [] },
      /outputs must be a non-empty array/,
    ],
    [
      'uneven groups',
      { inChannels: 4, outChannels: 4, groups: 2 },
      { outputs: [0, 1, 2] },
      /same non-zero number of channels in each of the 2 groups of 2, got counts \[2,1\]/,
    ],
    [
      'split depthwise group',
      { inChannels: 2, outChannels: 4, groups: 2 },
      { outputs: [0, 2, 3] },
      /must keep whole groups of 2/,
    ],
    [
      'inconsistent depthwise',
      { inChannels: 2, outChannels: 2, groups: 2 },
      { inputs: [0], outputs: [1] },
      /do not match inputs \[0\]/,
    ],
  ])('rejects %s', (_name, shape, selection, message) => {
    const conv = new Conv2d({ ...shape, kernelSize: 1 });
    expect(() => conv.withChannels(selection)).toThrow(message);
    expect(() => conv.withChannels(selection)).toThrow(/^@automl-ts\/core\/Conv2d\.withChannels: /);
    conv.dispose();
  });
});

describe('BatchNorm.withChannels', () => {
  test('keeps parameters and running statistics of the kept channels', () => {
    const bn = new BatchNorm({ channels: 4, momentum: 0.5 });
    const warm = randomInput([8, 4], 2);
    bn.apply(warm, { training: true }).dispose();
    tf.tidy(() => bn.variable('gamma').assign(tf.tensor1d([1, 2, 3, 4])));
    const pruned = bn.withChannels({ outputs: [1, 3] });
    expect(pruned.channels).toBe(2);
    expect(pruned.momentum).toBe(0.5);
    expect(pruned.batchesTracked).toBe(1);
    const x = randomInput([3, 2, 2, 4], 5);
    const expected = tf.tidy(() => gather(bn.apply(x), [1, 3], 3));
    const actual = tf.tidy(() => pruned.apply(gather(x, [1, 3], 3)));
    expectTensorsClose(actual, expected, 1e-5);
    // Inputs and outputs are the same channels of a batch norm.
    const byInputs = bn.withChannels({ inputs: [1, 3] });
    const both = bn.withChannels({ inputs: [1, 3], outputs: [1, 3] });
    for (const other of [byInputs, both]) {
      const y = tf.tidy(() => other.apply(gather(x, [1, 3], 3)));
      expectTensorsClose(y, expected, 1e-5);
      y.dispose();
      other.dispose();
    }
    expect(() => bn.withChannels({ inputs: [1], outputs: [3] })).toThrow(
      /^@automl-ts\/core\/BatchNorm\.withChannels: inputs \[1\] and outputs \[3\] differ; a batch norm keeps the same channels on both sides/,
    );
    expect(() => bn.withChannels({ outputs: [4] })).toThrow(
      /outputs\[0\] = 4 is not a channel index in \[0, 4\)/,
    );
    const all = bn.withChannels({});
    expect(all.channels).toBe(4);
    all.dispose();
    tf.dispose([warm, x, expected, actual]);
    bn.dispose();
    pruned.dispose();
  });
});

describe('Dense.withChannels', () => {
  test('slices the kernel rows (inputs) and columns (outputs), alone or together', () => {
    const dense = new Dense({ inUnits: 5, outUnits: 4, seed: 1 });
    tf.tidy(() => dense.variable('bias').assign(tf.tensor1d([1, 2, 3, 4])));
    const x = randomInput([3, 5]);
    const byOutputs = dense.withChannels({ outputs: [0, 3] });
    const byInputs = dense.withChannels({ inputs: [1, 2, 4] });
    const byBoth = dense.withChannels({ inputs: [1, 2, 4], outputs: [0, 3] });
    expect([byBoth.inUnits, byBoth.outUnits]).toEqual([3, 2]);
    expectTensorsClose(
      byBoth.apply(tf.tidy(() => gather(x, [1, 2, 4], 1))),
      tf.tidy(() => gather(dense.apply(keepOnly(x, [1, 2, 4])), [0, 3], 1)),
      1e-5,
    );
    expectTensorsClose(
      byOutputs.apply(x),
      tf.tidy(() => gather(dense.apply(x), [0, 3], 1)),
      1e-5,
    );
    expectTensorsClose(
      byInputs.apply(tf.tidy(() => gather(x, [1, 2, 4], 1))),
      tf.tidy(() => dense.apply(keepOnly(x, [1, 2, 4]))),
      1e-5,
    );
    expect(() => dense.withChannels({ inputs: [5] })).toThrow(
      /^@automl-ts\/core\/Dense\.withChannels: inputs\[0\] = 5 is not a channel index in \[0, 5\)/,
    );
    expect(() => dense.withChannels({ outputs: [2, 1] })).toThrow(/Dense\.withChannels: outputs/);
    tf.dispose(x);
    dense.dispose();
    byOutputs.dispose();
    byInputs.dispose();
    byBoth.dispose();
  });
});

test('surgery and clone do not leak tensors', () => {
  const conv = new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, groups: 2, seed: 1 });
  const bn = new BatchNorm({ channels: 4 });
  const dense = new Dense({ inUnits: 4, outUnits: 2 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    conv.withChannels({ inputs: [0, 2], outputs: [1, 3] }).dispose();
    conv.clone().dispose();
    bn.withChannels({ outputs: [0, 1] }).dispose();
    bn.clone().dispose();
    dense.withChannels({ inputs: [1, 2] }).dispose();
    dense.withChannels({ outputs: [1] }).dispose();
    dense.withChannels({ inputs: [0, 3], outputs: [0] }).dispose();
    dense.withChannels({}).dispose();
  }
  expect(tf.memory().numTensors).toBe(before);
  conv.dispose();
  bn.dispose();
  dense.dispose();
});
