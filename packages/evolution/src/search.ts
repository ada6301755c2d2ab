import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Architecture, createRng, type Rng, restoreRng, SearchSpace } from '@automl-ts/core';
import {
  type Constraint,
  type ResolvedConstraint,
  resolveConstraint,
  softPenalty,
} from './constraints/constraint.js';
import {
  type ConstraintHandlingOptions,
  FeasibleCandidates,
  type ResolvedConstraintHandling,
  resolveConstraintHandlingOptions,
} from './constraints/constraint-handling.js';
import {
  CachedEvaluator,
  type EvaluationOutcome,
  type EvaluatorLike,
  toEvaluator,
} from './eval/evaluator.js';
import { describeValue, errorFactory } from './internal/errors.js';
import { paretoFrontIndices } from './metrics/pareto-front.js';
import {
  HISTORY_FILE,
  loadSearchCheckpoint,
  type SearchCheckpoint,
  writeSearchCheckpoint,
} from './state/checkpoint.js';
import { appendHistory, readHistory } from './state/history.js';
import type { JsonValue, SearchStrategy, StrategyContext } from './strategies/strategy.js';
import type { HistoryRecord, Metrics, Objective } from './types.js';

/** When a search stops: after so many evaluations (history records) or generations, whichever comes first. */
export interface SearchBudget {
  /** History records (evaluations and cache hits). */
  readonly evaluations?: number;
  /** Generations (asks of the strategy), the first random population included. */
  readonly generations?: number;
}

/** Options of {@link runSearch}, {@link iterateSearch} and {@link resumeSearch}. */
export interface SearchOptions<State extends JsonValue = JsonValue> {
  /** The space to search (must have at least one choice). */
  readonly space: SearchSpace;
  /** Scores an architecture: a function or an {@link Evaluator} (worker pool, distributed queue). Never closed by the search. */
  readonly evaluator: EvaluatorLike;
  /** How candidates are proposed: {@link randomSearch}, {@link regularizedEvolution}, {@link ofaEvolution}, {@link nsga2}. */
  readonly strategy: SearchStrategy<State>;
  /** Metrics to optimise, in order (the first one defines `best`). */
  readonly objectives: readonly Objective[];
  /** When to stop; at least one limit. */
  readonly budget: SearchBudget;
  /**
   * Hard and soft constraints.
   * @default []
   */
  readonly constraints?: readonly Constraint[];
  /**
   * How hard constraints are enforced.
   * @default { handling: 'resample', maxTries: 100, repairSteps: 32, exhaustiveLimit: 100_000 }
   */
  readonly constraintHandling?: ConstraintHandlingOptions;
  /**
   * Seed of the search: same seed, same history.
   * @default 0
   */
  readonly seed?: number | string;
  /**
   * Evaluations running at once (set it to the number of workers of a pool or queue).
   * @default 1
   */
  readonly concurrency?: number;
  /**
   * Extra tries after the evaluator throws, before the architecture is recorded as failed.
   * @default 2
   */
  readonly retries?: number;
  /**
   * Wait before each retry, in milliseconds.
   * @default 0
   */
  readonly retryDelayMs?: number;
  /**
   * Directory for `checkpoint.json` and `history.jsonl`, both written after every generation.
   * @default no checkpoint
   */
  readonly checkpointDir?: string;
  /** Called with every event (after each generation, then once when done). */
  readonly onProgress?: (event: SearchEvent) => void;
}

/** Emitted after every generation. */
export interface GenerationEvent {
  readonly type: 'generation';
  /** Index of the generation just finished, from 0. */
  readonly generation: number;
  /** Its records. */
  readonly records: readonly HistoryRecord[];
  /** History records so far. */
  readonly evaluations: number;
  /** Architectures actually evaluated so far (cache misses). */
  readonly uniqueEvaluations: number;
  /** Failed records so far. */
  readonly failed: number;
  /** Best record so far by the first objective. */
  readonly best: HistoryRecord | undefined;
  readonly budget: SearchBudget;
  readonly objectives: readonly Objective[];
  readonly elapsedMs: number;
}

