import {
  buildLatencyTable,
  createModel,
  initBackend,
  type LatencyTable,
  latencyKey,
  type Module,
  measureLatency,
  NetworkGraph,
  predictLatency,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { residualConcatModel } from '../graph/keras-fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('measureLatency', () => {
  test.each<[string, () => { target: Parameters<typeof measureLatency>[0]; dispose: () => void }, number[]]>([
    ['a function', () => ({ target: (x: tf.Tensor) => tf.relu(x), dispose: () => undefined }), [8, 8, 3]],
    [
      'a Module',
      () => {
        const module = createModel('conv4', { inputSize: 16, numClasses: 5 });
        return { target: module, dispose: () => module.dispose() };
      },
      [16, 16, 3],
    ],
    [
      'a tf.LayersModel',
      () => {
        const model = residualConcatModel();
        return { target: model, dispose: () => model.dispose() };
      },
      [8, 8, 3],
    ],
  ])('%s: consistent statistics, no tensor left behind', async (_name, make, inputShape) => {
    const { target, dispose } = make();
    const before = tf.memory().numTensors;
    const stats = await measureLatency(target, inputShape, { warmup: 1, warmupMs: 0, runs: 7 });
    expect(tf.memory().numTensors).toBe(before);
    expect(stats.runs).toBe(7);
    expect(stats.samples).toHaveLength(7);
    expect(stats.backend).toBe('cpu');
    expect(stats.min).toBeLessThanOrEqual(stats.median);
    expect(stats.median).toBeLessThanOrEqual(stats.p90);
    expect(stats.p90).toBeLessThanOrEqual(stats.max);
    expect(stats.mean).toBeCloseTo(stats.samples.reduce((a, b) => a + b, 0) / 7, 9);
    expect(stats.median).toBe([...stats.samples].sort((a, b) => a - b)[3]);
    dispose();
  });

  test('warm-up lasts at least warmup runs and warmupMs, and stops once both are reached', async () => {
    // A controlled clock: each call takes exactly 2 ms of it, whatever the machine's load.
    let clock = 0;
    let starts: number[] = [];
    const busy = (x: tf.Tensor): tf.Tensor => {
      starts.push(clock);
      clock += 2;
      return tf.relu(x);
    };
    const now = () => clock;
    await measureLatency(busy, [2], { warmup: 0, warmupMs: 0, runs: 3, now });
    expect(starts).toHaveLength(3);
    starts = [];
    await measureLatency(busy, [2], { warmup: 4, warmupMs: 0, runs: 3, now });
    expect(starts).toHaveLength(7);
    starts = [];
    const stats = await measureLatency(busy, [2], { warmup: 1, warmupMs: 40, runs: 3, now });
    // 40 ms of warm-up at 2 ms a call is 20 calls, then the 3 timed runs of 2 ms each.
    expect(starts).toHaveLength(20 + 3);
    expect(stats.samples).toEqual([2, 2, 2]);
  });

  test('the cpu clock times process CPU time', async () => {
    const stats = await measureLatency((x) => tf.matMul(x, x), [64, 64], {
      warmup: 1,
      warmupMs: 0,
      runs: 5,
      clock: 'cpu',
    });
    expect(stats.samples.every((ms) => ms >= 0)).toBe(true);
    expect(stats.median).toBeGreaterThan(0);
  });

  test.each<[string, Record<string, unknown>, number[], RegExp]>([
    ['runs 0', { runs: 0 }, [2], /measureLatency: runs must be an integer >= 1, got 0/],
    ['warmup -1', { warmup: -1 }, [2], /measureLatency: warmup must be an integer >= 0, got -1/],
    ['warmupMs -1', { warmupMs: -1 }, [2], /measureLatency: warmupMs must be a number >= 0, got -1/],
    ['batchSize 1.5', { batchSize: 1.5 }, [2], /measureLatency: batchSize must be an integer >= 1, got 1.5/],
    ['unknown clock', { clock: 'gpu' }, [2], /measureLatency: clock must be "wall" or "cpu", got "gpu"/],
    [
      'bad shape',
      {},
      [2, 0],
      /measureLatency: inputShape must be an array of positive integers, got \[2,0\]/,
    ],
  ])('%s throws', async (_name, options, shape, message) => {
    await expect(measureLatency((x) => tf.relu(x), shape, options)).rejects.toThrow(message);
  });
});

