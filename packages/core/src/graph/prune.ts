import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { ArchValues, Module } from '../nn/module.js';
import { hasArchitectureDependentParts, standaloneSubnet } from '../supernet/extraction.js';
import type { ChannelTransform } from './channel-ops.js';
import {
  type CriterionInput,
  type LayerWeights,
  type PruningCriterion,
  pruningCriteria,
} from './criteria.js';
import { analyzeChannels } from './dependency-groups.js';
import { type KerasLayer, walkLayersModel } from './from-layers-model.js';
import { type TracedModule, traceModule } from './from-module.js';
import { graphOfTrace, graphOfWalk, type NetworkGraph } from './network-graph.js';
import { type PruneSelection, planPruning } from './prune-plan.js';
import { rebuildLayersModel, weightRole } from './rebuild-layers-model.js';
import { rebuildModule } from './rebuild-module.js';
import type { LayerShape } from './types.js';

/** Options of {@link prune}, {@link maskChannels} and {@link selectChannels}. */
export interface PruneOptions {
  /** Input shape without the batch dimension. Required for a Module (traced once); unused for a `tf.LayersModel`. */
  inputShape?: LayerShape;
  /**
   * For a supernet or any module with choices: the sub-network to prune. It is extracted first
   * (`supernet.extract(arch)`), so `prune` and `maskChannels` return a plain, smaller module of
   * that architecture, not a supernet, and selections name the extracted layers (a layer choice's
   * chosen candidate `block0.op.conv3x3.conv` is `block0.op.conv`). Dynamic layers themselves
   * cannot be sliced: a supernet keeps every width.
   */
  arch?: ArchValues;
}

/** Options of {@link selectChannels} and {@link pruneByRatio}. */
export interface SelectChannelsOptions extends PruneOptions {
  /**
   * Fraction of each group's channels to remove: one number for every group, or per group id
   * (groups not listed keep everything). A group keeps `channels − ⌊ratio·channels⌋`, at least one.
   */
  ratio: number | Readonly<Record<string, number>>;
  /**
   * How channels are ranked within a group: a name in {@link pruningCriteria} or a criterion.
   * @default 'l1'
   */
  criterion?: string | PruningCriterion;
}

type Prepared =
  | {
      readonly kind: 'module';
      readonly module: Module;
      readonly traced: TracedModule;
      readonly graph: NetworkGraph;
      /** A sub-network extracted for `arch`, freed once the call is done. */
      readonly extracted?: Module;
    }
  | {
      readonly kind: 'layers-model';
      readonly model: tf.LayersModel;
      readonly layers: ReadonlyMap<string, KerasLayer>;
      readonly graph: NetworkGraph;
    };

function isModule(value: unknown): value is Module {
  const candidate = value as Partial<Module> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.namedParameters === 'function' &&
    typeof candidate.apply === 'function'
  );
}

function isLayersModel(value: unknown): value is tf.LayersModel {
  const candidate = value as Partial<tf.LayersModel> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.predict === 'function' &&
    Array.isArray(candidate.outputs) &&
    Array.isArray(candidate.layers)
  );
}

function prepare(source: string, model: Module | tf.LayersModel, options: PruneOptions): Prepared {
  if (isModule(model)) {
    if (options.inputShape === undefined) {
      throw new AutomlError(source, `options.inputShape is required to trace a Module (${model.className})`);
    }
    const extracted =
      options.arch !== undefined && hasArchitectureDependentParts(model)
        ? standaloneSubnet(model, options.arch, options.inputShape)
        : undefined;
    const module = extracted ?? model;
    const traced = traceModule(
      module,
      options.inputShape,
      extracted === undefined ? options.arch : undefined,
    );
    const graph = graphOfTrace(traced, options.arch);
    return { kind: 'module', module, traced, graph, ...(extracted === undefined ? {} : { extracted }) };
  }
  if (isLayersModel(model)) {
    const walked = walkLayersModel(model);
    return { kind: 'layers-model', model, layers: walked.layers, graph: graphOfWalk(walked) };
  }
  throw new AutomlError(source, `expected a Module or a tf.LayersModel, got ${describeValue(model)}`);
}

function rebuild(
  source: string,
  prepared: Prepared,
  selection: PruneSelection,
  transform: ChannelTransform,
): Module | tf.LayersModel {
  const plan = planPruning(source, prepared.graph, selection);
  return prepared.kind === 'module'
    ? rebuildModule(source, prepared.module, prepared.traced, plan, transform)
    : rebuildLayersModel(source, prepared.model, plan, transform);
}

