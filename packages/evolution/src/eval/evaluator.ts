import type { Architecture } from '@automl-ts/core';
import { describeValue, errorFactory, messageOf } from '../internal/errors.js';
import { Semaphore } from '../internal/semaphore.js';
import type { EvaluationContext, Metrics } from '../types.js';

/** A function that scores an architecture: train, or look up, or measure. */
export type EvaluateFunction = (arch: Architecture, context: EvaluationContext) => Metrics | Promise<Metrics>;

/** An evaluator with resources to release (a worker pool, a queue connection). */
export interface Evaluator {
  evaluate(arch: Architecture, context: EvaluationContext): Promise<Metrics>;
  /** Releases the evaluator's resources. A search never closes the evaluator it was given. */
  close?(): Promise<void>;
}

/** Either form of evaluator a search accepts. */
export type EvaluatorLike = EvaluateFunction | Evaluator;

/** The result of evaluating one architecture, after retries. */
export type EvaluationOutcome =
  | {
      readonly status: 'ok';
      readonly metrics: Metrics;
      readonly attempts: number;
      readonly durationMs: number;
    }
  | {
      readonly status: 'failed';
      readonly error: string;
      readonly attempts: number;
      readonly durationMs: number;
    };

/** Options of {@link CachedEvaluator}. */
export interface CachedEvaluatorOptions {
  /**
   * Evaluations running at once.
   * @default 1
   */
  concurrency?: number;
  /**
   * Extra tries after an evaluator throws; then the architecture is recorded as failed.
   * @default 2
   */
  retries?: number;
  /**
   * Wait before each retry, in milliseconds.
   * @default 0
   */
  retryDelayMs?: number;
  /**
   * The cache key of an architecture (a search passes its space's `key`).
   * @default JSON of the entries sorted by name
   */
  key?: (arch: Architecture) => string;
  /**
   * Seed the per-architecture evaluation seeds are derived from.
   * @default 0
   */
  seed?: number | string;
}

/** {@link CachedEvaluatorOptions} with defaults filled in. */
export type ResolvedCachedEvaluatorOptions = {
  readonly concurrency: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly key: (arch: Architecture) => string;
  readonly seed: number | string;
};

/** Fills defaults and validates {@link CachedEvaluatorOptions}. */
export function resolveCachedEvaluatorOptions(
  options: CachedEvaluatorOptions = {},
): ResolvedCachedEvaluatorOptions {
  const fail = errorFactory('resolveCachedEvaluatorOptions');
  const { concurrency = 1, retries = 2, retryDelayMs = 0, key = architectureKey, seed = 0 } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw fail(`concurrency must be a positive integer, got ${describeValue(concurrency)}`);
  }
  if (!Number.isInteger(retries) || retries < 0)
    throw fail(`retries must be an integer >= 0, got ${describeValue(retries)}`);
  if (!(retryDelayMs >= 0) || !Number.isFinite(retryDelayMs)) {
    throw fail(`retryDelayMs must be a finite number >= 0, got ${describeValue(retryDelayMs)}`);
  }
  if (typeof key !== 'function') throw fail('key must be a function');
  return { concurrency, retries, retryDelayMs, key, seed };
}

/** A canonical key of any architecture: JSON of its entries sorted by name. */
export function architectureKey(arch: Architecture): string {
  return JSON.stringify(
    Object.keys(arch)
      .sort()
      .map((name) => [name, arch[name]]),
  );
}

/** A stable 31-bit seed for evaluating one architecture in one search (FNV-1a of seed and key). */
export function evaluationSeed(seed: number | string, key: string): number {
  const text = `${seed}\u0000${key}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & 0x7fffffff;
}

/** Normalises either form of evaluator to an {@link Evaluator}. */
export function toEvaluator(evaluator: EvaluatorLike): Evaluator {
  if (typeof evaluator === 'function') {
    return { evaluate: async (arch, context) => evaluator(arch, context) };
  }
  if (typeof evaluator !== 'object' || evaluator === null || typeof evaluator.evaluate !== 'function') {
    throw errorFactory('toEvaluator')(
      `expected a function or an object with evaluate(), got ${describeValue(evaluator)}`,
    );
  }
  return evaluator;
}

/**
 * Wraps an evaluator with a concurrency limit, retries and a cache: an architecture is evaluated
 * at most once (concurrent requests for it share one evaluation; a failure after all retries is
 * cached too). A search builds one of these around the evaluator it is given.
 *
 * @example
 * const evaluator = new CachedEvaluator(async (arch) => ({ accuracy: await train(arch) }), { concurrency: 4 });
 * const outcome = await evaluator.evaluate({ depth: 3, width: 32 });
 */
export class CachedEvaluator {
  readonly #evaluator: Evaluator;
  readonly #options: ResolvedCachedEvaluatorOptions;
  readonly #semaphore: Semaphore;
  readonly #cache = new Map<string, Promise<EvaluationOutcome>>();
  #evaluations = 0;

  constructor(evaluator: EvaluatorLike, options: CachedEvaluatorOptions = {}) {
    this.#evaluator = toEvaluator(evaluator);
    this.#options = resolveCachedEvaluatorOptions(options);
    this.#semaphore = new Semaphore(this.#options.concurrency);
  }

  /** Architectures actually evaluated (cache misses). */
  get evaluations(): number {
    return this.#evaluations;
  }

  /** True when `arch` has been evaluated or is being evaluated. */
  has(arch: Architecture): boolean {
    return this.#cache.has(this.#options.key(arch));
  }

  /** Puts a known outcome in the cache (a resumed search replays its history this way). */
  remember(arch: Architecture, outcome: EvaluationOutcome): void {
    this.#cache.set(this.#options.key(arch), Promise.resolve(outcome));
  }

  /** The outcome for `arch`, evaluating it only if it was never asked for. */
  evaluate(arch: Architecture): Promise<EvaluationOutcome> {
    return this.request(arch).outcome;
  }

  /** Like {@link CachedEvaluator.evaluate}, and tells whether the outcome came from the cache. */
  request(arch: Architecture): { readonly cached: boolean; readonly outcome: Promise<EvaluationOutcome> } {
    const key = this.#options.key(arch);
    const known = this.#cache.get(key);
    if (known !== undefined) return { cached: true, outcome: known };
    this.#evaluations++;
    const outcome = this.#semaphore.run(() =>
      this.#evaluateWithRetries(arch, evaluationSeed(this.#options.seed, key)),
    );
    this.#cache.set(key, outcome);
    return { cached: false, outcome };
  }

  async #evaluateWithRetries(arch: Architecture, seed: number): Promise<EvaluationOutcome> {
    const started = performance.now();
    let lastError = '';
    const tries = this.#options.retries + 1;
    for (let attempt = 1; attempt <= tries; attempt++) {
      if (attempt > 1 && this.#options.retryDelayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, this.#options.retryDelayMs));
      }
      try {
        const metrics = await this.#evaluator.evaluate(arch, { seed, attempt });
        if (typeof metrics !== 'object' || metrics === null) {
          throw errorFactory('evaluate')(
            `the evaluator returned ${describeValue(metrics)}, expected a metrics object`,
          );
        }
        return { status: 'ok', metrics, attempts: attempt, durationMs: performance.now() - started };
      } catch (error) {
        lastError = messageOf(error);
      }
    }
    return { status: 'failed', error: lastError, attempts: tries, durationMs: performance.now() - started };
  }
}