/** Emitted once, last. */
export interface DoneEvent {
  readonly type: 'done';
  readonly result: SearchResult;
}

/** A progress event of a search. */
export type SearchEvent = GenerationEvent | DoneEvent;

/** What a search returns. Plain data. */
export interface SearchResult {
  /** Every record, in order. */
  readonly history: readonly HistoryRecord[];
  /** The best successful record by the first objective (soft penalties included), earliest on ties. */
  readonly best: HistoryRecord | undefined;
  /** The successful records no other dominates over all objectives, one per architecture. */
  readonly front: readonly HistoryRecord[];
  readonly objectives: readonly Objective[];
  /** Generations run (in total, across resumes). */
  readonly generations: number;
  /** History records. */
  readonly evaluations: number;
  /** Architectures actually evaluated (history records that were not cache hits). */
  readonly uniqueEvaluations: number;
  /** Failed records. */
  readonly failed: number;
  /** Search time in milliseconds (across resumes). */
  readonly elapsedMs: number;
}

/** {@link SearchOptions} with defaults filled in and checked. */
export interface ResolvedSearchOptions<State extends JsonValue = JsonValue> {
  readonly space: SearchSpace;
  readonly evaluator: EvaluatorLike;
  readonly strategy: SearchStrategy<State>;
  readonly objectives: readonly Objective[];
  readonly budget: { readonly evaluations: number; readonly generations: number };
  readonly constraints: readonly ResolvedConstraint[];
  readonly constraintHandling: ResolvedConstraintHandling;
  readonly seed: number | string;
  readonly concurrency: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly checkpointDir: string | undefined;
  readonly onProgress: ((event: SearchEvent) => void) | undefined;
}

/** Fills defaults and validates {@link SearchOptions}; errors name `where` (`runSearch`, `resumeSearch`). */
export function resolveSearchOptions<State extends JsonValue>(
  options: SearchOptions<State>,
  where = 'runSearch',
): ResolvedSearchOptions<State> {
  const fail = errorFactory(where);
  if (typeof options !== 'object' || options === null)
    throw fail(`expected an options object, got ${describeValue(options)}`);
  const { space, strategy, objectives, budget, seed = 0 } = options;
  if (!(space instanceof SearchSpace))
    throw fail(`space must be a SearchSpace (defineSearchSpace), got ${describeValue(space)}`);
  if (space.dimensions === 0) throw fail('the search space is empty: define at least one choice');
  toEvaluator(options.evaluator);
  if (typeof strategy !== 'object' || strategy === null || typeof strategy.ask !== 'function') {
    throw fail(
      `strategy must be a search strategy (randomSearch(), nsga2(), …), got ${describeValue(strategy)}`,
    );
  }
  if (!Array.isArray(objectives) || objectives.length === 0) {
    throw fail('objectives must list at least one objective, e.g. [maximize("accuracy")]');
  }
  const metrics = new Set<string>();
  for (const objective of objectives) {
    if (
      typeof objective?.metric !== 'string' ||
      (objective.direction !== 'minimize' && objective.direction !== 'maximize')
    ) {
      throw fail(`not an objective (use maximize(metric) or minimize(metric)): ${describeValue(objective)}`);
    }
    if (metrics.has(objective.metric)) throw fail(`objective "${objective.metric}" is listed twice`);
    metrics.add(objective.metric);
  }
  strategy.check(objectives);
  const evaluations = budget?.evaluations ?? Number.POSITIVE_INFINITY;
  const generations = budget?.generations ?? Number.POSITIVE_INFINITY;
  if (evaluations === Number.POSITIVE_INFINITY && generations === Number.POSITIVE_INFINITY) {
    throw fail('budget needs evaluations or generations');
  }
  for (const [name, value] of Object.entries({ evaluations, generations })) {
    if (value !== Number.POSITIVE_INFINITY && (!Number.isInteger(value) || value < 1)) {
      throw fail(`budget.${name} must be a positive integer, got ${describeValue(value)}`);
    }
  }
  if (typeof seed === 'number' ? !Number.isFinite(seed) : typeof seed !== 'string') {
    throw fail(`seed must be a finite number or a string, got ${describeValue(seed)}`);
  }
  const { concurrency = 1, retries = 2, retryDelayMs = 0, checkpointDir } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw fail(`concurrency must be a positive integer, got ${describeValue(concurrency)}`);
  }
  if (!Number.isInteger(retries) || retries < 0)
    throw fail(`retries must be an integer >= 0, got ${describeValue(retries)}`);
  if (!(retryDelayMs >= 0) || !Number.isFinite(retryDelayMs)) {
    throw fail(`retryDelayMs must be a finite number >= 0, got ${describeValue(retryDelayMs)}`);
  }
  if (checkpointDir !== undefined && (typeof checkpointDir !== 'string' || checkpointDir.length === 0)) {
    throw fail(`checkpointDir must be a directory path, got ${describeValue(checkpointDir)}`);
  }
  const constraints = (options.constraints ?? []).map(resolveConstraint);
  return {
    space,
    evaluator: options.evaluator,
    strategy,
    objectives,
    budget: { evaluations, generations },
    constraints,
    constraintHandling: resolveConstraintHandlingOptions(options.constraintHandling),
    seed,
    concurrency,
    retries,
    retryDelayMs,
    checkpointDir,
    onProgress: options.onProgress,
  };
}

