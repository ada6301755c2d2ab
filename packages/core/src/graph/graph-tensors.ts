// Kipf & Welling, "Semi-Supervised Classification with Graph Convolutional Networks", ICLR 2017,
// eq. 2 (Â = D̃^-1/2 (A + I) D̃^-1/2); node features as in Zhang et al., "Graph Pruning for Model
// Compression", 2019, §3.1, min-max normalised per feature as AMC's state (He et al., ECCV 2018, §3.2).
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../internal/errors.js';
import { isDepthwise } from './layer-math.js';
import type { NetworkGraph } from './network-graph.js';
import type { LayerNode } from './types.js';

/** The op types of the one-hot block, in column order; any other op sets `other`. */
export const GRAPH_FEATURE_OPS = [
  'conv2d',
  'depthwiseConv2d',
  'separableConv2d',
  'dense',
  'add',
  'concat',
  'mul',
  'pool',
  'other',
] as const;

/** The numeric features after the one-hot block, in column order. */
export const GRAPH_NUMERIC_FEATURES = [
  'inChannels',
  'outChannels',
  'kernelSize',
  'stride',
  'featureMapSize',
  'macs',
  'params',
  'depth',
] as const;

/** Options of {@link graphTensors}. */
export interface GraphTensorsOptions {
  /**
   * Which layers become nodes. Edges between kept layers follow the paths through the layers left
   * out (a conv → BN → ReLU → conv chain is one edge), so shortcuts stay edges.
   * @default convolutions, dense layers and the joins `add`, `concat`, `mul`
   */
  include?: (node: LayerNode) => boolean;
}

/** A network as GCN inputs: one row per node. The caller disposes the tensors. */
export interface GraphTensors {
  /** Node (layer) names, in execution order: row `i` of both tensors is `nodes[i]`. */
  readonly nodes: readonly string[];
  /** Column names of `features`: `op:<type>` for the one-hot block, then the numeric features. */
  readonly featureNames: readonly string[];
  /** `[nodes, features]`: op one-hot, then every numeric feature min-max normalised to [0, 1]. */
  readonly features: tf.Tensor2D;
  /** `[nodes, nodes]`: `D̃^-1/2 (A + I) D̃^-1/2` of the undirected graph, symmetric. */
  readonly adjacency: tf.Tensor2D;
}

const SOURCE = '@automl-ts/core/graphTensors';

const DEFAULT_OPS = new Set(['conv2d', 'separableConv2d', 'dense', 'add', 'concat', 'mul']);

function defaultInclude(node: LayerNode): boolean {
  return DEFAULT_OPS.has(node.op);
}

function featureOp(node: LayerNode): (typeof GRAPH_FEATURE_OPS)[number] {
  if (node.op === 'conv2d') return isDepthwise(node) ? 'depthwiseConv2d' : 'conv2d';
  if (node.op === 'separableConv2d' || node.op === 'dense' || node.op === 'add') return node.op;
  if (node.op === 'concat' || node.op === 'mul') return node.op;
  if (node.op.endsWith('Pool')) return 'pool';
  return 'other';
}

function channels(shape: readonly number[] | undefined): number {
  return shape === undefined || shape.length === 0 ? 0 : (shape[shape.length - 1] as number);
}

function numericFeatures(node: LayerNode, depth: number): number[] {
  const out = node.outputShape;
  const mapSize = out.length === 3 ? (out[0] as number) * (out[1] as number) : 1;
  return [
    node.inChannels ?? channels(node.inputShapes[0]),
    node.outChannels ?? channels(out),
    node.kernelSize?.[0] ?? 0,
    node.strides?.[0] ?? 0,
    mapSize,
    node.macs,
    node.params,
    depth,
  ];
}

