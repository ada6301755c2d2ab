// @automl-ts/rep-blocks public API. Name every export.

export type { BranchType } from './branch-registry.js';
export {
  branchTypes,
  getBranchType,
  listBranchTypes,
  registerBranchType,
  unregisterBranchType,
} from './branch-registry.js';
export type { BNAndPadOptions } from './branches/bn-and-pad.js';
export { BNAndPad } from './branches/bn-and-pad.js';
export type { BranchSpec } from './branches/branch-spec.js';
export { Conv1x1AvgBranch } from './branches/conv1x1-avg-branch.js';
export { Conv1x1KxkBranch } from './branches/conv1x1-kxk-branch.js';
export { ConvBnBranch } from './branches/conv-bn-branch.js';
export { IdentityBranch } from './branches/identity-branch.js';
export { fuseBlock, fusedBlockModule, reparameterize } from './fuse-block.js';
export { addBranches } from './fusion/add-branches.js';
export { avgPoolKernel } from './fusion/avg-pool-kernel.js';
export { batchNormParameters, foldBatchNorm } from './fusion/fold-batch-norm.js';
export type { BatchNormParameters, FusedKernel } from './fusion/fused-kernel.js';
export { identityKernel } from './fusion/identity-kernel.js';
export { mergeSequential } from './fusion/merge-sequential.js';
export { padKernel } from './fusion/pad-kernel.js';
export type {
  BranchEntry,
  FixedBlockOptions,
  RepBlockConfig,
  RepBlockOptions,
  ResolvedRepBlockOptions,
} from './rep-block.js';
export {
  ACBlock,
  DiverseBranchBlock,
  isRepBlock,
  RepBlock,
  RepVGGBlock,
  repvggBranches,
  resolveRepBlockOptions,
} from './rep-block.js';
export { registerRepBlockClasses } from './register-classes.js';
export type { ToRepBlocksOptions } from './to-rep-blocks.js';
export { toRepBlocks } from './to-rep-blocks.js';
export type { RepNetForm, RepNetOptions, RepNetSize } from './models/rep-net.js';
export {
  createRepNet,
  formBranches,
  ODBB_BRANCH_COUNT,
  odbbBranches,
  REPNET_PRESETS,
  repBlocksOf,
} from './models/rep-net.js';
export type {
  RepnasBatch,
  RepnasPhase,
  RepnasResult,
  RepnasSearchInput,
  RepnasStepEvent,
} from './repnas/repnas-search.js';
export {
  deploySearched,
  extractSearched,
  forwardSelected,
  repnasBudget,
  repnasSearch,
  searchedLayerBranches,
} from './repnas/repnas-search.js';
export { perturbLogits, topKMask } from './repnas/sampling.js';
export type { RepnasSearchOptions, ResolvedRepnasSearchOptions } from './repnas/search-options.js';
export { resolveRepnasSearchOptions } from './repnas/search-options.js';
