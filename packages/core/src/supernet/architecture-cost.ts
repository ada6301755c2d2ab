// Howard et al., "MobileNets", 2017, §3 (multiply-adds of convolutions and dense layers as the cost
// measure); the counts are re-derived symbolically from one traced graph of the supernet.
import { traceModule } from '../graph/from-module.js';
import { inferLayer } from '../graph/layer-math.js';
import type { LayerNode, LayerSettings, LayerShape } from '../graph/types.js';
import { AutomlError } from '../internal/errors.js';
import type { Module } from '../nn/module.js';
import type { Architecture } from '../search-space/search-space.js';
import { DynamicConv2d } from './dynamic-conv2d.js';
import { DynamicLinear } from './dynamic-linear.js';
import { resolveSize } from './size-rule.js';
import type { Supernet } from './supernet.js';

/** Cost of one architecture of a supernet (one example). */
export interface ArchitectureCost {
  /** Multiply-accumulates of convolutions and dense layers (`profileModel`'s convention). */
  readonly macs: number;
  /** Trainable parameters. */
  readonly params: number;
}

const SOURCE = '@automl-ts/core/architectureCost';

/** Modules whose choices change which layers run: their cost cannot be read from one trace. */
const STRUCTURAL = new Set(['LayerChoice', 'ElasticDepth']);

interface CostGraph {
  readonly nodes: readonly LayerNode[];
  readonly modules: ReadonlyMap<string, Module>;
}

const cache = new WeakMap<Supernet, CostGraph>();

function costGraph(supernet: Supernet): CostGraph {
  let graph = cache.get(supernet);
  if (graph === undefined) {
    for (const module of supernet.modules()) {
      if (STRUCTURAL.has(module.className)) {
        throw new AutomlError(
          SOURCE,
          `${module.className} "${module.path}" chooses which layers run; the analytic count covers channel and kernel choices only (use profileModel(supernet.extract(arch)))`,
        );
      }
    }
    const traced = traceModule(supernet, supernet.inputShape, supernet.largestArchitecture());
    graph = { nodes: traced.nodes, modules: traced.modules };
    cache.set(supernet, graph);
  }
  return graph;
}

/**
 * MACs and parameters of `arch` without running the network: the supernet is traced once (at its
 * largest architecture, cached), then each layer's widths and kernel size are resolved for `arch`
 * and its cost recomputed from the shapes. Synchronous and cheap, so hard constraints of a search
 * can call it for every candidate. Equals `profileModel(supernet.extract(arch), { inputShape })`.
 * Supernets with layer or depth choices are refused (their layers differ per architecture).
 *
 * @example
 * const { macs, params } = architectureCost(supernet, arch);
 * const ok = macs <= 0.5 * architectureCost(supernet, supernet.largestArchitecture()).macs;
 */
export function architectureCost(supernet: Supernet, arch: Architecture): ArchitectureCost {
  const { macs, params } = propagate(supernet, arch);
  return { macs, params };
}

/**
 * The output shape (no batch axis) of every traced layer of `arch`, by layer name in execution
 * order (`stem.conv`, `stage1.block0.conv1`, …), computed like {@link architectureCost} without
 * running the network: e.g. the width of the tensor between two stages of a channel supernet.
 *
 * @example
 * const shapes = architectureShapes(supernet, arch);
 * shapes.get('stage1.block2.postActivation'); // [32, 32, 12]
 */
export function architectureShapes(supernet: Supernet, arch: Architecture): ReadonlyMap<string, LayerShape> {
  return propagate(supernet, arch).shapes;
}

function propagate(
  supernet: Supernet,
  arch: Architecture,
): { macs: number; params: number; shapes: Map<string, LayerShape> } {
  supernet.searchSpace.validate(arch);
  const { nodes, modules } = costGraph(supernet);
  const shapes = new Map<string, LayerShape>();
  let macs = 0;
  let params = 0;
  for (const node of nodes) {
    if (node.op === 'input') {
      shapes.set(node.name, node.outputShape);
      continue;
    }
    const inputShapes = node.inputs.map((name) => shapes.get(name) as LayerShape);
    const first = inputShapes[0] as LayerShape;
    const inChannels = first[first.length - 1] as number;
    const module = modules.get(node.name);
    let settings: LayerSettings = node;
    if (module instanceof DynamicConv2d) {
      const { kernelSize, outChannels } = module.activeConfig(arch, inChannels);
      settings = {
        ...node,
        kernelSize: [kernelSize, kernelSize],
        inChannels,
        outChannels,
        groups: module.depthwise ? inChannels : 1,
      };
    } else if (module instanceof DynamicLinear) {
      const outChannels = resolveSize(
        module.outUnitsRule,
        arch,
        inChannels,
        SOURCE,
        'outUnits',
        module.maxOutUnits,
      );
      settings = { ...node, inChannels, outChannels };
    }
    const cost = inferLayer(SOURCE, node.name, settings, inputShapes);
    shapes.set(node.name, cost.outputShape);
    macs += cost.macs;
    params += cost.params;
  }
  return { macs, params, shapes };
}
