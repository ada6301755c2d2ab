// Every TypeScript example of docs/core.md (the sections before "Supernets") and the quick start of
// packages/core/README.md runs here as written. Each example is a region between
// `// #region guide` and `// #endregion guide`; the last test checks that the documents' code blocks
// and these regions are the same code (imports apart, which live at the top of this file), so the
// documentation cannot drift from the API. The assertions after each region check what the prose says.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Activation,
  Adam,
  type ApplyContext,
  AutomlError,
  BatchNorm,
  buildLatencyTable,
  type ChannelSelection,
  type ChildMapper,
  Conv2d,
  categorical,
  checkIndices,
  checkInput,
  checkInteger,
  cloneChild,
  cloneModule,
  convBnAct,
  copyVariable,
  cosineSchedule,
  createBlock,
  createModel,
  createRng,
  createSearchSpace,
  createSupernet,
  crossEntropy,
  Dense,
  defineSearchSpace,
  dependencyGroups,
  distillationLoss,
  emitTrace,
  type FitEvent,
  Flatten,
  fit,
  formatProfile,
  GlobalAvgPool,
  GraphConv,
  gatherAxis,
  getModelDefinition,
  graphTensors,
  initBackend,
  intRange,
  type LossFunction,
  listBlocks,
  listModels,
  listSearchSpaces,
  Module,
  maskChannels,
  measureLatency,
  moduleClasses,
  moduleFromConfig,
  NetworkGraph,
  NonFiniteLossError,
  predictLatency,
  profileModel,
  prune,
  pruneByRatio,
  pruningCriteria,
  Registry,
  Residual,
  realRange,
  recalibrateBatchNorm,
  registerBlock,
  registerLayerConverter,
  registerModel,
  restoreRng,
  Sequential,
  SGD,
  serializeModule,
  toLayersModel,
  trainStep,
  unregisterModel,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** Largest |a − b| / max(1, |b|) over all elements. */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(
    () => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.maximum(tf.abs(b), 1))).dataSync()[0] as number,
  );
}

