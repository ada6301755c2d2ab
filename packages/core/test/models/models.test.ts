import {
  createConv4,
  createMobileNetV1,
  createMobileNetV2,
  createModel,
  createResNetCifar,
  createVggSmall,
  Dense,
  Flatten,
  getModelDefinition,
  initBackend,
  listModels,
  type Module,
  makeDivisible,
  registerModel,
  Sequential,
  type TraceEvent,
  unregisterModel,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('parameter counts match the published models', () => {
  // References: He et al. 2016 Table 6 (0.27M, 0.85M; exact counts of option A as in the common
  // PyTorch port); Keras MobileNet (4,231,976 trainable; paper 4.2M, 0.5: 1.3M); torchvision
  // mobilenet_v2 (3,504,872; paper 3.4M); conv layers + BN + fc of VGG-Small and Conv-4 by hand.
  test.each<[string, () => Module, number]>([
    ['ResNet-20, shortcut A', () => createResNetCifar({ depth: 20, shortcut: 'A' }), 269_722],
    ['ResNet-20, shortcut B', () => createResNetCifar({ depth: 20, shortcut: 'B' }), 272_474],
    ['ResNet-56, shortcut A', () => createResNetCifar({ depth: 56, shortcut: 'A' }), 853_018],
    ['MobileNetV1 1.0-224', () => createMobileNetV1(), 4_231_976],
    ['MobileNetV1 0.5-224', () => createMobileNetV1({ widthMultiplier: 0.5 }), 1_331_592],
    ['MobileNetV2 1.0-224', () => createMobileNetV2(), 3_504_872],
    ['MobileNetV2 0.5-224', () => createMobileNetV2({ widthMultiplier: 0.5 }), 1_968_680],
    // 3·128·9 + 128·128·9 + 128·256·9 + 256·256·9 + 256·512·9 + 512·512·9 + BN 2·(2·128 + 2·256 + 2·512) + fc 8192·10 + 10
    ['VGG-Small CIFAR-10', () => createVggSmall(), 4_660_106],
    // (3·64·9 + 64) + 3·(64·64·9 + 64) + BN 4·128 + fc 1600·5 + 5
    ['Conv-4 MiniImageNet 5-way', () => createConv4(), 121_093],
  ])('%s', (_name, build, expected) => {
    const model = build();
    expect(model.countParameters()).toBe(expected);
    model.dispose();
  });

  test('makeDivisible rounds to the nearest multiple of 8, never below 90%', () => {
    expect([32 * 0.5, 24 * 0.35, 96 * 0.75, 1280 * 1.4].map((v) => makeDivisible(v))).toEqual([
      16, 8, 72, 1792,
    ]);
    expect(makeDivisible(12)).toBe(16);
    expect(makeDivisible(20)).toBe(24);
  });
});

class Recorder {
  readonly modules = new Set<Module>();
  record(event: TraceEvent): void {
    this.modules.add(event.module);
  }
}

describe('every registered model', () => {
  test.each(listModels())(
    '%s: forward + backward at its smallest input, right shape, no NaN, every layer traced',
    (name) => {
      const definition = getModelDefinition(name);
      const inputSize = Math.max(definition.minInputSize ?? definition.defaults.inputSize, 8);
      const inChannels = definition.defaults.inChannels;
      const model = createModel(name, { numClasses: 3, inputSize, seed: 1 });
      const x = tf.randomNormal([2, inputSize, inputSize, inChannels], 0, 1, 'float32', 2);
      const before = tf.memory().numTensors;
      const recorder = new Recorder();
      const parameters = [...model.namedParameters().values()];
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true, trace: recorder });
        expect(logits.shape).toEqual([2, 3]);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3), logits) as tf.Scalar;
      }, parameters);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      expect(Object.keys(grads)).toHaveLength(parameters.length);
      const hasNaN = (t: tf.Tensor): boolean => tf.tidy(() => tf.any(tf.isNaN(t)).dataSync()[0] === 1);
      for (const grad of Object.values(grads)) expect(hasNaN(grad)).toBe(false);
      const inference = model.apply(x);
      expect(inference.shape).toEqual([2, 3]);
      expect(hasNaN(inference)).toBe(false);
      tf.dispose([value, inference, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      const leaves = [...model.modules()].filter((m) => m.children().size === 0);
      for (const leaf of leaves) expect(recorder.modules.has(leaf), `${leaf.path} traced`).toBe(true);
      x.dispose();
      model.dispose();
    },
  );
});

