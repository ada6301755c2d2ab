import * as tf from '@tensorflow/tfjs';
import { type KerasLayer, walkLayersModel } from '../graph/from-layers-model.js';
import { traceModule } from '../graph/from-module.js';
import { isDepthwise } from '../graph/layer-math.js';
import { graphOfTrace, graphOfWalk, NetworkGraph } from '../graph/network-graph.js';
import type { LayerNode, LayerShape } from '../graph/types.js';
import { AutomlError, describeValue } from '../internal/errors.js';
import { ACTIVATION_KINDS, type ActivationKind, activate } from '../nn/layers/activation.js';
import { type ApplyContext, type Module, resolveApplyOptions } from '../nn/module.js';
import {
  type LatencyClock,
  type MeasureLatencyOptions,
  resolveMeasureLatencyOptions,
  settle,
  summarize,
} from './measure-latency.js';
import type { ProfileOptions, ProfileTarget } from './profile-model.js';

/** One measured layer configuration. */
export interface LatencyEntry {
  /** Median milliseconds per call. */
  readonly ms: number;
  /** What was timed: the layer class of the model the table was built from, or `tf` for an equivalent op. */
  readonly measured: string;
}

/**
 * Per-layer latencies keyed by configuration ({@link latencyKey}), measured in isolation on one
 * backend. Plain JSON: `JSON.stringify` it to cache it, pass it back as `cache` to extend it.
 */
export interface LatencyTable {
  readonly version: 1;
  /** The TF.js backend the entries were measured on. */
  readonly backend: string;
  /** Examples per call. */
  readonly batchSize: number;
  /** What was timed (see {@link MeasureLatencyOptions.clock}). */
  readonly clock: LatencyClock;
  readonly entries: Readonly<Record<string, LatencyEntry>>;
}

/** Options of {@link buildLatencyTable}. */
export interface BuildLatencyTableOptions extends ProfileOptions {
  /**
   * Untimed rounds over all entries (each round calls every entry once).
   * @default 2
   */
  warmup?: number;
  /**
   * Keep warming up, round after round, until this many milliseconds have passed (see
   * {@link MeasureLatencyOptions.warmupMs}).
   * @default 1000
   */
  warmupMs?: number;
  /**
   * Timed rounds: each takes one sample of every entry (a sample averages enough calls to last
   * about a millisecond; on synchronous backends a single call); an entry is the median of its samples.
   * @default 50
   */
  runs?: number;
  /**
   * Examples per call.
   * @default 1
   */
  batchSize?: number;
  /**
   * What to time: elapsed (`wall`) or process CPU time (`cpu`, Node only); see {@link MeasureLatencyOptions.clock}.
   * @default 'wall'
   */
  clock?: LatencyClock;
  /** A table to extend: its entries are reused, only new configurations are measured. Must match backend, batch size and clock. */
  cache?: LatencyTable;
  /**
   * Reads a clock of your own, in milliseconds (see {@link MeasureLatencyOptions.now}); it also
   * times the warm-up and the probes.
   * @default the reading of `clock`
   */
  now?: () => number;
}

/** What {@link predictLatency} returns. */
export interface LatencyPrediction {
  /** Sum of the layers' entries, milliseconds. */
  readonly ms: number;
  readonly layers: ReadonlyArray<{ readonly name: string; readonly key: string; readonly ms: number }>;
}

const hw = (shape: LayerShape): string =>
  shape.length === 3
    ? shape[0] === shape[1]
      ? `hw${shape[0]}`
      : `hw${shape[0]}x${shape[1]}`
    : `n${shape.length}`;
const dims = (shape: LayerShape): string => shape.join('x');
const pair = (p: readonly [number, number] | undefined, fallback: number): string => {
  const [a, b] = p ?? [fallback, fallback];
  return a === b ? `${a}` : `${a}x${b}`;
};
const lastDim = (shape: LayerShape): number => shape[shape.length - 1] ?? 0;

