import { AutomlError } from '../internal/errors.js';
import {
  type ChannelSliceable,
  cloneModule,
  isChannelSliceable,
  isStructurallyCloneable,
} from '../nn/layers/layer-utils.js';
import { ZeroPadShortcut } from '../nn/layers/zero-pad-shortcut.js';
import type { Module } from '../nn/module.js';
import { type ChannelTransform, transformWeight } from './channel-ops.js';
import type { TracedModule } from './from-module.js';
import { isDepthwise } from './layer-math.js';
import { keptInput, type PrunePlan } from './prune-plan.js';
import type { LayerNode } from './types.js';

const NOT_SLICEABLE = 'has no withChannels({ inputs, outputs }) to prune with (see ChannelSliceable)';

/** A module whose copy can be changed in place (`clone()`). */
interface Clonable {
  clone(): Module;
}

const lastDim = (shape: readonly number[]): number => shape[shape.length - 1] ?? 0;

function hasMethods(module: Module, ...names: string[]): boolean {
  const record = module as unknown as Record<string, unknown>;
  return names.every((name) => typeof record[name] === 'function');
}

/** A copy of `module` with its `kernel` zeroed on the dropped inputs (axis 2 of a conv kernel, 0 of a dense kernel). */
function maskedCopy(
  source: string,
  node: LayerNode,
  module: Module,
  axis: number,
  kept: readonly number[],
): Module {
  if (!hasMethods(module, 'clone') || !module.hasVariable('kernel')) {
    throw new AutomlError(
      source,
      `layer "${node.name}" (${module.className}) has no clone() and kernel to mask`,
    );
  }
  const copy = (module as Module & Clonable).clone();
  const kernel = copy.variable('kernel');
  const masked = transformWeight(kernel, [{ axis, role: 'in', kept }], 'mask');
  kernel.assign(masked);
  masked.dispose();
  return copy;
}

/** How to rebuild the module behind `node`, or `undefined` when a plain copy will do. */
function replacementFor(
  source: string,
  node: LayerNode,
  module: Module,
  plan: PrunePlan,
  transform: ChannelTransform,
): ((module: Module) => Module) | undefined {
  const input = keptInput(plan, node.name);
  const own = plan.kept.get(node.name) as readonly number[];
  const inPartial = input.length < lastDim(node.inputShapes[0] ?? []);
  const outPartial = own.length < lastDim(node.outputShape);
  if (!inPartial && !outPartial) return undefined;
  const unsupported = (what: string): AutomlError =>
    new AutomlError(source, `layer "${node.name}" (${module.className}, ${node.op}) ${what}`);

  switch (node.op) {
    case 'conv2d': {
      const depthwise = isDepthwise(node);
      if (transform === 'mask') {
        return depthwise || !inPartial ? undefined : (m) => maskedCopy(source, node, m, 2, input);
      }
      if (!isChannelSliceable(module)) throw unsupported(NOT_SLICEABLE);
      const selection = depthwise
        ? { inputs: input }
        : { ...(inPartial ? { inputs: input } : {}), ...(outPartial ? { outputs: own } : {}) };
      return (m) => (m as Module & ChannelSliceable).withChannels(selection);
    }
    case 'dense': {
      if (transform === 'mask') return inPartial ? (m) => maskedCopy(source, node, m, 0, input) : undefined;
      if (!isChannelSliceable(module)) throw unsupported(NOT_SLICEABLE);
      const selection = { ...(inPartial ? { inputs: input } : {}), ...(outPartial ? { outputs: own } : {}) };
      return (m) => (m as Module & ChannelSliceable).withChannels(selection);
    }
    case 'batchNorm':
      if (transform === 'mask') return undefined;
      if (!isChannelSliceable(module)) throw unsupported(NOT_SLICEABLE);
      return (m) => (m as Module & ChannelSliceable).withChannels({ outputs: own });
    case 'pad': {
      if (transform === 'mask') return undefined;
      if (module.className !== 'ZeroPadShortcut')
        throw unsupported('pads channels but is not a ZeroPadShortcut');
      const out = lastDim(node.outputShape);
      const [before, after] = node.paddings?.[2] ?? [0, 0];
      const padBefore = own.filter((p) => p < before).length;
      const padAfter = own.filter((p) => p >= out - after).length;
      return () => new ZeroPadShortcut({ strides: node.strides ?? [1, 1], padBefore, padAfter });
    }
    default:
      // Channel-agnostic layers and joins are copied; a leaf that owns variables here would be per-channel.
      if (module.children().size === 0 && module.namedVariables().size > 0) {
        throw unsupported(
          `owns variables (${[...module.namedVariables().keys()].join(', ')}) that cannot follow pruned channels`,
        );
      }
      return undefined;
  }
}

/**
 * A copy of a traced module whose layers follow `plan`: layers sliced with their
 * `withChannels({ inputs, outputs })` (real pruning) or copied with the dropped inputs
 * zeroed (`mask`). Composition modules are copied with `cloneWith`; the original is untouched.
 */
export function rebuildModule(
  source: string,
  root: Module,
  traced: TracedModule,
  plan: PrunePlan,
  transform: ChannelTransform,
): Module {
  const replacements = new Map<Module, (module: Module) => Module>();
  const nodesOf = new Map<Module, string[]>();
  for (const [name, module] of traced.modules) nodesOf.set(module, [...(nodesOf.get(module) ?? []), name]);

  for (const node of plan.graph.layers()) {
    if (node.op === 'input') continue;
    const module = traced.modules.get(node.name) as Module;
    const make = replacementFor(source, node, module, plan, transform);
    if (make === undefined) continue;
    const calls = nodesOf.get(module) ?? [];
    if (calls.length > 1) {
      throw new AutomlError(
        source,
        `module "${module.path}" (${module.className}) runs ${calls.length} times (${calls.join(', ')}); pruning shared modules is not supported`,
      );
    }
    replacements.set(module, make);
  }

  const replaced = new Set<Module>();
  const replace = (child: Module): Module | undefined => {
    const make = replacements.get(child);
    if (make === undefined) return undefined;
    replaced.add(child);
    return make(child);
  };
  const result = replace(root) ?? cloneModule(root, replace);
  const missed = [...replacements.keys()].filter((module) => !replaced.has(module));
  if (missed.length > 0) {
    result.dispose();
    const first = missed[0] as Module;
    const blocker = [...root.modules()].find(
      (m) => m.children().size > 0 && first.path.startsWith(m.path) && !isStructurallyCloneable(m),
    );
    throw new AutomlError(
      source,
      `cannot rebuild "${first.path}" (${first.className})${blocker === undefined ? '' : `: its parent "${blocker.path || 'root'}" (${blocker.className}) has no cloneWith(mapChild)`}`,
    );
  }
  return result;
}