/** Runs `use` on the prepared model, then frees a sub-network extracted for it. */
function withPrepared<T>(prepared: Prepared, use: (prepared: Prepared) => T): T {
  try {
    return use(prepared);
  } finally {
    if (prepared.kind === 'module') prepared.extracted?.dispose();
  }
}

/**
 * Removes channels for real: returns a NEW, smaller model of the same kind (Module → Module,
 * `tf.LayersModel` → `tf.LayersModel`, a `Sequential` stays sequential) in which every layer of
 * each affected dependency group (see {@link dependencyGroups}) is sliced consistently: producing
 * convs and dense layers lose output channels, their batch norms and depthwise convs follow, and
 * consumers lose the matching input channels (H·W rows per channel after a flatten, shifted
 * ranges after a concatenation). The original is untouched. Its outputs equal those of
 * {@link maskChannels} with the same selection.
 *
 * Modules are rebuilt with their layers' `withChannels` ({@link ChannelSliceable}) and their
 * composition modules' `cloneWith`; a layer that cannot follow throws with its name and class.
 *
 * @example
 * const groups = dependencyGroups(NetworkGraph.fromLayersModel(model));
 * const smaller = prune(model, { [groups[0].id]: [0, 2, 3] }); // keep 3 channels of the first group
 * const net = prune(resnet, { 'stage1.block0.conv1': [0, 1, 2, 3] }, { inputShape: [32, 32, 3] });
 */
export function prune(
  model: tf.LayersModel,
  selection: PruneSelection,
  options?: PruneOptions,
): tf.LayersModel;
export function prune(model: Module, selection: PruneSelection, options: PruneOptions): Module;
export function prune(
  model: Module | tf.LayersModel,
  selection: PruneSelection,
  options: PruneOptions = {},
): Module | tf.LayersModel {
  const source = '@automl-ts/core/prune';
  return withPrepared(prepare(source, model, options), (p) => rebuild(source, p, selection, 'slice'));
}

/**
 * The soft form of {@link prune}: a NEW model of the same kind and shape in which the channels
 * `prune` would remove are masked to zero where they enter a channel-mixing layer (conv, dense,
 * separable conv). It computes exactly what the pruned model computes, so it is the reference for
 * checking a pruning, and a way to try a selection without changing shapes.
 *
 * @example
 * const reference = maskChannels(model, selection);
 * const pruned = prune(model, selection); // pruned.predict(x) ≈ reference.predict(x)
 */
export function maskChannels(
  model: tf.LayersModel,
  selection: PruneSelection,
  options?: PruneOptions,
): tf.LayersModel;
export function maskChannels(model: Module, selection: PruneSelection, options: PruneOptions): Module;
export function maskChannels(
  model: Module | tf.LayersModel,
  selection: PruneSelection,
  options: PruneOptions = {},
): Module | tf.LayersModel {
  const source = '@automl-ts/core/maskChannels';
  return withPrepared(prepare(source, model, options), (p) => rebuild(source, p, selection, 'mask'));
}

function weightsOf(prepared: Prepared, graph: NetworkGraph): (layer: string) => LayerWeights {
  if (prepared.kind === 'module') {
    return (layer) => {
      const module = prepared.traced.modules.get(layer);
      if (module === undefined) return {};
      const get = (name: string): tf.Tensor | undefined =>
        module.hasVariable(name) ? module.variable(name) : undefined;
      const kernel = get('kernel');
      const gamma = get('gamma');
      return { ...(kernel === undefined ? {} : { kernel }), ...(gamma === undefined ? {} : { gamma }) };
    };
  }
  return (layer) => {
    const keras = prepared.layers.get(layer);
    if (keras === undefined) return {};
    const get = (role: string): tf.Tensor | undefined =>
      keras.weights.find((w) => weightRole(w) === role)?.read();
    const node = graph.layer(layer);
    const depthwise = get('depthwise_kernel');
    if (node.className === 'DepthwiseConv2D' && depthwise !== undefined) {
      const [kh, kw, c, m] = depthwise.shape as [number, number, number, number];
      return { kernel: tf.reshape(depthwise, [kh, kw, 1, c * m]) };
    }
    const entries = {
      kernel: get('kernel'),
      depthwiseKernel: depthwise,
      pointwiseKernel: get('pointwise_kernel'),
      gamma: get('gamma'),
    };
    return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as LayerWeights;
  };
}