function paddingTag(node: LayerNode): string {
  const padding = node.padding ?? 'valid';
  if (padding === 'same') return '';
  if (padding === 'valid') return ':valid';
  return `:pad${padding.flat().join('-')}`;
}

/**
 * The configuration key of a layer: everything its latency depends on, e.g.
 * `conv2d:k3:s1:g1:in32:out64:hw32` (input 32×32, 'same' padding, no bias). `undefined` for
 * input nodes, which cost nothing.
 */
export function latencyKey(node: LayerNode): string | undefined {
  const input = node.inputShapes[0] ?? [];
  const extras = `${node.useBias === true ? ':bias' : ''}${node.activation !== undefined && node.op !== 'activation' ? `:${node.activation}` : ''}`;
  switch (node.op) {
    case 'input':
      return undefined;
    case 'conv2d':
    case 'separableConv2d': {
      const dilation = pair(node.dilation, 1) === '1' ? '' : `:d${pair(node.dilation, 1)}`;
      const grouping = node.op === 'conv2d' ? `g${node.groups ?? 1}` : `m${node.depthMultiplier ?? 1}`;
      return `${node.op}:k${pair(node.kernelSize, 1)}:s${pair(node.strides, 1)}:${grouping}:in${lastDim(input)}:out${node.outChannels}:${hw(input)}${paddingTag(node)}${dilation}${extras}`;
    }
    case 'dense': {
      const rows = input.slice(0, -1).reduce((a, b) => a * b, 1);
      return `dense:in${lastDim(input)}:out${node.outChannels}${rows > 1 ? `:rows${rows}` : ''}${extras}`;
    }
    case 'batchNorm':
      return `batchNorm:c${lastDim(input)}:${hw(input)}`;
    case 'activation':
      return `activation:${node.activation}:${dims(input)}`;
    case 'maxPool':
    case 'avgPool':
      return `${node.op}:k${pair(node.kernelSize, 1)}:s${pair(node.strides, 1)}:c${lastDim(input)}:${hw(input)}${paddingTag(node)}`;
    case 'globalAvgPool':
    case 'globalMaxPool':
      return `${node.op}:c${lastDim(input)}:${hw(input)}`;
    case 'pad':
      return `pad:${(node.paddings ?? []).flat().join('-')}:s${pair(node.strides, 1)}:${dims(input)}`;
    case 'add':
    case 'mul':
      return `${node.op}:${node.inputShapes.map(dims).join('+')}`;
    case 'concat':
      return `concat:${node.inputShapes.map(lastDim).join('+')}:${dims(input.slice(0, -1))}`;
    case 'flatten':
    case 'dropout':
    case 'identity':
      return `${node.op}:${dims(input)}`;
  }
}

/**
 * The op of a graph node's activation: automl-ts's own kinds through `activate` (the code the
 * `Activation` layer runs), and the further Keras activations a `tf.LayersModel` may hold.
 */
function activation(x: tf.Tensor, kind: string, alpha: number | undefined, name: string): tf.Tensor {
  if (kind === 'linear') return activate(x, 'identity');
  if ((ACTIVATION_KINDS as readonly string[]).includes(kind)) return activate(x, kind as ActivationKind);
  switch (kind) {
    case 'tanh':
      return tf.tanh(x);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'softmax':
      return tf.softmax(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, alpha ?? 0.2);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'softplus':
      return tf.softplus(x);
    default:
      throw new AutomlError(
        '@automl-ts/core/buildLatencyTable',
        `layer "${name}": no equivalent op for activation "${kind}"`,
      );
  }
}

type Runner = (inputs: readonly tf.Tensor[]) => tf.Tensor;

const random = (shape: readonly number[]): tf.Tensor => tf.randomNormal([...shape], 0, 0.1);

