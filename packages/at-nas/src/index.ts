// @automl-ts/at-nas public API. Name every export.

export type { AdaptToTaskOptions, TaskAdaptation } from './adapt-to-task.js';
export { adaptToTask } from './adapt-to-task.js';
export type {
  AtNasAlgorithm,
  AtNasEvent,
  AtNasResult,
  AtNasSearchOptions,
  GenerationRecord,
  ResolvedAtNasSearchOptions,
} from './at-nas-search.js';
export { atNasSearch, checkTaskShape, resolveAtNasSearchOptions } from './at-nas-search.js';
export { queryAccuracy, supportLoss } from './fitness.js';
export type { FitnessPredictor } from './surrogate.js';
export { encodeArchitecture, fitRidgePredictor } from './surrogate.js';
