import {
  architectureCost,
  architectureShapes,
  createMobileNetV2,
  createResNetCifar,
  createRng,
  createSupernet,
  createVggSmall,
  dependencyGroups,
  initBackend,
  layersModelToModule,
  type Module,
  NetworkGraph,
  profileModel,
  type Supernet,
  toChannelSupernet,
  widthsOf,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { randomizeState } from './helpers.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

// [name, model, input shape, random architectures to extract (VGG-Small's 4.7M weights are slow to copy)]
const MODELS: Array<[string, () => Module, number[], number]> = [
  [
    'ResNet-20 (shortcut B)',
    () => createResNetCifar({ depth: 20, width: 4, numClasses: 3, inputSize: 8 }),
    [8, 8, 3],
    6,
  ],
  [
    'MobileNetV2',
    () => createMobileNetV2({ widthMultiplier: 0.25, numClasses: 3, inputSize: 32 }),
    [32, 32, 3],
    4,
  ],
  ['VGG-Small', () => createVggSmall({ numClasses: 3, inputSize: 8 }), [8, 8, 3], 2],
];

describe.each(MODELS)('toChannelSupernet(%s)', (_name, make, inputShape, samples) => {
  let model: Module;
  let supernet: Supernet;
  beforeAll(() => {
    model = make();
    randomizeState(model, 5);
    supernet = toChannelSupernet(model, { inputShape });
  });

  test('one width choice per prunable dependency group, 10 % steps of its channels', () => {
    const groups = dependencyGroups(NetworkGraph.fromModule(model, inputShape));
    const byId = new Map(groups.map((g) => [g.id, g]));
    expect(supernet.searchSpace.names.length).toBeGreaterThan(0);
    for (const choice of supernet.searchSpace.choices) {
      const group = byId.get(choice.name);
      expect(group?.id, choice.name).toBe(choice.name);
      expect(choice.kind === 'categorical' && choice.values).toEqual(
        widthsOf(group?.channels ?? 0, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]),
      );
    }
  });

  test('the largest architecture computes what the model computes (channels reordered, function unchanged)', () => {
    const x = tf.randomNormal([2, ...inputShape], 0, 1, 'float32', 3);
    const expected = model.apply(x);
    const actual = supernet.apply(x, { arch: supernet.largestArchitecture() });
    expect(maxAbsDiff(expected, actual)).toBeLessThan(1e-4);
    tf.dispose([x, expected, actual]);
  });

  test('extract(arch) matches apply(arch), and the analytic cost matches profileModel, over random architectures', () => {
    const rng = createRng(11);
    const x = tf.randomNormal([2, ...inputShape], 0, 1, 'float32', 4);
    for (let i = 0; i < samples; i++) {
      const arch = i === 0 ? supernet.smallestArchitecture() : supernet.sample(rng);
      const subnet = supernet.extract(arch);
      const a = supernet.apply(x, { arch });
      const b = subnet.apply(x);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-4);
      const profile = profileModel(subnet, { inputShape });
      expect(architectureCost(supernet, arch)).toEqual({ macs: profile.macs, params: profile.params });
      const shapes = [...architectureShapes(supernet, arch).values()];
      expect(shapes[shapes.length - 1]).toEqual(a.shape.slice(1));
      tf.dispose([a, b]);
      subnet.dispose();
    }
    x.dispose();
  });

  test('the first k channels of a group are its most important (L1 of the producing filters)', () => {
    // A group with a single producing conv, so its L1 ranking is that conv's filter norms.
    const graph = NetworkGraph.fromModule(model, inputShape);
    const single = dependencyGroups(graph).find(
      (g) =>
        g.members.filter((m) => m.dimension === 'out' && graph.layer(m.layer).op === 'conv2d').length === 1,
    );
    const conv = [...supernet.modules()].find((m) => m.path === single?.id);
    expect(conv?.className).toBe('DynamicConv2d');
    const norms = tf.tidy(() => [
      ...tf.sum(tf.abs(conv?.variable('kernel') as tf.Variable), [0, 1, 2]).dataSync(),
    ]);
    for (let i = 1; i < norms.length; i++) expect(norms[i - 1]).toBeGreaterThanOrEqual(norms[i] as number);
  });
});

