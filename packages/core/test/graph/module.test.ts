import {
  type ApplyContext,
  AutomlError,
  Conv2d,
  createModel,
  createRng,
  createSupernet,
  Dense,
  dependencyGroups,
  GlobalAvgPool,
  initBackend,
  Module,
  maskChannels,
  NetworkGraph,
  prune,
  pruneByRatio,
  Sequential,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { relativeError } from './keras-fixtures.js';
import { randomizeModule, randomModuleNet, randomSelection } from './module-fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const totals = (graph: NetworkGraph) => ({
  macs: graph.layers().reduce((s, n) => s + n.macs, 0),
  params: graph.layers().reduce((s, n) => s + n.params, 0),
});

/** Pruned and masked outputs agree (relative error < 1e-5), and the pruned module is smaller. */
function expectPrunedEqualsMasked(
  model: Module,
  selection: Record<string, number[]>,
  inputShape: number[],
  seed = 1,
): Module {
  const pruned = prune(model, selection, { inputShape });
  const masked = maskChannels(model, selection, { inputShape });
  const x = tf.randomNormal([2, ...inputShape], 0, 1, 'float32', seed);
  const [a, b] = [pruned.apply(x), masked.apply(x)];
  expect(relativeError(a, b), JSON.stringify(selection)).toBeLessThan(1e-5);
  tf.dispose([x, a, b]);
  masked.dispose();
  return pruned;
}

describe('NetworkGraph.fromModule', () => {
  test.each<['A' | 'B', number, number, number]>([
    // shortcut, layers, multiply-adds, parameters (He et al. 2016: ResNet-20 ≈ 41M FLOPs, 0.27M params)
    ['A', 71, 40_551_040, 269_722],
    ['B', 73, 40_813_184, 272_474],
  ])('ResNet-20 option %s: %i nodes, %i multiply-adds, %i parameters', (shortcut, nodes, macs, params) => {
    const model = createModel('resnet20', { shortcut });
    const graph = NetworkGraph.fromModule(model, [32, 32, 3]);
    expect(graph.order).toBe(nodes);
    expect(totals(graph)).toEqual({ macs, params });
    expect(params).toBe(model.countParameters());
    expect(graph.layer('stage2.block0.conv1')).toMatchObject({
      op: 'conv2d',
      className: 'Conv2d',
      kernelSize: [3, 3],
      strides: [2, 2],
      groups: 1,
      inputShapes: [[32, 32, 16]],
      outputShape: [16, 16, 32],
      macs: 16 * 16 * 32 * 9 * 16,
    });
    expect(graph.layer('stage1.block0').inputs).toEqual(['stage1.block0.bn2', 'stem.act']);
    expect(graph.getAttribute('outputs')).toEqual(['fc']);
    model.dispose();
  });

  test('traceInputShape traces small and infers the real size symbolically', () => {
    const model = createModel('mobilenetv2', { widthMultiplier: 0.35, numClasses: 10 });
    const direct = NetworkGraph.fromModule(model, [64, 64, 3]);
    const inferred = NetworkGraph.fromModule(model, [64, 64, 3], { traceInputShape: [32, 32, 3] });
    expect(inferred.layers().map((n) => [n.name, n.outputShape, n.macs, n.params])).toEqual(
      direct.layers().map((n) => [n.name, n.outputShape, n.macs, n.params]),
    );
    model.dispose();
  });

  test.each<[string, number[]]>([
    ['resnet20-slim', [16, 16, 3]],
    ['ofa-mobilenetv2', [32, 32, 3]],
    ['conv4-cells', [28, 28, 1]],
  ])('supernet %s traced with an architecture costs what its extracted subnet costs', (name, inputShape) => {
    const net = createSupernet(name);
    const rng = createRng(name);
    for (const arch of [net.sample(rng), net.smallestArchitecture()]) {
      const graph = NetworkGraph.fromModule(net, inputShape, { arch });
      expect(graph.getAttribute('arch')).toEqual(arch);
      const subnet = net.extract(arch);
      expect(totals(graph)).toEqual(totals(NetworkGraph.fromModule(subnet, inputShape)));
      expect(totals(graph).params).toBe(subnet.countParameters());
      subnet.dispose();
    }
    net.dispose();
  });

  test.each<[string, number[]]>([
    ['resnet20-slim', [16, 16, 3]],
    ['conv4-cells', [28, 28, 1]],
  ])(
    'a supernet %s is pruned through the sub-network its arch picks (PruneOptions.arch)',
    (name, inputShape) => {
      const net = createSupernet(name);
      const arch = net.sample(createRng(`${name}/prune`));
      const before = tf.memory().numTensors;
      const half = pruneByRatio(net, { ratio: 0.5, inputShape, arch });
      // A plain module of that architecture, half as wide in every group.
      expect(
        [...half.modules()].some((m) => m.className.startsWith('Dynamic') || m.className === 'LayerChoice'),
      ).toBe(false);
      const subnet = net.extract(arch);
      expect(half.countParameters()).toBeLessThan(subnet.countParameters());
      // Pruning the supernet at arch is pruning its extracted sub-network.
      const reference = pruneByRatio(subnet, { ratio: 0.5, inputShape });
      const x = tf.randomNormal([2, ...inputShape], 0, 1, 'float32', 4);
      const [a, b] = [half.apply(x), reference.apply(x)];
      expect(relativeError(a, b)).toBeLessThan(1e-6);
      tf.dispose([x, a, b]);
      for (const m of [half, reference, subnet]) m.dispose();
      expect(tf.memory().numTensors).toBe(before);
      net.dispose();
    },
  );

  test('an op that does not report itself to the trace is named in the error', () => {
    class Scale extends Module {
      static override readonly className = 'Scale';
      readonly conv = this.addModule('conv', new Conv2d({ inChannels: 2, outChannels: 2, kernelSize: 1 }));
      forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
        return this.conv.forward(tf.mul(x, 2), ctx);
      }
    }
    const model = new Sequential([['scale', new Scale()]]);
    expect(() => NetworkGraph.fromModule(model, [4, 4, 2])).toThrow(
      /NetworkGraph.fromModule: layer "scale.conv" \(Conv2d, conv2d\): input 0 \(shape \[4,4,2\]\) was produced by no traced layer/,
    );
    expect(() => NetworkGraph.fromModule(model, [0, 4])).toThrow(
      /inputShape must be a non-empty array of positive integers/,
    );
    model.dispose();
  });
});

