// Yu & Huang, "Universally Slimmable Networks", ICCV 2019 (shared weights, every layer runs its first
// w channels); Li et al., "Pruning Filters for Efficient ConvNets", ICLR 2017, §3.1 (L1 filter
// importance, so the first k channels are the strongest); Fang et al., "DepGraph", CVPR 2023 (the
// dependency groups that get one width each).
import * as tf from '@tensorflow/tfjs';
import { type CriterionInput, type LayerWeights, pruningCriteria } from '../graph/criteria.js';
import { analyzeChannels, type DependencyGroup } from '../graph/dependency-groups.js';
import { traceModule } from '../graph/from-module.js';
import { isDepthwise } from '../graph/layer-math.js';
import { graphOfTrace, type NetworkGraph } from '../graph/network-graph.js';
import type { GraphOp, LayerNode } from '../graph/types.js';
import { AutomlError, describeValue } from '../internal/errors.js';
import { layersModelToModule } from '../io/layers-model-to-module.js';
import type { BatchNorm } from '../nn/layers/batch-norm.js';
import type { Conv2d } from '../nn/layers/conv2d.js';
import type { Dense } from '../nn/layers/dense.js';
import { cloneModule } from '../nn/layers/layer-utils.js';
import type { Module } from '../nn/module.js';
import { type CategoricalChoice, categorical } from '../search-space/choices.js';
import { defineSearchSpace } from '../search-space/search-space.js';
import { DynamicBatchNorm } from './dynamic-batch-norm.js';
import { DynamicConv2d } from './dynamic-conv2d.js';
import { DynamicLinear } from './dynamic-linear.js';
import { Supernet } from './supernet.js';
import { orderByImportance, permuteVariable } from './variable-utils.js';

/** Options of {@link toChannelSupernet}. */
export interface ChannelSupernetOptions {
  /** Input shape without the batch axis (NHWC), to trace the model. @default a `tf.LayersModel`'s input shape (required for a Module) */
  inputShape?: readonly number[];
  /**
   * Width ratios each dependency group may keep, of its channels (rounded, at least one channel).
   * @default [0.1, 0.2, …, 1] (AutoSlim's and MetaPruning's 10 % steps)
   */
  widthRatios?: readonly number[];
  /**
   * Sort each group's channels by the L1 norm of their producing filters, most important first,
   * so that keeping the first k channels keeps the strongest. The full network is unchanged.
   * @default true
   */
  orderByImportance?: boolean;
}

/** The resolved {@link ChannelSupernetOptions}. */
export interface ResolvedChannelSupernetOptions {
  readonly inputShape: readonly number[];
  readonly widthRatios: readonly number[];
  readonly orderByImportance: boolean;
}

const SOURCE = '@automl-ts/core/toChannelSupernet';

/** AutoSlim's and MetaPruning's width list: 10 % … 100 % in 10 % steps. */
export const DEFAULT_WIDTH_RATIOS: readonly number[] = Object.freeze([
  0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
]);

/** Ops a converted network may contain: all of them follow a varying channel count. */
const WIDTH_AGNOSTIC: ReadonlySet<GraphOp> = new Set<GraphOp>([
  'input',
  'conv2d',
  'dense',
  'batchNorm',
  'activation',
  'maxPool',
  'avgPool',
  'globalAvgPool',
  'globalMaxPool',
  'flatten',
  'add',
  'identity',
  'dropout',
]);

/** Fills the defaults of {@link ChannelSupernetOptions} and validates them. */
export function resolveChannelSupernetOptions(
  options: ChannelSupernetOptions,
): ResolvedChannelSupernetOptions {
  const shape = options?.inputShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new AutomlError(
      SOURCE,
      `inputShape must be positive integers without the batch axis, got ${describeValue(shape)}`,
    );
  }
  const ratios = options.widthRatios ?? DEFAULT_WIDTH_RATIOS;
  if (
    !Array.isArray(ratios) ||
    ratios.length === 0 ||
    !ratios.every((r) => typeof r === 'number' && r > 0 && r <= 1)
  ) {
    throw new AutomlError(
      SOURCE,
      `widthRatios must be non-empty numbers in (0, 1], got ${describeValue(ratios)}`,
    );
  }
  return {
    inputShape: [...shape],
    widthRatios: [...ratios],
    orderByImportance: options.orderByImportance ?? true,
  };
}

/** The channel counts a group of `channels` may keep under `ratios`, ascending, distinct. */
export function widthsOf(channels: number, ratios: readonly number[]): number[] {
  return [...new Set(ratios.map((r) => Math.max(1, Math.round(channels * r))))].sort((a, b) => a - b);
}