/** Copies of every variable's values, to check that something left them alone. */
function snapshotVariables(module: Module): Map<string, number[]> {
  return new Map([...module.namedVariables()].map(([name, v]) => [name, [...v.dataSync()]]));
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('the contracts', () => {
  test('Module: hierarchical names, apply options, fast weights through params', () => {
    // #region guide
    const net = new Sequential([
      ['conv', new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, useBias: false, seed: 0 })],
      ['bn', new BatchNorm({ channels: 8 })],
      ['relu', new Activation('relu')],
      ['pool', new GlobalAvgPool()],
      ['fc', new Dense({ inUnits: 8, outUnits: 4, seed: 1 })],
    ]);
    const names = [...net.namedParameters().keys()]; // conv.kernel, bn.gamma, bn.beta, fc.kernel, fc.bias
    const buffers = [...net.namedBuffers().keys()]; // bn.runningMean, bn.runningVar: state, not trained

    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 0);
    const logits = net.apply(x); // [2, 4]; inference: batch norm uses its running statistics
    net.apply(x, { training: true }).dispose(); // batch statistics; the running statistics move

    // Fast weights (one MAML inner step): differentiate with respect to tensors passed as `params`,
    // take an SGD step, run the adapted weights. The variables of `net` never change.
    const asParams = (ws: tf.Tensor[]) => Object.fromEntries(names.map((n, i) => [n, ws[i] as tf.Tensor]));
    const loss = (...ws: tf.Tensor[]) =>
      tf.mean(tf.square(net.apply(x, { training: true, params: asParams(ws) })));
    const weights = [...net.namedParameters().values()];
    const grads = tf.grads(loss)(weights);
    const fast = asParams(weights.map((w, i) => tf.sub(w, tf.mul(grads[i] as tf.Tensor, 0.1))));
    const adapted = net.apply(x, { params: fast }); // differs from `logits`
    // #endregion guide

    expect(names).toEqual(['conv.kernel', 'bn.gamma', 'bn.beta', 'fc.kernel', 'fc.bias']);
    expect(buffers).toEqual(['bn.runningMean', 'bn.runningVar']);
    expect(logits.shape).toEqual([2, 4]);
    const runningMean = net.namedBuffers().get('bn.runningMean') as tf.Variable;
    expect(Math.max(...runningMean.dataSync().map(Math.abs))).toBeGreaterThan(0);

    // Training with params leaves the running statistics alone (updateStats defaults to false).
    const before = snapshotVariables(net);
    net.apply(x, { training: true, params: fast }).dispose();
    expect(snapshotVariables(net)).toEqual(before);
    expect(relativeError(adapted, logits)).toBeGreaterThan(1e-4);

    const badKernel = tf.zeros([4, 4]);
    const wrong = thrown(() => net.apply(x, { params: { 'fc.kernel': badKernel } }));
    expect(wrong.message).toBe(
      '@automl-ts/core/Dense.param (fc): override for "fc.kernel" has shape [4,4], expected [8,4]',
    );
    tf.dispose([x, logits, adapted, badKernel, ...grads, ...Object.values(fast)]);
    net.dispose();
  });

  test('a custom Module', () => {
    // #region guide
    /** y = x·γ with one learned scale per channel. */
    class ChannelScale extends Module {
      static override readonly className = 'ChannelScale'; // survives minification; names errors
      constructor(channels: number) {
        super();
        this.addVariable('gamma', tf.ones([channels])); // takes ownership of the initial tensor
      }
      override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
        return tf.mul(x, this.param('gamma', ctx)); // the variable, or ctx.params['<path>.gamma']
      }
    }
    const head = new Sequential([['scale', new ChannelScale(3)]]);
    head.namedParameters().keys(); // scale.gamma
    const y = head.apply(tf.ones([2, 3]), { params: { 'scale.gamma': tf.tensor1d([1, 2, 3]) } });
    // [[1, 2, 3], [1, 2, 3]]; the variable still holds ones
    // #endregion guide

    expect([...head.namedParameters().keys()]).toEqual(['scale.gamma']);
    expect(y.arraySync()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect([...(head.namedParameters().get('scale.gamma') as tf.Variable).dataSync()]).toEqual([1, 1, 1]);
    const scale = head.get('scale');
    expect(() => (scale as ChannelScale).param('beta', { params: undefined } as ApplyContext)).toThrow(
      '@automl-ts/core/ChannelScale.param (scale): no variable "beta"; this module owns: gamma',
    );
    y.dispose();
    head.dispose();
  });

  test('a first-class layer and composition module of a plugin', () => {
    // #region guide
    const SOURCE = '@my-org/scale/ChannelScale';

    /** y = x·γ on NHWC inputs, one learned scale per channel: a leaf layer. */
    class ChannelScale extends Module {
      static override readonly className = 'ChannelScale';
      readonly channels: number;
      constructor(options: { channels: number }, gamma?: tf.Tensor) {
        super();
        this.channels = checkInteger(SOURCE, 'channels', options?.channels); // an integer >= 1
        this.addVariable('gamma', gamma ?? tf.ones([this.channels])); // takes ownership of `gamma`
      }
      override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
        checkInput(`${SOURCE}.forward (${this.path})`, x, [4], this.channels, 'NHWC');
        const y = tf.mul(x, this.param('gamma', ctx));
        // To the graph a batch norm without centring: per channel, no MACs, `channels` parameters.
        emitTrace(ctx, this, 'batchNorm', [x], y, { channels: this.channels, center: false });
        return y;
      }
      getConfig() {
        return { channels: this.channels }; // serializeModule, moduleFromConfig
      }
      clone(): ChannelScale {
        return new ChannelScale({ channels: this.channels }, copyVariable(this, 'gamma')); // cloneModule
      }
      withChannels({ outputs }: ChannelSelection): ChannelScale {
        // prune: a per-channel layer keeps the channels its input keeps
        const all = Array.from({ length: this.channels }, (_, c) => c);
        const kept = checkIndices(`${SOURCE}.withChannels`, 'outputs', outputs ?? all, this.channels);
        return new ChannelScale({ channels: kept.length }, gatherAxis(this.variable('gamma'), kept, 0));
      }
    }

    /** y = a(x) + b(x): two branches summed (a RepVGG-style block before fusion), a composition module. */
    class TwoBranch extends Module {
      static override readonly className = 'TwoBranch';
      constructor(a: Module, b: Module) {
        super();
        this.addModule('a', a);
        this.addModule('b', b);
      }
      override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
        const [a, b] = [...this.children().values()] as [Module, Module];
        const [ya, yb] = [a.forward(x, ctx), b.forward(x, ctx)]; // children trace themselves
        const y = tf.add(ya, yb);
        emitTrace(ctx, this, 'add', [ya, yb], y); // the join, so that the graph has both edges
        return y;
      }
      cloneWith(mapChild: ChildMapper): TwoBranch {
        // cloneModule and prune replace descendants through cloneWith
        const [a, b] = [...this.children().values()] as [Module, Module];
        return new TwoBranch(cloneChild(a, mapChild), cloneChild(b, mapChild));
      }
      clone(): TwoBranch {
        return this.cloneWith(() => undefined);
      }
    }

    moduleClasses.register('ChannelScale', {
      fromConfig: (config) => new ChannelScale(config as { channels: number }),
    });
    // Export: a 1×1 depthwise conv computes x·γ with stock TF.js layers.
    registerLayerConverter('ChannelScale', (module, input, ctx) => {
      const scale = module as ChannelScale;
      const kernel = tf.reshape(scale.variable('gamma'), [1, 1, scale.channels, 1]);
      const make = (name: string) => tf.layers.depthwiseConv2d({ name, kernelSize: 1, useBias: false });
      return ctx.apply(scale, make, input, { weights: [kernel] });
    });
    registerLayerConverter('TwoBranch', (module, input, ctx) => {
      const branches = [...module.children().values()].map((branch) => ctx.convert(branch, input));
      return ctx.apply(module, (name) => tf.layers.add({ name }), branches);
    });

    const net = new Sequential([
      [
        'block',
        new TwoBranch(
          new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, seed: 0 }),
          new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 1, seed: 1 }),
        ),
      ],
      ['scale', new ChannelScale({ channels: 4 })],
      ['pool', new GlobalAvgPool()],
      ['fc', new Dense({ inUnits: 4, outUnits: 2, seed: 2 })],
    ]);
    const inputShape = [8, 8, 3];
    const graph = NetworkGraph.fromModule(net, inputShape);
    graph.layer('scale'); // { op: 'batchNorm', macs: 0, params: 4, … }
    profileModel(net, { inputShape }).params; // 3·3·3·4 + 4 + 3·4 + 4 + 4 + 4·2 + 2 = 142
    // One dependency group: both branches' filters (the add ties them), the scale, fc's inputs.
    const pruned = prune(net, { 'block.a': [0, 2] }, { inputShape }); // keeps 2 of the 4 channels
    const model = toLayersModel(pruned, { inputShape }); // conv2d, conv2d, add, depthwiseConv2d, …
    const twin = moduleFromConfig(serializeModule(new ChannelScale({ channels: 3 }))); // fresh weights
    // #endregion guide

    expect(graph.layer('scale')).toMatchObject({ op: 'batchNorm', macs: 0, params: 4 });
    expect(profileModel(net, { inputShape }).params).toBe(142);
    expect(net.countParameters()).toBe(142);
    const prunedScale = (pruned as Sequential).get('scale') as ChannelScale;
    expect(prunedScale).toBeInstanceOf(ChannelScale);
    expect(prunedScale.channels).toBe(2);
    expect(pruned.countParameters()).toBe(3 * 3 * 3 * 2 + 2 + 3 * 2 + 2 + 2 + 2 * 2 + 2);
    // Pruning equals zeroing the removed channels; the exported model computes the same.
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
    const masked = maskChannels(net, { 'block.a': [0, 2] }, { inputShape });
    const [a, b, c] = [pruned.apply(x), masked.apply(x), model.predict(x) as tf.Tensor];
    expect(relativeError(a, b)).toBeLessThan(1e-5);
    expect(relativeError(c, a)).toBeLessThan(1e-5);
    expect(model.layers.map((layer) => layer.getClassName())).toEqual([
      'InputLayer',
      'Conv2D',
      'Conv2D',
      'Add',
      'DepthwiseConv2D',
      'GlobalAveragePooling2D',
      'Dense',
    ]);
    expect(twin).toBeInstanceOf(ChannelScale);
    expect((twin as ChannelScale).channels).toBe(3);
    expect(() => checkInteger(SOURCE, 'channels', 2.5)).toThrow(
      '@my-org/scale/ChannelScale: channels must be an integer >= 1, got 2.5',
    );
    expect(() => net.apply(tf.zeros([1, 8, 8, 4]))).toThrow(/expected 3 channels/);
    tf.dispose([x, a, b, c]);
    for (const m of [net, pruned, masked, twin]) m.dispose();
    model.dispose();
  });
});