/**
 * A TF.js op computing what `node` computes, with random weights (owned by the returned
 * `weights`, freed by the caller). Used for joins and for tables built from a bare graph.
 */
function syntheticRunner(node: LayerNode): { run: Runner; weights: tf.Tensor[] } {
  const weights: tf.Tensor[] = [];
  const weight = (shape: readonly number[]): tf.Tensor => {
    const t = random(shape);
    weights.push(t);
    return t;
  };
  const input = node.inputShapes[0] ?? [];
  const inChannels = lastDim(input);
  const padding = node.padding ?? 'valid';
  const pad = (x: tf.Tensor): [tf.Tensor4D, 'same' | 'valid'] =>
    typeof padding === 'string'
      ? [x as tf.Tensor4D, padding]
      : [tf.pad(x, [[0, 0], [...padding[0]], [...padding[1]], [0, 0]]) as tf.Tensor4D, 'valid'];
  const strides = [...(node.strides ?? [1, 1])] as [number, number];
  const dilation = [...(node.dilation ?? [1, 1])] as [number, number];
  const [kh, kw] = node.kernelSize ?? [1, 1];
  const out = node.outChannels ?? 0;
  const bias = node.useBias === true ? weight([out]) : undefined;
  const finish = (y: tf.Tensor): tf.Tensor => {
    const biased = bias === undefined ? y : tf.add(y, bias);
    return node.activation === undefined
      ? biased
      : activation(biased, node.activation, node.alpha, node.name);
  };
  switch (node.op) {
    case 'conv2d': {
      const groups = node.groups ?? 1;
      const depthwise = isDepthwise(node);
      const kernel = weight(
        depthwise ? [kh, kw, inChannels, out / inChannels] : [kh, kw, inChannels / groups, out],
      );
      return {
        weights,
        run: ([x]) => {
          const [padded, mode] = pad(x as tf.Tensor);
          const filter = kernel as tf.Tensor4D;
          if (depthwise) return finish(tf.depthwiseConv2d(padded, filter, strides, mode, 'NHWC', dilation));
          if (groups === 1) return finish(tf.conv2d(padded, filter, strides, mode, 'NHWC', dilation));
          const parts = tf.split(padded, groups, 3);
          const kernels = tf.split(filter, groups, 3);
          return finish(
            tf.concat(
              parts.map((p, g) =>
                tf.conv2d(p as tf.Tensor4D, kernels[g] as tf.Tensor4D, strides, mode, 'NHWC', dilation),
              ),
              3,
            ),
          );
        },
      };
    }
    case 'separableConv2d': {
      const m = node.depthMultiplier ?? 1;
      const depthwise = weight([kh, kw, inChannels, m]) as tf.Tensor4D;
      const pointwise = weight([1, 1, inChannels * m, out]) as tf.Tensor4D;
      return {
        weights,
        run: ([x]) =>
          finish(
            tf.separableConv2d(
              x as tf.Tensor4D,
              depthwise,
              pointwise,
              strides,
              padding === 'same' ? 'same' : 'valid',
              dilation,
            ),
          ),
      };
    }
    case 'dense': {
      const kernel = weight([inChannels, out]) as tf.Tensor2D;
      return {
        weights,
        run: ([x]) => {
          const t = x as tf.Tensor;
          const flat = t.rank === 2 ? (t as tf.Tensor2D) : (tf.reshape(t, [-1, inChannels]) as tf.Tensor2D);
          const y = tf.matMul(flat, kernel);
          return finish(t.rank === 2 ? y : tf.reshape(y, [...t.shape.slice(0, -1), out]));
        },
      };
    }
    case 'batchNorm': {
      const [mean, variance, offset, scale] = [
        weight([inChannels]),
        tf.abs(weight([inChannels])),
        weight([inChannels]),
        weight([inChannels]),
      ];
      weights.push(variance);
      return {
        weights,
        run: ([x]) => tf.batchNorm(x as tf.Tensor, mean, variance, offset, scale, node.epsilon ?? 1e-3),
      };
    }
    case 'activation':
      return {
        weights,
        run: ([x]) => activation(x as tf.Tensor, node.activation ?? 'linear', node.alpha, node.name),
      };
    case 'maxPool':
    case 'avgPool': {
      const size = [kh, kw] as [number, number];
      const mode = padding === 'same' ? 'same' : 'valid';
      return {
        weights,
        run: ([x]) =>
          (node.op === 'maxPool' ? tf.maxPool : tf.avgPool)(x as tf.Tensor4D, size, strides, mode),
      };
    }
    case 'globalAvgPool':
      return { weights, run: ([x]) => tf.mean(x as tf.Tensor, [1, 2]) };
    case 'globalMaxPool':
      return { weights, run: ([x]) => tf.max(x as tf.Tensor, [1, 2]) };
    case 'flatten':
      return { weights, run: ([x]) => tf.reshape(x as tf.Tensor, [(x as tf.Tensor).shape[0] as number, -1]) };
    case 'dropout':
    case 'identity':
      return { weights, run: ([x]) => tf.clone(x as tf.Tensor) };
    case 'pad': {
      const [rows, cols, channels] = node.paddings ?? [
        [0, 0],
        [0, 0],
        [0, 0],
      ];
      return {
        weights,
        run: ([x]) => {
          const sub =
            strides[0] === 1 && strides[1] === 1
              ? (x as tf.Tensor4D)
              : tf.avgPool(x as tf.Tensor4D, [1, 1], strides, 'valid');
          return tf.pad(sub, [[0, 0], [...rows], [...cols], [...channels]]);
        },
      };
    }
    case 'add':
      return { weights, run: (xs) => tf.addN([...xs]) };
    case 'mul':
      return {
        weights,
        run: (xs) =>
          xs.length === 1
            ? tf.mul(xs[0] as tf.Tensor, 0)
            : xs.slice(1).reduce((acc, t) => tf.mul(acc, t), xs[0] as tf.Tensor),
      };
    case 'concat':
      return { weights, run: (xs) => tf.concat([...xs], -1) };
    case 'input':
      throw new AutomlError('@automl-ts/core/buildLatencyTable', 'input nodes are not measured');
  }
}