describe('model names and options', () => {
  test.each<[string, Record<string, unknown>, string[]]>([
    [
      'resnet20',
      { inputSize: 8 },
      ['stem.conv.kernel', 'stage1.block0.conv1.kernel', 'stage2.block0.shortcut.conv.kernel', 'fc.bias'],
    ],
    [
      'mobilenetv2',
      { inputSize: 32 },
      [
        'stage1.block0.depthwise.conv.kernel',
        'stage2.block0.expand.conv.kernel',
        'stage7.block0.project.bn.beta',
        'head.conv.kernel',
      ],
    ],
    [
      'mobilenetv1',
      { inputSize: 32 },
      ['block0.depthwise.conv.kernel', 'block12.pointwise.bn.gamma', 'fc.kernel'],
    ],
    ['vgg-small', { inputSize: 8 }, ['stage1.conv1.kernel', 'stage3.bn2.gamma', 'fc.kernel']],
    ['conv4', { inputSize: 16 }, ['block1.conv.kernel', 'block1.conv.bias', 'block4.bn.gamma', 'fc.kernel']],
  ])('%s has hierarchical names', (name, options, expected) => {
    const model = createModel(name, options);
    const names = [...model.namedParameters().keys()];
    for (const n of expected) expect(names).toContain(n);
    model.dispose();
  });

  test('resnet20 with shortcut A has no shortcut parameters and zero-pads instead', () => {
    const model = createModel('resnet20', { shortcut: 'A', inputSize: 8 });
    expect([...model.namedParameters().keys()].some((n) => n.includes('shortcut'))).toBe(false);
    const block = [...model.modules()].find((m) => m.path === 'stage2.block0.shortcut');
    expect(block?.className).toBe('ZeroPadShortcut');
    model.dispose();
  });

  test('the same seed gives the same weights; another seed does not', () => {
    const a = createModel('conv4', { inputSize: 16, seed: 3 });
    const b = createModel('conv4', { inputSize: 16, seed: 3 });
    const c = createModel('conv4', { inputSize: 16, seed: 4 });
    const kernel = (m: Module) => m.namedParameters().get('block2.conv.kernel') as tf.Variable;
    expect(kernel(a).arraySync()).toEqual(kernel(b).arraySync());
    expect(kernel(a).arraySync()).not.toEqual(kernel(c).arraySync());
    for (const m of [a, b, c]) m.dispose();
  });

  test('errors name the bad value and what is allowed', () => {
    expect(() => createModel('resnet21')).toThrow(
      '@automl-ts/core/createModel: unknown model "resnet21"; registered: conv4, mobilenetv1, mobilenetv2, resnet20, resnet56, vgg-small',
    );
    // @ts-expect-error: the built-in names have typed options; the check also runs for untyped callers
    expect(() => createModel('resnet20', { depth: 32 })).toThrow(
      '@automl-ts/core/createModel: model "resnet20" has no option "depth"; options: shortcut, width, numClasses, inputSize, inChannels, seed',
    );
    expect(() => createResNetCifar({ depth: 21 })).toThrow(
      /depth must be 6n \+ 2 with n >= 1 \(20, 32, 44, 56, 110\), got 21/,
    );
    expect(() => createMobileNetV2({ inputSize: 16 })).toThrow(
      '@automl-ts/core/createMobileNetV2: inputSize must be an integer >= 32, got 16',
    );
    expect(() => createModel('conv4', { numClasses: 0 })).toThrow(
      /numClasses must be an integer >= 1, got 0/,
    );
  });

  test('listModels filters by glob or predicate', () => {
    expect(listModels('resnet*')).toEqual(['resnet20', 'resnet56']);
    expect(listModels((_name, d) => d.defaults.inputSize === 224)).toEqual(['mobilenetv1', 'mobilenetv2']);
  });

  test('registerModel adds a model; duplicates throw', () => {
    registerModel('linear-probe', {
      create: (o) =>
        new Sequential([
          ['flatten', new Flatten()],
          [
            'fc',
            new Dense({
              inUnits: o.inputSize * o.inputSize * o.inChannels,
              outUnits: o.numClasses,
              seed: o.seed,
            }),
          ],
        ]),
      description: 'a linear classifier on raw pixels',
      defaults: { numClasses: 2, inputSize: 4, inChannels: 1, seed: 0 },
    });
    try {
      expect(listModels()).toContain('linear-probe');
      const model = createModel('linear-probe', { numClasses: 5 });
      expect(model.countParameters()).toBe(16 * 5 + 5);
      model.dispose();
      expect(() => registerModel('resnet20', getModelDefinition('resnet20'))).toThrow(
        '@automl-ts/core/registerModel: model "resnet20" is already registered',
      );
    } finally {
      unregisterModel('linear-probe');
    }
    expect(listModels()).not.toContain('linear-probe');
  });
});