/**
 * Runs a search and returns its result; `onProgress` sees every event.
 *
 * @example
 * const result = await runSearch({
 *   space,
 *   evaluator: async (arch) => ({ accuracy: await trainAndScore(arch) }),
 *   objectives: [maximize('accuracy')],
 *   strategy: regularizedEvolution({ populationSize: 50, sampleSize: 10 }),
 *   budget: { evaluations: 1000 },
 *   seed: 42,
 *   checkpointDir: 'runs/re-42',
 * });
 * console.log(result.best?.architecture);
 */
export async function runSearch<State extends JsonValue>(
  options: SearchOptions<State>,
): Promise<SearchResult> {
  return consume(iterateSearch(options));
}

/**
 * Continues the search checkpointed in `options.checkpointDir` with the same seed, space,
 * objectives and strategy; its history is exactly that of a run never interrupted. The budget
 * may be extended.
 */
export async function resumeSearch<State extends JsonValue>(
  options: SearchOptions<State>,
): Promise<SearchResult> {
  return consume(iterateSearch(options, { resume: true }));
}

async function consume(events: AsyncGenerator<SearchEvent, SearchResult>): Promise<SearchResult> {
  while (true) {
    const next = await events.next();
    if (next.done === true) return next.value;
  }
}

/**
 * The search as an async iterator of progress events: one per generation, then `done` with the
 * result (also the generator's return value).
 *
 * @example
 * for await (const event of iterateSearch(options)) {
 *   if (event.type === 'generation') console.log(event.generation, event.best?.metrics);
 * }
 */