describe('backends and seeds', () => {
  test('initBackend, createRng, seed, fork, state and restore', async () => {
    // #region guide
    const backend = await initBackend({ prefer: 'cpu' }); // default 'auto': tensorflow → wasm → cpu
    backend.name; // 'cpu'

    const rng = createRng(42); // a number or a string
    const die = rng.int(1, 6); // both ends inclusive; also next, uniform, normal, choice, shuffle, sample
    const noise = tf.randomNormal([4, 4], 0, 1, 'float32', rng.seed()); // seeds a TF.js random op
    const augmentRng = rng.fork('augment'); // independent stream; drawing from it leaves `rng` alone

    const saved = rng.state(); // plain JSON, for checkpoints
    const next = rng.next();
    const resumed = restoreRng(saved); // resumed.next() === next

    // Layers take a seed or an rng; without one they use TF.js's global, unseeded generator.
    const a = new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, seed: 7 });
    const b = new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, seed: 7 }); // same kernel as a
    // #endregion guide

    expect(backend.name).toBe('cpu');
    expect(die).toBeGreaterThanOrEqual(1);
    expect(die).toBeLessThanOrEqual(6);
    expect(resumed.next()).toBe(next);
    expect(JSON.parse(JSON.stringify(saved))).toEqual(saved);

    // Same seed, same draws and tensors; the fork's draws do not move the parent.
    const twin = createRng(42);
    expect(twin.int(1, 6)).toBe(die);
    const twinNoise = tf.randomNormal([4, 4], 0, 1, 'float32', twin.seed());
    expect(relativeError(twinNoise, noise)).toBe(0);
    twin.fork('augment');
    for (let i = 0; i < 5; i++) augmentRng.next();
    expect(twin.next()).toBe(next);

    expect(relativeError(a.variable('kernel'), b.variable('kernel'))).toBe(0);
    expect(() => createRng(Number.NaN)).toThrow(
      '@automl-ts/core/createRng: seed must be a finite number or a string, got NaN',
    );
    tf.dispose([noise, twinNoise]);
    a.dispose();
    b.dispose();
  });
});

describe('layers and composition', () => {
  test('building, naming, serializing, copying and slicing layers', () => {
    // #region guide
    const rng = createRng(0);
    const conv3x3 = (inChannels: number, outChannels: number, strides = 1) =>
      new Conv2d({ inChannels, outChannels, kernelSize: 3, strides, useBias: false, seed: rng });
    const net = new Sequential([
      ['stem', convBnAct({ inChannels: 3, outChannels: 8, kernelSize: 3, activation: 'relu', rng })],
      [
        'block',
        new Residual({
          body: [
            ['conv1', conv3x3(8, 16, 2)],
            ['bn1', new BatchNorm({ channels: 16 })],
            ['relu1', new Activation('relu')],
            ['conv2', conv3x3(16, 16)],
            ['bn2', new BatchNorm({ channels: 16 })],
          ],
          shortcut: convBnAct({
            inChannels: 8,
            outChannels: 16,
            kernelSize: 1,
            strides: 2,
            activation: null,
            rng,
          }),
          postActivation: 'relu',
        }),
      ],
      ['pool', new GlobalAvgPool()],
      ['fc', new Dense({ inUnits: 16, outUnits: 10, seed: rng })],
    ]);
    const logits = net.apply(tf.zeros([2, 16, 16, 3])); // [2, 10]
    // names: stem.conv.kernel, block.conv1.kernel, block.shortcut.conv.kernel, …, fc.bias

    const json = JSON.stringify(serializeModule(net)); // structure only: { className, config }
    const twin = moduleFromConfig(JSON.parse(json)); // same structure and names, fresh weights
    const copy = cloneModule(net); // same structure and weights, new variables
    const narrow = conv3x3(8, 16).withChannels({ outputs: [0, 1, 2, 3] }); // a new 4-filter Conv2d
    // #endregion guide

    expect(logits.shape).toEqual([2, 10]);
    const names = [...net.namedParameters().keys()];
    expect(names).toContain('stem.conv.kernel');
    expect(names).toContain('block.conv1.kernel');
    expect(names).toContain('block.shortcut.conv.kernel');
    expect(names.at(-1)).toBe('fc.bias');
    expect([...twin.namedVariables().keys()]).toEqual([...net.namedVariables().keys()]);
    expect(copy).not.toBe(net);
    expect(snapshotVariables(copy)).toEqual(snapshotVariables(net));
    expect(narrow.outChannels).toBe(4);
    expect(thrown(() => net.apply(tf.zeros([1, 16, 16, 4]))).message).toBe(
      '@automl-ts/core/Conv2d.forward (stem.conv): expected 3 channels on the last axis, got shape [1,16,16,4] (NHWC)',
    );
    expect(() => new Conv2d({ inChannels: 6, outChannels: 8, kernelSize: 3, groups: 4 })).toThrow(
      '@automl-ts/core/Conv2d: groups 4 must divide inChannels 6 and outChannels 8',
    );
    logits.dispose();
    for (const module of [net, twin, copy, narrow]) module.dispose();
  });
});

