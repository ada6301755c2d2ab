import { describeValue, errorFactory } from '@automl-ts/core';

/** Options of {@link repnasSearch}; every hyperparameter defaults to the authors' code. */
export interface RepnasSearchOptions {
  /** Training steps of the whole run (the code's 150 epochs); the schedule fractions refer to it. */
  totalSteps: number;
  /** Fraction of the branches kept over the whole network: budget k = ⌊layers · 6 · keptRatio⌋. @default 0.34 */
  keptRatio?: number;
  /** Explicit global budget k (overrides `keptRatio`). @default ⌊layers · 6 · keptRatio⌋ */
  budget?: number;
  /** Fraction of the run with α frozen (random subsets, warm-up). @default 0.1 */
  warmupFraction?: number;
  /** Fraction of the run after which the mask is fixed to top-k of α and BN statistics reset. @default 0.33 */
  searchEndFraction?: number;
  /** Weights: SGD learning rate, cosine to 0 over the run. @default 0.1 */
  learningRate?: number;
  /** @default 0.9 */
  momentum?: number;
  /** Weight decay of kernels (not BN, not biases). @default 1e-4 */
  weightDecay?: number;
  /** Global gradient-norm clip of the weights. @default 5 */
  gradientClip?: number;
  /** α: Adam learning rate, cosine to 0 over the search phase. @default 1e-4 */
  alphaLearningRate?: number;
  /** @default 0.5 */
  alphaBeta1?: number;
  /** @default 0.999 */
  alphaBeta2?: number;
  /** Adam's L2 weight decay on α. @default 5e-4 */
  alphaWeightDecay?: number;
  /** Seed of the sampling noise. @default 0 */
  seed?: number;
  /** Directory for atomic checkpoints (resumed from when present). @default none */
  checkpointDir?: string;
  /** Steps between checkpoints. @default 100 */
  checkpointEvery?: number;
  /** Return after this step (a checkpoint is written first): time-sliced runs and kill tests. @default totalSteps */
  stopAfterStep?: number;
}

/** {@link RepnasSearchOptions} with defaults filled. */
export interface ResolvedRepnasSearchOptions {
  readonly totalSteps: number;
  readonly keptRatio: number;
  readonly budget: number | undefined;
  readonly warmupFraction: number;
  readonly searchEndFraction: number;
  readonly learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly gradientClip: number;
  readonly alphaLearningRate: number;
  readonly alphaBeta1: number;
  readonly alphaBeta2: number;
  readonly alphaWeightDecay: number;
  readonly seed: number;
  readonly checkpointDir: string | undefined;
  readonly checkpointEvery: number;
  readonly stopAfterStep: number;
}

const fail = errorFactory('@automl-ts/rep-blocks/repnasSearch');

function number(
  name: string,
  value: unknown,
  fallback: number,
  ok: (v: number) => boolean,
  range: string,
): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))
    throw fail(`${name} must be ${range}, got ${describeValue(v)}`);
  return v;
}

/** Fills defaults of {@link RepnasSearchOptions} and validates them (errors name the option and value). */
export function resolveRepnasSearchOptions(options: RepnasSearchOptions): ResolvedRepnasSearchOptions {
  const totalSteps = number(
    'totalSteps',
    options?.totalSteps,
    Number.NaN,
    (v) => Number.isInteger(v) && v >= 1,
    'an integer >= 1',
  );
  const unit = (v: number) => v >= 0 && v <= 1;
  const positive = (v: number) => v > 0;
  const warmupFraction = number('warmupFraction', options.warmupFraction, 0.1, unit, 'in [0, 1]');
  const searchEndFraction = number('searchEndFraction', options.searchEndFraction, 0.33, unit, 'in [0, 1]');
  if (searchEndFraction < warmupFraction) {
    throw fail(`searchEndFraction ${searchEndFraction} must be >= warmupFraction ${warmupFraction}`);
  }
  const budget =
    options.budget === undefined
      ? undefined
      : number('budget', options.budget, 0, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  return {
    totalSteps,
    keptRatio: number('keptRatio', options.keptRatio, 0.34, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    budget,
    warmupFraction,
    searchEndFraction,
    learningRate: number('learningRate', options.learningRate, 0.1, positive, '> 0'),
    momentum: number('momentum', options.momentum, 0.9, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    weightDecay: number('weightDecay', options.weightDecay, 1e-4, (v) => v >= 0, '>= 0'),
    gradientClip: number('gradientClip', options.gradientClip, 5, positive, '> 0'),
    alphaLearningRate: number('alphaLearningRate', options.alphaLearningRate, 1e-4, positive, '> 0'),
    alphaBeta1: number('alphaBeta1', options.alphaBeta1, 0.5, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    alphaBeta2: number('alphaBeta2', options.alphaBeta2, 0.999, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    alphaWeightDecay: number('alphaWeightDecay', options.alphaWeightDecay, 5e-4, (v) => v >= 0, '>= 0'),
    seed: number('seed', options.seed, 0, Number.isInteger, 'an integer'),
    checkpointDir: options.checkpointDir,
    checkpointEvery: number(
      'checkpointEvery',
      options.checkpointEvery,
      100,
      (v) => Number.isInteger(v) && v >= 1,
      'an integer >= 1',
    ),
    stopAfterStep: number(
      'stopAfterStep',
      options.stopAfterStep,
      totalSteps,
      (v) => Number.isInteger(v) && v >= 1 && v <= totalSteps,
      `an integer in [1, ${totalSteps}]`,
    ),
  };
}
