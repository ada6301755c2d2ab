import {
  Activation,
  BatchNorm,
  Conv2d,
  createModel,
  Dense,
  GlobalAvgPool,
  GRAPH_FEATURE_OPS,
  GRAPH_NUMERIC_FEATURES,
  GraphConv,
  graphTensors,
  initBackend,
  moduleFromConfig,
  NetworkGraph,
  Residual,
  Sequential,
  serializeModule,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

/** Elementwise closeness of two flat arrays. */
function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits: number): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) expect(actual[k]).toBeCloseTo(expected[k] as number, digits);
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** conv → BN → ReLU → residual(conv, conv) → pool → fc: five kept nodes, one shortcut. */
function smallNet() {
  const conv = (i: number, o: number, seed: number) =>
    new Conv2d({ inChannels: i, outChannels: o, kernelSize: 3, useBias: false, seed });
  return new Sequential([
    ['stem', conv(3, 4, 0)],
    ['bn', new BatchNorm({ channels: 4 })],
    ['relu', new Activation('relu')],
    [
      'block',
      new Residual({
        body: [
          ['conv1', conv(4, 4, 1)],
          ['act', new Activation('relu')],
          ['conv2', conv(4, 4, 2)],
        ],
      }),
    ],
    ['pool', new GlobalAvgPool()],
    ['fc', new Dense({ inUnits: 4, outUnits: 2, seed: 3 })],
  ]);
}

describe('graphTensors', () => {
  test('nodes, contracted edges and Kipf–Welling normalisation against a float64 reference', () => {
    const net = smallNet();
    const graph = NetworkGraph.fromModule(net, [8, 8, 3]);
    const { nodes, adjacency, features, featureNames } = graphTensors(graph);
    const addNode = nodes.find((n) => graph.layer(n).op === 'add') as string;
    expect(nodes).toEqual(['stem', 'block.conv1', 'block.conv2', addNode, 'fc']);
    expect(featureNames).toHaveLength(GRAPH_FEATURE_OPS.length + GRAPH_NUMERIC_FEATURES.length);
    // Undirected edges: stem–conv1, conv1–conv2, conv2–add, stem–add (the shortcut), add–fc.
    const edges = [
      [0, 1],
      [1, 2],
      [2, 3],
      [0, 3],
      [3, 4],
    ];
    const n = nodes.length;
    const a = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j): number => (i === j ? 1 : 0)),
    );
    for (const [i, j] of edges) {
      (a[i as number] as number[])[j as number] = 1;
      (a[j as number] as number[])[i as number] = 1;
    }
    const degree = a.map((row) => row.reduce((s, v) => s + v, 0));
    const expected = a.flatMap((row, i) =>
      row.map((v, j) => v / Math.sqrt((degree[i] as number) * (degree[j] as number))),
    );
    expectAllClose(adjacency.dataSync(), expected, 6);
    const rows = features.arraySync();
    for (const row of rows) {
      expect(row.slice(0, GRAPH_FEATURE_OPS.length).filter((v) => v === 1)).toHaveLength(1);
      for (const v of row) expect(v >= 0 && v <= 1).toBe(true);
    }
    const col = (name: string) => featureNames.indexOf(name);
    expect(rows[0]?.[col('op:conv2d')]).toBe(1);
    expect(rows[3]?.[col('op:add')]).toBe(1);
    expect(rows[4]?.[col('op:dense')]).toBe(1);
    expect(rows.map((r) => r[col('depth')])).toEqual([0, 0.25, 0.5, 0.75, 1]);
    // The add has no MACs, a 3×3×4×4 conv at 8×8 the most (9216), fc 8.
    expect(rows[3]?.[col('macs')]).toBe(0);
    expect(rows[1]?.[col('macs')]).toBe(1);
    expect(rows[4]?.[col('macs')]).toBeCloseTo(8 / 9216, 7);
    adjacency.dispose();
    features.dispose();
  });

  test('ResNet-20: every conv and dense layer and the 9 adds; symmetric adjacency', () => {
    const graph = NetworkGraph.fromModule(createModel('resnet20', { inputSize: 8, width: 4 }), [8, 8, 3]);
    const { nodes, adjacency, features } = graphTensors(graph);
    const ops = nodes.map((n) => graph.layer(n).op);
    expect(ops.filter((o) => o === 'conv2d')).toHaveLength(21); // 19 3×3 + 2 projections
    expect(ops.filter((o) => o === 'add')).toHaveLength(9);
    expect(ops.filter((o) => o === 'dense')).toHaveLength(1);
    const a = adjacency.arraySync();
    expectAllClose(a.flat(), a[0]?.flatMap((_, j) => a.map((row) => row[j] as number)) ?? [], 7);
    expect(features.shape).toEqual([nodes.length, GRAPH_FEATURE_OPS.length + GRAPH_NUMERIC_FEATURES.length]);
    adjacency.dispose();
    features.dispose();
  });

  test('bad input names the value', () => {
    const graph = NetworkGraph.fromModule(smallNet(), [8, 8, 3]);
    expect(() => graphTensors(graph, { include: () => false })).toThrow(
      '@automl-ts/core/graphTensors: no layer of the graph passes options.include',
    );
  });
});