describe('model builders and registries', () => {
  test('createModel, listModels, registerModel with a custom model', () => {
    // #region guide
    listModels(); // ['conv4', 'mobilenetv1', 'mobilenetv2', 'resnet20', 'resnet56', 'vgg-small']
    listModels('mobilenet*'); // ['mobilenetv1', 'mobilenetv2']
    getModelDefinition('resnet20').defaults;
    // { shortcut: 'B', width: 16, numClasses: 10, inputSize: 32, inChannels: 3, seed: 0 }
    const resnet = createModel('resnet20', { numClasses: 100 }); // overrides merge into the defaults

    registerModel('linear', {
      description: 'a linear classifier on the flattened pixels',
      defaults: { numClasses: 10, inputSize: 28, inChannels: 1, seed: 0 },
      create: ({ numClasses, inputSize, inChannels, seed }) =>
        new Sequential([
          ['flatten', new Flatten()],
          ['fc', new Dense({ inUnits: inputSize * inputSize * inChannels, outUnits: numClasses, seed })],
        ]),
    });
    const linear = createModel('linear', { numClasses: 3 }); // [n, 28, 28, 1] → [n, 3]
    // #endregion guide

    try {
      expect(listModels('mobilenet*')).toEqual(['mobilenetv1', 'mobilenetv2']);
      expect(listModels()).toEqual([
        'conv4',
        'linear',
        'mobilenetv1',
        'mobilenetv2',
        'resnet20',
        'resnet56',
        'vgg-small',
      ]);
      expect(getModelDefinition('resnet20').defaults).toEqual({
        shortcut: 'B',
        width: 16,
        numClasses: 10,
        inputSize: 32,
        inChannels: 3,
        seed: 0,
      });
      const x = tf.zeros([2, 28, 28, 1]);
      const y = linear.apply(x);
      expect(y.shape).toEqual([2, 3]);
      expect((resnet.children().get('fc') as Dense).outUnits).toBe(100);

      expect(() => createModel('resnet18')).toThrow(
        '@automl-ts/core/createModel: unknown model "resnet18"; registered: conv4, linear, mobilenetv1, mobilenetv2, resnet20, resnet56, vgg-small',
      );
      // @ts-expect-error: the built-in names have typed options; the check also runs for untyped callers
      expect(() => createModel('resnet20', { depth: 56 })).toThrow(
        '@automl-ts/core/createModel: model "resnet20" has no option "depth"; options: shortcut, width, numClasses, inputSize, inChannels, seed',
      );
      const again = thrown(() =>
        registerModel('linear', {
          description: '',
          defaults: getModelDefinition('linear').defaults,
          create: () => linear,
        }),
      );
      expect(again).toBeInstanceOf(AutomlError);
      expect(again.message).toBe('@automl-ts/core/registerModel: model "linear" is already registered');
      tf.dispose([x, y]);
    } finally {
      unregisterModel('linear');
      resnet.dispose();
      linear.dispose();
    }
  });

  test.each([
    ['resnet20', 272_474],
    ['resnet56', 855_770],
    ['mobilenetv1', 4_231_976],
    ['mobilenetv2', 3_504_872],
    ['vgg-small', 4_660_106],
    ['conv4', 121_093],
  ])('the table of built-in models: %s has %i parameters with its defaults', (name, parameters) => {
    const model = createModel(name);
    expect(model.countParameters()).toBe(parameters);
    model.dispose();
  });

  test('createBlock and createSearchSpace', () => {
    // #region guide
    listBlocks('*basic'); // ['resnet-basic', 'slimmable-basic']
    const block = createBlock('inverted-residual', { inChannels: 16, outChannels: 24, strides: 2, seed: 0 });
    const features = block.apply(tf.zeros([1, 32, 32, 16])); // [1, 16, 16, 24]

    listSearchSpaces(); // ['conv4-cells', 'mobilenetv2-slim', 'ofa-mobilenetv2', 'resnet20-slim', 'resnet56-slim', 'vgg-small-slim']
    const space = createSearchSpace('resnet20-slim', { widthRatios: [0.5, 1] });
    space.names.slice(0, 3); // ['stage1.width', 'stage1.block0.width', 'stage1.block1.width']
    const arch = space.sample(createRng(0)); // runs on createSupernet('resnet20-slim', { widthRatios: [0.5, 1] })
    // #endregion guide

    expect(listBlocks('*basic')).toEqual(['resnet-basic', 'slimmable-basic']);
    expect(features.shape).toEqual([1, 16, 16, 24]);
    expect(listSearchSpaces()).toEqual([
      'conv4-cells',
      'mobilenetv2-slim',
      'ofa-mobilenetv2',
      'resnet20-slim',
      'resnet56-slim',
      'vgg-small-slim',
    ]);
    expect(space.names.slice(0, 3)).toEqual(['stage1.width', 'stage1.block0.width', 'stage1.block1.width']);
    const supernet = createSupernet('resnet20-slim', { widthRatios: [0.5, 1] });
    const images = tf.zeros([1, 8, 8, 3]);
    const logits = supernet.apply(images, { arch });
    expect(logits.shape).toEqual([1, 10]);
    expect(() => createBlock('mbconv', {})).toThrow(
      '@automl-ts/core/createBlock: unknown block "mbconv"; registered: conv-bn-act, depthwise-separable, dynamic-mbconv, inverted-residual, resnet-basic, slimmable-basic',
    );
    expect(() =>
      registerBlock('resnet-basic', { description: '', create: () => new Activation('identity') }),
    ).toThrow('@automl-ts/core/registerBlock: block "resnet-basic" is already registered');
    tf.dispose([features, images, logits]);
    block.dispose();
    supernet.dispose();
  });

  test('a registry of your own', () => {
    // #region guide
    type Augmentation = { description: string; apply: (images: tf.Tensor4D) => tf.Tensor4D };
    const augmentations = new Registry<Augmentation>({ kind: 'augmentation' });
    augmentations.register('flip', { description: 'horizontal flip', apply: (x) => tf.reverse(x, 2) });
    augmentations.list('f*'); // ['flip']; list() takes a glob or a (name, entry) => boolean
    augmentations.get('flip').apply(tf.ones([1, 4, 4, 3])); // [1, 4, 4, 3]
    // #endregion guide

    expect(augmentations.list('f*')).toEqual(['flip']);
    expect(() => augmentations.get('crop')).toThrow(
      '@automl-ts/core/Registry.get: unknown augmentation "crop"; registered: flip',
    );
    expect(() => augmentations.register('flip', { description: '', apply: (x) => x })).toThrow(
      '@automl-ts/core/Registry.register: augmentation "flip" is already registered',
    );
  });
});

