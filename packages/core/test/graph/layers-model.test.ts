import {
  AutomlError,
  createRng,
  dependencyGroups,
  initBackend,
  maskChannels,
  NetworkGraph,
  prune,
  pruneByRatio,
  pruningCriteria,
  selectChannels,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  call,
  randomizeWeights,
  randomKerasNet,
  relativeError,
  residualConcatModel,
  trainableParams,
} from './keras-fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const predict = (model: tf.LayersModel, x: tf.Tensor): tf.Tensor => model.predict(x) as tf.Tensor;

describe('NetworkGraph.fromLayersModel', () => {
  test.each<[string, () => tf.layers.Layer, number[], number[], number]>([
    // name, layer, input shape, expected output shape, expected multiply-adds
    [
      'Conv2D 3x3 same',
      () => tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }),
      [8, 8, 3],
      [8, 8, 4],
      8 * 8 * 4 * 27,
    ],
    [
      'Conv2D 3x3 valid s2',
      () => tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2 }),
      [9, 9, 2],
      [4, 4, 4],
      4 * 4 * 4 * 18,
    ],
    [
      'Conv2D dilated',
      () => tf.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2 }),
      [9, 9, 2],
      [5, 5, 2],
      5 * 5 * 2 * 18,
    ],
    [
      'DepthwiseConv2D x2',
      () => tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
      [6, 6, 3],
      [6, 6, 6],
      6 * 6 * 6 * 9,
    ],
    [
      'SeparableConv2D',
      () => tf.layers.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 2 }),
      [6, 6, 3],
      [4, 4, 5],
      4 * 4 * (6 * 9 + 6 * 5),
    ],
    ['Dense', () => tf.layers.dense({ units: 7 }), [5], [7], 35],
    ['BatchNormalization', () => tf.layers.batchNormalization({}), [4, 4, 3], [4, 4, 3], 0],
    ['MaxPooling2D', () => tf.layers.maxPooling2d({ poolSize: 2 }), [6, 6, 3], [3, 3, 3], 0],
    [
      'AveragePooling2D same s1',
      () => tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }),
      [5, 5, 2],
      [5, 5, 2],
      0,
    ],
    ['GlobalAveragePooling2D', () => tf.layers.globalAveragePooling2d({}), [4, 4, 3], [3], 0],
    ['GlobalMaxPooling2D', () => tf.layers.globalMaxPooling2d({}), [4, 4, 3], [3], 0],
    ['Flatten', () => tf.layers.flatten({}), [2, 3, 4], [24], 0],
    [
      'ZeroPadding2D',
      () =>
        tf.layers.zeroPadding2d({
          padding: [
            [1, 2],
            [0, 3],
          ],
        }),
      [4, 4, 2],
      [7, 7, 2],
      0,
    ],
    ['ReLU max 6', () => tf.layers.reLU({ maxValue: 6 }), [4, 4, 2], [4, 4, 2], 0],
    ['LeakyReLU', () => tf.layers.leakyReLU({ alpha: 0.2 }), [4], [4], 0],
    ['Softmax', () => tf.layers.softmax({}), [4], [4], 0],
    ['Dropout', () => tf.layers.dropout({ rate: 0.5 }), [4, 4, 2], [4, 4, 2], 0],
  ])('%s: shape, multiply-adds and trainable parameters', (_name, make, inShape, outShape, macs) => {
    const input = tf.input({ shape: inShape });
    const layer = make();
    const model = tf.model({ inputs: input, outputs: call(layer, input) });
    const graph = NetworkGraph.fromLayersModel(model);
    const node = graph.layer(layer.name);
    expect(node.outputShape).toEqual(outShape);
    expect(node.macs).toBe(macs);
    expect(node.params).toBe(trainableParams(model));
    expect(node.className).toBe(layer.getClassName());
    model.dispose();
  });

  test('functional graph: nodes in topological order, edges carry tensor shapes, inputs keep their order', () => {
    const model = residualConcatModel();
    const graph = NetworkGraph.fromLayersModel(model);
    expect(graph.type).toBe('directed');
    expect(graph.multi).toBe(false);
    expect(graph.getAttributes()).toEqual({ source: 'layers-model', inputs: ['image'], outputs: ['logits'] });
    const order = graph.topologicalOrder();
    for (const name of order) {
      for (const input of graph.layer(name).inputs)
        expect(order.indexOf(input)).toBeLessThan(order.indexOf(name));
    }
    expect(graph.layer('block_add').inputs).toEqual(['block_bn2', 'stem_relu']);
    expect(graph.layer('cat').inputs).toEqual(['branch_point', 'branch_depthwise']);
    expect(graph.getEdgeAttribute('branch_depthwise', 'cat', 'shape')).toEqual([8, 8, 12]);
    expect(graph.layer('branch_depthwise')).toMatchObject({
      op: 'conv2d',
      groups: 6,
      depthMultiplier: 2,
      outChannels: 12,
    });
    expect(graph.layer('hidden').activation).toBe('relu');
    expect(graph.layers().reduce((s, n) => s + n.params, 0)).toBe(trainableParams(model));
    model.dispose();
  });

  test('a tensor used twice is one edge and two entries of the consumer inputs', () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const conv = call(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'conv' }), input);
    const twice = call(tf.layers.add({ name: 'twice' }), [conv, conv]);
    const model = tf.model({
      inputs: input,
      outputs: call(tf.layers.dense({ units: 2, name: 'head' }), twice),
    });
    const graph = NetworkGraph.fromLayersModel(model);
    expect(graph.layer('twice').inputs).toEqual(['conv', 'conv']);
    expect(graph.outDegree('conv')).toBe(1);
    model.dispose();
  });

  test('sequential models work, and a shared layer becomes one node per call', () => {
    const seq = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 3, name: 'a' }),
        tf.layers.dense({ units: 2, name: 'b' }),
      ],
    });
    const graph = NetworkGraph.fromLayersModel(seq);
    expect(graph.topologicalOrder().slice(1)).toEqual(['a', 'b']);
    const input = tf.input({ shape: [3] });
    const shared = tf.layers.dense({ units: 3, name: 'shared' });
    const twice = tf.model({ inputs: input, outputs: call(shared, call(shared, input)) });
    expect(NetworkGraph.fromLayersModel(twice).topologicalOrder().slice(1)).toEqual(['shared@0', 'shared@1']);
    seq.dispose();
    twice.dispose();
  });

  test.each<[string, () => tf.layers.Layer, number[], RegExp]>([
    [
      'Conv1D',
      () => tf.layers.conv1d({ filters: 2, kernelSize: 1, name: 'c1d' }),
      [4, 2],
      /layer "c1d" \(Conv1D\): layer class "Conv1D" is not supported/,
    ],
    ['Reshape', () => tf.layers.reshape({ targetShape: [8], name: 'rs' }), [4, 2], /layer "rs" \(Reshape\)/],
    ['ReLU max 4', () => tf.layers.reLU({ maxValue: 4, name: 'r4' }), [4], /layer "r4" \(ReLU\): maxValue 4/],
    [
      'BatchNorm on axis 1',
      () => tf.layers.batchNormalization({ axis: 1, name: 'bn1' }),
      [4, 4, 2],
      /layer "bn1" \(BatchNormalization\): axis 1/,
    ],
  ])('unsupported %s throws naming the layer and its class', (_name, make, shape, message) => {
    const input = tf.input({ shape });
    const model = tf.model({ inputs: input, outputs: call(make(), input) });
    expect(() => NetworkGraph.fromLayersModel(model)).toThrow(message);
    expect(() => NetworkGraph.fromLayersModel(model)).toThrow(
      /^@automl-ts\/core\/NetworkGraph.fromLayersModel: /,
    );
    model.dispose();
  });

  test('atInputShape re-infers shapes and multiply-adds symbolically', () => {
    const build = (size: number): tf.LayersModel => {
      const input = tf.input({ shape: [size, size, 3] });
      let x = call(
        tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'c' }),
        input,
      );
      x = call(tf.layers.depthwiseConv2d({ kernelSize: 3, name: 'dw' }), x);
      x = call(tf.layers.globalAveragePooling2d({ name: 'gap' }), x);
      return tf.model({ inputs: input, outputs: call(tf.layers.dense({ units: 2, name: 'fc' }), x) });
    };
    const small = build(16);
    const large = build(40);
    const resized = NetworkGraph.fromLayersModel(small).atInputShape([40, 40, 3]);
    const direct = NetworkGraph.fromLayersModel(large);
    for (const name of direct.topologicalOrder().slice(1)) {
      const a = resized.layer(name);
      const b = direct.layer(name);
      expect([a.outputShape, a.macs, a.params]).toEqual([b.outputShape, b.macs, b.params]);
    }
    small.dispose();
    large.dispose();
  });

  test('atInputShape names the layer whose structure depends on the input size', () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const flat = call(tf.layers.flatten({ name: 'flat' }), input);
    const model = tf.model({ inputs: input, outputs: call(tf.layers.dense({ units: 2, name: 'fc' }), flat) });
    expect(() => NetworkGraph.fromLayersModel(model).atInputShape([8, 8, 2])).toThrow(
      /NetworkGraph.atInputShape: layer "fc" \(dense\): expects 32 input channels, got 128/,
    );
    model.dispose();
  });
});

