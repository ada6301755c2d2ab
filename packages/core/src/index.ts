// @automl-ts/core public API. Each area keeps its own section; name every export.

// ── backend ────────────────────────────────────────────────────────────────
export type {
  BackendInfo,
  BackendName,
  BackendPreference,
  InitBackendOptions,
} from './backend/init-backend.js';
export { initBackend, TENSORFLOW_PACKAGES } from './backend/init-backend.js';
export { registerWasmTrainingKernels } from './backend/wasm-training-kernels/register-wasm-training-kernels.js';

// ── errors ─────────────────────────────────────────────────────────────────
export { AutomlError, describeValue, errorFactory } from './internal/errors.js';

// ── random ─────────────────────────────────────────────────────────────────
export type { Rng, RngState } from './random/rng.js';
export { createRng, restoreRng, toRng } from './random/rng.js';

// ── nn ─────────────────────────────────────────────────────────────────────
export type { ApplyContext, ApplyOptions, ArchValues, ParamOverrides, VariableKind } from './nn/module.js';
export { Module, resolveApplyOptions } from './nn/module.js';
export type { TracedOp, TraceEvent, TraceRecorder } from './nn/trace.js';

// ── search space ───────────────────────────────────────────────────────────
export type {
  CategoricalChoice,
  Choice,
  ChoiceValue,
  Gene,
  IntRangeChoice,
  RealRangeChoice,
} from './search-space/choices.js';
export {
  categorical,
  choiceAllows,
  choiceCardinality,
  describeAllowed,
  intRange,
  realRange,
} from './search-space/choices.js';
export type { Architecture, MutateOptions, SearchSpaceJSON } from './search-space/search-space.js';
export { defineSearchSpace, SearchSpace } from './search-space/search-space.js';

// ── io ─────────────────────────────────────────────────────────────────────
export {
  loadArchitecture,
  parseArchitecture,
  saveArchitecture,
  stringifyArchitecture,
} from './io/architecture-io.js';
export type {
  CheckpointContents,
  CheckpointOptimizer,
  LoadCheckpointOptions,
  LoadedCheckpoint,
  NamedStateOptimizer,
} from './io/checkpoint.js';
export { CHECKPOINT_MANIFEST_FILE, loadCheckpoint, saveCheckpoint } from './io/checkpoint.js';
export { registerFileSystemRouter } from './io/file-system-router.js';
export type { ApplyLayerOptions, LayerConversionContext, LayerConverter } from './io/layer-converters.js';
export { layerConverters, listLayerConverters, registerLayerConverter } from './io/layer-converters.js';
export type { ToLayersModelOptions } from './io/to-layers-model.js';
export { toLayersModel } from './io/to-layers-model.js';
export { layersModelToModule } from './io/layers-model-to-module.js';
export type { RestoreWeightsOptions, WeightsArtifacts } from './io/weights.js';
export {
  encodeModuleWeights,
  loadModuleWeights,
  restoreModuleWeights,
  saveModuleWeights,
} from './io/weights.js';
export type { AtomicWriteData } from './io/write-file-atomic.js';
export { writeFileAtomic } from './io/write-file-atomic.js';

// ── registry ───────────────────────────────────────────────────────────────
export type { RegistryFilter, RegistryOptions } from './registry/registry.js';
export { Registry } from './registry/registry.js';