describe('search spaces', () => {
  test('define, sample, encode, decode, validate, mutate', () => {
    // #region guide
    const space = defineSearchSpace([
      intRange('depth', { min: 2, max: 4 }), // 2, 3, 4
      categorical('kernel', [3, 5, 7]),
      intRange('width', { min: 16, max: 64, step: 16 }), // 16, 32, 48, 64
      realRange('dropout', { min: 0, max: 0.5 }),
    ]);
    const rng = createRng(0);
    const arch = space.sample(rng); // { depth: 3, kernel: 3, width: 32, dropout: 0.3409… }
    space.encode(arch); // [1, 0, 1, 0.3409…]: value or step index; a real choice's value itself
    space.decode([1.4, 9, -3, 0.7]); // { depth: 3, kernel: 7, width: 16, dropout: 0.5 }: rounded, clamped
    space.contains({ depth: 3, kernel: 5, width: 48, dropout: 0 }); // true
    const child = space.mutate(arch, rng); // exactly one choice changed (default probability: 0)
    space.size(); // Infinity because of the real choice; exactSize() is a bigint or null
    // space.validate({ depth: 3, kernel: 4, width: 48, dropout: 0 }) throws
    // '@automl-ts/core/SearchSpace.validate: choice "kernel" has value 4; allowed: 3, 5, 7'
    // #endregion guide

    expect(arch).toMatchObject({ depth: 3, kernel: 3, width: 32 });
    expect(arch['dropout']).toBeCloseTo(0.341, 3);
    expect(space.encode(arch).slice(0, 3)).toEqual([1, 0, 1]);
    expect(space.decode([1.4, 9, -3, 0.7])).toEqual({ depth: 3, kernel: 7, width: 16, dropout: 0.5 });
    expect(space.contains({ depth: 3, kernel: 5, width: 48, dropout: 0 })).toBe(true);
    expect(space.names.filter((name) => child[name] !== arch[name])).toHaveLength(1);
    expect(space.size()).toBe(Number.POSITIVE_INFINITY);
    expect(space.exactSize()).toBeNull();
    expect(() => space.validate({ depth: 3, kernel: 4, width: 48, dropout: 0 })).toThrow(
      '@automl-ts/core/SearchSpace.validate: choice "kernel" has value 4; allowed: 3, 5, 7',
    );
    expect(() => space.validate({ depth: 3, kernel: 5, width: 48 })).toThrow(
      '@automl-ts/core/SearchSpace.validate: choice "dropout" is missing; allowed: real numbers in [0, 0.5]',
    );
    expect(() => intRange('width', { min: 16, max: 64, step: 20 })).toThrow(
      '@automl-ts/core/intRange: choice "width" cannot reach max 64 from min 16 in steps of 20',
    );
  });
});