const JOINS = new Set(['add', 'mul', 'concat']);

/** The layers of `target` to time: the model's own layers where possible. */
function layerRunners(source: string, target: ProfileTarget, options: ProfileOptions) {
  const candidate = target as Partial<Module> & Partial<tf.LayersModel>;
  if (target instanceof NetworkGraph) {
    const graph = options.inputShape === undefined ? target : target.atInputShape(options.inputShape);
    return { graph, real: new Map<string, { run: Runner; className: string }>() };
  }
  if (typeof candidate.namedParameters === 'function') {
    const module = target as Module;
    if (options.inputShape === undefined) {
      throw new AutomlError(source, `options.inputShape is required for a Module (${module.className})`);
    }
    const traced = traceModule(module, options.traceInputShape ?? options.inputShape, options.arch);
    let graph = graphOfTrace(traced, options.arch);
    if (options.traceInputShape !== undefined) graph = graph.atInputShape(options.inputShape);
    const ctx: ApplyContext = resolveApplyOptions(options.arch === undefined ? {} : { arch: options.arch });
    const real = new Map<string, { run: Runner; className: string }>();
    for (const [name, layer] of traced.modules) {
      // Composition modules report joins; running them would run their whole subtree.
      if (layer.children().size === 0 && !JOINS.has(graph.layer(name).op)) {
        real.set(name, { run: ([x]) => layer.forward(x as tf.Tensor, ctx), className: layer.className });
      }
    }
    return { graph, real };
  }
  if (typeof candidate.predict === 'function') {
    const walked = walkLayersModel(target as tf.LayersModel);
    let graph = graphOfWalk(walked);
    if (options.inputShape !== undefined) graph = graph.atInputShape(options.inputShape);
    const real = new Map<string, { run: Runner; className: string }>();
    for (const [name, layer] of walked.layers) {
      const keras: KerasLayer = layer;
      real.set(name, {
        run: (xs) => keras.apply(xs.length === 1 ? (xs[0] as tf.Tensor) : [...xs]) as tf.Tensor,
        className: keras.getClassName(),
      });
    }
    return { graph, real };
  }
  throw new AutomlError(
    source,
    `expected a Module, a tf.LayersModel or a NetworkGraph, got ${describeValue(target)}`,
  );
}

