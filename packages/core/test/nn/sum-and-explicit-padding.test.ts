// Sum (N-branch add) and AvgPool2d with explicit padding: forward against references, trace →
// NetworkGraph → profile, config round trip, export with toLayersModel (stock Add /
// ZeroPadding2D + AveragePooling2D), and gradients on cpu and wasm.

import {
  Activation,
  AvgPool2d,
  BatchNorm,
  Conv2d,
  createRng,
  initBackend,
  MaxPool2d,
  moduleFromConfig,
  NetworkGraph,
  profileModel,
  Sequential,
  Sum,
  serializeModule,
  toLayersModel,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { computeOn, expectTensorsClose, randomValues } from '../helpers/tensors.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  await initBackend({ prefer: 'cpu' });
});

function threeBranchSum(seed: number): Sum {
  const rng = createRng(seed);
  return new Sum([
    [
      'conv3x3',
      new Sequential([
        [
          'conv',
          new Conv2d({
            inChannels: 4,
            outChannels: 6,
            kernelSize: 3,
            strides: 2,
            padding: [
              [1, 1],
              [1, 1],
            ],
            useBias: false,
            seed: rng,
          }),
        ],
        ['bn', new BatchNorm({ channels: 6 })],
      ]),
    ],
    [
      'conv1x1',
      new Sequential([
        [
          'conv',
          new Conv2d({
            inChannels: 4,
            outChannels: 6,
            kernelSize: 1,
            strides: 2,
            padding: 'valid',
            seed: rng,
          }),
        ],
        ['bn', new BatchNorm({ channels: 6 })],
      ]),
    ],
    [
      'avg',
      new Sequential([
        ['conv', new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 1, useBias: false, seed: rng })],
        [
          'pool',
          new AvgPool2d({
            poolSize: 3,
            strides: 2,
            padding: [
              [1, 1],
              [1, 1],
            ],
          }),
        ],
      ]),
    ],
  ]);
}

describe('Sum', () => {
  test('adds every branch output', () => {
    const sum = threeBranchSum(1);
    const x = tf.tensor4d(randomValues(createRng(2), 2 * 7 * 7 * 4), [2, 7, 7, 4]);
    const expected = tf.addN(sum.branches().map(([, branch]) => branch.apply(x)));
    expectTensorsClose(sum.apply(x), expected, 1e-6);
    sum.dispose();
  });

  test('a single branch is the branch', () => {
    const conv = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, seed: 3 });
    const sum = new Sum([['only', conv]]);
    const x = tf.ones([1, 5, 5, 2]);
    expectTensorsClose(sum.apply(x), conv.apply(x), 1e-7);
    expect(
      NetworkGraph.fromModule(sum, [5, 5, 2])
        .layers()
        .map((n) => n.op),
    ).toEqual(['input', 'conv2d']);
  });

  test('bad construction and mismatched branch shapes throw naming the branch', () => {
    expect(() => new Sum([])).toThrow('@automl-ts/core/Sum: needs at least one branch');
    const sum = new Sum([
      ['a', new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 1 })],
      ['b', new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 1 })],
    ]);
    expect(() => sum.apply(tf.ones([1, 3, 3, 2]))).toThrow(
      /branch "b" output \[1,3,3,4\] differs from branch "a"/,
    );
  });

  test('graph: one add node with every branch as input; profile equals the exported model', () => {
    const sum = threeBranchSum(4);
    const net = new Sequential([
      ['block', sum],
      ['relu', new Activation('relu')],
    ]);
    const graph = NetworkGraph.fromModule(net, [8, 8, 4]);
    const add = graph.layers().find((n) => n.op === 'add');
    expect(add?.inputs).toEqual(['block.conv3x3.bn', 'block.conv1x1.bn', 'block.avg.pool#1']);
    const exported = toLayersModel(net, { inputShape: [8, 8, 4] });
    const fromModule = profileModel(net, { inputShape: [8, 8, 4] });
    const fromExport = profileModel(exported);
    expect(fromExport.macs).toBe(fromModule.macs);
    expect(fromExport.params).toBe(fromModule.params);
    expect(exported.layers.map((l) => l.getClassName())).toContain('Add');
    const x = tf.tensor4d(randomValues(createRng(5), 3 * 8 * 8 * 4), [3, 8, 8, 4]);
    expectTensorsClose(exported.predict(x) as tf.Tensor, net.apply(x), 1e-5);
    exported.dispose();
    net.dispose();
  });

  test('config round trip keeps structure and names', () => {
    const sum = threeBranchSum(6);
    const twin = moduleFromConfig(JSON.parse(JSON.stringify(serializeModule(sum))));
    expect([...twin.namedVariables().keys()]).toEqual([...sum.namedVariables().keys()]);
    const copy = sum.clone();
    const x = tf.ones([1, 6, 6, 4]);
    expectTensorsClose(copy.apply(x), sum.apply(x), 1e-7);
  });
});

