// @automl-ts/evolution public API. Name every export.

// ── constraints ────────────────────────────────────────────────────────────
export type { Constraint, ResolvedConstraint } from './constraints/constraint.js';
export { describeConstraint, relativeViolation, resolveConstraint } from './constraints/constraint.js';
export type {
  ConstraintCheck,
  ConstraintHandlingOptions,
  ResolvedConstraintHandling,
} from './constraints/constraint-handling.js';
export {
  checkConstraints,
  InfeasibleConstraintError,
  resolveConstraintHandlingOptions,
} from './constraints/constraint-handling.js';
export type { MeasureMinimum, MinimizeMeasureOptions } from './constraints/minimize-measure.js';
export { minimizeMeasure } from './constraints/minimize-measure.js';
export { repairArchitecture } from './constraints/repair.js';
export type {
  DistributedEvaluatorOptions,
  DistributedWorker,
  DistributedWorkerOptions,
  RedisConnection,
} from './eval/distributed.js';
export {
  createDistributedEvaluator,
  DistributedEvaluator,
  startDistributedWorker,
} from './eval/distributed.js';
// ── evaluation ─────────────────────────────────────────────────────────────
export type {
  CachedEvaluatorOptions,
  EvaluateFunction,
  EvaluationOutcome,
  Evaluator,
  EvaluatorLike,
  ResolvedCachedEvaluatorOptions,
} from './eval/evaluator.js';
export {
  architectureKey,
  CachedEvaluator,
  evaluationSeed,
  resolveCachedEvaluatorOptions,
  toEvaluator,
} from './eval/evaluator.js';
export type { EvaluatorFactory, EvaluatorFactoryContext } from './eval/load-evaluator.js';
export type { ResolvedWorkerPoolOptions, WorkerPoolOptions } from './eval/worker-pool.js';
export { createWorkerPool, resolveWorkerPoolOptions, WorkerPool } from './eval/worker-pool.js';
// ── metrics ────────────────────────────────────────────────────────────────
export { hypervolume } from './metrics/hypervolume.js';
export { invertedGenerationalDistance } from './metrics/igd.js';
export { paretoFrontIndices } from './metrics/pareto-front.js';
export { crowdingDistance } from './operators/crowding-distance.js';
export { dominates, fastNonDominatedSort } from './operators/non-dominated-sort.js';
export { onePointCrossover } from './operators/one-point-crossover.js';
export type { PolynomialMutationOptions } from './operators/polynomial-mutation.js';
export { polynomialMutation } from './operators/polynomial-mutation.js';
export type { RandomResetMutationOptions } from './operators/random-reset-mutation.js';
export { randomResetMutation } from './operators/random-reset-mutation.js';
export type { SbxCrossoverOptions } from './operators/sbx-crossover.js';
export { sbxCrossover } from './operators/sbx-crossover.js';
// ── operators ──────────────────────────────────────────────────────────────
export { tournamentSelect } from './operators/tournament-selection.js';
export type { UniformCrossoverOptions } from './operators/uniform-crossover.js';
export { uniformCrossover } from './operators/uniform-crossover.js';
export type { NkLandscape, NkLandscapeOptions } from './problems/nk-landscape.js';
export { nkLandscape } from './problems/nk-landscape.js';
// ── benchmark problems ─────────────────────────────────────────────────────
export type { ZdtProblem } from './problems/zdt.js';
export { zdt } from './problems/zdt.js';
// ── search ─────────────────────────────────────────────────────────────────
export type {
  DoneEvent,
  GenerationEvent,
  ResolvedSearchOptions,
  SearchBudget,
  SearchEvent,
  SearchOptions,
  SearchResult,
} from './search.js';
export { iterateSearch, resolveSearchOptions, resumeSearch, runSearch } from './search.js';
// ── state ──────────────────────────────────────────────────────────────────
export type { SearchCheckpoint } from './state/checkpoint.js';
export {
  CHECKPOINT_FILE,
  HISTORY_FILE,
  loadSearchCheckpoint,
  writeSearchCheckpoint,
} from './state/checkpoint.js';
export { appendHistory, historyToJsonl, readHistory, writeHistory } from './state/history.js';
export type { Nsga2Options, Nsga2State, ResolvedNsga2Options } from './strategies/nsga2.js';
export { nsga2, resolveNsga2Options } from './strategies/nsga2.js';
export type {
  OfaEvolutionOptions,
  OfaEvolutionState,
  ResolvedOfaEvolutionOptions,
} from './strategies/ofa-evolution.js';
export { ofaEvolution, resolveOfaEvolutionOptions } from './strategies/ofa-evolution.js';
export type { RandomSearchOptions, ResolvedRandomSearchOptions } from './strategies/random-search.js';
export { randomSearch, resolveRandomSearchOptions } from './strategies/random-search.js';
export type {
  RegularizedEvolutionOptions,
  RegularizedEvolutionState,
  ResolvedRegularizedEvolutionOptions,
} from './strategies/regularized-evolution.js';
export {
  regularizedEvolution,
  resolveRegularizedEvolutionOptions,
} from './strategies/regularized-evolution.js';
// ── strategies ─────────────────────────────────────────────────────────────
export type { Individual, JsonValue, SearchStrategy, StrategyContext } from './strategies/strategy.js';
export type { EvaluationContext, HistoryRecord, Metrics, Objective } from './types.js';
export { maximize, minimize } from './types.js';