export async function* iterateSearch<State extends JsonValue>(
  options: SearchOptions<State>,
  mode: { resume?: boolean } = {},
): AsyncGenerator<SearchEvent, SearchResult> {
  const where = mode.resume === true ? 'resumeSearch' : 'runSearch';
  const resolved = resolveSearchOptions(options, where);
  const fail = errorFactory(where);
  const { space, strategy, objectives, budget, constraints, checkpointDir, seed } = resolved;
  const evaluator = new CachedEvaluator(resolved.evaluator, {
    concurrency: resolved.concurrency,
    retries: resolved.retries,
    retryDelayMs: resolved.retryDelayMs,
    key: (arch) => space.key(arch),
    seed,
  });
  const feasible = new FeasibleCandidates(space, constraints, resolved.constraintHandling, seed);

  let rng: Rng;
  let state: State;
  let generation = 0;
  let elapsedBefore = 0;
  const history: HistoryRecord[] = [];
  const historyPath = checkpointDir === undefined ? undefined : join(checkpointDir, HISTORY_FILE);

  if (mode.resume === true) {
    if (checkpointDir === undefined || historyPath === undefined)
      throw fail('checkpointDir is required to resume');
    const checkpoint = await loadSearchCheckpoint(checkpointDir);
    if (checkpoint === undefined) throw fail(`${checkpointDir} holds no checkpoint to resume`);
    checkCompatible(checkpoint, resolved, fail);
    for (const record of await readHistory(historyPath, { limit: checkpoint.historyLength })) {
      history.push(record);
      if (!record.cached) evaluator.remember(record.architecture, outcomeOf(record));
    }
    rng = restoreRng(checkpoint.rng);
    state = checkpoint.strategyState as State;
    generation = checkpoint.generation;
    elapsedBefore = checkpoint.elapsedMs;
  } else {
    if (checkpointDir !== undefined && historyPath !== undefined) {
      await mkdir(checkpointDir, { recursive: true });
      if ((await loadSearchCheckpoint(checkpointDir)) !== undefined) {
        throw fail(
          `${checkpointDir} already holds a checkpoint: continue it with resumeSearch or use an empty directory`,
        );
      }
      await writeFile(historyPath, '', 'utf8');
    }
    rng = createRng(seed);
    state = strategy.init();
  }

  const context: StrategyContext = {
    space,
    rng,
    objectives,
    feasible: (generate) => feasible.next(generate),
  };
  const started = performance.now();
  const elapsed = (): number => elapsedBefore + (performance.now() - started);
  let best = bestOf(history);
  let failed = history.filter((record) => record.status === 'failed').length;
  let unique = history.filter((record) => !record.cached).length;

  while (history.length < budget.evaluations && generation < budget.generations) {
    const limit = Math.min(budget.evaluations - history.length, Number.MAX_SAFE_INTEGER);
    const asked = strategy.ask(state, context, limit);
    const candidates = asked.candidates.slice(0, limit);
    if (candidates.length === 0) throw fail(`strategy "${strategy.name}" proposed no candidate`);
    const pending = candidates.map((arch) => ({ arch, ...evaluator.request(arch) }));
    const records: HistoryRecord[] = [];
    for (const { arch, cached, outcome } of pending) {
      const record = toRecord(
        history.length + records.length,
        generation,
        arch,
        await outcome,
        cached,
        resolved,
      );
      records.push(record);
      if (record.status === 'failed') failed++;
      if (!cached) unique++;
      if (record.status === 'ok' && (best === undefined || firstObjective(record) < firstObjective(best)))
        best = record;
    }
    state = strategy.tell(asked.state, records, context);
    history.push(...records);
    generation++;
    if (checkpointDir !== undefined && historyPath !== undefined) {
      await appendHistory(historyPath, records);
      await writeSearchCheckpoint(checkpointDir, {
        format: 'automl-ts/evolution-checkpoint',
        version: 1,
        strategy: { name: strategy.name, config: strategy.config },
        seed,
        space: space.toJSON(),
        objectives,
        generation,
        historyLength: history.length,
        rng: rng.state(),
        strategyState: state,
        elapsedMs: elapsed(),
        updatedAt: new Date().toISOString(),
      });
    }
    const event: GenerationEvent = {
      type: 'generation',
      generation: generation - 1,
      records,
      evaluations: history.length,
      uniqueEvaluations: unique,
      failed,
      best,
      budget: options.budget,
      objectives,
      elapsedMs: elapsed(),
    };
    resolved.onProgress?.(event);
    yield event;
  }

  const result: SearchResult = {
    history,
    best,
    front: frontOf(history),
    objectives,
    generations: generation,
    evaluations: history.length,
    uniqueEvaluations: unique,
    failed,
    elapsedMs: elapsed(),
  };
  const done: DoneEvent = { type: 'done', result };
  resolved.onProgress?.(done);
  yield done;
  return result;
}

function checkCompatible(
  checkpoint: SearchCheckpoint,
  resolved: ResolvedSearchOptions<JsonValue>,
  fail: (message: string) => Error,
): void {
  const mine = {
    strategy: { name: resolved.strategy.name, config: resolved.strategy.config },
    seed: resolved.seed,
    space: resolved.space.toJSON(),
    objectives: resolved.objectives,
  };
  const theirs = {
    strategy: checkpoint.strategy,
    seed: checkpoint.seed,
    space: checkpoint.space,
    objectives: checkpoint.objectives,
  };
  for (const field of ['strategy', 'seed', 'space', 'objectives'] as const) {
    const a = JSON.stringify(mine[field]);
    const b = JSON.stringify(theirs[field]);
    if (a !== b) {
      throw fail(
        `the checkpoint was written with ${field} ${describeValue(theirs[field])}, this search has ${describeValue(mine[field])}`,
      );
    }
  }
}

