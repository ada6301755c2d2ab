import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../../internal/errors.js';
import type { Rng } from '../../random/rng.js';
import { toRng } from '../../random/rng.js';
import type { ApplyContext, Module } from '../module.js';
import type { TracedOp } from '../trace.js';

/** A JSON value, as layer configs hold. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A JSON object, the type of every `getConfig()` result. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** A module as plain JSON: its class name and its `getConfig()`; see `moduleFromConfig`. */
export type SerializedModule = { readonly className: string; readonly config: JsonObject };

/** Builds a module from its JSON form; composition modules get one to rebuild their children. */
export type ModuleBuilder = (serialized: SerializedModule) => Module;

/** A named child in the JSON form of a composition module. */
export type SerializedChild = { readonly name: string; readonly module: SerializedModule };

/** Children of a composition module, in order, each with its local name. */
export type NamedModules = ReadonlyArray<readonly [string, Module]> | Readonly<Record<string, Module>>;

/**
 * Replaces children while a composition module copies itself (`cloneWith`). Receives each child
 * and its full hierarchical path in the original; returns a replacement (owned by the copy from
 * then on), or `undefined` to copy the child as usual (recursively, with the same mapper).
 */
export type ChildMapper = (child: Module, path: string) => Module | undefined;

/**
 * Channels to keep in channel surgery (`withChannels` of {@link Conv2d}, {@link Dense},
 * {@link BatchNorm}): strictly ascending indices; omitted means all.
 */
export interface ChannelSelection {
  inputs?: readonly number[];
  outputs?: readonly number[];
}

/**
 * A module that can drop input and/or output channels for real, returning a new, smaller module
 * (the original is untouched). `prune` uses it; implement it on a custom layer to make it prunable.
 */
export interface ChannelSliceable {
  withChannels(selection: ChannelSelection): Module;
}

/** Whether `module` implements {@link ChannelSliceable}. */
export function isChannelSliceable(module: Module): module is Module & ChannelSliceable {
  return typeof (module as Partial<ChannelSliceable>).withChannels === 'function';
}

/** A module that can deep-copy itself: every built-in layer and composition module. */
export interface Cloneable {
  clone(): Module;
}

/** A module that can copy itself with some descendants replaced (Sequential, Residual, Concat). */
export interface StructurallyCloneable {
  cloneWith(mapChild: ChildMapper): Module;
}

/** A module that describes itself as plain JSON. */
export interface Configurable {
  getConfig(): JsonObject;
}

/** True when `module` has a `clone()` method. */
export function isCloneable(module: Module): module is Module & Cloneable {
  return typeof (module as Partial<Cloneable>).clone === 'function';
}

/** True when `module` has a `cloneWith(mapChild)` method. */
export function isStructurallyCloneable(module: Module): module is Module & StructurallyCloneable {
  return typeof (module as Partial<StructurallyCloneable>).cloneWith === 'function';
}

/**
 * Deep-copies a module (new variables with the same values, same local names). With `mapChild`,
 * descendants of composition modules can be replaced on the way (see {@link ChildMapper}).
 *
 * @example
 * const pruned = cloneModule(model, (child, path) =>
 *   path === 'stage1.block0.conv1' ? (child as Conv2d).withChannels({ outputs: [0, 2, 5] }) : undefined);
 */
export function cloneModule(module: Module, mapChild?: ChildMapper): Module {
  if (mapChild !== undefined && isStructurallyCloneable(module)) return module.cloneWith(mapChild);
  if (isCloneable(module)) return module.clone();
  throw new AutomlError(
    '@automl-ts/core/cloneModule',
    `${module.className}${module.path === '' ? '' : ` at "${module.path}"`} has no clone() method`,
  );
}

/**
 * The copy of one child inside a `cloneWith` of a composition module: the mapper's replacement,
 * else a recursive copy. Implement `cloneWith(mapChild)` with it so that `cloneModule` and
 * `prune` can replace descendants of your module.
 */
export function cloneChild(child: Module, mapChild: ChildMapper): Module {
  return mapChild(child, child.path) ?? cloneModule(child, mapChild);
}

/** `{ className, config }` of a module that has `getConfig()`. */
export function serializeModule(module: Module): SerializedModule {
  const configurable = module as Module & Partial<Configurable>;
  if (typeof configurable.getConfig !== 'function') {
    throw new AutomlError(
      '@automl-ts/core/serializeModule',
      `${module.className}${module.path === '' ? '' : ` at "${module.path}"`} has no getConfig() method`,
    );
  }
  return { className: module.className, config: configurable.getConfig() };
}

/** Children in order with their names, from either form of {@link NamedModules}. */
export function namedEntries(modules: NamedModules): Array<readonly [string, Module]> {
  return Array.isArray(modules)
    ? [...(modules as ReadonlyArray<readonly [string, Module]>)]
    : Object.entries(modules as Readonly<Record<string, Module>>);
}