/**
 * Turns a plain trained core Module (or a chain-shaped `tf.LayersModel`, through
 * `layersModelToModule`) into a channel supernet that starts from its weights: one
 * width choice per channel-dependency group (named by the group id, values are channel counts;
 * coupled groups such as residual adds share one), every Conv2d / BatchNorm / Dense replaced by
 * its dynamic counterpart (`DynamicConv2d`, `DynamicBatchNorm`, `DynamicLinear`) holding the
 * same weights, and (by default) each group's channels sorted by L1 importance so that a subnet
 * keeps its strongest first k channels. The largest architecture computes what the model computes.
 *
 * A group whose channels reach a layer at several positions each (a dense layer after flattening
 * an H×W×C map, H·W > 1) cannot keep a prefix of its channels, and stays at full width (no
 * choice). Layers whose channels cannot follow a width (concatenations, zero-padding shortcuts,
 * grouped or separable convs, explicit padding, dilation) throw an error naming them.
 *
 * @example
 * const teacher = createResNetCifar({ depth: 20 }); // …trained
 * const supernet = toChannelSupernet(teacher, { inputShape: [32, 32, 3] });
 * supernet.searchSpace.names; // ['stem.conv', 'stage1.block0.conv1', …]
 * const half = supernet.extract(someArch); // plain layers, the first k channels of each group
 */
export function toChannelSupernet(
  model: Module | tf.LayersModel,
  options: ChannelSupernetOptions = {},
): Supernet {
  if (
    typeof (model as Partial<tf.LayersModel>)?.predict === 'function' &&
    Array.isArray((model as tf.LayersModel).layers)
  ) {
    const keras = model as tf.LayersModel;
    const module = layersModelToModule(keras);
    try {
      return toChannelSupernet(module, {
        ...options,
        inputShape: options.inputShape ?? (keras.inputs[0]?.shape.slice(1) as number[]),
      });
    } finally {
      module.dispose();
    }
  }
  const o = resolveChannelSupernetOptions(options);
  if (typeof (model as Partial<Module>)?.namedParameters !== 'function') {
    throw new AutomlError(SOURCE, `expected a core Module or a tf.LayersModel, got ${describeValue(model)}`);
  }
  const net = model as Module;
  const traced = traceModule(net, o.inputShape, undefined);
  const graph = graphOfTrace(traced, undefined);
  const analysis = analyzeChannels(graph);
  for (const node of graph.layers()) checkConvertible(node, traced.modules.get(node.name));

  // The width choice of each group whose channels every member holds as a prefix-sliceable axis.
  const choiceOfLayerOutput = new Map<string, CategoricalChoice>();
  const choices: CategoricalChoice[] = [];
  const searched: DependencyGroup[] = [];
  for (const group of analysis.groups) {
    if (!isPrefixSliceable(group, graph)) continue;
    const choice = categorical(group.id, widthsOf(group.channels, o.widthRatios));
    for (const member of group.members)
      if (member.dimension === 'out') choiceOfLayerOutput.set(member.layer, choice);
    choices.push(choice);
    searched.push(group);
  }

  const replaced = new Map<Module, Module>();
  for (const node of graph.layers()) {
    const module = traced.modules.get(node.name);
    if (module === undefined || replaced.has(module)) continue;
    const dynamic = toDynamic(node, module, choiceOfLayerOutput.get(node.name));
    if (dynamic !== undefined) replaced.set(module, dynamic);
  }
  if (o.orderByImportance) {
    const dynamicOf = (layer: string): Module => replaced.get(traced.modules.get(layer) as Module) as Module;
    for (const group of searched) reorderGroup(group, graph, dynamicOf);
  }

  const root = replaced.get(net) ?? cloneModule(net, (child) => replaced.get(child));
  const layers: Array<readonly [string, Module]> =
    root.className === 'Sequential' && root.children().size > 0 ? [...root.children()] : [['net', root]];
  return new Supernet({ layers, inputShape: o.inputShape, searchSpace: defineSearchSpace(choices) });
}

function fail(node: LayerNode, message: string): AutomlError {
  return new AutomlError(SOURCE, `layer "${node.name}" (${node.className}, ${node.op}) ${message}`);
}

function checkConvertible(node: LayerNode, module: Module | undefined): void {
  if (node.name.includes('#')) {
    throw fail(node, 'runs more than once; a shared layer cannot take one width per use');
  }
  if (!WIDTH_AGNOSTIC.has(node.op)) {
    throw fail(
      node,
      `cannot follow a varying channel count; supported ops: ${[...WIDTH_AGNOSTIC].join(', ')}`,
    );
  }
  if (node.op === 'conv2d') {
    const conv = module as Conv2d;
    const [kh, kw] = node.kernelSize ?? [1, 1];
    if (conv.className !== 'Conv2d') throw fail(node, 'is not a core Conv2d');
    if (kh !== kw || kh % 2 === 0)
      throw fail(node, `has kernel ${kh}×${kw}; a channel supernet needs square odd kernels`);
    if (node.padding !== 'same' && !(kh === 1 && node.padding === 'valid')) {
      throw fail(node, `has padding ${JSON.stringify(node.padding)}; a channel supernet needs 'same'`);
    }
    if ((node.dilation ?? [1, 1]).some((d) => d !== 1)) throw fail(node, 'is dilated; not supported');
    if (node.strides?.[0] !== node.strides?.[1])
      throw fail(node, `has strides [${node.strides}]; needs equal strides`);
    if ((node.groups ?? 1) !== 1 && !isDepthwise(node))
      throw fail(node, `is a grouped conv (groups ${node.groups})`);
    if (isDepthwise(node) && conv.outChannels !== conv.inChannels) {
      throw fail(node, 'is a depthwise conv with a channel multiplier; not supported');
    }
  } else if (node.op === 'dense' && module?.className !== 'Dense') {
    throw fail(node, 'is not a core Dense');
  } else if (node.op === 'batchNorm' && module?.className !== 'BatchNorm') {
    throw fail(node, 'is not a core BatchNorm');
  }
}

