import {
  Activation,
  AvgPool2d,
  BatchNorm,
  Conv2d,
  Dense,
  Dropout,
  Flatten,
  GlobalAvgPool,
  initBackend,
  MaxPool2d,
  type Module,
  ZeroPadShortcut,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectTensorsClose, randomInput } from './expect-close.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('output shapes', () => {
  test.each<[string, () => Module, number[], number[]]>([
    [
      'conv same',
      () => new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, seed: 1 }),
      [2, 7, 7, 3],
      [2, 7, 7, 8],
    ],
    [
      'conv valid stride 2',
      () =>
        new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, strides: 2, padding: 'valid', seed: 1 }),
      [1, 9, 9, 3],
      [1, 4, 4, 4],
    ],
    [
      'conv explicit padding',
      () =>
        new Conv2d({
          inChannels: 2,
          outChannels: 2,
          kernelSize: [3, 1],
          padding: [
            [2, 0],
            [1, 1],
          ],
          seed: 1,
        }),
      [1, 5, 5, 2],
      [1, 5, 7, 2],
    ],
    [
      'conv dilation 2',
      () =>
        new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, dilation: 2, padding: 'valid', seed: 1 }),
      [1, 9, 9, 2],
      [1, 5, 5, 3],
    ],
    [
      'depthwise multiplier 2',
      () => new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, groups: 4, strides: 2, seed: 1 }),
      [1, 8, 8, 4],
      [1, 4, 4, 8],
    ],
    [
      'grouped',
      () => new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 1, groups: 2, seed: 1 }),
      [1, 3, 3, 4],
      [1, 3, 3, 6],
    ],
    ['dense', () => new Dense({ inUnits: 5, outUnits: 3, seed: 1 }), [4, 5], [4, 3]],
    ['batch norm 2-D', () => new BatchNorm({ channels: 3 }), [2, 4, 4, 3], [2, 4, 4, 3]],
    ['batch norm 1-D', () => new BatchNorm({ channels: 3 }), [5, 3], [5, 3]],
    ['max pool', () => new MaxPool2d({ poolSize: 2 }), [1, 5, 5, 2], [1, 2, 2, 2]],
    [
      'avg pool same',
      () => new AvgPool2d({ poolSize: 3, strides: 2, padding: 'same' }),
      [1, 5, 5, 2],
      [1, 3, 3, 2],
    ],
    ['global avg pool', () => new GlobalAvgPool(), [2, 3, 3, 6], [2, 6]],
    ['flatten', () => new Flatten(), [2, 3, 3, 6], [2, 54]],
    ['dropout', () => new Dropout({ rate: 0.5, seed: 1 }), [2, 6], [2, 6]],
    [
      'zero-pad shortcut',
      () => new ZeroPadShortcut({ strides: 2, padBefore: 2, padAfter: 2 }),
      [1, 5, 5, 4],
      [1, 3, 3, 8],
    ],
  ])('%s', (_name, make, inShape, outShape) => {
    const layer = make();
    const x = randomInput(inShape);
    const y = layer.apply(x, { training: true });
    expect(y.shape).toEqual(outShape);
    expect(Number.isFinite(tf.sum(y).dataSync()[0])).toBe(true);
    tf.dispose([x, y]);
    layer.dispose();
  });
});