/** Backends whose kernels finish inside the op call (no command queue to wait for). */
const SYNCHRONOUS_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/** One table entry being timed. */
interface TimingJob {
  readonly key: string;
  readonly measured: string;
  readonly run: () => tf.Tensor;
  /** Back-to-back calls averaged per sample. */
  calls: number;
  readonly samples: number[];
}

/**
 * Times every job in rounds: each round takes one sample of each job, so a burst of load from
 * elsewhere spreads over all entries instead of inflating the few measured while it lasted, and
 * the median per entry discards it. Warm-up runs all jobs round-robin too (at least `warmup`
 * rounds and `warmupMs`), so V8 has compiled the shared layer-dispatch code before any sample.
 */
async function timeJobs(
  jobs: readonly TimingJob[],
  warmup: number,
  warmupMs: number,
  runs: number,
  now: () => number,
  wallNow: () => number,
): Promise<void> {
  const warmupStart = wallNow();
  for (let round = 0; round < warmup || wallNow() - warmupStart < warmupMs; round++) {
    for (const job of jobs) await settle(job.run());
    if (jobs.length === 0) break;
  }
  const synchronous = SYNCHRONOUS_BACKENDS.has(tf.getBackend());
  if (!synchronous) {
    for (const job of jobs) {
      const probeStart = wallNow();
      await settle(job.run());
      const probe = wallNow() - probeStart;
      // Average enough back-to-back calls per sample that timer resolution and the final download do not dominate.
      job.calls = Math.max(1, Math.min(64, Math.round(1 / Math.max(probe, 1e-3))));
    }
  }
  for (let round = 0; round < runs; round++) {
    if (synchronous) {
      // Kernels run inside the op call, so one call can be timed without waiting for a download.
      // A round calls the layers once each, in network order, so each finds the caches the way
      // it does inside the network: its weights evicted by the layers run since its last call.
      // Outputs live until the round ends, as intermediates do inside a network's tidy scope.
      const outputs: tf.Tensor[] = [];
      for (const job of jobs) {
        const start = now();
        outputs.push(job.run());
        job.samples.push(now() - start);
      }
      tf.dispose(outputs);
      continue;
    }
    for (const job of jobs) {
      const outputs: tf.Tensor[] = [];
      const start = now();
      for (let c = 1; c < job.calls; c++) outputs.push(job.run());
      await settle(job.run());
      tf.dispose(outputs);
      job.samples.push((now() - start) / job.calls);
    }
  }
}

/**
 * Builds a latency lookup table: each distinct layer configuration of the network
 * ({@link latencyKey}) is timed in isolation on the current backend, on random inputs of its
 * shapes. Layers are timed through the model's own layer objects when a Module or
 * `tf.LayersModel` is given (so implementation details count), through an equivalent TF.js op
 * for joins and bare graphs. {@link predictLatency} sums the entries of a network's layers.
 *
 * @example
 * await initBackend({ prefer: 'wasm' });
 * const table = await buildLatencyTable(model, { inputShape: [128, 128, 3] });
 * await writeFile('lut.json', JSON.stringify(table));
 * predictLatency(table, NetworkGraph.fromModule(candidate, [128, 128, 3])).ms;
 */
