import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Activation,
  type ActivationKind,
  type ApplyContext,
  type ArchValues,
  AvgPool2d,
  BatchNorm,
  Concat,
  Conv2d,
  createModel,
  createRng,
  Dense,
  Dropout,
  Flatten,
  GlobalAvgPool,
  initBackend,
  layerConverters,
  MaxPool2d,
  Module,
  Residual,
  registerFileSystemRouter,
  registerLayerConverter,
  Sequential,
  toLayersModel,
  Zero,
  ZeroPadShortcut,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomizeState, relativeError, SMALL_SUPERNETS } from '../supernet/helpers.js';
import { temporaryDirectory } from './fixtures.js';

let dir: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  registerFileSystemRouter();
  dir = await temporaryDirectory();
});
afterAll(async () => {
  await dir.remove();
});

/** The Keras class names a stock TF.js build registers for deserialisation (those we may emit). */
const BUILT_IN_CLASSES = new Set([
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'Dense',
  'BatchNormalization',
  'ReLU',
  'Activation',
  'Rescaling',
  'Multiply',
  'Add',
  'Concatenate',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Dropout',
  'ZeroPadding2D',
  'Permute',
]);

function randomBn(channels: number, seed: number): BatchNorm {
  const bn = new BatchNorm({ channels });
  tf.tidy(() => {
    bn.variable('gamma').assign(tf.randomUniform([channels], 0.5, 1.5, 'float32', seed));
    bn.variable('beta').assign(tf.randomNormal([channels], 0, 0.5, 'float32', seed + 1));
    bn.variable('runningMean').assign(tf.randomNormal([channels], 0, 0.5, 'float32', seed + 2));
    bn.variable('runningVar').assign(tf.randomUniform([channels], 0.5, 2, 'float32', seed + 3));
  });
  return bn;
}

/** Checks output equality and that the topology uses only stock classes; returns the model. */
function expectSameOutputs(module: Module, inputShape: number[], options: { arch?: ArchValues } = {}) {
  const model = toLayersModel(module, { inputShape, ...options });
  const x = tf.randomNormal([2, ...inputShape], 0, 1, 'float32', 42);
  const expected = module.apply(x, options.arch === undefined ? {} : { arch: options.arch });
  const actual = model.predict(x) as tf.Tensor;
  expect(actual.shape).toEqual(expected.shape);
  expect(relativeError(actual, expected)).toBeLessThan(1e-5);
  const classes = (
    model.toJSON(undefined, false) as { config: { layers: Array<{ class_name: string }> } }
  ).config.layers.map((l) => l.class_name);
  for (const name of classes) expect(BUILT_IN_CLASSES.has(name), name).toBe(true);
  tf.dispose([x, expected, actual]);
  return model;
}

