// Ding et al., "Diverse Branch Block", CVPR 2021 (a KxK conv trained as a sum of diverse branches, fused into one conv for inference).

import type { ActivationKind, ApplyContext, Rng } from '@automl-ts/core';
import {
  Activation,
  createRng,
  describeValue,
  emitTrace,
  errorFactory,
  Module,
  toRng,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { branchTypes } from './branch-registry.js';
import type { BranchSpec } from './branches/branch-spec.js';
import { addBranches } from './fusion/add-branches.js';
import type { FusedKernel } from './fusion/fused-kernel.js';

/** A branch of a block: a registered type name (also its child name), or `[childName, typeName]`. */
export type BranchEntry = string | readonly [name: string, type: string];

/** Options of {@link RepBlock}. */
export interface RepBlockOptions {
  inChannels: number;
  outChannels: number;
  /** The block's kernel K (odd: every branch is centred in the KxK window). @default 3 */
  kernelSize?: number;
  /** @default 1 */
  strides?: number;
  /** Channel groups (`inChannels` for depthwise). @default 1 */
  groups?: number;
  /** The branches, summed (see {@link listBranchTypes}). */
  branches: readonly BranchEntry[];
  /** Activation after the sum, or `null` for none. @default 'relu' */
  activation?: ActivationKind | null;
  /** Batch-norm momentum of every branch (PyTorch convention). @default 0.1 */
  bnMomentum?: number;
  /** @default 1e-5 */
  bnEpsilon?: number;
  /** Seed or rng for the initial weights. @default 0 */
  seed?: number | string | Rng;
}

/** The JSON form of a {@link RepBlock}. */
export type RepBlockConfig = {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly groups: number;
  readonly branches: ReadonlyArray<readonly [string, string]>;
  readonly activation: ActivationKind | null;
  readonly bnMomentum: number;
  readonly bnEpsilon: number;
};

/** The resolved {@link RepBlockOptions} (without the seed). */
export type ResolvedRepBlockOptions = RepBlockConfig;

const SOURCE = '@automl-ts/rep-blocks/RepBlock';

/** Fills defaults of {@link RepBlockOptions} and validates them (errors name the bad value). */
export function resolveRepBlockOptions(options: RepBlockOptions, source = SOURCE): ResolvedRepBlockOptions {
  const fail = errorFactory(source);
  const int = (name: string, value: unknown, min = 1): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw fail(`${name} must be an integer >= ${min}, got ${describeValue(value)}`);
    }
    return value;
  };
  const inChannels = int('inChannels', options?.inChannels);
  const outChannels = int('outChannels', options.outChannels);
  const kernelSize = int('kernelSize', options.kernelSize ?? 3);
  if (kernelSize % 2 !== 1) {
    throw fail(`kernelSize must be odd so that every branch shares the kernel's centre, got ${kernelSize}`);
  }
  const strides = int('strides', options.strides ?? 1);
  const groups = int('groups', options.groups ?? 1);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw fail(`groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
  }
  const bnMomentum = options.bnMomentum ?? 0.1;
  if (typeof bnMomentum !== 'number' || !(bnMomentum > 0 && bnMomentum <= 1)) {
    throw fail(`bnMomentum must be a number in (0, 1], got ${describeValue(bnMomentum)}`);
  }
  const bnEpsilon = options.bnEpsilon ?? 1e-5;
  if (typeof bnEpsilon !== 'number' || !(bnEpsilon > 0)) {
    throw fail(`bnEpsilon must be a number > 0, got ${describeValue(bnEpsilon)}`);
  }
  if (!Array.isArray(options.branches) || options.branches.length === 0) {
    throw fail(`branches must be a non-empty list of branch types, got ${describeValue(options.branches)}`);
  }
  const branches = options.branches.map((entry): readonly [string, string] =>
    typeof entry === 'string' ? [entry, entry] : [entry[0], entry[1]],
  );
  const names = new Set<string>();
  const spec = {
    inChannels,
    outChannels,
    kernelSize,
    strides,
    groups,
    bnMomentum,
    bnEpsilon,
    rng: createRng(0),
  };
  for (const [name, type] of branches) {
    if (names.has(name))
      throw fail(`branch name "${name}" appears twice; name repeated types with [name, type]`);
    names.add(name);
    const entry = branchTypes.has(type) ? branchTypes.get(type) : undefined;
    if (entry === undefined) {
      throw fail(`unknown branch type ${describeValue(type)}; known: ${branchTypes.list().join(', ')}`);
    }
    if (typeof entry.fuse !== 'function') throw fail(`branch type "${type}" has no fusion rule`);
    const reason = entry.unsupported?.(spec);
    if (reason !== undefined) throw fail(`branch "${name}" (${type}) cannot be used here: ${reason}`);
  }
  const activation = options.activation === undefined ? 'relu' : options.activation;
  return {
    inChannels,
    outChannels,
    kernelSize,
    strides,
    groups,
    branches,
    activation,
    bnMomentum,
    bnEpsilon,
  };
}

/**
 * A re-parameterisable block: `act(Σ_b branch_b(x))` over registered branch types, all at the
 * block's stride and centred in its KxK window, so that {@link fuseBlock} turns the trained block
 * into one KxK conv with bias (symmetric padding `(K − 1)/2`). Branches are children named by
 * their entry (`stage1.block0.conv_kxk.conv.kernel`); the activation is the child `act`. Traced
 * join: one `add` over the branch outputs.
 *
 * @example
 * const block = new RepBlock({ inChannels: 16, outChannels: 16, branches: ['conv_kxk', 'conv_1x1', 'identity'] });
 * const conv = fuseBlock(block); // one 3x3 Conv2d with bias (then ReLU)
 */
export class RepBlock extends Module {
  static override readonly className: string = 'RepBlock';

  readonly config: RepBlockConfig;
  readonly #act: Activation | undefined;

  constructor(options: RepBlockOptions) {
    super();
    this.config = resolveRepBlockOptions(options, `@automl-ts/rep-blocks/${new.target.className}`);
    const rng = toRng(options.seed ?? 0);
    const spec = this.spec(rng);
    for (const [name, type] of this.config.branches) this.addModule(name, branchTypes.get(type).create(spec));
    this.#act =
      this.config.activation === null
        ? undefined
        : this.addModule('act', new Activation(this.config.activation));
  }

  /** What every branch of this block is built for. */
  spec(rng: Rng = createRng(0)): BranchSpec {
    const { inChannels, outChannels, kernelSize, strides, groups, bnMomentum, bnEpsilon } = this.config;
    return { inChannels, outChannels, kernelSize, strides, groups, bnMomentum, bnEpsilon, rng };
  }

  /** The branch modules with their names, in order. */
  branches(): Array<[string, Module]> {
    return this.config.branches.map(([name]) => [name, this.children().get(name) as Module]);
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    return this.forwardBranches(x, ctx, undefined);
  }

  /**
   * Runs only some branches, each scaled by its coefficient (`1` runs it unscaled): RepNAS's
   * sampled sub-block. Branches absent from `coefficients` are not executed. `undefined` runs all.
   */
  forwardBranches(
    x: tf.Tensor,
    ctx: ApplyContext,
    coefficients: ReadonlyMap<string, tf.Tensor | 1> | undefined,
  ): tf.Tensor {
    const outputs: tf.Tensor[] = [];
    for (const [name, branch] of this.branches()) {
      const c = coefficients === undefined ? 1 : coefficients.get(name);
      if (c === undefined) continue;
      const y = branch.forward(x, ctx);
      outputs.push(c === 1 ? y : tf.mul(y, c));
    }
    if (outputs.length === 0) {
      throw errorFactory(`${SOURCE}.forwardBranches (${this.path || 'root'})`)('no branch selected');
    }
    let sum = outputs[0] as tf.Tensor;
    if (outputs.length > 1) {
      sum = tf.addN(outputs);
      emitTrace(ctx, this, 'add', outputs, sum);
    }
    return this.#act === undefined ? sum : this.#act.forward(sum, ctx);
  }

  /** The whole block (inference mode) as one KxK conv's weights: every branch's fusion rule, then the sum. */
  fuseWeights(): FusedKernel {
    const spec = this.spec();
    const k = this.config.kernelSize;
    return tf.tidy(() => {
      const parts = this.branches().map(([name, branch]) => {
        const type = this.config.branches.find(([n]) => n === name)?.[1] as string;
        return branchTypes.get(type).fuse(branch, spec);
      });
      return addBranches(parts, [k, k]);
    });
  }

  /** Plain JSON enough to rebuild the block (weights are separate). */
  getConfig(): RepBlockConfig {
    return { ...this.config, branches: this.config.branches.map(([n, t]) => [n, t] as const) };
  }

  /** Rebuilds a block from {@link RepBlock.getConfig} (fresh weights). */
  static fromConfig(config: RepBlockConfig): RepBlock {
    return new RepBlock(config);
  }

  /** A deep copy: same structure and names, variables holding the same values. */
  clone(): RepBlock {
    const copy = new RepBlock(this.getConfig());
    const source = this.namedVariables();
    tf.tidy(() => {
      for (const [name, variable] of copy.namedVariables()) variable.assign(source.get(name) as tf.Variable);
    });
    return copy;
  }
}

/** True for a {@link RepBlock} (duck-typed: anything with `fuseWeights()` and a block `config`). */
export function isRepBlock(module: unknown): module is RepBlock {
  const candidate = module as Partial<RepBlock> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.fuseWeights === 'function' &&
    typeof candidate.config === 'object'
  );
}

/** Options of the fixed-branch blocks ({@link RepVGGBlock}, {@link ACBlock}, {@link DiverseBranchBlock}). */
export type FixedBlockOptions = Omit<RepBlockOptions, 'branches'>;

/** Branches of a RepVGG block: KxK, 1x1 and, where stride is 1 and channels are equal, identity. */
export function repvggBranches(options: FixedBlockOptions): string[] {
  const identity = (options.strides ?? 1) === 1 && options.inChannels === options.outChannels;
  return identity ? ['conv_kxk', 'conv_1x1', 'identity'] : ['conv_kxk', 'conv_1x1'];
}

/**
 * RepVGG block (Ding et al., CVPR 2021): KxK conv-BN + 1x1 conv-BN (+ identity-BN when stride 1
 * and equal channels), then ReLU.
 */
export class RepVGGBlock extends RepBlock {
  static override readonly className: string = 'RepVGGBlock';
  constructor(options: FixedBlockOptions) {
    super({ ...options, branches: repvggBranches(options) });
  }
}

/** ACNet block (Ding et al., ICCV 2019): KxK + 1xK + Kx1 conv-BN branches, then ReLU. */
export class ACBlock extends RepBlock {
  static override readonly className: string = 'ACBlock';
  constructor(options: FixedBlockOptions) {
    super({ ...options, branches: ['conv_kxk', 'conv_1xk', 'conv_kx1'] });
  }
}

/**
 * Diverse Branch Block (Ding et al., CVPR 2021): KxK conv-BN + 1x1 conv-BN + 1x1 → KxK +
 * 1x1 → average pooling, then ReLU.
 */
export class DiverseBranchBlock extends RepBlock {
  static override readonly className: string = 'DiverseBranchBlock';
  constructor(options: FixedBlockOptions) {
    super({ ...options, branches: ['conv_kxk', 'conv_1x1', 'conv_1x1_kxk', 'conv_1x1_avg'] });
  }
}
