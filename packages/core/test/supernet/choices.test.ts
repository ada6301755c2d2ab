import {
  Activation,
  Conv2d,
  categorical,
  createCandidateOp,
  createRng,
  DynamicBatchNorm,
  DynamicConv2d,
  defineSearchSpace,
  ElasticDepth,
  initBackend,
  intRange,
  LayerChoice,
  listCandidateOps,
  registerCandidateOp,
  Sequential,
  Supernet,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { relativeError } from './helpers.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('candidate ops', () => {
  const builtIn = [
    'avg_pool3x3',
    'conv3x3',
    'conv5x5',
    'max_pool3x3',
    'mbconv3_e3',
    'mbconv3_e6',
    'mbconv5_e3',
    'mbconv5_e6',
    'sep_conv3x3',
    'sep_conv5x5',
    'skip',
    'zero',
  ];

  test('the registry lists the built-in ops', () => {
    for (const op of builtIn) expect(listCandidateOps()).toContain(op);
    expect(listCandidateOps('mbconv*')).toEqual(['mbconv3_e3', 'mbconv3_e6', 'mbconv5_e3', 'mbconv5_e6']);
  });

  test.each(
    builtIn.flatMap(
      (op) =>
        [
          [op, 4, 4, 1],
          [op, 4, 8, 2],
          [op, 3, 8, 1],
        ] as const,
    ),
  )(
    '%s from %i to %i channels, stride %i, has the right shape and no NaN',
    (op, inChannels, outChannels, stride) => {
      const module = createCandidateOp(op, { inChannels, outChannels, stride, seed: createRng(op) });
      const y = module.apply(tf.randomNormal([2, 6, 6, inChannels], 0, 1, 'float32', 1), { training: true });
      expect(y.shape).toEqual([2, 6 / stride, 6 / stride, outChannels]);
      expect(tf.any(tf.isNaN(y)).dataSync()[0]).toBe(0);
      if (op === 'zero') expect(tf.max(tf.abs(y)).dataSync()[0]).toBe(0);
      y.dispose();
      module.dispose();
    },
  );

  test('bad registrations throw', () => {
    expect(() =>
      registerCandidateOp('my.op', { description: '', create: () => new Activation('relu') }),
    ).toThrow(
      '@automl-ts/core/registerCandidateOp: op names may use letters, digits, "_" and "-" only, got "my.op"',
    );
    expect(() =>
      registerCandidateOp('conv3x3', { description: '', create: () => new Activation('relu') }),
    ).toThrow('@automl-ts/core/registerCandidateOp: candidate op "conv3x3" is already registered');
    expect(() =>
      createCandidateOp('zero', { inChannels: 8, outChannels: 4, stride: 1, seed: createRng(0) }),
    ).toThrow('op "zero" cannot narrow 8 channels to 4');
  });
});

describe('LayerChoice', () => {
  test('runs the chosen candidate; extraction copies it', () => {
    const choice = LayerChoice.fromOps({
      choice: 'op',
      ops: ['conv3x3', 'sep_conv3x3', 'skip'],
      inChannels: 4,
      outChannels: 4,
      seed: 1,
    });
    // Cheapest first by MACs: identity, separable, full 3×3.
    expect(choice.searchChoices()).toEqual([categorical('op', ['skip', 'sep_conv3x3', 'conv3x3'])]);
    const x = tf.randomNormal([1, 5, 5, 4], 0, 1, 'float32', 2);
    const direct = (choice.children().get('sep_conv3x3') as Sequential).apply(x);
    const viaChoice = choice.apply(x, { arch: { op: 'sep_conv3x3' } });
    expect(relativeError(viaChoice, direct)).toBe(0);
    const skip = choice.apply(x, { arch: { op: 'skip' } });
    expect(relativeError(skip, x)).toBe(0);
    expect(() => choice.apply(x, { arch: { op: 'conv5x5' } })).toThrow(
      '@automl-ts/core/LayerChoice.forward (root): choice "op" has value "conv5x5"; candidates: skip, sep_conv3x3, conv3x3',
    );
    expect(() => choice.apply(x, { arch: {} })).toThrow('the architecture has no choice "op"');
    tf.dispose([x, direct, viaChoice, skip]);
    choice.dispose();
  });
});