describe('toChannelSupernet: bad input', () => {
  test('a zero-padding shortcut (option A) is refused, naming the layer', () => {
    const model = createResNetCifar({ depth: 8, width: 4, numClasses: 3, inputSize: 8, shortcut: 'A' });
    expect(() => toChannelSupernet(model, { inputShape: [8, 8, 3] })).toThrow(
      /^@automl-ts\/core\/toChannelSupernet: layer "stage2\.block0\.shortcut" \(ZeroPadShortcut, pad\) cannot follow a varying channel count/,
    );
    model.dispose();
  });

  test('width ratios outside (0, 1] and a missing input shape are refused', () => {
    const model = createResNetCifar({ depth: 8, width: 4, numClasses: 3, inputSize: 8 });
    expect(() => toChannelSupernet(model, { inputShape: [8, 8, 3], widthRatios: [0.5, 1.5] })).toThrow(
      '@automl-ts/core/toChannelSupernet: widthRatios must be non-empty numbers in (0, 1], got [0.5,1.5]',
    );
    expect(() => toChannelSupernet(model, {} as never)).toThrow(/inputShape must be positive integers/);
    model.dispose();
  });

  test('no tensors are left behind by a conversion', () => {
    const model = createResNetCifar({ depth: 8, width: 4, numClasses: 3, inputSize: 8 });
    const before = tf.memory().numTensors;
    const supernet = toChannelSupernet(model, { inputShape: [8, 8, 3] });
    architectureCost(supernet, supernet.smallestArchitecture());
    supernet.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('architectureCost', () => {
  test('matches profileModel on resnet20-slim subnets', () => {
    const net = createSupernet('resnet20-slim', { inputSize: 8, stageChannels: [4, 8, 8], numClasses: 4 });
    const rng = createRng(2);
    for (let i = 0; i < 5; i++) {
      const arch = net.sample(rng);
      const subnet = net.extract(arch);
      const profile = profileModel(subnet, { inputShape: [8, 8, 3] });
      expect(architectureCost(net, arch)).toEqual({ macs: profile.macs, params: profile.params });
      subnet.dispose();
    }
    net.dispose();
  });

  test('refuses supernets with depth or layer choices, and invalid architectures', () => {
    const net = createSupernet('ofa-mobilenetv2', {
      inputSize: 8,
      stemChannels: 4,
      firstBlockChannels: 4,
      stages: [{ channels: 4, stride: 1 }],
      maxDepth: 2,
      lastChannels: 8,
      channelDivisor: 2,
      numClasses: 4,
    });
    expect(() => architectureCost(net, net.largestArchitecture())).toThrow(
      /^@automl-ts\/core\/architectureCost: ElasticDepth .* chooses which layers run/,
    );
    net.dispose();
    const slim = createSupernet('resnet20-slim', { inputSize: 8, stageChannels: [4, 8, 8], numClasses: 4 });
    expect(() => architectureCost(slim, { ...slim.largestArchitecture(), 'stage1.width': 5 })).toThrow(
      /stage1\.width/,
    );
    slim.dispose();
  });
});

describe('toChannelSupernet from a tf.LayersModel', () => {
  test('a Keras chain converts: same outputs at the largest architecture, extract matches apply', () => {
    const keras = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 3],
          filters: 8,
          kernelSize: 3,
          padding: 'same',
          useBias: false,
        }),
        tf.layers.batchNormalization(),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.conv2d({ filters: 6, kernelSize: 1, padding: 'same', activation: 'relu' }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 3 }),
      ],
    });
    const bn = keras.layers[1] as tf.layers.Layer;
    bn.setWeights(bn.getWeights().map((w, i) => tf.randomUniform(w.shape, 0.5, 1.5, 'float32', i)));
    const module = layersModelToModule(keras);
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 9);
    const expected = keras.predict(x) as tf.Tensor;
    const direct = module.apply(x);
    expect(maxAbsDiff(expected, direct)).toBeLessThan(1e-4);
    const supernet = toChannelSupernet(keras);
    expect(supernet.searchSpace.names.length).toBe(2);
    const full = supernet.apply(x, { arch: supernet.largestArchitecture() });
    expect(maxAbsDiff(expected, full)).toBeLessThan(1e-4);
    const arch = supernet.smallestArchitecture();
    const subnet = supernet.extract(arch);
    const a = supernet.apply(x, { arch });
    const b = subnet.apply(x);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    tf.dispose([x, expected, direct, full, a, b]);
    subnet.dispose();
    supernet.dispose();
    module.dispose();
    keras.dispose();
  });

  test('a Keras model with a branch is refused naming the layer', () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const a = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a' })
      .apply(input) as tf.SymbolicTensor;
    const b = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b' })
      .apply(a) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: sum });
    expect(() => toChannelSupernet(model)).toThrow(
      '@automl-ts/core/layersModelToModule: layer "sum" (Add): takes a + b; only chains of layers convert',
    );
    model.dispose();
  });
});