// ── layers ─────────────────────────────────────────────────────────────────
export type { ActivationConfig, ActivationKind } from './nn/layers/activation.js';
export { ACTIVATION_KINDS, Activation, activate } from './nn/layers/activation.js';
export { AvgPool2d } from './nn/layers/avg-pool2d.js';
export type {
  BatchNormConfig,
  BatchNormOptions,
  BatchNormWeights,
  RecalibratableNorm,
} from './nn/layers/batch-norm.js';
export { BatchNorm, isRecalibratableNorm } from './nn/layers/batch-norm.js';
export type { ConcatConfig } from './nn/layers/concat.js';
export { Concat } from './nn/layers/concat.js';
export type {
  Conv2dConfig,
  Conv2dOptions,
  Conv2dWeights,
  Padding2d,
} from './nn/layers/conv2d.js';
export { Conv2d } from './nn/layers/conv2d.js';
export type { DenseConfig, DenseOptions, DenseWeights } from './nn/layers/dense.js';
export { Dense } from './nn/layers/dense.js';
export type { GraphConvConfig, GraphConvOptions } from './nn/layers/graph-conv.js';
export { GraphConv } from './nn/layers/graph-conv.js';
export type { DropoutConfig, DropoutOptions } from './nn/layers/dropout.js';
export { Dropout } from './nn/layers/dropout.js';
export type { FlattenConfig } from './nn/layers/flatten.js';
export { Flatten } from './nn/layers/flatten.js';
export type { GlobalAvgPoolConfig } from './nn/layers/global-avg-pool.js';
export { GlobalAvgPool } from './nn/layers/global-avg-pool.js';
export type { WeightInit } from './nn/layers/initializers.js';
export { initWeight } from './nn/layers/initializers.js';
export type {
  ChannelSelection,
  ChannelSliceable,
  ChildMapper,
  Cloneable,
  Configurable,
  JsonObject,
  JsonValue,
  ModuleBuilder,
  NamedModules,
  SerializedChild,
  SerializedModule,
  StructurallyCloneable,
} from './nn/layers/layer-utils.js';
// The helpers the built-in layers are written with, public so that plugins write first-class layers.
export {
  checkIndices,
  checkInput,
  checkInteger,
  checkPair,
  checkWeightShape,
  cloneChild,
  cloneModule,
  copyVariable,
  emitTrace,
  gatherAxis,
  isChannelSliceable,
  isCloneable,
  isStructurallyCloneable,
  namedEntries,
  seedFrom,
  serializeModule,
} from './nn/layers/layer-utils.js';
export { MaxPool2d } from './nn/layers/max-pool2d.js';
export type { ModuleClassEntry } from './nn/layers/module-config.js';
export { moduleClasses, moduleFromConfig } from './nn/layers/module-config.js';
export type { Pool2dConfig, Pool2dOptions, PoolPadding } from './nn/layers/pool2d.js';
export { Pool2d } from './nn/layers/pool2d.js';
export type { ResidualConfig, ResidualOptions } from './nn/layers/residual.js';
export { Residual } from './nn/layers/residual.js';
export type { SequentialConfig } from './nn/layers/sequential.js';
export { Sequential } from './nn/layers/sequential.js';
export type { SumConfig } from './nn/layers/sum.js';
export { Sum } from './nn/layers/sum.js';
export type { ZeroPadShortcutConfig, ZeroPadShortcutOptions } from './nn/layers/zero-pad-shortcut.js';
export { ZeroPadShortcut } from './nn/layers/zero-pad-shortcut.js';

// ── graph ──────────────────────────────────────────────────────────────────
export type { CriterionInput, LayerWeights, PruningCriterion } from './graph/criteria.js';
export { memberL1, pruningCriteria } from './graph/criteria.js';
export type { DependencyGroup, GroupMember, MemberDimension } from './graph/dependency-groups.js';
export { dependencyGroups } from './graph/dependency-groups.js';
export { SUPPORTED_KERAS_CLASSES } from './graph/from-layers-model.js';
export type { FromModuleOptions } from './graph/network-graph.js';
export { NetworkGraph } from './graph/network-graph.js';
export type { GraphTensors, GraphTensorsOptions } from './graph/graph-tensors.js';
export { GRAPH_FEATURE_OPS, GRAPH_NUMERIC_FEATURES, graphTensors } from './graph/graph-tensors.js';
export type { PruneOptions, SelectChannelsOptions } from './graph/prune.js';
export { maskChannels, prune, pruneByRatio, selectChannels } from './graph/prune.js';
export type { PruneSelection } from './graph/prune-plan.js';
export type {
  GraphOp,
  GraphSource,
  LayerNode,
  LayerSettings,
  LayerShape,
  NetworkAttributes,
  SpatialPadding,
  TensorEdge,
} from './graph/types.js';