describe('dependencyGroups', () => {
  test('residual add, depthwise, concat offsets, separable, flatten blocks; the classifier is not prunable', () => {
    const model = residualConcatModel();
    const groups = dependencyGroups(NetworkGraph.fromLayersModel(model));
    const byId = new Map(groups.map((g) => [g.id, g]));
    expect([...byId.keys()]).toEqual(['stem', 'block_conv1', 'branch_point', 'sep', 'hidden']);

    // The residual add couples the stem with block_conv2; the depthwise conv (multiplier 2) and
    // the concat (offset 4) carry the same channels into the separable conv.
    const stem = byId.get('stem');
    expect(stem?.channels).toBe(6);
    const members = Object.fromEntries(
      stem?.members.map((m) => [`${m.layer}:${m.dimension}`, m.indices]) ?? [],
    );
    expect(Object.keys(members)).toEqual([
      'stem:out',
      'stem_bn:out',
      'block_conv1:in',
      'block_conv2:out',
      'block_bn2:out',
      'branch_point:in',
      'branch_depthwise:out',
      'branch_depthwise:in',
      'sep:in',
    ]);
    expect(members['branch_depthwise:out']?.[1]).toEqual([2, 3]);
    expect(members['sep:in']?.[0]).toEqual([4, 5]);

    const point = byId.get('branch_point');
    expect(point?.members.find((m) => m.layer === 'sep')?.indices).toEqual([[0], [1], [2], [3]]);

    // Flatten of a 4x4x5 map: channel c of `sep` is rows c, c + 5, …, c + 75 of `hidden`.
    const sep = byId.get('sep');
    const rows = Array.from({ length: 16 }, (_, p) => p * 5 + 2);
    expect(sep?.members.find((m) => m.layer === 'hidden')?.indices[2]).toEqual(rows);
    expect(byId.get('hidden')?.members.map((m) => `${m.layer}:${m.dimension}`)).toEqual([
      'hidden:out',
      'logits:in',
    ]);
    model.dispose();
  });

  test('a concatenation added to a conv splits that conv over two groups (id#k)', () => {
    const input = tf.input({ shape: [4, 4, 3] });
    const a = call(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'a' }), input);
    const b = call(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'b' }), input);
    const cat = call(tf.layers.concatenate({ name: 'cat' }), [a, b]);
    const c = call(tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 'c' }), input);
    const sum = call(tf.layers.add({ name: 'sum' }), [c, cat]);
    const model = tf.model({
      inputs: input,
      outputs: call(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'head' }), sum),
    });
    const groups = dependencyGroups(NetworkGraph.fromLayersModel(model));
    expect(groups.map((g) => [g.id, g.channels])).toEqual([
      ['a', 2],
      ['b', 3],
    ]);
    expect(groups[1]?.members.find((m) => m.layer === 'c')?.indices).toEqual([[2], [3], [4]]);
    expect(groups[1]?.members.find((m) => m.layer === 'head')?.indices).toEqual([[2], [3], [4]]);
    model.dispose();
  });

  test('channels entering a softmax and channels of the network input belong to no group', () => {
    const input = tf.input({ shape: [4] });
    const hidden = call(tf.layers.dense({ units: 5, name: 'h' }), input);
    const soft = call(tf.layers.softmax({ name: 'soft' }), hidden);
    const model = tf.model({
      inputs: input,
      outputs: call(tf.layers.dense({ units: 2, name: 'out' }), soft),
    });
    expect(dependencyGroups(NetworkGraph.fromLayersModel(model))).toEqual([]);
    model.dispose();
  });
});

