import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Architecture } from '@automl-ts/core';
import { Piscina } from 'piscina';
import { describeValue, errorFactory } from '../internal/errors.js';
import type { JsonValue } from '../strategies/strategy.js';
import type { EvaluationContext, Metrics } from '../types.js';
import type { Evaluator } from './evaluator.js';
import { moduleSpecifier } from './load-evaluator.js';
import type { PoolTask, PoolWorkerData } from './pool-worker.js';

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * The evaluator module (absolute path, `file:` URL or package name); it must export
   * `createEvaluator(options, context)` ({@link EvaluatorFactory}). Each worker imports it and
   * builds its own evaluator once.
   */
  module: string | URL;
  /**
   * JSON options passed to `createEvaluator` in every worker.
   * @default null
   */
  options?: JsonValue;
  /**
   * Worker threads.
   * @default os.availableParallelism()
   */
  workers?: number;
  /**
   * Node options of the worker threads (e.g. `['--import', 'tsx']` for a TypeScript evaluator module).
   * @default the parent's process.execArgv
   */
  execArgv?: readonly string[];
}

/** {@link WorkerPoolOptions} with defaults filled in. */
export type ResolvedWorkerPoolOptions = {
  readonly module: string;
  readonly options: JsonValue;
  readonly workers: number;
  readonly execArgv: readonly string[];
};

/** Fills defaults and validates {@link WorkerPoolOptions}. */
export function resolveWorkerPoolOptions(options: WorkerPoolOptions): ResolvedWorkerPoolOptions {
  const fail = errorFactory('createWorkerPool');
  if (typeof options !== 'object' || options === null)
    throw fail(`expected options, got ${describeValue(options)}`);
  const { module, workers = availableParallelism(), execArgv = process.execArgv } = options;
  if (!(module instanceof URL) && (typeof module !== 'string' || module.length === 0)) {
    throw fail(`module must be a path or URL of an evaluator module, got ${describeValue(module)}`);
  }
  if (!Number.isInteger(workers) || workers < 1)
    throw fail(`workers must be a positive integer, got ${describeValue(workers)}`);
  return { module: moduleSpecifier(module), options: options.options ?? null, workers, execArgv };
}

/**
 * The worker script: the built `pool-worker.js` beside the bundle, or, when running from sources
 * (tests, tsx), `pool-worker.ts` loaded through tsx.
 */
function workerScript(execArgv: readonly string[]): { filename: string; execArgv: string[] } {
  const built = new URL('./pool-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return { filename: built.href, execArgv: [...execArgv] };
  const source = new URL('./pool-worker.ts', import.meta.url);
  const hasTsx = execArgv.some((arg, i) => arg === 'tsx' && execArgv[i - 1] === '--import');
  return { filename: source.href, execArgv: hasTsx ? [...execArgv] : [...execArgv, '--import', 'tsx'] };
}

/**
 * A pool of worker threads (Piscina) that evaluate architectures in parallel; each worker builds
 * its own evaluator from a module, so each has its own TF.js backend and data. Results equal
 * sequential evaluation when the evaluator derives its randomness from `context.seed`.
 * Close it when done.
 *
 * @example
 * const pool = createWorkerPool({ module: new URL('./evaluate-mlp.js', import.meta.url), options: { epochs: 2 }, workers: 2 });
 * const result = await runSearch({ space, evaluator: pool, concurrency: 2, ... });
 * await pool.close();
 */
export class WorkerPool implements Evaluator {
  readonly #pool: Piscina<PoolTask, Metrics>;
  /** The resolved options. */
  readonly options: ResolvedWorkerPoolOptions;

  constructor(options: WorkerPoolOptions) {
    this.options = resolveWorkerPoolOptions(options);
    const script = workerScript(this.options.execArgv);
    const workerData: PoolWorkerData = { module: this.options.module, options: this.options.options };
    this.#pool = new Piscina<PoolTask, Metrics>({
      filename: script.filename,
      execArgv: script.execArgv,
      workerData,
      minThreads: this.options.workers,
      maxThreads: this.options.workers,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
  }

  /** Worker threads of the pool. */
  get workers(): number {
    return this.options.workers;
  }

  /** Evaluates `arch` on the next free worker. */
  evaluate(arch: Architecture, context: EvaluationContext): Promise<Metrics> {
    return this.#pool.run({ arch, context });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

/** Creates a {@link WorkerPool}. */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  return new WorkerPool(options);
}