describe('dependencyGroups on Modules', () => {
  test('ResNet-20 option B: stage chains coupled through identity adds, one group per inner conv', () => {
    const model = createModel('resnet20', { shortcut: 'B' });
    const groups = dependencyGroups(NetworkGraph.fromModule(model, [16, 16, 3]));
    expect(groups.map((g) => [g.id, g.channels])).toEqual([
      ['stem.conv', 16],
      ['stage1.block0.conv1', 16],
      ['stage1.block1.conv1', 16],
      ['stage1.block2.conv1', 16],
      ['stage2.block0.conv1', 32],
      ['stage2.block0.conv2', 32],
      ['stage2.block1.conv1', 32],
      ['stage2.block2.conv1', 32],
      ['stage3.block0.conv1', 64],
      ['stage3.block0.conv2', 64],
      ['stage3.block1.conv1', 64],
      ['stage3.block2.conv1', 64],
    ]);
    const stage2 = groups.find((g) => g.id === 'stage2.block0.conv2');
    expect(stage2?.members.map((m) => `${m.layer}:${m.dimension}`)).toContain(
      'stage2.block0.shortcut.conv:out',
    );
    expect(stage2?.members.map((m) => `${m.layer}:${m.dimension}`)).toContain(
      'stage3.block0.shortcut.conv:in',
    );
    model.dispose();
  });

  test('ResNet-20 option A: zero-padded shortcut channels form their own groups; the identity part stays with stage 1', () => {
    const model = createModel('resnet20', { shortcut: 'A' });
    const groups = dependencyGroups(NetworkGraph.fromModule(model, [16, 16, 3]));
    const stem = groups.find((g) => g.id === 'stem.conv');
    const pad = stem?.members.find((m) => m.layer === 'stage2.block0.shortcut');
    expect(pad?.indices).toEqual(Array.from({ length: 16 }, (_, c) => [8 + c]));
    const zeros = groups.find((g) => g.id === 'stage2.block0.conv2');
    expect(zeros?.channels).toBe(16);
    expect(zeros?.members.find((m) => m.layer === 'stage2.block0.shortcut')?.indices.flat()).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 24, 25, 26, 27, 28, 29, 30, 31,
    ]);
    expect(groups.find((g) => g.id === 'stage3.block0.conv2')?.channels).toBe(32);
    model.dispose();
  });
});