/**
 * Reports one computation to `ctx.trace`, when tracing (a no-op otherwise). Every leaf layer calls
 * it once per computation with the tensors it read and produced and its settings (see
 * `TraceEvent.attrs` for what each op needs); composition modules call it for their joins
 * (`add`, `concat`). `NetworkGraph`, profiling, pruning and extraction see a module only through
 * these events.
 *
 * @example
 * override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
 *   const y = tf.mul(x, this.param('gamma', ctx));
 *   emitTrace(ctx, this, 'batchNorm', [x], y, { channels: this.channels, center: false });
 *   return y;
 * }
 */
export function emitTrace(
  ctx: ApplyContext,
  module: Module,
  op: TracedOp,
  inputs: readonly tf.Tensor[],
  output: tf.Tensor,
  attrs: Readonly<Record<string, unknown>> = {},
): void {
  ctx.trace?.record({ module, op, inputs, output, attrs });
}

/**
 * Returns `value` when it is an integer in `[min, max]`, else throws naming the option and the
 * range. `where` is an error source (`'@automl-ts/my-plugin/MyLayer'`) or a function making the
 * error (from `errorFactory`).
 *
 * @example
 * const channels = checkInteger('@my-org/my-plugin/ChannelScale', 'channels', options.channels);
 * // @my-org/my-plugin/ChannelScale: channels must be an integer >= 1, got 2.5
 */
export function checkInteger(
  where: string | ((message: string) => Error),
  name: string,
  value: unknown,
  min = 1,
  max = Number.POSITIVE_INFINITY,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in [${min}, ${max}]`;
    const message = `${name} must be an integer ${range}, got ${describeValue(value)}`;
    throw typeof where === 'string' ? new AutomlError(where, message) : where(message);
  }
  return value;
}

/** Normalises `n` or `[a, b]` to a pair of integers ≥ `min`. */
export function checkPair(
  source: string,
  name: string,
  value: number | readonly [number, number] | undefined,
  fallback: number,
  min = 1,
): [number, number] {
  const pair =
    value === undefined ? [fallback, fallback] : typeof value === 'number' ? [value, value] : value;
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    !pair.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min)
  ) {
    throw new AutomlError(
      source,
      `${name} must be an integer >= ${min} or a pair of them, got ${describeValue(value)}`,
    );
  }
  return [pair[0] as number, pair[1] as number];
}

/**
 * Validates channel indices to keep: a non-empty, strictly ascending list of integers in
 * `[0, size)`. Ascending order keeps surviving channels in their original order, so that a
 * producer and its consumers sliced with the same list stay aligned.
 */
export function checkIndices(
  source: string,
  what: string,
  indices: readonly number[],
  size: number,
): number[] {
  if (!Array.isArray(indices) || indices.length === 0) {
    throw new AutomlError(
      source,
      `${what} must be a non-empty array of channel indices, got ${describeValue(indices)}`,
    );
  }
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= size) {
      throw new AutomlError(
        source,
        `${what}[${i}] = ${describeValue(index)} is not a channel index in [0, ${size})`,
      );
    }
    if (i > 0 && index <= (indices[i - 1] as number)) {
      throw new AutomlError(source, `${what} must be strictly ascending, got ${describeValue(indices)}`);
    }
  }
  return [...indices];
}

/** Throws unless `x` has one of the ranks and the expected size on its last axis. */
export function checkInput(
  source: string,
  x: tf.Tensor,
  ranks: readonly number[],
  lastDim: number | undefined,
  what: string,
): void {
  if (!ranks.includes(x.rank)) {
    throw new AutomlError(
      source,
      `expected a rank ${ranks.join(' or ')} input (${what}), got shape [${x.shape}]`,
    );
  }
  if (lastDim !== undefined && x.shape[x.rank - 1] !== lastDim) {
    throw new AutomlError(
      source,
      `expected ${lastDim} channels on the last axis, got shape [${x.shape}] (${what})`,
    );
  }
}

/** A 32-bit seed for a TF.js random op: drawn from `seed` when given, else from TF.js's unseeded generator. */
export function seedFrom(seed: number | string | Rng | undefined): number | undefined {
  return seed === undefined ? undefined : toRng(seed).seed();
}

/** Whether two index lists are equal element by element. */
export function arraysEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** `tf.gather` along `axis` with plain indices (an int32 tensor is created and freed). */
export function gatherAxis(x: tf.Tensor, indices: readonly number[], axis: number): tf.Tensor {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(indices as number[], 'int32'), axis));
}

/** The value of `module.variable(name)` as a fresh tensor, for copies. */
export function copyVariable(module: Module, name: string): tf.Tensor {
  return tf.clone(module.variable(name));
}

/** Throws unless `tensor` is a tensor of exactly `shape` (for initial weights given to a constructor). */
export function checkWeightShape(
  source: string,
  name: string,
  tensor: unknown,
  shape: readonly number[],
): void {
  if (
    !(tensor instanceof tf.Tensor) ||
    tensor.shape.length !== shape.length ||
    tensor.shape.some((d: number, i: number) => d !== shape[i])
  ) {
    const got = tensor instanceof tf.Tensor ? `shape [${tensor.shape}]` : describeValue(tensor);
    throw new AutomlError(source, `initial ${name} must have shape [${shape}], got ${got}`);
  }
}