describe('prune (tf.LayersModel)', () => {
  test('equals the masked original on the residual/concat fixture; original untouched; no tensor leak', () => {
    const model = residualConcatModel();
    randomizeWeights(model, 1);
    const before = model.getWeights().map((w) => w.dataSync().slice());
    const selection = { stem: [0, 2, 5], branch_point: [1, 3], sep: [0, 4], hidden: [0, 1, 2, 6] };
    const numTensors = tf.memory().numTensors;
    const pruned = prune(model, selection);
    const masked = maskChannels(model, selection);
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
    const [a, b] = [predict(pruned, x), predict(masked, x)];
    expect(relativeError(a, b)).toBeLessThan(1e-5);
    const graph = NetworkGraph.fromLayersModel(pruned);
    expect(graph.layer('stem').outChannels).toBe(3);
    expect(graph.layer('block_conv2').outChannels).toBe(3);
    expect(graph.layer('branch_depthwise').outChannels).toBe(6);
    expect(graph.layer('cat').outputShape).toEqual([8, 8, 8]);
    expect(graph.layer('hidden').inChannels).toBe(2 * 16);
    expect(dependencyGroups(graph).map((g) => g.channels)).toEqual([3, 6, 2, 2, 4]);
    expect(trainableParams(pruned)).toBe(graph.layers().reduce((s, n) => s + n.params, 0));
    expect(trainableParams(pruned)).toBeLessThan(trainableParams(model));
    for (const [i, w] of model.getWeights().entries()) expect(w.dataSync()).toEqual(before[i]);
    tf.dispose([x, a, b]);
    pruned.dispose();
    masked.dispose();
    expect(tf.memory().numTensors).toBe(numTensors);
    model.dispose();
  });

  test('keeps a Sequential sequential and accepts layer names as keys', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 5, kernelSize: 3, name: 'c1' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.activation({ activation: 'relu', name: 'act' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 2, name: 'fc' }),
      ],
    });
    randomizeWeights(model, 2);
    const pruned = prune(model, { bn: [1, 4] });
    expect(pruned.getClassName()).toBe('Sequential');
    expect(pruned.layers.map((l) => l.name)).toEqual(['c1', 'bn', 'act', 'flat', 'fc']);
    const x = tf.randomNormal([3, 6, 6, 2], 0, 1, 'float32', 5);
    expect(relativeError(predict(pruned, x), predict(maskChannels(model, { c1: [1, 4] }), x))).toBeLessThan(
      1e-5,
    );
    model.dispose();
    pruned.dispose();
  });

  test('property: random keep-sets on random small nets equal the masked original', () => {
    const rng = createRng('prune-property');
    for (let trial = 0; trial < 24; trial++) {
      const model = randomKerasNet(rng);
      randomizeWeights(model, trial * 101);
      const groups = dependencyGroups(NetworkGraph.fromLayersModel(model));
      const selection: Record<string, number[]> = {};
      for (const group of groups) {
        if (!rng.bernoulli(0.8)) continue;
        const keep = rng.int(1, group.channels);
        const channels = Array.from({ length: group.channels }, (_, i) => i);
        selection[group.id] = rng.sample(channels, keep).sort((a, b) => a - b);
      }
      const pruned = prune(model, selection);
      const masked = maskChannels(model, selection);
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', trial);
      const error = relativeError(predict(pruned, x), predict(masked, x));
      expect(error, `trial ${trial}: ${JSON.stringify(selection)}`).toBeLessThan(1e-5);
      const prunedGroups = dependencyGroups(NetworkGraph.fromLayersModel(pruned));
      expect(prunedGroups.map((g) => g.channels)).toEqual(
        groups.map((g) => selection[g.id]?.length ?? g.channels),
      );
      tf.dispose(x);
      model.dispose();
      pruned.dispose();
      masked.dispose();
    }
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    [
      'unknown key',
      { nope: [0] },
      /selection key "nope" is neither a dependency group nor a layer; groups: stem, /,
    ],
    [
      'index out of range',
      { stem: [0, 6] },
      /selection\["stem"\] contains 6, which is not a channel index in \[0, 6\)/,
    ],
    ['duplicate index', { stem: [1, 1] }, /selection\["stem"\] lists channel 1 twice/],
    ['not an array', { stem: 3 }, /selection\["stem"\] must be an array/],
    ['empty group', { stem: [] }, /group "stem" would lose all of its 6 channels/],
    ['classifier', { logits: [0, 1] }, /removes output channel 2 of layer "logits", which is not prunable/],
    [
      'conflict',
      { stem: [0, 1], block_conv2: [0, 2] },
      /selection\["stem"\] and selection\["block_conv2"\] disagree on channel [12] of group "stem"/,
    ],
  ])('%s throws naming the bad value', (_name, selection, message) => {
    const model = residualConcatModel();
    expect(() => prune(model, selection as Record<string, number[]>)).toThrow(message);
    expect(() => prune(model, selection as Record<string, number[]>)).toThrow(AutomlError);
    model.dispose();
  });
});