describe('Conv2d', () => {
  test('He-normal init is seeded and has std √(2 / fanIn)', () => {
    const a = new Conv2d({ inChannels: 16, outChannels: 64, kernelSize: 3, seed: 7 });
    const b = new Conv2d({ inChannels: 16, outChannels: 64, kernelSize: 3, seed: 7 });
    expectTensorsClose(a.variable('kernel'), b.variable('kernel'), 0);
    const { variance } = tf.moments(a.variable('kernel'));
    expect(Math.sqrt(variance.dataSync()[0] as number)).toBeCloseTo(Math.sqrt(2 / (9 * 16)), 2);
    expect(a.variable('kernel').shape).toEqual([3, 3, 16, 64]);
    tf.dispose(variance);
    a.dispose();
    b.dispose();
  });

  test('grouped conv equals a standard conv with a block-diagonal kernel', () => {
    const grouped = new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, groups: 2, seed: 3 });
    const kernel = grouped.variable('kernel'); // [3, 3, 2, 6]
    const blockDiagonal = tf.tidy(() => {
      const [k0, k1] = tf.split(kernel, 2, 3);
      const zeros = tf.zeros([3, 3, 2, 3]);
      return tf.concat([tf.concat([k0 as tf.Tensor, zeros], 3), tf.concat([zeros, k1 as tf.Tensor], 3)], 2);
    });
    const dense = new Conv2d(
      { inChannels: 4, outChannels: 6, kernelSize: 3 },
      { kernel: blockDiagonal, bias: grouped.variable('bias') },
    );
    const x = randomInput([2, 5, 5, 4]);
    expectTensorsClose(grouped.apply(x), dense.apply(x), 1e-4);
    tf.dispose([x, blockDiagonal]);
    grouped.dispose();
    dense.dispose();
  });

  test('depthwise kernel [kh, kw, 1, c·m] reshapes to the TF depthwise filter', () => {
    const conv = new Conv2d({
      inChannels: 3,
      outChannels: 6,
      kernelSize: 3,
      groups: 3,
      useBias: false,
      seed: 5,
    });
    expect(conv.isDepthwise).toBe(true);
    expect(conv.outChannelsPerGroup).toBe(2);
    const x = randomInput([1, 6, 6, 3]);
    const expected = tf.depthwiseConv2d(
      x as tf.Tensor4D,
      tf.reshape(conv.variable('kernel'), [3, 3, 3, 2]) as tf.Tensor4D,
      1,
      'same',
    );
    expectTensorsClose(conv.apply(x), expected, 1e-5);
    tf.dispose([x, expected]);
    conv.dispose();
  });

  test('explicit padding equals zero padding then valid', () => {
    const padded = new Conv2d({
      inChannels: 2,
      outChannels: 3,
      kernelSize: 3,
      strides: 2,
      padding: [
        [1, 1],
        [1, 1],
      ],
      seed: 2,
    });
    const valid = new Conv2d(
      { ...padded.getConfig(), padding: 'valid' },
      { kernel: padded.variable('kernel'), bias: padded.variable('bias') },
    );
    const x = randomInput([1, 6, 6, 2]);
    const xPadded = tf.pad(x, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    expectTensorsClose(padded.apply(x), valid.apply(xPadded));
    tf.dispose([x, xPadded]);
    padded.dispose();
    valid.dispose();
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    [
      'groups not dividing',
      { inChannels: 4, outChannels: 6, kernelSize: 3, groups: 3 },
      /groups 3 must divide inChannels 4/,
    ],
    [
      'strides with dilation',
      { inChannels: 2, outChannels: 2, kernelSize: 3, strides: 2, dilation: 2 },
      /cannot both exceed 1/,
    ],
    [
      'bad padding',
      { inChannels: 2, outChannels: 2, kernelSize: 3, padding: 'full' },
      /padding must be 'same', 'valid'/,
    ],
    ['missing kernelSize', { inChannels: 2, outChannels: 2 }, /kernelSize must be an integer >= 1/],
    [
      'zero channels',
      { inChannels: 0, outChannels: 2, kernelSize: 1 },
      /inChannels must be an integer >= 1, got 0/,
    ],
  ])('rejects %s', (_name, options, message) => {
    expect(() => new Conv2d(options as never)).toThrow(message);
    expect(() => new Conv2d(options as never)).toThrow(/^@automl-ts\/core\/Conv2d: /);
  });

  test('rejects an input with the wrong channel count, naming the shape', () => {
    const conv = new Conv2d({ inChannels: 3, outChannels: 2, kernelSize: 1 });
    const x = tf.zeros([1, 2, 2, 4]);
    expect(() => conv.apply(x)).toThrow(/expected 3 channels on the last axis, got shape \[1,2,2,4\]/);
    x.dispose();
    conv.dispose();
  });
});