describe('ElasticDepth', () => {
  const block = (seed: number) =>
    new Sequential([
      ['conv', new Conv2d({ inChannels: 2, outChannels: 2, kernelSize: 3, seed })],
      ['relu', new Activation('relu')],
    ]);

  test('runs the first d blocks and extracts them as a Sequential with the same names', () => {
    const stage = new ElasticDepth({
      depth: 'depth',
      blocks: [
        ['block0', block(1)],
        ['block1', block(2)],
        ['block2', block(3)],
      ],
    });
    expect(stage.searchChoices()).toEqual([intRange('depth', { min: 1, max: 3 })]);
    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 4);
    const b0 = stage.children().get('block0') as Sequential;
    const b1 = stage.children().get('block1') as Sequential;
    const expected = tf.tidy(() => b1.apply(b0.apply(x)));
    const actual = stage.apply(x, { arch: { depth: 2 } });
    expect(relativeError(actual, expected)).toBe(0);
    expect(() => stage.apply(x, { arch: { depth: 4 } })).toThrow(
      '@automl-ts/core/ElasticDepth.forward (root): choice "depth" is 4; expected a depth from 1 to 3',
    );
    expect(() => new ElasticDepth({ depth: categorical('d', [1, 5]), blocks: [['b', block(1)]] })).toThrow(
      'depth choice "d" allows 5; depths must be integers in [1, 1]',
    );
    tf.dispose([x, expected, actual]);
    stage.dispose();
  });
});

describe('Supernet', () => {
  function custom(): Supernet {
    const width = categorical('width', [2, 4]);
    return new Supernet({
      inputShape: [6, 6, 3],
      layers: [
        [
          'stem',
          new Sequential([
            [
              'conv',
              new DynamicConv2d({
                maxInChannels: 3,
                maxOutChannels: 4,
                kernelSizes: [3, 5],
                kernelSize: categorical('stem.kernel', [3, 5]),
                outChannels: width,
                seed: 1,
              }),
            ],
            ['bn', new DynamicBatchNorm({ maxChannels: 4 })],
          ]),
        ],
        [
          'op',
          LayerChoice.fromOps({ choice: 'op', ops: ['skip', 'max_pool3x3'], inChannels: 4, outChannels: 4 }),
        ],
        [
          'head',
          new DynamicConv2d({
            maxInChannels: 4,
            maxOutChannels: 3,
            kernelSizes: [1],
            outChannels: 3,
            choices: [width],
          }),
        ],
      ],
    });
  }

  test('collects the choices its layers declare', () => {
    const net = custom();
    expect(net.searchSpace.names).toEqual(['stem.kernel', 'width', 'op']);
    expect(net.largestArchitecture()).toEqual({ 'stem.kernel': 5, width: 4, op: 'max_pool3x3' });
    expect(net.smallestArchitecture()).toEqual({ 'stem.kernel': 3, width: 2, op: 'skip' });
    net.dispose();
  });

  test('apply validates the architecture and names the bad choice', () => {
    const net = custom();
    const x = tf.zeros([1, 6, 6, 3]);
    expect(() => net.apply(x)).toThrow(
      '@automl-ts/core/Supernet.apply: needs an architecture: pass { arch } (e.g. supernet.sample(rng) or supernet.largestArchitecture()); choices: stem.kernel, width, op',
    );
    expect(() => net.apply(x, { arch: { 'stem.kernel': 3, width: 3, op: 'skip' } })).toThrow(
      '@automl-ts/core/Supernet.apply: invalid architecture: choice "width" has value 3; allowed: 2, 4',
    );
    expect(() => net.extract({ 'stem.kernel': 3, width: 2 })).toThrow(
      '@automl-ts/core/Supernet.extract: invalid architecture: choice "op" is missing; allowed: "skip", "max_pool3x3"',
    );
    x.dispose();
    net.dispose();
  });

  test('an explicit search space must contain the declared choices; conflicting declarations throw', () => {
    const conv = () =>
      new DynamicConv2d({
        maxInChannels: 3,
        maxOutChannels: 4,
        kernelSizes: [1],
        outChannels: categorical('w', [2, 4]),
      });
    expect(
      () =>
        new Supernet({
          inputShape: [4, 4, 3],
          layers: [['a', conv()]],
          searchSpace: defineSearchSpace([categorical('w', [2, 3])]),
        }),
    ).toThrow(
      '@automl-ts/core/Supernet: searchSpace must contain the choice the layers declare, {"kind":"categorical","name":"w","values":[2,4]}; it has {"kind":"categorical","name":"w","values":[2,3]}',
    );
    const other = new DynamicConv2d({
      maxInChannels: 4,
      maxOutChannels: 4,
      kernelSizes: [1],
      outChannels: categorical('w', [1, 4]),
    });
    expect(
      () =>
        new Supernet({
          inputShape: [4, 4, 3],
          layers: [
            ['a', conv()],
            ['b', other],
          ],
        }),
    ).toThrow(
      '@automl-ts/core/collectChoices: choice "w" is declared as {"kind":"categorical","name":"w","values":[2,4]} by DynamicConv2d "a" and as {"kind":"categorical","name":"w","values":[1,4]} by DynamicConv2d "b"',
    );
  });

  test('clone copies weights and search space', () => {
    const net = custom();
    const copy = net.clone();
    const arch = net.sample(createRng(1));
    const x = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 1);
    const a = net.apply(x, { arch });
    const b = copy.apply(x, { arch });
    expect(relativeError(b, a)).toBe(0);
    expect(copy.searchSpace.names).toEqual(net.searchSpace.names);
    tf.dispose([x, a, b]);
    net.dispose();
    copy.dispose();
  });
});