describe('training', () => {
  test('fit with SGD, weight decay, a cosine schedule with warm-up, clipping and progress', async () => {
    // #region guide
    const model = createModel('conv4', { inputSize: 16, inChannels: 1, channels: 8, numClasses: 4 });
    const batches = [0, 1, 2].map((seed) => ({
      x: tf.randomNormal([8, 16, 16, 1], 0, 1, 'float32', seed),
      y: tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), // class indices, or one-hot [8, 4]
    }));
    const optimizer = new SGD(model.namedParameters(), {
      learningRate: 0.1, // the schedule below sets it before every step
      momentum: 0.9,
      nesterov: true,
      weightDecay: 5e-4,
    });
    optimizer.decays('block1.conv.kernel'); // true
    optimizer.decays('block1.conv.bias'); // false: biases, BN γ and β, any rank-1 vector

    const events: FitEvent[] = [];
    const history = await fit(model, optimizer, batches, {
      epochs: 4,
      schedule: cosineSchedule({ baseLearningRate: 0.1, totalSteps: 12, warmupSteps: 2 }),
      clipNorm: 5, // global L2 norm; step events report the norm before clipping
      labelSmoothing: 0.1,
      onProgress: (event) => events.push(event), // { type: 'step', … } and { type: 'epoch', … }
    });
    history.epochLosses; // 4 mean losses; history.losses holds all 12
    await recalibrateBatchNorm(model, batches); // re-estimate BN statistics for the final weights
    // #endregion guide

    expect(optimizer.decays('block1.conv.kernel')).toBe(true);
    expect(optimizer.decays('block1.conv.bias')).toBe(false);
    expect(optimizer.decays('block1.bn.gamma')).toBe(false);
    expect(history.losses).toHaveLength(12);
    expect(history.epochLosses).toHaveLength(4);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps).toHaveLength(12);
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(4);
    expect(steps.map((e) => e.learningRate).slice(0, 3)).toEqual([0.05, 0.1, 0.1]);
    expect(steps.at(-1)?.learningRate).toBeGreaterThan(0);
    expect(steps.every((e) => typeof e.gradNorm === 'number')).toBe(true);
    expect(optimizer.iterations).toBe(12);

    // A NaN loss stops fit with a NonFiniteLossError naming the step, epoch and batch.
    const bad = [...batches, { x: tf.fill([8, 16, 16, 1], Number.NaN), y: batches[0]?.y as tf.Tensor }];
    const before = snapshotVariables(model);
    const error = await fit(model, optimizer, bad).catch((e: unknown) => e as AutomlError);
    expect(error).toBeInstanceOf(AutomlError);
    expect((error as AutomlError).message).toBe(
      '@automl-ts/core/fit: loss is NaN at step 15 (epoch 0, batch 3); the update was not applied',
    );
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).step).toBe(15);
    expect(snapshotVariables(model)).not.toEqual(before); // the three good steps were applied
    tf.dispose(bad.flatMap((batch) => [batch.x, batch.y]));
    optimizer.dispose();
    model.dispose();
  });

  test('trainStep with a distillation loss, and the NaN guard', () => {
    // #region guide
    const shape = { inputSize: 16, inChannels: 1, numClasses: 4 };
    const teacher = createModel('conv4', { ...shape, channels: 16 });
    const student = createModel('conv4', { ...shape, channels: 4, seed: 1 });
    const x = tf.randomNormal([8, 16, 16, 1], 0, 1, 'float32', 0);
    const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
    const teacherLogits = teacher.apply(x); // a constant: no gradient reaches the teacher

    const optimizer = new Adam(student.namedParameters(), { learningRate: 1e-3 });
    const distill: LossFunction = (logits, labels) =>
      tf.add(crossEntropy(logits, labels), distillationLoss(logits, teacherLogits, { temperature: 4 }));
    const { loss, gradNorm } = trainStep(student, optimizer, { x, y }, { loss: distill, clipNorm: 1 });

    // A NaN or infinite loss throws NonFiniteLossError ({ step, loss }) before any update:
    let skipped: number | undefined;
    try {
      trainStep(student, optimizer, { x: tf.fill([8, 16, 16, 1], Number.NaN), y });
    } catch (error) {
      if (!(error instanceof NonFiniteLossError)) throw error;
      skipped = error.step; // 1, the optimizer's 0-based step index
    }
    // #endregion guide

    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    expect(gradNorm).toBeGreaterThan(0);
    expect(skipped).toBe(1);
    expect(optimizer.iterations).toBe(1);
    // Adam keeps its moments by parameter name: a checkpointable, named state.
    const state = optimizer.getState();
    expect(Object.keys(state.slots)).toEqual(['m', 'v']);
    expect(Object.keys(state.slots['m'] ?? {})).toContain('fc.kernel');
    tf.dispose(Object.values(state.slots).flatMap((slots) => Object.values(slots)));

    // The distillation term is zero for a student that matches the teacher, and T² scales it.
    const same = distillationLoss(teacherLogits, teacherLogits, { temperature: 4 });
    expect(Math.abs(same.dataSync()[0] as number)).toBeLessThan(1e-6);
    tf.dispose([x, y, teacherLogits, same]);
    optimizer.dispose();
    teacher.dispose();
    student.dispose();
  });
});

describe('network graph, dependency groups and pruning', () => {
  test('graph, groups, prune, maskChannels, pruneByRatio', () => {
    // #region guide
    const model = createModel('resnet20', { inputSize: 8, width: 4, numClasses: 3 });
    const inputShape = [8, 8, 3]; // without the batch axis
    const graph = NetworkGraph.fromModule(model, inputShape); // one traced forward pass
    graph.layer('stage2.block0.conv1'); // { op: 'conv2d', strides: [2, 2], outputShape: [4, 4, 8], … }
    graph.inNeighbors('stage2.block0.conv1'); // ['stage1.block2.postActivation']: graphology's API
    const groups = dependencyGroups(graph);
    groups.map((group) => group.id); // ['stem.conv', 'stage1.block0.conv1', …, 'stage3.block2.conv1']
    // 'stem.conv' is one group: the stem's channels and every residual add of stage 1.

    const selection = { 'stem.conv': [1, 2, 3], 'stage1.block0.conv1': [0, 2] }; // channels to KEEP
    const pruned = prune(model, selection, { inputShape }); // a new, smaller Sequential
    const masked = maskChannels(model, selection, { inputShape }); // same shapes, channels zeroed
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 0);
    const [a, b] = [pruned.apply(x), masked.apply(x)]; // equal up to float rounding
    // pruned has fewer parameters; `model` is untouched.

    const half = pruneByRatio(model, { ratio: 0.5, criterion: 'bn-scale', inputShape }); // ⌊c/2⌋ fewer
    // #endregion guide

    expect(graph.layer('stage2.block0.conv1')).toMatchObject({
      op: 'conv2d',
      strides: [2, 2],
      outputShape: [4, 4, 8],
      macs: 4 * 4 * 8 * 9 * 4,
      params: 9 * 4 * 8,
    });
    expect(graph.inNeighbors('stage2.block0.conv1')).toEqual(['stage1.block2.postActivation']);
    expect(groups.map((group) => group.id)).toEqual([
      'stem.conv',
      'stage1.block0.conv1',
      'stage1.block1.conv1',
      'stage1.block2.conv1',
      'stage2.block0.conv1',
      'stage2.block0.conv2',
      'stage2.block1.conv1',
      'stage2.block2.conv1',
      'stage3.block0.conv1',
      'stage3.block0.conv2',
      'stage3.block1.conv1',
      'stage3.block2.conv1',
    ]);
    const stem = groups[0];
    expect(stem?.members.map((m) => `${m.layer}/${m.dimension}`)).toContain('stage1.block2.bn2/out');

    expect(relativeError(a, b)).toBeLessThan(1e-5);
    expect(pruned.countParameters()).toBeLessThan(model.countParameters());
    expect(masked.countParameters()).toBe(model.countParameters());
    expect(model.countParameters()).toBe(17_415);
    expect((pruned as Sequential).get('stem').children().get('conv')).toMatchObject({ outChannels: 3 });
    expect(half.countParameters()).toBeLessThan(model.countParameters());

    expect(() => prune(model, { stage9: [0] }, { inputShape })).toThrow(
      /^@automl-ts\/core\/prune: selection key "stage9" is neither a dependency group nor a layer; groups: stem\.conv, stage1\.block0\.conv1, /,
    );
    expect(() => prune(model, { 'stage1.block0.conv1': [] }, { inputShape })).toThrow(
      '@automl-ts/core/prune: group "stage1.block0.conv1" would lose all of its 4 channels; keep at least one',
    );
    expect(() => prune(model, { fc: [0] }, { inputShape })).toThrow(
      '@automl-ts/core/prune: selection["fc"] removes output channel 1 of layer "fc", which is not prunable: it reaches a model input or output, a grouped conv or a softmax',
    );
    expect(() => prune(model, selection, {})).toThrow(
      '@automl-ts/core/prune: options.inputShape is required to trace a Module (Sequential)',
    );
    tf.dispose([x, a, b]);
    for (const module of [model, pruned, masked, half]) module.dispose();
  });

  test('a pruning criterion of your own, on a tf.LayersModel', () => {
    // #region guide
    const rng = createRng(0);
    pruningCriteria.list(); // ['bn-scale', 'group-l1', 'l1']
    pruningCriteria.register('random', {
      description: 'uniform random scores, a baseline',
      score: ({ group }) => Array.from({ length: group.channels }, () => rng.next()), // higher = kept
    });
    const mobilenet = createModel('mobilenetv1', { widthMultiplier: 0.25, inputSize: 32, numClasses: 10 });
    const keras = toLayersModel(mobilenet, { inputShape: [32, 32, 3] }); // a stock tf.LayersModel
    const smaller = pruneByRatio(keras, { ratio: 0.25, criterion: 'random' }); // a tf.LayersModel again
    // #endregion guide

    try {
      expect(pruningCriteria.list()).toEqual(['bn-scale', 'group-l1', 'l1', 'random']);
      expect(smaller.countParams()).toBeLessThan(keras.countParams());
      const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 1);
      const y = smaller.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([1, 10]);
      expect(() =>
        pruningCriteria.register('random', {
          description: '',
          score: ({ group }) => Array(group.channels).fill(0),
        }),
      ).toThrow('@automl-ts/core/pruningCriteria.register: pruning criterion "random" is already registered');
      expect(() => pruneByRatio(keras, { ratio: 0.25, criterion: 'taylor' })).toThrow(
        '@automl-ts/core/pruneByRatio: unknown pruning criterion "taylor"; registered: bn-scale, group-l1, l1, random',
      );
      expect(() => pruneByRatio(keras, { ratio: 1 })).toThrow(
        '@automl-ts/core/pruneByRatio: ratio must be a number in [0, 1), got 1',
      );
      tf.dispose([x, y]);
    } finally {
      pruningCriteria.unregister('random');
      keras.dispose();
      smaller.dispose();
      mobilenet.dispose();
    }
  });
});

