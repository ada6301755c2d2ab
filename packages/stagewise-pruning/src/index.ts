// @automl-ts/stagewise-pruning public API. Name every export.

export { l1PruneAtBudget, uniformArchitecture, uniformAtBudget } from './baselines.js';
export { sandwichArchitectures } from './fair-sampling.js';
export { averageRanks, kendallTau, spearmanRho } from './rank-correlation.js';
export type { Stage, StageSplit } from './stage-split.js';
export { layerOutputShapes, splitStages } from './stage-split.js';
export type {
  ResolvedStagewiseTrainingOptions,
  StagewiseProgress,
  StagewiseTrainingOptions,
  StagewiseTrainingResult,
} from './stagewise-training.js';
export { resolveStagewiseTrainingOptions, trainStagewise } from './stagewise-training.js';
export type { WidthEvaluation, WidthEvaluator, WidthEvaluatorOptions } from './width-evaluator.js';
export { createWidthEvaluator, evaluateAccuracy } from './width-evaluator.js';
export type { WidthBudget, WidthSearchOptions } from './width-search.js';
export { searchWidths } from './width-search.js';