describe('latency lookup table', () => {
  test.each<[string, () => NetworkGraph, string, string]>([
    [
      'conv2d',
      () => {
        const model = tf.sequential({
          layers: [
            tf.layers.conv2d({
              inputShape: [32, 32, 32],
              filters: 64,
              kernelSize: 3,
              padding: 'same',
              useBias: false,
              name: 'c',
            }),
          ],
        });
        return NetworkGraph.fromLayersModel(model);
      },
      'c',
      'conv2d:k3:s1:g1:in32:out64:hw32',
    ],
    [
      'depthwise, strided, valid, with bias and relu',
      () => {
        const model = tf.sequential({
          layers: [
            tf.layers.depthwiseConv2d({
              inputShape: [9, 9, 8],
              kernelSize: 3,
              strides: 2,
              activation: 'relu',
              name: 'dw',
            }),
          ],
        });
        return NetworkGraph.fromLayersModel(model);
      },
      'dw',
      'conv2d:k3:s2:g8:in8:out8:hw9:valid:bias:relu',
    ],
    ['concat', () => NetworkGraph.fromLayersModel(residualConcatModel()), 'cat', 'concat:4+12:8x8'],
  ])('key of a %s layer', (_name, graph, layer, key) => {
    expect(latencyKey(graph().layer(layer))).toBe(key);
  });

  test('built from a Module: one entry per distinct configuration, JSON round trip, cache reuse, prediction sums entries', async () => {
    const module = createModel('resnet20', { shortcut: 'A' });
    const graph = NetworkGraph.fromModule(module, [16, 16, 3]);
    const before = tf.memory().numTensors;
    const table = await buildLatencyTable(module, {
      inputShape: [16, 16, 3],
      warmup: 0,
      warmupMs: 0,
      runs: 2,
    });
    expect(tf.memory().numTensors).toBe(before);
    const keys = new Set(
      graph
        .layers()
        .map(latencyKey)
        .filter((k) => k !== undefined),
    );
    expect(new Set(Object.keys(table.entries))).toEqual(keys);
    expect(table.entries['conv2d:k3:s1:g1:in16:out16:hw16']?.measured).toBe('Conv2d');
    expect(table.entries['add:16x16x16+16x16x16']?.measured).toBe('tf');
    expect(Object.values(table.entries).every((e) => e.ms > 0)).toBe(true);

    const restored = JSON.parse(JSON.stringify(table)) as LatencyTable;
    expect(restored).toEqual(table);
    const prediction = predictLatency(restored, graph);
    expect(prediction.layers).toHaveLength(graph.order - 1);
    expect(prediction.ms).toBeCloseTo(
      prediction.layers.reduce((sum, l) => sum + (table.entries[l.key]?.ms ?? 0), 0),
      9,
    );

    // A wider net adds only its new configurations to the cached table.
    const wider = createModel('resnet20', { shortcut: 'A', width: 32 });
    const extended = await buildLatencyTable(wider, {
      inputShape: [16, 16, 3],
      warmup: 0,
      warmupMs: 0,
      runs: 2,
      cache: table,
    });
    for (const [key, entry] of Object.entries(table.entries)) expect(extended.entries[key]).toEqual(entry);
    expect(() => predictLatency(table, NetworkGraph.fromModule(wider, [16, 16, 3]))).toThrow(
      /predictLatency: the table has no entry for \d+ configuration\(s\): conv2d:k3:s1:g1:in3:out32:hw16, /,
    );
    expect(predictLatency(extended, NetworkGraph.fromModule(wider, [16, 16, 3])).ms).toBeGreaterThan(0);
    module.dispose();
    wider.dispose();
  });

  test('built from a graph alone (equivalent ops) and from a tf.LayersModel', async () => {
    const model = residualConcatModel();
    const graph = NetworkGraph.fromLayersModel(model);
    const fromGraph = await buildLatencyTable(graph, { warmup: 0, warmupMs: 0, runs: 1 });
    const fromModel = await buildLatencyTable(model, { warmup: 0, warmupMs: 0, runs: 1 });
    expect(Object.keys(fromGraph.entries).sort()).toEqual(Object.keys(fromModel.entries).sort());
    expect(new Set(Object.values(fromGraph.entries).map((e) => e.measured))).toEqual(new Set(['tf']));
    expect(fromModel.entries[latencyKey(graph.layer('sep')) as string]?.measured).toBe('SeparableConv2D');
    expect(predictLatency(fromModel, graph).ms).toBeGreaterThan(0);
    model.dispose();
  });

  test('on a synchronous backend every entry is called once per warm-up round and once per timed round', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, name: 'd' })] });
    const layer = model.getLayer('d');
    const apply = layer.apply.bind(layer);
    let calls = 0;
    layer.apply = (...args: Parameters<typeof layer.apply>) => {
      calls += 1;
      return apply(...args);
    };
    const table = await buildLatencyTable(model, { warmup: 3, warmupMs: 0, runs: 5 });
    expect(calls).toBe(3 + 5);
    expect(Object.keys(table.entries)).toEqual(['dense:in4:out2:bias']);
    calls = 0;
    await buildLatencyTable(model, { warmup: 1, warmupMs: 30, runs: 5 });
    expect(calls).toBeGreaterThan(1 + 5);
    model.dispose();
  });

  test('on an asynchronous backend a sample averages back-to-back calls, each sample waiting for its output', async () => {
    // A cpu backend under another name stands in for WebGL/WebGPU: not in the synchronous list.
    const factory = tf.findBackendFactory('cpu');
    if (factory == null) throw new Error('cpu backend missing');
    tf.registerBackend('fake-async', factory, 0);
    const kernels = tf.getKernelsForBackend('cpu');
    for (const kernel of kernels) tf.registerKernel({ ...kernel, backendName: 'fake-async' });
    await tf.setBackend('fake-async');
    (tf.backend() as { firstUse?: boolean }).firstUse = false; // no tfjs-node banner
    try {
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, name: 'd' })] });
      const layer = model.getLayer('d');
      const apply = layer.apply.bind(layer);
      // A controlled clock: each call of the layer takes 0.25 ms of it, so a sample of about
      // 1 ms averages 4 calls, on an idle machine or a loaded one.
      let clock = 0;
      let calls = 0;
      layer.apply = (...args: Parameters<typeof layer.apply>) => {
        calls += 1;
        clock += 0.25;
        return apply(...args);
      };
      const runs = 3;
      const table = await buildLatencyTable(model, { warmup: 1, warmupMs: 0, runs, now: () => clock });
      expect(table.backend).toBe('fake-async');
      // One warm-up round, one probe (0.25 ms: 4 calls per sample), then `runs` samples.
      expect(calls).toBe(1 + 1 + runs * 4);
      expect(table.entries['dense:in4:out2:bias']?.ms).toBe(0.25);
      model.dispose();
    } finally {
      await tf.setBackend('cpu');
      for (const kernel of kernels) tf.unregisterKernel(kernel.kernelName, 'fake-async');
      tf.removeBackend('fake-async');
    }
  });

  test('predicted latency tracks measured latency (a controlled clock: each layer costs its MACs)', async () => {
    // Every leaf layer advances the clock by its multiply-adds / 1e5 ms (at least 0.01 ms). The
    // table times the layers one at a time; measureLatency times whole networks; so the
    // prediction (the sum of the entries) must equal the measurement, also for a network the
    // table was not built from: ResNet-56 has ResNet-20's layer configurations, 2.8× as many.
    let clock = 0;
    const now = () => clock;
    const inputShape = [8, 8, 3];
    /** Instruments the leaves of `module`; returns its graph and the cost of one forward pass. */
    const instrument = (module: Module) => {
      const graph = NetworkGraph.fromModule(module, inputShape);
      let total = 0;
      for (const layer of module.modules()) {
        if (layer.children().size > 0) continue;
        const cost = Math.max(graph.layer(layer.path).macs / 1e5, 0.01);
        total += cost;
        const forward = layer.forward.bind(layer);
        layer.forward = (x, ctx) => {
          clock += cost;
          return forward(x, ctx);
        };
      }
      return { graph, total };
    };
    const options = { inputSize: 8, width: 4, numClasses: 3 };
    const models = [createModel('resnet20', options), createModel('resnet56', { ...options, seed: 1 })];
    const [resnet20, resnet56] = models.map(instrument);
    const timing = { warmup: 1, warmupMs: 0, runs: 3, now };
    const table = await buildLatencyTable(models[0] as Module, { inputShape, ...timing });
    expect(resnet56?.total).toBeGreaterThan(2.5 * (resnet20?.total as number));
    for (const [i, model] of models.entries()) {
      const { graph, total } = [resnet20, resnet56][i] as { graph: NetworkGraph; total: number };
      const predicted = predictLatency(table, graph).ms;
      const measured = await measureLatency(model, inputShape, timing);
      expect(measured.median).toBeCloseTo(total, 9);
      expect(Math.abs(predicted - measured.median) / measured.median).toBeLessThan(1e-9);
      model.dispose();
    }
  });

  test('a cache from another backend or batch size is refused', async () => {
    const cache: LatencyTable = { version: 1, backend: 'wasm', batchSize: 1, clock: 'wall', entries: {} };
    const graph = NetworkGraph.fromLayersModel(
      tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] }),
    );
    await expect(buildLatencyTable(graph, { cache })).rejects.toThrow(
      /buildLatencyTable: cache was measured on backend "wasm" with batch size 1 \(wall clock\); now "cpu" with 1 \(wall clock\)/,
    );
  });
});