describe('graph to tensors', () => {
  test('graphTensors and a GCN of GraphConv layers over a ResNet-20 graph', () => {
    // #region guide
    const graph = NetworkGraph.fromModule(createModel('resnet20'), [32, 32, 3]);
    const { nodes, features, adjacency } = graphTensors(graph); // 22 conv/dense + 9 add nodes
    const gcn = new Sequential([
      ['gc1', new GraphConv({ inFeatures: features.shape[1], outFeatures: 64, adjacency, seed: 0 })],
      ['relu', new Activation('relu')],
      ['gc2', new GraphConv({ inFeatures: 64, outFeatures: 32, adjacency, seed: 1 })],
    ]);
    const embeddings = gcn.apply(features); // [31, 32]: one embedding per node
    // #endregion guide

    expect(nodes).toHaveLength(31);
    expect(nodes.filter((n) => graph.layer(n).op === 'add')).toHaveLength(9);
    expect(embeddings.shape).toEqual([31, 32]);
    expect(adjacency.shape).toEqual([31, 31]);
    expect(Number.isFinite(embeddings.sum().dataSync()[0])).toBe(true);
    tf.dispose([features, adjacency, embeddings]);
    gcn.dispose();
  });
});

describe('profiling', () => {
  test('profileModel, measureLatency, latency tables', async () => {
    // #region guide
    const resnet20 = createModel('resnet20');
    const profile = profileModel(resnet20, { inputShape: [32, 32, 3] });
    profile.macs; // 40,813,184 multiply-adds (FLOPs ≈ 2 × macs): the 41M usually quoted for ResNet-20
    profile.params; // 272,474 trainable parameters, as resnet20.countParameters()
    const text = formatProfile(profile); // a table: layer, op, output, macs, params; then the totals

    const mobilenet = createModel('mobilenetv2'); // 224×224, traced at 32×32, shapes inferred
    profileModel(mobilenet, { inputShape: [224, 224, 3], traceInputShape: [32, 32, 3] }).macs; // 300.8M

    const latency = await measureLatency(resnet20, [32, 32, 3], { warmup: 2, runs: 10 });
    latency.median; // milliseconds per call on latency.backend; also p90, mean, min, max, samples
    const table = await buildLatencyTable(resnet20, { inputShape: [32, 32, 3], runs: 5 }); // JSON
    predictLatency(table, NetworkGraph.fromModule(resnet20, [32, 32, 3])).ms; // sum over the layers
    // #endregion guide

    expect(profile.macs).toBe(40_813_184);
    expect(profile.params).toBe(272_474);
    expect(profile.params).toBe(resnet20.countParameters());
    expect(text.split('\n')[0]).toMatch(/^layer\s+op\s+output\s+macs\s+params$/);
    expect(text.split('\n').at(-1)).toMatch(/^total\s+40,813,184\s+272,474$/);
    expect(profileModel(mobilenet, { inputShape: [224, 224, 3], traceInputShape: [32, 32, 3] }).macs).toBe(
      300_774_272,
    );
    expect(latency).toMatchObject({ runs: 10, backend: 'cpu' });
    expect(latency.samples).toHaveLength(10);
    expect(latency.median).toBeGreaterThan(0);
    expect(table).toMatchObject({ version: 1, backend: 'cpu', batchSize: 1, clock: 'wall' });
    expect(JSON.parse(JSON.stringify(table))).toEqual(table);
    const predicted = predictLatency(table, NetworkGraph.fromModule(resnet20, [32, 32, 3]));
    expect(predicted.ms).toBeGreaterThan(0);
    expect(predicted.layers.length).toBeGreaterThan(20);
    expect(() => predictLatency(table, NetworkGraph.fromModule(resnet20, [16, 16, 3]))).toThrow(
      /^@automl-ts\/core\/predictLatency: the table has no entry for \d+ configuration\(s\): conv2d:k3:s1:g1:in3:out16:hw16, /,
    );
    expect(() => profileModel(resnet20)).toThrow(
      '@automl-ts/core/profileModel: options.inputShape is required for a Module (Sequential)',
    );
    resnet20.dispose();
    mobilenet.dispose();
  });
});

