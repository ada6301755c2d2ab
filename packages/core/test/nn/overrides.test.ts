import {
  Activation,
  BatchNorm,
  Concat,
  Conv2d,
  cloneModule,
  Dense,
  Flatten,
  GlobalAvgPool,
  initBackend,
  type Module,
  Residual,
  Sequential,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { expectTensorsClose, randomInput } from './expect-close.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const convBn = (inC: number, outC: number, seed: number): Sequential =>
  new Sequential([
    ['conv', new Conv2d({ inChannels: inC, outChannels: outC, kernelSize: 3, useBias: false, seed })],
    ['bn', new BatchNorm({ channels: outC })],
    ['relu', new Activation('relu')],
  ]);

const cases: Array<[string, () => Module, number[], boolean]> = [
  [
    'Conv2d',
    () => new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, seed: 1 }),
    [2, 5, 5, 3],
    false,
  ],
  [
    'Conv2d depthwise',
    () => new Conv2d({ inChannels: 3, outChannels: 6, kernelSize: 3, groups: 3, seed: 1 }),
    [2, 5, 5, 3],
    false,
  ],
  [
    'Conv2d grouped',
    () => new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, groups: 2, seed: 1 }),
    [2, 5, 5, 4],
    false,
  ],
  ['Dense', () => new Dense({ inUnits: 6, outUnits: 3, seed: 1 }), [4, 6], false],
  ['BatchNorm training', () => new BatchNorm({ channels: 3 }), [4, 2, 2, 3], true],
  ['BatchNorm inference', () => new BatchNorm({ channels: 3 }), [4, 3], false],
  [
    'Residual + Concat tree',
    () =>
      new Sequential([
        ['stem', convBn(3, 4, 1)],
        [
          'block',
          new Residual({
            body: [
              ['conv1', new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, seed: 2 })],
              ['bn1', new BatchNorm({ channels: 4 })],
            ],
            postActivation: 'relu',
          }),
        ],
        [
          'mix',
          new Concat([
            ['a', convBn(4, 2, 3)],
            ['b', convBn(4, 3, 4)],
          ]),
        ],
        ['pool', new GlobalAvgPool()],
        ['fc', new Dense({ inUnits: 5, outUnits: 2, seed: 5 })],
      ]),
    [2, 6, 6, 3],
    true,
  ],
  [
    'Flatten + Dense',
    () =>
      new Sequential([
        ['conv', convBn(2, 3, 7)],
        ['flat', new Flatten()],
        ['fc', new Dense({ inUnits: 27, outUnits: 2, seed: 8 })],
      ]),
    [2, 3, 3, 2],
    true,
  ],
];

test.each(cases)(
  '%s: overrides equal a copy holding those weights, leave variables alone, and carry gradients',
  (_name, make, inShape, training) => {
    const module = make();
    const x = randomInput(inShape, 3);
    const variables = module.namedVariables();
    const before = new Map([...variables].map(([name, v]) => [name, v.arraySync()]));
    const names = [...module.namedParameters().keys()];
    const overrides = names.map((name, i) =>
      tf.tidy(() =>
        tf.add(
          variables.get(name) as tf.Variable,
          tf.randomNormal(variables.get(name)?.shape ?? [], 0, 0.1, 'float32', 100 + i),
        ),
      ),
    );
    const params = Object.fromEntries(names.map((name, i) => [name, overrides[i] as tf.Tensor]));

    const copy = cloneModule(module);
    const copyParams = copy.namedParameters();
    for (const name of names) (copyParams.get(name) as tf.Variable).assign(params[name] as tf.Tensor);
    const options = { training, updateStats: false } as const;

    const withOverrides = module.apply(x, { ...options, params });
    const withCopy = copy.apply(x, options);
    expectTensorsClose(withOverrides, withCopy, 1e-4);
    for (const [name, value] of before) expect(variables.get(name)?.arraySync()).toEqual(value);

    // Gradients w.r.t. the override tensors equal gradients w.r.t. the copy's variables (MAML fast weights).
    const loss = (y: tf.Tensor) => tf.sum(tf.square(y));
    const overrideGrads = tf.grads((...ts: tf.Tensor[]) =>
      loss(
        module.apply(x, {
          ...options,
          params: Object.fromEntries(names.map((n, i) => [n, ts[i] as tf.Tensor])),
        }),
      ),
    )(overrides);
    const { grads: variableGrads } = tf.variableGrads(
      () => loss(copy.apply(x, options)) as tf.Scalar,
      [...copyParams.values()],
    );
    names.forEach((name, i) => {
      const expected = variableGrads[(copyParams.get(name) as tf.Variable).name] as tf.Tensor;
      expectTensorsClose(overrideGrads[i] as tf.Tensor, expected, 1e-3);
    });
    expect(overrideGrads.some((g) => (tf.max(tf.abs(g)).dataSync()[0] as number) > 0)).toBe(true);

    tf.dispose([x, withOverrides, withCopy, ...overrides, ...overrideGrads, ...Object.values(variableGrads)]);
    module.dispose();
    copy.dispose();
  },
);

test('an override with the wrong shape is rejected with both shapes', () => {
  const conv = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3 });
  const x = tf.zeros([1, 3, 3, 2]);
  const wrong = tf.zeros([3, 3, 2, 4]);
  expect(() => conv.apply(x, { params: { kernel: wrong } })).toThrow(
    /has shape \[3,3,2,4\], expected \[3,3,2,3\]/,
  );
  tf.dispose([x, wrong]);
  conv.dispose();
});

test('training with overrides does not update running statistics by default', () => {
  const bn = new BatchNorm({ channels: 2 });
  const x = randomInput([4, 2]);
  const gamma = tf.ones([2]);
  bn.apply(x, { training: true, params: { gamma } }).dispose();
  expect(bn.batchesTracked).toBe(0);
  expectTensorsClose(bn.variable('runningMean'), [0, 0], 0);
  tf.dispose([x, gamma]);
  bn.dispose();
});