function resolveCriterion(criterion: string | PruningCriterion | undefined): PruningCriterion {
  if (criterion === undefined) return pruningCriteria.get('l1');
  if (typeof criterion === 'string') return pruningCriteria.get(criterion);
  if (typeof criterion?.score !== 'function') {
    throw new AutomlError(
      '@automl-ts/core/pruneByRatio',
      `criterion must be a name (${pruningCriteria.list().join(', ')}) or { description, score }, got ${describeValue(criterion)}`,
    );
  }
  return criterion;
}

function checkRatio(source: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new AutomlError(source, `${what} must be a number in [0, 1), got ${describeValue(value)}`);
  }
  return value;
}

function select(source: string, prepared: Prepared, options: SelectChannelsOptions): PruneSelection {
  const { graph } = prepared;
  const groups = analyzeChannels(graph).groups;
  const ratio = options?.ratio;
  const ratioOf = new Map<string, number>();
  if (typeof ratio === 'number') {
    for (const group of groups) ratioOf.set(group.id, checkRatio(source, 'ratio', ratio));
  } else if (typeof ratio === 'object' && ratio !== null) {
    const ids = new Set(groups.map((g) => g.id));
    for (const [id, value] of Object.entries(ratio)) {
      if (!ids.has(id)) {
        throw new AutomlError(
          source,
          `ratio names unknown group ${describeValue(id)}; groups: ${[...ids].join(', ')}`,
        );
      }
      ratioOf.set(id, checkRatio(source, `ratio["${id}"]`, value));
    }
  } else {
    throw new AutomlError(
      source,
      `ratio must be a number or a record of group ratios, got ${describeValue(ratio)}`,
    );
  }
  const criterion = resolveCriterion(options.criterion);
  const weights = weightsOf(prepared, graph);
  const selection: Record<string, number[]> = {};
  for (const group of groups) {
    const r = ratioOf.get(group.id) ?? 0;
    const keep = Math.max(1, group.channels - Math.floor(r * group.channels));
    if (keep === group.channels) continue;
    const input: CriterionInput = { graph, group, weights };
    const scores = tf.tidy(() => criterion.score(input));
    if (scores.length !== group.channels || scores.some((s) => typeof s !== 'number' || Number.isNaN(s))) {
      throw new AutomlError(
        source,
        `criterion returned ${scores.length} scores (or NaN) for group "${group.id}" of ${group.channels} channels`,
      );
    }
    const ranked = scores.map((score, i) => ({ score, i })).sort((a, b) => b.score - a.score || a.i - b.i);
    selection[group.id] = ranked
      .slice(0, keep)
      .map(({ i }) => i)
      .sort((a, b) => a - b);
  }
  return selection;
}

/**
 * Ranks each dependency group's channels with a criterion and keeps the best
 * `channels − ⌊ratio·channels⌋` (at least one): a {@link PruneSelection} for {@link prune}.
 *
 * @example
 * const selection = selectChannels(model, { ratio: 0.5, criterion: 'l1' });
 */
export function selectChannels(
  model: Module | tf.LayersModel,
  options: SelectChannelsOptions,
): PruneSelection {
  const source = '@automl-ts/core/selectChannels';
  return withPrepared(prepare(source, model, options ?? {}), (p) => select(source, p, options));
}

/**
 * Prunes every dependency group by `ratio` with a criterion ({@link selectChannels} then
 * {@link prune}): a NEW, smaller model of the same kind.
 *
 * @example
 * const half = pruneByRatio(model, { ratio: 0.5 }); // L1-norm, half the channels of every group
 * const net = pruneByRatio(resnet, { ratio: 0.3, criterion: 'bn-scale', inputShape: [32, 32, 3] });
 */
export function pruneByRatio(model: tf.LayersModel, options: SelectChannelsOptions): tf.LayersModel;
export function pruneByRatio(model: Module, options: SelectChannelsOptions): Module;
export function pruneByRatio(
  model: Module | tf.LayersModel,
  options: SelectChannelsOptions,
): Module | tf.LayersModel {
  const source = '@automl-ts/core/pruneByRatio';
  return withPrepared(prepare(source, model, options ?? {}), (p) =>
    rebuild(source, p, select(source, p, options), 'slice'),
  );
}