describe('packages/core/README.md', () => {
  test('the quick start', async () => {
    const cwd = process.cwd();
    const dir = await mkdtemp(join(tmpdir(), 'automl-ts-quick-start-'));
    process.chdir(dir);
    try {
      // #region guide
      const backend = await initBackend(); // CUDA (tfjs-node-gpu) → wasm → cpu; see backend.name
      const model = createModel('resnet20', { numClasses: 10 }); // or resnet56, mobilenetv2, …

      const x = tf.randomNormal([16, 32, 32, 3]); // stand-ins for a batch of CIFAR images
      const y = tf.randomUniform([16], 0, 10, 'int32'); // and their labels
      const optimizer = new SGD(model.namedParameters(), { learningRate: 0.05, momentum: 0.9 });
      const losses = [1, 2, 3].map(() => trainStep(model, optimizer, { x, y }).loss); // 3 steps

      const inputShape = [32, 32, 3];
      const { macs, params } = profileModel(model, { inputShape }); // 40.8M multiply-adds, 272k
      const pruned = prune(model, { 'stage1.block0.conv1': [0, 1, 2, 3, 4, 5, 6, 7] }, { inputShape });
      profileModel(pruned, { inputShape }).macs; // 38.5M: half of that conv's filters are gone

      const exported = toLayersModel(pruned, { inputShape }); // a stock tf.LayersModel
      await exported.save('file://exported/resnet20-pruned'); // indexeddb://… in a browser
      // #endregion guide

      expect(['tensorflow', 'wasm', 'cpu']).toContain(backend.name);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(macs).toBe(40_813_184);
      expect(params).toBe(272_474);
      expect(profileModel(pruned, { inputShape }).macs).toBe(38_453_888);
      expect(existsSync(join(dir, 'exported/resnet20-pruned/model.json'))).toBe(true);
      const loaded = await tf.loadLayersModel('file://exported/resnet20-pruned/model.json');
      const [expected, actual] = [pruned.apply(x), loaded.predict(x) as tf.Tensor];
      expect(relativeError(actual, expected)).toBeLessThan(1e-4);
      tf.dispose([x, y, expected, actual]);
      for (const m of [loaded, exported]) m.dispose();
      optimizer.dispose();
      model.dispose();
      pruned.dispose();
    } finally {
      process.chdir(cwd);
      await rm(dir, { recursive: true, force: true });
      await initBackend({ prefer: 'cpu' });
    }
  });
});

// ── the documents' code blocks are this file's regions ──────────────────────────────────────────

const IMPORT = /^import\s+(type\s+)?(\{[^}]*\}|\*\s+as\s+\w+|\w+)\s+from\s+'([^']+)';\s*$/gm;

/** `module specifier → imported local names` of the import statements in `code`. */
function importsOf(code: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [, , clause = '', specifier = ''] of code.matchAll(IMPORT)) {
    const names = clause.startsWith('{')
      ? clause
          .slice(1, -1)
          .split(',')
          .map((part) =>
            part
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)
              .at(-1),
          )
      : [clause.replace(/\s+/g, ' ')];
    const set = out.get(specifier) ?? new Set<string>();
    for (const name of names) if (name) set.add(name);
    out.set(specifier, set);
  }
  return out;
}

/** A code block without its leading import statements. */
function withoutImports(code: string): string {
  return code.replace(IMPORT, '').trim();
}

/** The ```ts blocks of `markdown`. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

/** The `// #region guide` regions of this file, each dedented. */
function guideRegions(source: string): string[] {
  return [...source.matchAll(/\/\/ #region guide\n([\s\S]*?)\n\s*\/\/ #endregion guide/g)].map((match) => {
    const lines = (match[1] ?? '').split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.search(/\S/)));
    return lines
      .map((line) => line.slice(indent))
      .join('\n')
      .trim();
  });
}

test('the ts blocks of docs/core.md (before "Supernets") and of the README quick start are these regions', async () => {
  const source = await readFile(new URL(import.meta.url), 'utf8');
  const guide = await readFile(new URL('../../../../docs/core.md', import.meta.url), 'utf8');
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const newSections = guide.slice(0, guide.indexOf('\n## Supernets\n'));
  const quickStart = readme.slice(
    readme.indexOf('\n## Quick start\n'),
    readme.indexOf('\n## ', readme.indexOf('\n## Quick start\n') + 1),
  );
  const blocks = [...tsBlocks(newSections), ...tsBlocks(quickStart)];
  const regions = guideRegions(source);
  expect(blocks.length).toBeGreaterThanOrEqual(12);
  expect(regions).toHaveLength(blocks.length);

  const available = importsOf(source);
  const unmatched = new Set(regions);
  for (const block of blocks) {
    const body = withoutImports(block);
    const firstLine = body.split('\n')[0];
    // The exact region, else the first one that starts alike, for a readable diff.
    const region = regions.find((r) => r === body) ?? regions.find((r) => r.split('\n')[0] === firstLine);
    expect(region, `no region of this file starts like the block:\n${body}`).toBeDefined();
    expect(body).toBe(region);
    unmatched.delete(body);
    for (const [specifier, names] of importsOf(block)) {
      for (const name of names) {
        expect(available.get(specifier)?.has(name), `this file imports ${name} from '${specifier}'`).toBe(
          true,
        );
      }
    }
  }
  expect([...unmatched], 'regions that no document shows').toEqual([]);
});
