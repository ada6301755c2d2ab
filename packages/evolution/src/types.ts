import type { Architecture } from '@automl-ts/core';
import { describeValue, errorFactory } from './internal/errors.js';

/** What an evaluator measures for one architecture: named numbers (`accuracy`, `flops`, `latencyMs`). */
export type Metrics = Readonly<Record<string, number>>;

/** A metric to optimise and in which direction. */
export interface Objective {
  readonly metric: string;
  readonly direction: 'minimize' | 'maximize';
}

/** An objective that is better when larger (accuracy). */
export function maximize(metric: string): Objective {
  return objective(metric, 'maximize');
}

/** An objective that is better when smaller (FLOPs, latency, error). */
export function minimize(metric: string): Objective {
  return objective(metric, 'minimize');
}

function objective(metric: string, direction: Objective['direction']): Objective {
  if (typeof metric !== 'string' || metric.length === 0) {
    throw errorFactory(direction)(`metric must be a non-empty string, got ${describeValue(metric)}`);
  }
  return { metric, direction };
}

/** What an evaluator is told besides the architecture. */
export interface EvaluationContext {
  /**
   * A 31-bit seed derived from the search seed and the architecture alone, so an evaluation is
   * reproducible whichever worker runs it and in whatever order (use it for weight init, data order).
   */
  readonly seed: number;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
}

/** One entry of a search history (one line of `history.jsonl`). */
export interface HistoryRecord {
  /** Position in the history, from 0. */
  readonly index: number;
  /** The generation (batch) that proposed it, from 0. */
  readonly generation: number;
  readonly architecture: Architecture;
  /** `failed` when the evaluator threw on every try or returned unusable metrics. */
  readonly status: 'ok' | 'failed';
  /** What the evaluator returned (`{}` when failed). */
  readonly metrics: Metrics;
  /**
   * The objectives as a vector to minimise (maximised metrics negated), with soft-constraint
   * penalties added; `null` when failed.
   */
  readonly objectives: readonly number[] | null;
  /** Total relative violation of the soft constraints (0 when all are met). */
  readonly violation: number;
  /** Why it failed. */
  readonly error?: string;
  /** Tries the evaluator took (0 when the result came from the cache). */
  readonly attempts: number;
  /** True when an earlier record already evaluated this architecture and its result was reused. */
  readonly cached: boolean;
  /** Completion time, ISO 8601. */
  readonly time: string;
  /** Wall-clock evaluation time in milliseconds (0 when cached). */
  readonly durationMs: number;
}