export async function buildLatencyTable(
  target: ProfileTarget,
  options: BuildLatencyTableOptions = {},
): Promise<LatencyTable> {
  const source = '@automl-ts/core/buildLatencyTable';
  const { warmup, warmupMs, runs, batchSize, clock, now, wallNow } = resolveMeasureLatencyOptions(source, {
    warmup: options.warmup ?? 2,
    warmupMs: options.warmupMs ?? 1000,
    runs: options.runs ?? 50,
    batchSize: options.batchSize ?? 1,
    clock: options.clock ?? 'wall',
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const backend = tf.getBackend();
  const cache = options.cache;
  if (
    cache !== undefined &&
    (cache.backend !== backend ||
      cache.batchSize !== batchSize ||
      cache.clock !== clock ||
      cache.version !== 1)
  ) {
    throw new AutomlError(
      source,
      `cache was measured on backend "${cache.backend}" with batch size ${cache.batchSize} (${cache.clock} clock); now "${backend}" with ${batchSize} (${clock} clock)`,
    );
  }
  const entries: Record<string, LatencyEntry> = { ...(cache?.entries ?? {}) };
  const { graph, real } = layerRunners(source, target, options);
  // Inputs are shared by shape: one random tensor per distinct input shape.
  const inputsByShape = new Map<string, tf.Tensor>();
  const input = (shape: LayerShape): tf.Tensor => {
    const id = dims(shape);
    let t = inputsByShape.get(id);
    if (t === undefined) {
      t = tf.randomNormal([batchSize, ...shape]);
      inputsByShape.set(id, t);
    }
    return t;
  };
  const weights: tf.Tensor[] = [];
  const jobs: TimingJob[] = [];
  const queued = new Set<string>();
  try {
    for (const node of graph.layers()) {
      const key = latencyKey(node);
      if (key === undefined || entries[key] !== undefined || queued.has(key)) continue;
      queued.add(key);
      const inputs = node.inputShapes.map(input);
      const own = real.get(node.name);
      let run: Runner;
      if (own === undefined) {
        const synthetic = syntheticRunner(node);
        weights.push(...synthetic.weights);
        run = synthetic.run;
      } else {
        run = own.run;
      }
      jobs.push({
        key,
        measured: own?.className ?? 'tf',
        run: () => tf.tidy(() => run(inputs)),
        calls: 1,
        samples: [],
      });
    }
    await timeJobs(jobs, warmup, warmupMs, runs, now, wallNow);
  } finally {
    tf.dispose([...inputsByShape.values(), ...weights]);
  }
  for (const job of jobs)
    entries[job.key] = { ms: summarize(job.samples, backend).median, measured: job.measured };
  return { version: 1, backend, batchSize, clock, entries };
}

/**
 * Predicted latency of a network: the sum of its layers' entries in `table`. Throws listing the
 * configurations the table lacks (extend it with `buildLatencyTable(graph, { cache: table })`).
 *
 * @example
 * const { ms } = predictLatency(table, graph);
 */
export function predictLatency(table: LatencyTable, graph: NetworkGraph): LatencyPrediction {
  const layers: Array<{ name: string; key: string; ms: number }> = [];
  const missing = new Set<string>();
  for (const node of graph.layers()) {
    const key = latencyKey(node);
    if (key === undefined) continue;
    const entry = table.entries[key];
    if (entry === undefined) missing.add(key);
    else layers.push({ name: node.name, key, ms: entry.ms });
  }
  if (missing.size > 0) {
    const list = [...missing];
    throw new AutomlError(
      '@automl-ts/core/predictLatency',
      `the table has no entry for ${list.length} configuration(s): ${list.slice(0, 5).join(', ')}${list.length > 5 ? ', …' : ''}; extend it with buildLatencyTable(graph, { cache: table })`,
    );
  }
  return { ms: layers.reduce((sum, layer) => sum + layer.ms, 0), layers };
}