/** Â·X·W + b in float64. */
function reference(a: number[][], x: number[][], w: number[][], b: number[]): number[][] {
  const xw = x.map((row) =>
    (w[0] as number[]).map((_, o) => row.reduce((s, v, f) => s + v * (w[f]?.[o] as number), 0)),
  );
  return a.map((row) =>
    (b as number[]).map((bias, o) => bias + row.reduce((s, v, j) => s + v * (xw[j]?.[o] as number), 0)),
  );
}

describe('GraphConv', () => {
  test('Â·X·W + b for one graph, a batch sharing it, and one graph per item', () => {
    const adjacency = tf.tensor2d([
      [0.5, 0.5, 0],
      [0.5, 0.25, 0.25],
      [0, 0.25, 0.75],
    ]);
    const gcn = new GraphConv({ inFeatures: 2, outFeatures: 3, adjacency, seed: 0 });
    tf.tidy(() => gcn.variable('bias').assign(tf.tensor1d([0.1, -0.2, 0.3])));
    const w = gcn.variable('kernel').arraySync() as number[][];
    const b = [0.1, -0.2, 0.3];
    const x1 = [
      [1, 2],
      [-1, 0.5],
      [0, 3],
    ];
    const x2 = [
      [2, -2],
      [1, 1],
      [0.5, 0],
    ];
    const a = adjacency.arraySync();
    expectAllClose(gcn.apply(tf.tensor2d(x1)).dataSync(), reference(a, x1, w, b).flat(), 5);
    const want = [reference(a, x1, w, b), reference(a, x2, w, b)];
    expectAllClose(gcn.apply(tf.tensor3d([x1, x2])).dataSync(), want.flat(2), 5);
    // Distinct graphs per item: the second uses the identity.
    const perItem = new GraphConv(
      { inFeatures: 2, outFeatures: 3, adjacency: tf.stack([adjacency, tf.eye(3)]) },
      { kernel: gcn.variable('kernel'), bias: gcn.variable('bias') },
    );
    const eye = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    const want2 = [reference(a, x1, w, b), reference(eye, x2, w, b)];
    expectAllClose(perItem.apply(tf.tensor3d([x1, x2])).dataSync(), want2.flat(2), 5);
  });

  test('gradients match central finite differences (float32, batch sharing the graph)', () => {
    const adjacency = tf.tensor2d([0.6, 0.4, 0.4, 0.6], [2, 2]);
    const gcn = new GraphConv({ inFeatures: 3, outFeatures: 2, adjacency, seed: 1 });
    const x = tf.randomNormal([2, 2, 3], 0, 1, 'float32', 2);
    const loss = (kernel: tf.Tensor) => tf.sum(tf.square(gcn.apply(x, { params: { kernel } })));
    const kernel = gcn.variable('kernel');
    const grad = tf.grad(loss)(kernel).dataSync();
    const values = kernel.dataSync();
    const eps = 1e-2;
    for (let i = 0; i < values.length; i++) {
      const at = (d: number) => {
        const shifted = Float32Array.from(values);
        shifted[i] = (shifted[i] as number) + d;
        return loss(tf.tensor(shifted, kernel.shape)).dataSync()[0] as number;
      };
      expect(grad[i]).toBeCloseTo((at(eps) - at(-eps)) / (2 * eps), 2);
    }
  });

  test('config round trip, clone, and errors', () => {
    const gcn = new GraphConv({ inFeatures: 2, outFeatures: 3, nodes: 4, seed: 0 });
    const twin = moduleFromConfig(serializeModule(gcn)) as GraphConv;
    expect(twin.getConfig()).toEqual(gcn.getConfig());
    const copy = gcn.clone();
    expect(copy.variable('kernel').arraySync()).toEqual(gcn.variable('kernel').arraySync());
    expect([...gcn.namedBuffers().keys()]).toEqual(['adjacency']);
    expect(() => gcn.apply(tf.zeros([3, 2]))).toThrow('does not fit the adjacency of 4 nodes');
    expect(() => new GraphConv({ inFeatures: 2, outFeatures: 3, adjacency: tf.zeros([2, 3]) })).toThrow(
      '@automl-ts/core/GraphConv: adjacency must be [nodes, nodes] or [graphs, nodes, nodes], got shape [2,3]',
    );
  });

  test('no tensor growth over repeated training steps', () => {
    const gcn = new GraphConv({ inFeatures: 4, outFeatures: 4, nodes: 5, seed: 0 });
    const x = tf.randomNormal([3, 5, 4], 0, 1, 'float32', 0);
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(gcn.apply(x)) as tf.Scalar, [gcn.variable('kernel')]);
        for (const g of Object.values(grads)) g.dispose();
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
