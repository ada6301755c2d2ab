import type { Module } from '@automl-ts/core';
import { describeValue, errorFactory, Registry, type RegistryFilter } from '@automl-ts/core';
import type { BranchSpec } from './branches/branch-spec.js';
import { ConvBnBranch } from './branches/conv-bn-branch.js';
import { Conv1x1AvgBranch } from './branches/conv1x1-avg-branch.js';
import { Conv1x1KxkBranch } from './branches/conv1x1-kxk-branch.js';
import { IdentityBranch } from './branches/identity-branch.js';
import type { FusedKernel } from './fusion/fused-kernel.js';

/**
 * A branch type: how to build the branch for a block, and its fusion rule. Register your own
 * with {@link registerBranchType}.
 */
export interface BranchType {
  /** One line for listings. */
  readonly description: string;
  /** Builds the branch (a Module whose `apply(x, { params })` computes it) for a block. */
  create(spec: BranchSpec): Module;
  /**
   * The fusion rule: the trained branch (in inference mode) as one `K x K` conv with bias, in
   * core `Conv2d`'s layout `[K, K, inChannels / groups, outChannels]`. New tensors, owned by the caller.
   */
  fuse(branch: Module, spec: BranchSpec): FusedKernel;
  /**
   * Why the branch cannot be used in this block (`undefined` when it can), checked when the block
   * is constructed: e.g. the identity needs stride 1 and equal channels.
   */
  unsupported?(spec: BranchSpec): string | undefined;
}

const REGISTER = '@automl-ts/rep-blocks/registerBranchType';

type Fusable = Module & { fuse(kernelSize: number): FusedKernel };
const fuseOwn = (branch: Module, spec: BranchSpec): FusedKernel => (branch as Fusable).fuse(spec.kernelSize);

const BUILTIN: ReadonlyArray<readonly [string, BranchType]> = [
  [
    'conv_kxk',
    {
      description: 'K x K conv → BN (the block kernel itself)',
      create: (spec) => new ConvBnBranch(spec, [spec.kernelSize, spec.kernelSize]),
      fuse: fuseOwn,
    },
  ],
  [
    'conv_1x1',
    {
      description: '1 x 1 conv → BN at the block stride',
      create: (spec) => new ConvBnBranch(spec, [1, 1]),
      fuse: fuseOwn,
    },
  ],
  [
    'conv_1xk',
    {
      description: '1 x K conv → BN (ACNet horizontal kernel)',
      create: (spec) => new ConvBnBranch(spec, [1, spec.kernelSize]),
      fuse: fuseOwn,
    },
  ],
  [
    'conv_kx1',
    {
      description: 'K x 1 conv → BN (ACNet vertical kernel)',
      create: (spec) => new ConvBnBranch(spec, [spec.kernelSize, 1]),
      fuse: fuseOwn,
    },
  ],
  [
    'conv_1x1_kxk',
    {
      description: '1 x 1 conv (identity-initialised) → BN-and-pad → K x K conv → BN (DBB)',
      create: (spec) => new Conv1x1KxkBranch(spec),
      fuse: fuseOwn,
    },
  ],
  [
    'conv_1x1_avg',
    {
      description: '1 x 1 conv → BN-and-pad → K x K average pooling → BN (DBB)',
      create: (spec) => new Conv1x1AvgBranch(spec),
      fuse: fuseOwn,
    },
  ],
  [
    'identity',
    {
      description: 'BN of the input (stride 1, equal channels only; RepVGG)',
      create: (spec) => new IdentityBranch(spec),
      fuse: fuseOwn,
      unsupported: (spec) =>
        spec.strides !== 1
          ? `needs stride 1, the block has stride ${spec.strides}`
          : spec.inChannels !== spec.outChannels
            ? `needs equal channels, the block maps ${spec.inChannels} to ${spec.outChannels}`
            : undefined,
    },
  ],
];

/**
 * Branch types by name. Built in: `conv_kxk`, `conv_1x1`, `conv_1xk`, `conv_kx1`,
 * `conv_1x1_kxk`, `conv_1x1_avg`, `identity`.
 */
export const branchTypes = /* @__PURE__ */ new Registry<BranchType>(
  { kind: 'branch type', sources: { get: '@automl-ts/rep-blocks/getBranchType', register: REGISTER } },
  BUILTIN,
);

/**
 * Registers a branch type with its forward (`create`) and its fusion rule (`fuse`). A duplicate
 * name throws; so does an entry without a fusion rule (a branch that cannot fuse would break
 * the contract that every rep block becomes one conv).
 *
 * @example
 * registerBranchType('conv_kxk_dilated', { description: '…', create: (spec) => …, fuse: (branch, spec) => … });
 */
export function registerBranchType(name: string, type: BranchType): void {
  const fail = errorFactory(REGISTER);
  if (typeof type?.create !== 'function') throw fail(`branch type ${describeValue(name)} needs create(spec)`);
  if (typeof type.fuse !== 'function') {
    throw fail(
      `branch type ${describeValue(name)} has no fusion rule: give fuse(branch, spec) returning { kernel, bias }`,
    );
  }
  branchTypes.register(name, type);
}

/** The branch type registered under `name`; an unknown name throws listing the known ones. */
export function getBranchType(name: string): BranchType {
  return branchTypes.get(name);
}

/** Names of the registered branch types, sorted (optionally filtered by glob or predicate). */
export function listBranchTypes(filter?: RegistryFilter<BranchType>): string[] {
  return branchTypes.list(filter);
}

/** Removes a registered branch type; returns whether it existed. */
export function unregisterBranchType(name: string): boolean {
  return branchTypes.unregister(name);
}