function outcomeOf(record: HistoryRecord): EvaluationOutcome {
  return record.status === 'ok' || record.error === undefined
    ? { status: 'ok', metrics: record.metrics, attempts: record.attempts, durationMs: record.durationMs }
    : { status: 'failed', error: record.error, attempts: record.attempts, durationMs: record.durationMs };
}

function toRecord(
  index: number,
  generation: number,
  architecture: Architecture,
  outcome: EvaluationOutcome,
  cached: boolean,
  resolved: ResolvedSearchOptions<JsonValue>,
): HistoryRecord {
  const attempts = cached ? 0 : outcome.attempts;
  const durationMs = cached ? 0 : outcome.durationMs;
  const time = isoNow();
  const problem =
    outcome.status === 'failed' ? outcome.error : problemWith(outcome.metrics, architecture, resolved);
  if (typeof problem === 'string' || outcome.status === 'failed') {
    const error = problem as string;
    return {
      index,
      generation,
      architecture,
      status: 'failed',
      metrics: {},
      objectives: null,
      violation: 0,
      error,
      attempts,
      cached,
      time,
      durationMs,
    };
  }
  const { metrics } = outcome;
  const { violation, penalty } = problem;
  const objectives: number[] = [];
  for (const objective of resolved.objectives) {
    const value = metrics[objective.metric] as number;
    // `+ penalty` also turns -0 into 0, so records survive a JSON round trip unchanged.
    objectives.push((objective.direction === 'maximize' ? -value : value) + penalty);
  }
  return {
    index,
    generation,
    architecture,
    status: 'ok',
    metrics,
    objectives,
    violation,
    attempts,
    cached,
    time,
    durationMs,
  };
}

/** Why these metrics cannot be scored (an error message), or the soft-constraint violation and penalty. */
function problemWith(
  metrics: Metrics,
  architecture: Architecture,
  resolved: ResolvedSearchOptions<JsonValue>,
): string | { violation: number; penalty: number } {
  const source = '@automl-ts/evolution/evaluate';
  for (const objective of resolved.objectives) {
    const value = metrics[objective.metric];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const problem = value === undefined ? 'is missing' : `is ${describeValue(value)}`;
      return `${source}: objective "${objective.metric}" ${problem} in {${describeMetrics(metrics)}}`;
    }
  }
  if (resolved.constraints.length === 0) return { violation: 0, penalty: 0 };
  const soft = softPenalty(resolved.constraints, architecture, metrics);
  if (!Number.isFinite(soft.violation)) {
    return `${source}: a soft constraint could not be measured (NaN or missing metric) in {${describeMetrics(metrics)}}`;
  }
  return soft;
}

let lastMs = Number.NaN;
let lastIso = '';

/** The current time in ISO 8601, formatted once per millisecond (fast searches finish many records per ms). */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/** `accuracy: NaN, flops: 120` (JSON would print NaN as null). */
function describeMetrics(metrics: Metrics): string {
  return Object.entries(metrics)
    .map(([name, value]) => `${name}: ${typeof value === 'number' ? String(value) : describeValue(value)}`)
    .join(', ');
}

function firstObjective(record: HistoryRecord): number {
  return (record.objectives as readonly number[])[0] as number;
}

function bestOf(history: readonly HistoryRecord[]): HistoryRecord | undefined {
  let best: HistoryRecord | undefined;
  for (const record of history) {
    if (record.status === 'ok' && (best === undefined || firstObjective(record) < firstObjective(best)))
      best = record;
  }
  return best;
}

function frontOf(history: readonly HistoryRecord[]): HistoryRecord[] {
  const ok = history.filter((record) => record.status === 'ok' && record.objectives !== null);
  return paretoFrontIndices(ok.map((record) => record.objectives as readonly number[])).map(
    (i) => ok[i] as HistoryRecord,
  );
}