describe('AvgPool2d with explicit padding', () => {
  test.each([
    [3, 1, 1, [7, 6]],
    [3, 2, 1, [7, 8]],
    [5, 2, 2, [9, 9]],
    [2, 1, 0, [4, 5]],
  ] as const)(
    '%i×k stride %i pad %i equals a depthwise conv of 1/k² with zero padding',
    (k, stride, pad, [h, w]) => {
      const pool = new AvgPool2d({
        poolSize: k,
        strides: stride,
        padding: [
          [pad, pad],
          [pad, pad],
        ],
      });
      const x = tf.tensor4d(randomValues(createRng(k * 10 + stride), 2 * h * w * 3), [2, h, w, 3]);
      const kernel = tf.fill([k, k, 3, 1], 1 / (k * k)) as tf.Tensor4D;
      const padded = tf.pad(x, [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ]) as tf.Tensor4D;
      const expected = tf.depthwiseConv2d(padded, kernel, stride, 'valid');
      expectTensorsClose(pool.apply(x), expected, 1e-6);
    },
  );

  test('gradients on cpu and wasm equal those of the depthwise-conv form', async () => {
    const pool = new AvgPool2d({
      poolSize: 3,
      strides: 2,
      padding: [
        [1, 1],
        [1, 1],
      ],
    });
    const values = randomValues(createRng(9), 2 * 7 * 6 * 3);
    const weights = randomValues(createRng(10), 2 * 4 * 3 * 3);
    const compute = (): tf.Tensor[] => {
      const x = tf.tensor4d(values, [2, 7, 6, 3]);
      const w = tf.tensor4d(weights, [2, 4, 3, 3]);
      const viaPool = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool.apply(t), w)))(x);
      const kernel = tf.fill([3, 3, 3, 1], 1 / 9) as tf.Tensor4D;
      const viaConv = tf.grad((t: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.depthwiseConv2d(
              tf.pad(t, [
                [0, 0],
                [1, 1],
                [1, 1],
                [0, 0],
              ]) as tf.Tensor4D,
              kernel,
              2,
              'valid',
            ),
            w,
          ),
        ),
      )(x);
      return [viaPool, viaConv];
    };
    for (const backend of ['cpu', 'wasm']) {
      const [[viaPool, viaConv] = []] = await computeOn(backend, [compute]);
      expectTensorsClose(viaPool!, viaConv!, 1e-5);
    }
  });

  test('traced as pad + valid avgPool; exported as ZeroPadding2D + AveragePooling2D', () => {
    const net = new Sequential([
      ['conv', new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 1, seed: 1 })],
      [
        'pool',
        new AvgPool2d({
          poolSize: 3,
          strides: 2,
          padding: [
            [1, 1],
            [1, 1],
          ],
        }),
      ],
    ]);
    const graph = NetworkGraph.fromModule(net, [9, 9, 2]);
    expect(graph.layers().map((n) => n.op)).toEqual(['input', 'conv2d', 'pad', 'avgPool']);
    expect(graph.layers().at(-1)?.outputShape).toEqual([5, 5, 4]);
    const exported = toLayersModel(net, { inputShape: [9, 9, 2] });
    expect(exported.layers.map((l) => l.getClassName())).toEqual([
      'InputLayer',
      'Conv2D',
      'ZeroPadding2D',
      'AveragePooling2D',
    ]);
    const x = tf.tensor4d(randomValues(createRng(3), 9 * 9 * 2), [1, 9, 9, 2]);
    expectTensorsClose(exported.predict(x) as tf.Tensor, net.apply(x), 1e-6);
    expect(serializeModule(net.children().get('pool')!).config['padding']).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });

  test('bad padding throws; max pooling has no explicit padding', () => {
    expect(
      () =>
        new AvgPool2d({
          poolSize: 3,
          padding: [
            [1, -1],
            [1, 1],
          ] as never,
        }),
    ).toThrow(
      /@automl-ts\/core\/AvgPool2d: padding must be 'same', 'valid' or \[\[top, bottom\], \[left, right\]\]/,
    );
    expect(
      () =>
        new MaxPool2d({
          poolSize: 3,
          padding: [
            [1, 1],
            [1, 1],
          ],
        }),
    ).toThrow(/@automl-ts\/core\/MaxPool2d: padding must be 'same', 'valid', got/);
  });
});
