import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../internal/errors.js';
import { cloneModule } from '../nn/layers/layer-utils.js';
import { type ArchValues, type Module, resolveApplyOptions } from '../nn/module.js';
import type { TraceEvent } from '../nn/trace.js';
import type { Choice } from '../search-space/choices.js';

/** What a dynamic module needs to build its standalone counterpart for one architecture. */
export interface ExtractionContext {
  /** The architecture being extracted. */
  readonly arch: ArchValues;
  /**
   * The input shape (batch first) `module` received when the architecture ran on a one-sample
   * input. Throws when the module did not run (a skipped block, an unchosen candidate).
   */
  inputShape(module: Module): readonly number[];
  /** The standalone copy of any module for this architecture (see {@link extractSubnet}). */
  extract(module: Module): Module;
}

/**
 * A module with architecture-dependent behaviour (dynamic widths, elastic kernels, layer choices,
 * elastic depth) that can turn into plain layers for one architecture, weights copied.
 */
export interface SubnetExtractable {
  extractSubnet(ctx: ExtractionContext): Module;
}

/** A module that contributes choices to a supernet's search space. */
export interface DeclaresChoices {
  /** The choices this module itself reads (not those of its descendants). */
  searchChoices(): readonly Choice[];
}

/** True when `module` has an `extractSubnet(ctx)` method (duck-typed). */
export function isSubnetExtractable(module: Module): module is Module & SubnetExtractable {
  return typeof (module as Partial<SubnetExtractable>).extractSubnet === 'function';
}

/** True when `module` has a `searchChoices()` method (duck-typed). */
export function declaresChoices(module: Module): module is Module & DeclaresChoices {
  return typeof (module as Partial<DeclaresChoices>).searchChoices === 'function';
}

/**
 * The choices declared by `module` and its descendants, depth-first, each once. A choice
 * declared by several modules (a stage width shared by its blocks) must be declared identically.
 */
export function collectChoices(module: Module): Choice[] {
  const byName = new Map<string, { choice: Choice; json: string; owner: Module }>();
  for (const m of module.modules()) {
    if (!declaresChoices(m)) continue;
    for (const choice of m.searchChoices()) {
      const json = JSON.stringify(choice);
      const seen = byName.get(choice.name);
      if (seen === undefined) {
        byName.set(choice.name, { choice, json, owner: m });
      } else if (seen.json !== json) {
        throw new AutomlError(
          '@automl-ts/core/collectChoices',
          `choice "${choice.name}" is declared as ${seen.json} by ${describeOwner(seen.owner)} and as ${json} by ${describeOwner(m)}`,
        );
      }
    }
  }
  return [...byName.values()].map((entry) => entry.choice);
}

function describeOwner(module: Module): string {
  return `${module.className} "${module.path || 'root'}"`;
}

/**
 * A standalone module computing what `module` computes for `arch`: dynamic modules become plain
 * layers (Conv2d, BatchNorm, Dense, Sequential, …) holding copies of their active weights, layer
 * choices become their chosen candidate, elastic stages their first blocks. Everything else is
 * deep-copied.
 *
 * The active input width of every dynamic layer is read from one run of `module` on a zero input
 * of `inputShape` (no batch axis) with `training: false`.
 *
 * @example
 * const subnet = extractSubnet(stage, arch, [16, 16, 24]);
 */
export function extractSubnet(module: Module, arch: ArchValues, inputShape: readonly number[]): Module {
  return createExtractionContext(module, arch, inputShape).extract(module);
}

/**
 * Runs `module` once on zeros of `[1, ...inputShape]` for `arch`, recording the input shape of
 * every module that emits a trace event, and returns the context that extracts its parts.
 */
export function createExtractionContext(
  module: Module,
  arch: ArchValues,
  inputShape: readonly number[],
): ExtractionContext {
  const shapes = new Map<Module, readonly number[]>();
  tf.tidy(() => {
    const ctx = resolveApplyOptions({
      arch,
      trace: {
        record(event: TraceEvent) {
          const input = event.inputs[0];
          if (input !== undefined && !shapes.has(event.module)) shapes.set(event.module, [...input.shape]);
        },
      },
    });
    module.forward(tf.zeros([1, ...inputShape]), ctx);
  });
  const ctx: ExtractionContext = {
    arch,
    inputShape(m: Module): readonly number[] {
      const shape = shapes.get(m);
      if (shape === undefined) {
        throw new AutomlError(
          '@automl-ts/core/extractSubnet',
          `${m.className} "${m.path || 'root'}" did not run for this architecture, so it cannot be extracted`,
        );
      }
      return shape;
    },
    extract(m: Module): Module {
      if (isSubnetExtractable(m)) return m.extractSubnet(ctx);
      return cloneModule(m, (child) => (isSubnetExtractable(child) ? child.extractSubnet(ctx) : undefined));
    },
  };
  return ctx;
}

/** A supernet (duck-typed): a search space and an `extract(arch)`. */
function isSupernetLike(module: Module): module is Module & { extract(arch: ArchValues): Module } {
  const candidate = module as Partial<{ extract: unknown; searchSpace: unknown }>;
  return typeof candidate.extract === 'function' && typeof candidate.searchSpace === 'object';
}

/** True when `module` or a descendant reads an architecture (a supernet, dynamic layers, layer choices). */
export function hasArchitectureDependentParts(module: Module): boolean {
  return [...module.modules()].some((m) => isSubnetExtractable(m) || isSupernetLike(m));
}

/**
 * The standalone sub-network of `module` for `arch` (a new module the caller disposes): a
 * supernet's `extract(arch)`, else {@link extractSubnet} at `inputShape`.
 */
export function standaloneSubnet(module: Module, arch: ArchValues, inputShape: readonly number[]): Module {
  return isSupernetLike(module) ? module.extract(arch) : extractSubnet(module, arch, inputShape);
}