describe('BatchNorm', () => {
  test('training uses batch statistics and moves running statistics by momentum (unbiased variance)', () => {
    const bn = new BatchNorm({ channels: 2, momentum: 0.1 });
    const x = tf.tensor2d([
      [1, 10],
      [3, 20],
      [5, 60],
    ]);
    const y = bn.apply(x, { training: true });
    const { mean, variance } = tf.moments(x, 0);
    const expected = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    expectTensorsClose(y, expected, 1e-4);
    // Running: 0.9·0 + 0.1·mean; 0.9·1 + 0.1·var·n/(n − 1).
    expectTensorsClose(bn.variable('runningMean'), [0.3, 3], 1e-5);
    const unbiased = [4, 700];
    expectTensorsClose(
      bn.variable('runningVar'),
      [0.9 + 0.1 * (unbiased[0] as number), 0.9 + 0.1 * (unbiased[1] as number)],
      1e-4,
    );
    expect(bn.batchesTracked).toBe(1);
    tf.dispose([x, y, mean, variance, expected]);
    bn.dispose();
  });

  test('inference uses running statistics; updateStats false leaves them alone', () => {
    const bn = new BatchNorm(
      { channels: 2 },
      {
        gamma: tf.tensor1d([2, 1]),
        beta: tf.tensor1d([1, 0]),
        runningMean: tf.tensor1d([1, -1]),
        runningVar: tf.tensor1d([4, 1]),
      },
    );
    const x = tf.ones([1, 2, 2, 2]);
    const y = bn.apply(x);
    const s0 = 2 / Math.sqrt(4 + 1e-5);
    const s1 = 1 / Math.sqrt(1 + 1e-5);
    expectTensorsClose(y, tf.tile(tf.tensor4d([0 * s0 + 1, 2 * s1], [1, 1, 1, 2]), [1, 2, 2, 1]), 1e-5);
    const before = bn.variable('runningMean').arraySync();
    bn.apply(x, { training: true, updateStats: false }).dispose();
    expect(bn.variable('runningMean').arraySync()).toEqual(before);
    tf.dispose([x, y]);
    bn.dispose();
  });

  test('momentum null keeps a cumulative average; resetRunningStats restarts it', () => {
    const bn = new BatchNorm({ channels: 1, momentum: null });
    for (const value of [2, 4, 9]) {
      const x = tf.fill([4, 1], value);
      bn.apply(x, { training: true }).dispose();
      x.dispose();
    }
    expectTensorsClose(bn.variable('runningMean'), [5], 1e-5);
    expectTensorsClose(bn.variable('runningVar'), [0], 1e-6);
    bn.resetRunningStats();
    expectTensorsClose(bn.variable('runningMean'), [0], 0);
    expectTensorsClose(bn.variable('runningVar'), [1], 0);
    expect(bn.batchesTracked).toBe(0);
    bn.dispose();
  });

  test('running statistics are buffers, not parameters', () => {
    const bn = new BatchNorm({ channels: 3 });
    expect([...bn.namedParameters().keys()]).toEqual(['gamma', 'beta']);
    expect([...bn.namedBuffers().keys()]).toEqual(['runningMean', 'runningVar']);
    expect(bn.variable('runningMean').trainable).toBe(false);
    bn.dispose();
  });

  test('gradients flow through the batch statistics', () => {
    const bn = new BatchNorm({ channels: 2 });
    const x = randomInput([4, 2]);
    // Σ of a batch-normalised output is β·n regardless of x, so its gradient w.r.t. x is ~0.
    const dx = tf.grad((input: tf.Tensor) => tf.sum(bn.apply(input, { training: true, updateStats: false })))(
      x,
    );
    expect(tf.max(tf.abs(dx)).dataSync()[0]).toBeLessThan(1e-4);
    tf.dispose([x, dx]);
    bn.dispose();
  });
});

describe('Activation', () => {
  test.each<[string, number[]]>([
    ['relu', [0, 0, 0, 1, 7]],
    ['relu6', [0, 0, 0, 1, 6]],
    ['hardSwish', [0, -1 / 3, 0, 4 / 6, 7]],
    ['sigmoid', [-4, -1, 0, 1, 7].map((v) => 1 / (1 + Math.exp(-v)))],
    ['identity', [-4, -1, 0, 1, 7]],
  ])('%s', (kind, expected) => {
    const act = new Activation(kind as never);
    const x = tf.tensor1d([-4, -1, 0, 1, 7]);
    const y = act.apply(x);
    expectTensorsClose(y, expected, 1e-6);
    expect(y).not.toBe(x);
    tf.dispose([x, y]);
  });

  test('rejects an unknown kind, listing the known ones', () => {
    expect(() => new Activation('gelu' as never)).toThrow(
      '@automl-ts/core/Activation: kind must be one of relu, relu6, hardSwish, sigmoid, identity; got "gelu"',
    );
  });
});

describe('Dropout', () => {
  test('is seeded, scales kept units, and is the identity at inference', () => {
    const x = tf.ones([4, 50]);
    const a = new Dropout({ rate: 0.5, seed: 11 });
    const b = new Dropout({ rate: 0.5, seed: 11 });
    const ya = a.apply(x, { training: true });
    const yb = b.apply(x, { training: true });
    expectTensorsClose(ya, yb, 0);
    const values = [...ya.dataSync()];
    expect(new Set(values)).toEqual(new Set([0, 2]));
    const second = a.apply(x, { training: true });
    expect([...second.dataSync()]).not.toEqual(values);
    expectTensorsClose(a.apply(x), x, 0);
    tf.dispose([x, ya, yb, second]);
  });
});

describe('ZeroPadShortcut', () => {
  test('subsamples every other cell and pads zero channels, with a gradient', () => {
    const shortcut = new ZeroPadShortcut({ strides: 2, padBefore: 1, padAfter: 1 });
    const x = tf.range(0, 16).reshape([1, 4, 4, 1]);
    const y = shortcut.apply(x);
    expect(y.shape).toEqual([1, 2, 2, 3]);
    expectTensorsClose(tf.reshape(y, [4, 3]), [
      [0, 0, 0],
      [0, 2, 0],
      [0, 8, 0],
      [0, 10, 0],
    ]);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(shortcut.apply(input)))(x);
    expect([...dx.dataSync()].reduce((s, v) => s + v, 0)).toBe(4);
    tf.dispose([x, y, dx]);
  });
});