// ── models ─────────────────────────────────────────────────────────────────
export type { BlockEntry, BlockOptionsByName } from './models/block-registry.js';
export {
  blocks,
  createBlock,
  listBlocks,
  registerBlock,
  unregisterBlock,
} from './models/block-registry.js';
export type { ConvBnActOptions } from './models/conv-bn-act.js';
export { convBnAct } from './models/conv-bn-act.js';
export type { Conv4Options } from './models/conv4.js';
export { CONV4_DEFAULTS, createConv4 } from './models/conv4.js';
export type { DepthwiseSeparableOptions } from './models/depthwise-separable.js';
export type { InvertedResidualOptions } from './models/inverted-residual.js';
export type { MobileNetV1Options } from './models/mobilenet-v1.js';
export { createMobileNetV1, MOBILENET_V1_DEFAULTS } from './models/mobilenet-v1.js';
export type { MobileNetV2Options } from './models/mobilenet-v2.js';
export { createMobileNetV2, MOBILENET_V2_DEFAULTS } from './models/mobilenet-v2.js';
export type { BaseModelOptions } from './models/model-options.js';
export { makeDivisible } from './models/model-options.js';
export type { ModelDefinition, ModelOptionsByName } from './models/model-registry.js';
export {
  createModel,
  getModelDefinition,
  listModels,
  modelBuilders,
  registerModel,
  unregisterModel,
} from './models/model-registry.js';
export type { ResNetBasicBlockOptions } from './models/resnet-basic-block.js';
export type { ResNetCifarOptions } from './models/resnet-cifar.js';
export { createResNetCifar, RESNET_CIFAR_DEFAULTS } from './models/resnet-cifar.js';
export type { VggSmallOptions } from './models/vgg-small.js';
export { createVggSmall, VGG_SMALL_DEFAULTS } from './models/vgg-small.js';

// ── supernet ───────────────────────────────────────────────────────────────
export type { DynamicMBConvBlockOptions } from './supernet/blocks/dynamic-mbconv-block.js';
export { DynamicMBConvBlock } from './supernet/blocks/dynamic-mbconv-block.js';
export type { SlimmableBasicBlockOptions } from './supernet/blocks/slimmable-basic-block.js';
export { SlimmableBasicBlock } from './supernet/blocks/slimmable-basic-block.js';
export type { Conv4CellsOptions } from './supernet/builders/conv4-cells.js';
export { conv4Cells } from './supernet/builders/conv4-cells.js';
export type { OfaMobileNetV2Options, OfaStage } from './supernet/builders/ofa-mobilenet-v2.js';
export { ofaMobileNetV2 } from './supernet/builders/ofa-mobilenet-v2.js';
export type { ResNetSlimOptions } from './supernet/builders/resnet-slim.js';
export { resnetSlim } from './supernet/builders/resnet-slim.js';
export type {
  MobileNetV2SlimOptions,
  SlimmableModelOptions,
  VggSmallSlimOptions,
} from './supernet/builders/slim-models.js';
export {
  MOBILENET_V2_SLIM_DEFAULTS,
  mobileNetV2Slim,
  vggSmallSlim,
} from './supernet/builders/slim-models.js';
export type { ArchitectureCost } from './supernet/architecture-cost.js';
export { architectureCost, architectureShapes } from './supernet/architecture-cost.js';
export type { CandidateOpEntry, CandidateOpSpec } from './supernet/candidate-ops.js';
export {
  candidateOps,
  createCandidateOp,
  DARTS_OPS,
  listCandidateOps,
  registerCandidateOp,
  unregisterCandidateOp,
} from './supernet/candidate-ops.js';
export type { DynamicBatchNormOptions } from './supernet/dynamic-batch-norm.js';
export { DynamicBatchNorm } from './supernet/dynamic-batch-norm.js';
export type { DynamicConv2dOptions } from './supernet/dynamic-conv2d.js';
export { DynamicConv2d } from './supernet/dynamic-conv2d.js';
export type { DynamicLinearOptions } from './supernet/dynamic-linear.js';
export { DynamicLinear } from './supernet/dynamic-linear.js';
export type { ElasticDepthOptions } from './supernet/elastic-depth.js';
export { ElasticDepth } from './supernet/elastic-depth.js';
export type { DeclaresChoices, ExtractionContext, SubnetExtractable } from './supernet/extraction.js';
export {
  collectChoices,
  createExtractionContext,
  declaresChoices,
  extractSubnet,
  isSubnetExtractable,
} from './supernet/extraction.js';
export type { LayerChoiceFromOpsOptions, LayerChoiceOptions } from './supernet/layer-choice.js';
export { LayerChoice } from './supernet/layer-choice.js';
export type { ChannelReorderable } from './supernet/reorder-channels.js';
export { isChannelReorderable, reorderChannels } from './supernet/reorder-channels.js';
export type { SearchSpaceEntry, SearchSpaceOptionsByName } from './supernet/search-space-registry.js';
export {
  createSearchSpace,
  listSearchSpaces,
  registerSearchSpace,
  searchSpaces,
  unregisterSearchSpace,
} from './supernet/search-space-registry.js';
export type { SizeRule } from './supernet/size-rule.js';
export type { SupernetOptions } from './supernet/supernet.js';
export { Supernet } from './supernet/supernet.js';
export type {
  ChannelSupernetOptions,
  ResolvedChannelSupernetOptions,
} from './supernet/to-channel-supernet.js';
export {
  DEFAULT_WIDTH_RATIOS,
  resolveChannelSupernetOptions,
  toChannelSupernet,
  widthsOf,
} from './supernet/to-channel-supernet.js';
export type { SupernetBuilderEntry, SupernetOptionsByName } from './supernet/supernet-registry.js';
export {
  createSupernet,
  listSupernets,
  registerSupernet,
  supernetBuilders,
  unregisterSupernet,
} from './supernet/supernet-registry.js';
export type { ZeroConfig } from './nn/layers/zero.js';
export { Zero } from './nn/layers/zero.js';