describe('prune (Module)', () => {
  test.each<['A' | 'B']>([['A'], ['B']])(
    'ResNet-20 option %s: random keep-sets equal the masked original',
    (shortcut) => {
      const model = createModel('resnet20', { shortcut });
      randomizeModule(model, 7);
      const groups = dependencyGroups(NetworkGraph.fromModule(model, [16, 16, 3]));
      const selection = randomSelection(createRng(`resnet-${shortcut}`), groups, 1);
      const numTensors = tf.memory().numTensors;
      const pruned = expectPrunedEqualsMasked(model, selection, [16, 16, 3]);
      const graph = NetworkGraph.fromModule(pruned, [16, 16, 3]);
      expect(dependencyGroups(graph).map((g) => g.channels)).toEqual(
        groups.map((g) => selection[g.id]?.length),
      );
      expect(pruned.countParameters()).toBe(totals(graph).params);
      expect(pruned.countParameters()).toBeLessThan(model.countParameters());
      pruned.dispose();
      expect(tf.memory().numTensors).toBe(numTensors);
      model.dispose();
    },
  );

  test('MobileNetV2: inverted residuals with depthwise convs prune consistently', () => {
    const model = createModel('mobilenetv2', { widthMultiplier: 0.35, numClasses: 10, inputSize: 32 });
    randomizeModule(model, 11);
    const groups = dependencyGroups(NetworkGraph.fromModule(model, [32, 32, 3]));
    // Stem, each expand conv, each stage's residual chain (projections + adds) and the head.
    expect(
      groups
        .find((g) => g.id === 'stage2.block1.expand.conv')
        ?.members.map((m) => `${m.layer}:${m.dimension}`),
    ).toEqual([
      'stage2.block1.expand.conv:out',
      'stage2.block1.expand.bn:out',
      'stage2.block1.depthwise.conv:out',
      'stage2.block1.depthwise.conv:in',
      'stage2.block1.depthwise.bn:out',
      'stage2.block1.project.conv:in',
    ]);
    const selection = randomSelection(createRng('mobilenetv2'), groups, 1);
    const pruned = expectPrunedEqualsMasked(model, selection, [32, 32, 3]);
    expect(pruned.countParameters()).toBeLessThan(model.countParameters());
    pruned.dispose();
    model.dispose();
  });

  test('pruneByRatio halves every group of ResNet-20 and keeps the original intact', () => {
    const model = createModel('resnet20', { shortcut: 'B' });
    const before = model.countParameters();
    const kernel = model.namedParameters().get('stem.conv.kernel')?.dataSync().slice();
    const pruned = pruneByRatio(model, { ratio: 0.5, inputShape: [32, 32, 3] });
    const graph = NetworkGraph.fromModule(pruned, [32, 32, 3]);
    expect(graph.layer('stage3.block2.conv1').outChannels).toBe(32);
    expect(graph.layer('fc').inChannels).toBe(32);
    expect(model.countParameters()).toBe(before);
    expect(model.namedParameters().get('stem.conv.kernel')?.dataSync()).toEqual(kernel);
    expect(totals(graph).macs / totals(NetworkGraph.fromModule(model, [32, 32, 3])).macs).toBeCloseTo(
      0.25,
      1,
    );
    pruned.dispose();
    model.dispose();
  });

  test('property: random Module nets and keep-sets equal the masked original', () => {
    const rng = createRng('module-property');
    for (let trial = 0; trial < 30; trial++) {
      const model = randomModuleNet(rng);
      randomizeModule(model, trial * 31);
      const groups = dependencyGroups(NetworkGraph.fromModule(model, [8, 8, 3]));
      const selection = randomSelection(rng, groups);
      const pruned = expectPrunedEqualsMasked(model, selection, [8, 8, 3], trial);
      // Every group survives with its kept channels. (A depthwise conv narrowed to one channel
      // becomes a plain conv, whose outputs then form a new group of their own.)
      const prunedGroups = new Map(
        dependencyGroups(NetworkGraph.fromModule(pruned, [8, 8, 3])).map((g) => [g.id, g.channels]),
      );
      for (const group of groups) {
        expect(prunedGroups.get(group.id), group.id).toBe(selection[group.id]?.length ?? group.channels);
      }
      pruned.dispose();
      model.dispose();
    }
  });

  test.each<[string, () => [Module, Record<string, number[]>, { inputShape?: number[] }], RegExp]>([
    [
      'missing inputShape',
      () => [new Sequential([['fc', new Dense({ inUnits: 2, outUnits: 2 })]]), {}, {}],
      /prune: options.inputShape is required to trace a Module \(Sequential\)/,
    ],
    [
      'classifier',
      () => [
        new Sequential([
          ['a', new Dense({ inUnits: 2, outUnits: 3 })],
          ['fc', new Dense({ inUnits: 3, outUnits: 2 })],
        ]),
        { fc: [0] },
        { inputShape: [2] },
      ],
      /removes output channel 1 of layer "fc", which is not prunable/,
    ],
  ])('%s throws', (_name, make, message) => {
    const [model, selection, options] = make();
    expect(() => prune(model, selection, options)).toThrow(message);
    expect(() => prune(model, selection, options)).toThrow(AutomlError);
    model.dispose();
  });

  test('a layer whose per-channel variables cannot follow the pruning is named', () => {
    class ChannelScale extends Module {
      static override readonly className = 'ChannelScale';
      constructor() {
        super();
        this.addVariable('alpha', tf.ones([4]));
      }
      forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
        const y = tf.mul(x, this.param('alpha', ctx));
        ctx.trace?.record({
          module: this,
          op: 'activation',
          inputs: [x],
          output: y,
          attrs: { kind: 'linear' },
        });
        return y;
      }
      clone(): ChannelScale {
        return new ChannelScale();
      }
    }
    const model = new Sequential([
      ['conv', new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 1 })],
      ['scale', new ChannelScale()],
      ['pool', new GlobalAvgPool()],
      ['fc', new Dense({ inUnits: 4, outUnits: 2 })],
    ]);
    expect(() => prune(model, { conv: [0, 1] }, { inputShape: [2, 2, 2] })).toThrow(
      /prune: layer "scale" \(ChannelScale, activation\) owns variables \(scale.alpha\) that cannot follow pruned channels/,
    );
    model.dispose();
  });

  test('a custom composition module without cloneWith is named', () => {
    class Wrapper extends Module {
      static override readonly className = 'Wrapper';
      readonly inner = this.addModule('inner', new Dense({ inUnits: 2, outUnits: 4 }));
      forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
        return this.inner.forward(x, ctx);
      }
      clone(): Wrapper {
        return new Wrapper();
      }
    }
    const model = new Sequential([
      ['wrap', new Wrapper()],
      ['fc', new Dense({ inUnits: 4, outUnits: 2 })],
    ]);
    expect(() => prune(model, { 'wrap.inner': [0, 1] }, { inputShape: [2] })).toThrow(
      /prune: cannot rebuild "wrap.inner" \(Dense\): its parent "wrap" \(Wrapper\) has no cloneWith\(mapChild\)/,
    );
    model.dispose();
  });
});