/** Every member holds channel i at position i of an axis exactly as long as the group. */
function isPrefixSliceable(group: DependencyGroup, graph: NetworkGraph): boolean {
  return group.members.every((member) => {
    const node = graph.layer(member.layer);
    const size =
      member.dimension === 'out'
        ? (node.outputShape[node.outputShape.length - 1] as number)
        : ((node.inputShapes[0] ?? [])[(node.inputShapes[0] ?? []).length - 1] as number);
    return size === group.channels && member.indices.every((p, i) => p.length === 1 && p[0] === i);
  });
}

function toDynamic(
  node: LayerNode,
  module: Module,
  width: CategoricalChoice | undefined,
): Module | undefined {
  switch (node.op) {
    case 'conv2d': {
      const conv = module as Conv2d;
      const depthwise = isDepthwise(node);
      const dynamic = new DynamicConv2d({
        maxInChannels: conv.inChannels,
        maxOutChannels: conv.outChannels,
        kernelSizes: [conv.kernelSize[0]],
        strides: conv.strides[0],
        useBias: conv.useBias,
        depthwise,
        ...(depthwise || width === undefined ? {} : { outChannels: width }),
      });
      copyVariables(module, dynamic, conv.useBias ? ['kernel', 'bias'] : ['kernel']);
      return dynamic;
    }
    case 'batchNorm': {
      const bn = module as BatchNorm;
      const dynamic = new DynamicBatchNorm({
        maxChannels: bn.channels,
        momentum: bn.momentum,
        epsilon: bn.epsilon,
      });
      copyVariables(module, dynamic, ['gamma', 'beta', 'runningMean', 'runningVar']);
      return dynamic;
    }
    case 'dense': {
      const dense = module as Dense;
      const dynamic = new DynamicLinear({
        maxInUnits: dense.inUnits,
        maxOutUnits: dense.outUnits,
        useBias: dense.useBias,
        ...(width === undefined ? {} : { outUnits: width }),
      });
      copyVariables(module, dynamic, dense.useBias ? ['kernel', 'bias'] : ['kernel']);
      return dynamic;
    }
    default:
      return undefined;
  }
}

function copyVariables(from: Module, to: Module, names: readonly string[]): void {
  for (const name of names) to.variable(name).assign(from.variable(name));
}

/** Sorts a group's channels by the L1 criterion and permutes every member's axis the same way. */
function reorderGroup(
  group: DependencyGroup,
  graph: NetworkGraph,
  dynamicOf: (layer: string) => Module,
): void {
  const weights = (layer: string): LayerWeights => {
    const module = dynamicOf(layer);
    const kernel = module.hasVariable('kernel') ? module.variable('kernel') : undefined;
    const gamma = module.hasVariable('gamma') ? module.variable('gamma') : undefined;
    return { ...(kernel === undefined ? {} : { kernel }), ...(gamma === undefined ? {} : { gamma }) };
  };
  const input: CriterionInput = { graph, group, weights };
  const scores = tf.tidy(() => pruningCriteria.get('l1').score(input));
  const order = orderByImportance(tf.tensor1d(scores));
  if (order.every((old, i) => old === i)) return;
  for (const member of group.members) {
    const node = graph.layer(member.layer);
    const module = dynamicOf(member.layer);
    const out = member.dimension === 'out';
    if (node.op === 'batchNorm') {
      for (const name of ['gamma', 'beta', 'runningMean', 'runningVar'])
        permuteVariable(module.variable(name), order, 0);
    } else if (node.op === 'conv2d') {
      if (!out && isDepthwise(node)) continue; // its outputs are the same channels, permuted once
      permuteVariable(module.variable('kernel'), order, out ? 3 : 2);
      if (out && module.hasVariable('bias')) permuteVariable(module.variable('bias'), order, 0);
    } else if (node.op === 'dense') {
      permuteVariable(module.variable('kernel'), order, out ? 1 : 0);
      if (out && module.hasVariable('bias')) permuteVariable(module.variable('bias'), order, 0);
    }
  }
}