describe('pruneByRatio / selectChannels', () => {
  const filterNormModel = (): tf.LayersModel => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 4, kernelSize: 1, useBias: false, name: 'conv' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({ units: 2, name: 'fc' }),
      ],
    });
    // Filter norms 4, 1, 3, 2; BN scales rank the other way round.
    model.getLayer('conv').setWeights([tf.tensor4d([4, -1, 3, -2], [1, 1, 1, 4])]);
    const bn = model.getLayer('bn');
    bn.setWeights([tf.tensor1d([0.1, 0.4, 0.2, 0.3]), ...bn.getWeights().slice(1)]);
    return model;
  };

  test.each<[string, number[]]>([
    ['l1', [0, 2]],
    ['bn-scale', [1, 3]],
  ])('criterion %s keeps the highest-scoring channels', (criterion, kept) => {
    const model = filterNormModel();
    expect(selectChannels(model, { ratio: 0.5, criterion })).toEqual({ conv: kept });
    const pruned = pruneByRatio(model, { ratio: 0.5, criterion });
    expect(NetworkGraph.fromLayersModel(pruned).layer('conv').outChannels).toBe(2);
    model.dispose();
    pruned.dispose();
  });

  test('group-l1 counts every member; a custom criterion and per-group ratios are accepted', () => {
    const model = filterNormModel();
    const selection = selectChannels(model, { ratio: 0.25, criterion: 'group-l1' });
    expect(selection['conv']).toHaveLength(3);
    const custom = {
      description: 'prefers high indices',
      score: (input: { group: { channels: number } }) =>
        Array.from({ length: input.group.channels }, (_, i) => i),
    };
    expect(selectChannels(model, { ratio: { conv: 0.75 }, criterion: custom })).toEqual({ conv: [3] });
    expect(selectChannels(model, { ratio: 0 })).toEqual({});
    model.dispose();
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    [
      'unknown criterion',
      { ratio: 0.5, criterion: 'magic' },
      /pruneByRatio: unknown pruning criterion "magic"; registered: bn-scale, group-l1, l1/,
    ],
    ['ratio 1', { ratio: 1 }, /selectChannels: ratio must be a number in \[0, 1\), got 1/],
    [
      'unknown group',
      { ratio: { nope: 0.5 } },
      /selectChannels: ratio names unknown group "nope"; groups: conv/,
    ],
  ])('%s throws', (_name, options, message) => {
    const model = filterNormModel();
    expect(() => selectChannels(model, options as { ratio: number })).toThrow(message);
    model.dispose();
  });

  test('the registry lists the built-in criteria', () => {
    expect(pruningCriteria.list()).toEqual(['bn-scale', 'group-l1', 'l1']);
  });
});
