// @automl-ts/meta-learning public API. Each area keeps its own section; name every export.

// ── learners ───────────────────────────────────────────────────────────────
export type { AnilOptions, ResolvedAnilOptions } from './algorithms/anil.js';
export { ANIL, resolveAnilOptions } from './algorithms/anil.js';
export type { MamlOptions, ResolvedMamlOptions } from './algorithms/maml.js';
export { MAML, resolveMamlOptions } from './algorithms/maml.js';
export type { MetaSgdOptions } from './algorithms/meta-sgd.js';
export { META_SGD_LR_PREFIX, MetaSGD, resolveMetaSgdOptions } from './algorithms/meta-sgd.js';
export type { ProtoNetOptions, ResolvedProtoNetOptions } from './algorithms/protonet.js';
export { ProtoNet, resolveProtoNetOptions } from './algorithms/protonet.js';
export type { ReptileInnerOptimizer, ReptileOptions, ResolvedReptileOptions } from './algorithms/reptile.js';
export { Reptile, resolveReptileOptions } from './algorithms/reptile.js';
export type { GradientLearnerSettings } from './internal/gradient-learner.js';
export type { ResolvedTaskLoss, TaskKind, TaskLoss } from './internal/losses.js';
export { meanSquaredError } from './internal/losses.js';
export type {
  AdaptedModel,
  AdaptOptions,
  LearnerOptions,
  MetaGradients,
  MetaLearner,
  ToModuleOptions,
} from './learner.js';
export type { MetaLearnerEntry, MetaLearnerOptionsByName } from './registry.js';
export { createMetaLearner, getMetaLearnerEntry, listMetaLearners, registerMetaLearner } from './registry.js';

// ── adaptation and evaluation ──────────────────────────────────────────────
export { adapt } from './adapt.js';
export type { Estimate, EvaluateOptions, EvaluationResult } from './evaluate.js';
export { evaluate } from './evaluate.js';

// ── meta-training ──────────────────────────────────────────────────────────
export type { CheckpointJson, LoadedMetaCheckpoint, MetaCheckpointContents } from './train/checkpoint.js';
export {
  hasMetaCheckpoint,
  loadMetaCheckpoint,
  META_CHECKPOINT_FILE,
  saveMetaCheckpoint,
} from './train/checkpoint.js';
export type { MetaStepResult } from './train/meta-step.js';
export { metaStep } from './train/meta-step.js';
export type {
  MetaEvaluationRecord,
  MetaTrainArchitectures,
  MetaTrainCheckpoint,
  MetaTrainClock,
  MetaTrainEvaluation,
  MetaTrainEvent,
  MetaTrainOptions,
  MetaTrainRecord,
  MetaTrainResult,
} from './train/meta-train.js';
export { metaTrain } from './train/meta-train.js';

// ── tasks ──────────────────────────────────────────────────────────────────
export type {
  SinusoidMlpOptions,
  SinusoidTask,
  SinusoidTaskOptions,
  SinusoidTaskSource,
} from './tasks/sinusoid.js';
export { createSinusoidTasks, sinusoidMlp } from './tasks/sinusoid.js';
export type { SampledTask, Task, TaskSet, TaskSource, TaskSourceFactory } from './tasks/task.js';

// ── second-order gradients ─────────────────────────────────────────────────
export {
  registerSecondOrderGradients,
  SECOND_ORDER_GRADIENT_KERNELS,
} from './second-order/register-second-order-gradients.js';
