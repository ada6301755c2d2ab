import * as tf from '@tensorflow/tfjs';
import type { LayerShape } from '../graph/types.js';
import { AutomlError, describeValue } from '../internal/errors.js';
import { checkInteger } from '../nn/layers/layer-utils.js';
import type { ArchValues, Module } from '../nn/module.js';

/** What {@link measureLatency} runs: a Module (`apply`), a `tf.LayersModel` (`predict`) or a function. */
export type LatencyTarget = Module | tf.LayersModel | ((x: tf.Tensor) => tf.Tensor | tf.Tensor[]);

/** Options of {@link measureLatency}. */
export interface MeasureLatencyOptions {
  /**
   * Untimed runs first (kernel compilation, memory pools, JIT).
   * @default 3
   */
  warmup?: number;
  /**
   * Keep warming up until this many milliseconds have passed (and at least `warmup` runs). V8
   * compiles TF.js's dispatch code only after it has run a while: on wasm, a MobileNet's first
   * ~100 calls are up to 2× slower than the steady state, more than a few warm-up runs cover.
   * @default 500
   */
  warmupMs?: number;
  /**
   * Timed runs.
   * @default 20
   */
  runs?: number;
  /**
   * Examples per run.
   * @default 1
   */
  batchSize?: number;
  /** The architecture a Module with choices runs. */
  arch?: ArchValues;
  /**
   * What to time. `wall`: elapsed time (what a user waits). `cpu`: this process's CPU time (Node
   * only), which other processes on a busy machine do not inflate; meaningful for synchronous
   * single-threaded backends (wasm in Node, cpu).
   * @default 'wall'
   */
  clock?: LatencyClock;
  /**
   * Reads a clock of your own, in milliseconds: a device's timer, or a test's controlled clock.
   * It replaces the reading of `clock` for the samples and the wall clock for the warm-up (and for
   * the probe that sizes samples on asynchronous backends); `clock` still names what is timed.
   * @default the reading of `clock`
   */
  now?: () => number;
}

/** See {@link MeasureLatencyOptions.clock}. */
export type LatencyClock = 'wall' | 'cpu';

/** Latency statistics in milliseconds (of the chosen clock), on the backend that was current. */
export interface LatencyStats {
  readonly median: number;
  /** 90th percentile (nearest rank). */
  readonly p90: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  /** Timed runs. */
  readonly runs: number;
  /** `tf.getBackend()` during the measurement. */
  readonly backend: string;
  /** Every timed run, in order. */
  readonly samples: readonly number[];
}

/** Resolved {@link MeasureLatencyOptions}. */
export interface ResolvedMeasureLatencyOptions {
  readonly warmup: number;
  readonly warmupMs: number;
  readonly runs: number;
  readonly batchSize: number;
  readonly arch: ArchValues | undefined;
  readonly clock: LatencyClock;
  /** Milliseconds on the chosen clock (or `options.now`). */
  readonly now: () => number;
  /** Milliseconds of elapsed time for the warm-up and probes (`options.now` when given). */
  readonly wallNow: () => number;
}

type CpuUsage = () => { user: number; system: number };

function clockOf(source: string, clock: unknown): () => number {
  if (clock === 'wall') return () => performance.now();
  if (clock === 'cpu') {
    const cpuUsage = (globalThis as { process?: { cpuUsage?: CpuUsage } }).process?.cpuUsage;
    if (typeof cpuUsage !== 'function')
      throw new AutomlError(source, 'clock "cpu" needs Node\'s process.cpuUsage()');
    return () => {
      const { user, system } = cpuUsage();
      return (user + system) / 1000;
    };
  }
  throw new AutomlError(source, `clock must be "wall" or "cpu", got ${describeValue(clock)}`);
}