// ── train ──────────────────────────────────────────────────────────────────
export type { AdamOptions } from './train/adam.js';
export { Adam } from './train/adam.js';
export { AdamW } from './train/adamw.js';
export type { Batch, BatchIterable } from './train/batch.js';
export type { ClippedGradients } from './train/clip-grad-norm.js';
export { clipByGlobalNorm, globalNorm } from './train/clip-grad-norm.js';
export type { CrossEntropyOptions } from './train/cross-entropy.js';
export { crossEntropy } from './train/cross-entropy.js';
export { registerDilatedConvolutionGradients } from './train/dilated-convolution-gradients.js';
export { logSoftmax } from './train/log-softmax.js';
export type { DistillationOptions } from './train/distillation.js';
export { distillationLoss } from './train/distillation.js';
export type { BatchSource, FitEvent, FitHistory, FitOptions } from './train/fit.js';
export { fit } from './train/fit.js';
export { topKAccuracy, topKCorrect } from './train/metrics.js';
export type { NamedGradients, OptimizerOptions, OptimizerState } from './train/optimizer.js';
export { Optimizer } from './train/optimizer.js';
export type { RecalibrateOptions } from './train/recalibrate-batch-norm.js';
export { recalibrateBatchNorm } from './train/recalibrate-batch-norm.js';
export type { RecalibratedSubnetOptions } from './train/recalibrated-subnet.js';
export { recalibratedSubnet } from './train/recalibrated-subnet.js';
export type {
  MultiArchitectureStepOptions,
  MultiArchitectureStepResult,
  SandwichStepOptions,
} from './train/sandwich-step.js';
export { multiArchitectureStep, sandwichStep } from './train/sandwich-step.js';
export type { FeatureDistillationOptions } from './train/feature-distillation.js';
export { featureDistillationLoss } from './train/feature-distillation.js';
export type { CosineScheduleOptions, LearningRateSchedule } from './train/schedule.js';
export { cosineSchedule } from './train/schedule.js';
export type { SgdOptions } from './train/sgd.js';
export { SGD } from './train/sgd.js';
export { stopGradient } from './train/stop-gradient.js';
export type { LossAndGradients } from './train/named-gradients.js';
export { namedGradients } from './train/named-gradients.js';
export type { LossFunction, TrainStepOptions, TrainStepResult } from './train/train-step.js';
export { NonFiniteLossError, trainStep } from './train/train-step.js';
export type { WeightDecayFilter } from './train/weight-decay.js';
export { defaultWeightDecayFilter, NO_WEIGHT_DECAY_NAMES } from './train/weight-decay.js';

// ── profile ────────────────────────────────────────────────────────────────
export type {
  BuildLatencyTableOptions,
  LatencyEntry,
  LatencyPrediction,
  LatencyTable,
} from './profile/latency-table.js';
export { buildLatencyTable, latencyKey, predictLatency } from './profile/latency-table.js';
export type {
  LatencyClock,
  LatencyStats,
  LatencyTarget,
  MeasureLatencyOptions,
} from './profile/measure-latency.js';
export { measureLatency } from './profile/measure-latency.js';
export type { LayerProfile, ModelProfile, ProfileOptions, ProfileTarget } from './profile/profile-model.js';
export { formatProfile, profileModel } from './profile/profile-model.js';
