// Wang et al., "Effective Model Compression via Stage-wise Pruning", 2020, §3.4 (evolutionary search
// of per-layer widths under a resource budget); Real et al., "Regularized Evolution for Image
// Classifier Architecture Search", AAAI 2019; Deb et al., "NSGA-II", IEEE TEC 2002.
import { type Architecture, architectureCost, describeValue, type Supernet } from '@automl-ts/core';
import {
  type Constraint,
  type EvaluatorLike,
  maximize,
  minimize,
  nsga2,
  regularizedEvolution,
  resumeSearch,
  runSearch,
  type SearchEvent,
  type SearchResult,
} from '@automl-ts/evolution';
import { failFor } from './internal/errors.js';
import type { WidthEvaluation, WidthEvaluator } from './width-evaluator.js';

/** A resource budget: any of MACs, parameters or a measured latency (core latency tables). */
export interface WidthBudget {
  /** Most MACs of a candidate (absolute). */
  macs?: number;
  /** Most parameters of a candidate. */
  params?: number;
  /** A latency measure (e.g. a core latency lookup table's estimate, ms) and its bound. */
  latency?: { readonly measure: (arch: Architecture) => number; readonly max: number };
}

/** Options of {@link searchWidths}. */
export interface WidthSearchOptions {
  /** The budget every candidate must meet (hard constraints, checked before evaluation). */
  budget: WidthBudget;
  /** `regularized-evolution` (one objective: accuracy) or `nsga2` (accuracy and MACs). @default 'regularized-evolution' */
  strategy?: 'regularized-evolution' | 'nsga2';
  /** Evaluations (history records). @default 1000 */
  evaluations?: number;
  /** Population size. @default 50 */
  populationSize?: number;
  /** Tournament size of regularized evolution. @default 10 */
  sampleSize?: number;
  /** Children evaluated together (set it to the number of pool workers). @default 1 */
  batchSize?: number;
  /** Evaluations at once (a worker pool's size). @default 1 */
  concurrency?: number;
  /** @default 0 */
  seed?: number | string;
  /** Checkpoint directory; a search found there is resumed. @default none */
  checkpointDir?: string;
  onProgress?: (event: SearchEvent) => void;
}

const fail = failFor('searchWidths');

/**
 * Searches the per-group widths of a channel supernet for the most accurate sub-network within a
 * budget, with `@automl-ts/evolution` (constrained regularized evolution or NSGA-II; seeded,
 * checkpointed, resumable). MACs and parameters are checked analytically (`architectureCost`)
 * before any evaluation; a budget that even the tiny network exceeds throws naming both values.
 * `evaluator` is usually {@link createWidthEvaluator}'s (returns `accuracy`, `macs`), or a worker
 * pool / distributed evaluator computing the same.
 *
 * @example
 * const full = architectureCost(supernet, supernet.largestArchitecture()).macs;
 * const result = await searchWidths(supernet, evaluate, { budget: { macs: 0.5 * full }, evaluations: 500 });
 * result.best?.architecture;
 */
export async function searchWidths(
  supernet: Supernet,
  evaluator: WidthEvaluator | EvaluatorLike,
  options: WidthSearchOptions,
): Promise<SearchResult> {
  const budget = options?.budget;
  if (typeof budget !== 'object' || budget === null)
    throw fail(`budget must be an object, got ${describeValue(budget)}`);
  const constraints: Constraint[] = [];
  const tiny = supernet.smallestArchitecture();
  const tinyCost = architectureCost(supernet, tiny);
  for (const metric of ['macs', 'params'] as const) {
    const max = budget[metric];
    if (max === undefined) continue;
    if (typeof max !== 'number' || !(max > 0))
      throw fail(`budget.${metric} must be a number > 0, got ${describeValue(max)}`);
    if (tinyCost[metric] > max) {
      throw fail(
        `no subnet can meet budget.${metric} = ${max}: the smallest architecture has ${tinyCost[metric]} ${metric}`,
      );
    }
    constraints.push({ name: metric, measure: (arch) => architectureCost(supernet, arch)[metric], max });
  }
  if (budget.latency !== undefined) {
    const { measure, max } = budget.latency;
    if (typeof measure !== 'function' || !(typeof max === 'number' && max > 0)) {
      throw fail(`budget.latency must be { measure(arch), max > 0 }, got ${describeValue(budget.latency)}`);
    }
    if (measure(tiny) > max) {
      throw fail(
        `no subnet can meet budget.latency.max = ${max}: the smallest architecture measures ${measure(tiny)}`,
      );
    }
    constraints.push({ name: 'latency', measure, max });
  }
  if (constraints.length === 0) throw fail('budget needs at least one of macs, params, latency');
  const populationSize = options.populationSize ?? 50;
  const strategyName = options.strategy ?? 'regularized-evolution';
  if (strategyName !== 'regularized-evolution' && strategyName !== 'nsga2') {
    throw fail(`strategy must be 'regularized-evolution' or 'nsga2', got ${describeValue(strategyName)}`);
  }
  // A width evaluator's per-example outcomes are not search metrics: pass on the numbers only.
  const metricsOf: EvaluatorLike =
    typeof evaluator === 'function'
      ? async (arch, context) => {
          const { outcomes: _outcomes, ...metrics } = (await evaluator(arch, context)) as WidthEvaluation;
          return metrics;
        }
      : evaluator;
  const search = {
    space: supernet.searchSpace,
    evaluator: metricsOf,
    objectives: strategyName === 'nsga2' ? [maximize('accuracy'), minimize('macs')] : [maximize('accuracy')],
    constraints,
    budget: { evaluations: options.evaluations ?? 1000 },
    seed: options.seed ?? 0,
    concurrency: options.concurrency ?? 1,
    ...(options.checkpointDir === undefined ? {} : { checkpointDir: options.checkpointDir }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };
  const strategy =
    strategyName === 'nsga2'
      ? nsga2({ populationSize })
      : regularizedEvolution({
          populationSize,
          sampleSize: Math.min(options.sampleSize ?? 10, populationSize),
          batchSize: options.batchSize ?? 1,
        });
  if (options.checkpointDir !== undefined && (await exists(options.checkpointDir))) {
    return resumeSearch({ ...search, strategy } as Parameters<typeof resumeSearch>[0]);
  }
  return runSearch({ ...search, strategy } as Parameters<typeof runSearch>[0]);
}

async function exists(directory: string): Promise<boolean> {
  const { access } = await import('node:fs/promises');
  const { join } = await import('node:path');
  try {
    await access(join(directory, 'checkpoint.json'));
    return true;
  } catch {
    return false;
  }
}