/** Column-wise `(x − min) / (max − min)`, 0 for a constant column. */
function minMaxNormalise(rows: number[][]): number[][] {
  const width = rows[0]?.length ?? 0;
  const lo = Array.from({ length: width }, (_, c) => Math.min(...rows.map((r) => r[c] as number)));
  const hi = Array.from({ length: width }, (_, c) => Math.max(...rows.map((r) => r[c] as number)));
  return rows.map((r) =>
    r.map((v, c) => {
      const span = (hi[c] as number) - (lo[c] as number);
      return span > 0 ? (v - (lo[c] as number)) / span : 0;
    }),
  );
}

/**
 * The kept nodes each kept node feeds, directly or through layers left out (a depth-first walk of
 * graphology's out-neighbours that stops at the first kept node on every path).
 */
function contractedEdges(graph: NetworkGraph, kept: ReadonlySet<string>): Array<[string, string]> {
  const edges: Array<[string, string]> = [];
  for (const from of kept) {
    const seen = new Set<string>();
    const stack = [...graph.outNeighbors(from)];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      if (kept.has(next)) edges.push([from, next]);
      else stack.push(...graph.outNeighbors(next));
    }
  }
  return edges;
}

/**
 * A {@link NetworkGraph} as the inputs of a graph neural network: a node-feature matrix and the
 * normalised adjacency with self-loops. Features per node: the op type one-hot
 * ({@link GRAPH_FEATURE_OPS}; depthwise convs apart from plain ones), then input and output
 * channels, kernel size, stride, feature-map size (output height × width, 1 for dense layers), MACs,
 * parameters and depth position (execution order), each min-max normalised over the nodes so that
 * networks of any size give features in [0, 1]. Edges are tensors between kept layers, taken
 * undirected, with shortcuts and joins as their own edges.
 *
 * @example
 * const graph = NetworkGraph.fromModule(createModel('resnet20'), [32, 32, 3]);
 * const { nodes, features, adjacency } = graphTensors(graph); // 22 conv/dense + 9 add nodes
 * const embedding = new GraphConv({ inFeatures: features.shape[1], outFeatures: 32 })
 *   .apply(features, { params: { adjacency } });
 */
export function graphTensors(graph: NetworkGraph, options: GraphTensorsOptions = {}): GraphTensors {
  const fail = errorFactory(SOURCE);
  const include = options.include ?? defaultInclude;
  if (typeof include !== 'function') throw fail(`options.include must be a function, got ${typeof include}`);
  const order = graph.topologicalOrder();
  const nodes = order.filter((name) => include(graph.layer(name)));
  if (nodes.length === 0) {
    throw fail(`no layer of the graph passes options.include (layers: ${order.length})`);
  }
  const index = new Map(nodes.map((name, i) => [name, i]));
  const oneHot = nodes.map((name) => {
    const op = featureOp(graph.layer(name));
    return GRAPH_FEATURE_OPS.map((candidate) => (candidate === op ? 1 : 0));
  });
  const depth = (name: string) => (nodes.length > 1 ? (index.get(name) as number) / (nodes.length - 1) : 0);
  const numeric = minMaxNormalise(nodes.map((name) => numericFeatures(graph.layer(name), depth(name))));
  const n = nodes.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = 1;
  for (const [from, to] of contractedEdges(graph, new Set(nodes))) {
    const [i, j] = [index.get(from) as number, index.get(to) as number];
    a[i * n + j] = 1;
    a[j * n + i] = 1;
  }
  const degree = Array.from({ length: n }, (_, i) =>
    a.subarray(i * n, (i + 1) * n).reduce((s, v) => s + v, 0),
  );
  const normalised = Float32Array.from(a, (v, k) => {
    const [i, j] = [Math.floor(k / n), k % n];
    return v / Math.sqrt((degree[i] as number) * (degree[j] as number));
  });
  return {
    nodes,
    featureNames: [...GRAPH_FEATURE_OPS.map((op) => `op:${op}`), ...GRAPH_NUMERIC_FEATURES],
    features: tf.tensor2d(oneHot.map((row, i) => [...row, ...(numeric[i] as number[])])),
    adjacency: tf.tensor2d(normalised, [n, n]),
  };
}