describe('toLayersModel', () => {
  test.each<[string, () => Module, number[]]>([
    [
      'conv (explicit padding, dilation) → BN → relu6',
      () =>
        new Sequential([
          [
            'conv',
            new Conv2d({
              inChannels: 3,
              outChannels: 4,
              kernelSize: [3, 1],
              padding: [
                [2, 0],
                [0, 1],
              ],
              seed: 1,
            }),
          ],
          ['dilated', new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, dilation: 2, seed: 2 })],
          ['bn', randomBn(4, 3)],
          ['act', new Activation('relu6')],
        ]),
      [7, 7, 3],
    ],
    [
      'depthwise with multiplier 2, grouped conv (block-diagonal), stride 2',
      () =>
        new Sequential([
          [
            'dw',
            new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, groups: 4, strides: 2, seed: 4 }),
          ],
          [
            'grouped',
            new Conv2d({ inChannels: 8, outChannels: 6, kernelSize: 3, groups: 2, useBias: false, seed: 5 }),
          ],
        ]),
      [6, 6, 4],
    ],
    [
      'activations: hardSwish, sigmoid, identity, relu',
      () =>
        new Sequential(
          (['hardSwish', 'sigmoid', 'identity', 'relu'] as ActivationKind[]).map(
            (kind) => [kind, new Activation(kind)] as const,
          ),
        ),
      [4, 4, 2],
    ],
    [
      'residual with projection shortcut and post-activation, concat, pools',
      () =>
        new Sequential([
          [
            'block',
            new Residual({
              body: [
                ['conv1', new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, strides: 2, seed: 6 })],
                ['bn1', randomBn(4, 7)],
              ],
              shortcut: new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 1, strides: 2, seed: 8 }),
              postActivation: 'relu',
            }),
          ],
          [
            'branches',
            new Concat([
              ['max', new MaxPool2d({ poolSize: 3, strides: 1, padding: 'same' })],
              ['avg', new AvgPool2d({ poolSize: 3, strides: 1, padding: 'same' })],
              ['zero', new Zero()],
            ]),
          ],
          ['pool', new MaxPool2d({ poolSize: 2 })],
        ]),
      [8, 8, 3],
    ],
    [
      'option-A shortcut, global pooling, dropout, dense; flatten → dense',
      () =>
        new Sequential([
          [
            'block',
            new Residual({
              body: [
                ['conv', new Conv2d({ inChannels: 2, outChannels: 6, kernelSize: 3, strides: 2, seed: 9 })],
              ],
              shortcut: new ZeroPadShortcut({ strides: 2, padBefore: 1, padAfter: 3 }),
            }),
          ],
          ['gap', new GlobalAvgPool()],
          ['drop', new Dropout({ rate: 0.5 })],
          ['fc', new Dense({ inUnits: 6, outUnits: 3, seed: 10 })],
        ]),
      [6, 6, 2],
    ],
    [
      'flatten → dense',
      () =>
        new Sequential([
          ['flatten', new Flatten()],
          ['fc', new Dense({ inUnits: 3 * 3 * 2, outUnits: 4, seed: 11 })],
        ]),
      [3, 3, 2],
    ],
  ])('%s: same outputs, stock layer classes only', (_, build, inputShape) => {
    const module = build();
    const model = expectSameOutputs(module, inputShape);
    model.dispose();
    module.dispose();
  });

  test.each(Object.entries(SMALL_SUPERNETS))('%s: sub-networks export with the same outputs', (_, build) => {
    const supernet = build();
    randomizeState(supernet, 3);
    const rng = createRng(8);
    for (const arch of [supernet.largestArchitecture(), supernet.sample(rng), supernet.sample(rng)]) {
      const model = expectSameOutputs(supernet, [...supernet.inputShape], { arch });
      model.dispose();
    }
    supernet.dispose();
  });

  test('round trip: save(file://) → tf.loadLayersModel gives the same outputs', async () => {
    const supernet = SMALL_SUPERNETS['ofa-mobilenetv2']();
    randomizeState(supernet, 5);
    const arch = supernet.sample(createRng(2));
    const model = toLayersModel(supernet, { arch });
    const target = join(dir.path, 'ofa');
    await model.save(`file://${target}`);
    const json = JSON.parse(await readFile(join(target, 'model.json'), 'utf8')) as {
      modelTopology: { class_name: string };
    };
    expect(json.modelTopology.class_name).toBe('Model');
    const loaded = await tf.loadLayersModel(`file://${target}/model.json`);
    const x = tf.randomNormal([3, ...supernet.inputShape], 0, 1, 'float32', 4);
    const expected = supernet.apply(x, { arch });
    const actual = loaded.predict(x) as tf.Tensor;
    expect(relativeError(actual, expected)).toBeLessThan(1e-5);
    tf.dispose([x, expected, actual]);
    model.dispose();
    loaded.dispose();
    supernet.dispose();
  });

  test('names layers after the modules and does not leak tensors', () => {
    const module = new Sequential([
      ['conv', new Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, seed: 1 })],
      ['act', new Activation('hardSwish')],
    ]);
    const before = tf.memory().numTensors;
    const model = toLayersModel(module, { inputShape: [4, 4, 1] });
    expect(model.layers.map((l) => l.name)).toEqual([
      'input',
      'conv',
      'act_add3',
      'act_relu6',
      'act_div6',
      'act',
    ]);
    const weights = model.getWeights().length;
    expect(tf.memory().numTensors).toBe(before + weights);
    model.dispose();
    module.dispose();
  });

  test('unsupported modules and missing architectures are named', () => {
    class Scale extends Module {
      static override readonly className = 'Scale';
      forward(x: tf.Tensor, _ctx: ApplyContext): tf.Tensor {
        return tf.mul(x, 2);
      }
    }
    const module = new Sequential([['scale', new Scale()]]);
    expect(() => toLayersModel(module, { inputShape: [2] })).toThrow(
      /^@automl-ts\/core\/toLayersModel: no converter for Scale "scale"; register one with registerLayerConverter\('Scale', …\)/,
    );
    registerLayerConverter('Scale', (m, input, ctx) =>
      ctx.apply(m, (name) => tf.layers.rescaling({ name, scale: 2, offset: 0 }), input),
    );
    try {
      const model = expectSameOutputs(module, [2]);
      model.dispose();
    } finally {
      layerConverters.unregister('Scale');
    }
    const supernet = SMALL_SUPERNETS['conv4-cells']();
    expect(() => toLayersModel(supernet)).toThrow(
      '@automl-ts/core/toLayersModel: Supernet "root" has architecture-dependent parts; pass { arch } to export that sub-network',
    );
    expect(() => toLayersModel(module)).toThrow(
      'inputShape must be positive integers without the batch axis, got undefined',
    );
    supernet.dispose();
    module.dispose();
  });

  test('an inputShape the module was not built for names the package, function and layer (issue 19)', () => {
    // What a user did: conv4 is built for 3 channels, exported at 28×28×1.
    const conv4 = createModel('conv4', { numClasses: 5 });
    const before = tf.memory().numTensors;
    expect(() => toLayersModel(conv4, { inputShape: [28, 28, 1] })).toThrow(
      '@automl-ts/core/toLayersModel: Conv2d "block1.conv" does not fit inputShape [28,28,1]: its weight kernel has shape [3,3,3,64] but the TF.js layer "block1.conv" built for this input needs [3,3,1,64] (its input there has shape [28,28,1]); is inputShape the one the module was built for?',
    );
    expect(tf.memory().numTensors).toBe(before);
    conv4.dispose();
  });
});