/** Fills defaults and validates; throws naming the bad option. */
export function resolveMeasureLatencyOptions(
  source: string,
  options: MeasureLatencyOptions = {},
): ResolvedMeasureLatencyOptions {
  const int = (name: 'warmup' | 'runs' | 'batchSize', fallback: number, min: number): number =>
    checkInteger(source, name, options[name] ?? fallback, min);
  const clock = options.clock ?? 'wall';
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new AutomlError(
      source,
      `now must be a function returning milliseconds, got ${describeValue(options.now)}`,
    );
  }
  const warmupMs = options.warmupMs ?? 500;
  if (typeof warmupMs !== 'number' || !(warmupMs >= 0) || !Number.isFinite(warmupMs)) {
    throw new AutomlError(source, `warmupMs must be a number >= 0, got ${describeValue(warmupMs)}`);
  }
  return {
    warmup: int('warmup', 3, 0),
    warmupMs,
    runs: int('runs', 20, 1),
    batchSize: int('batchSize', 1, 1),
    arch: options.arch,
    clock,
    now: options.now ?? clockOf(source, clock),
    wallNow: options.now ?? (() => performance.now()),
  };
}

/** Summary statistics of timing samples (milliseconds). */
export function summarize(samples: readonly number[], backend: string): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(middle)] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return {
    median,
    p90: at(0.9),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    min: sorted[0] ?? 0,
    max: sorted[sorted.length - 1] ?? 0,
    runs: samples.length,
    backend,
    samples: [...samples],
  };
}

/**
 * Waits until every output is computed, then frees them. Downloads one element per output: that
 * forces asynchronous backends to finish, without timing a copy of the whole tensor.
 */
export async function settle(output: tf.Tensor | tf.Tensor[]): Promise<void> {
  const outputs = Array.isArray(output) ? output : [output];
  const probes = tf.tidy(() => outputs.map((t) => tf.slice(tf.reshape(t, [-1]), 0, 1)));
  try {
    await Promise.all(probes.map((t) => t.data()));
  } finally {
    tf.dispose([...outputs, ...probes]);
  }
}

function runnerOf(source: string, target: LatencyTarget, arch: ArchValues | undefined) {
  if (typeof target === 'function') {
    // An output that is the input itself must not be freed between runs.
    return (x: tf.Tensor) => {
      const y = target(x);
      return y === x ? tf.clone(x) : y;
    };
  }
  const candidate = target as Partial<Module> & Partial<tf.LayersModel>;
  if (typeof candidate.namedParameters === 'function') {
    const module = target as Module;
    return (x: tf.Tensor) => module.apply(x, arch === undefined ? {} : { arch });
  }
  if (typeof candidate.predict === 'function') {
    const model = target as tf.LayersModel;
    return (x: tf.Tensor) => model.predict(x) as tf.Tensor | tf.Tensor[];
  }
  throw new AutomlError(
    source,
    `expected a Module, a tf.LayersModel or a function, got ${describeValue(target)}`,
  );
}

/**
 * Measures inference latency on the current backend: untimed warm-up runs (at least `warmup`
 * and `warmupMs`), then `runs` timed runs on one random input of shape
 * `[batchSize, ...inputShape]`; each run waits for its output data, so asynchronous backends (WebGL, WebGPU) are timed to completion.
 *
 * @example
 * await initBackend({ prefer: 'wasm' });
 * const { median, p90 } = await measureLatency(model, [96, 96, 3], { warmup: 5, runs: 30 });
 */
export async function measureLatency(
  target: LatencyTarget,
  inputShape: LayerShape,
  options: MeasureLatencyOptions = {},
): Promise<LatencyStats> {
  const source = '@automl-ts/core/measureLatency';
  const resolved = resolveMeasureLatencyOptions(source, options);
  if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new AutomlError(
      source,
      `inputShape must be an array of positive integers, got ${describeValue(inputShape)}`,
    );
  }
  const run = runnerOf(source, target, resolved.arch);
  const x = tf.randomNormal([resolved.batchSize, ...inputShape]);
  try {
    const warmupStart = resolved.wallNow();
    for (let i = 0; i < resolved.warmup || resolved.wallNow() - warmupStart < resolved.warmupMs; i++) {
      await settle(run(x));
    }
    const samples: number[] = [];
    for (let i = 0; i < resolved.runs; i++) {
      const start = resolved.now();
      await settle(run(x));
      samples.push(resolved.now() - start);
    }
    return summarize(samples, tf.getBackend());
  } finally {
    x.dispose();
  }
}
