import type { LayerConversionContext, Module } from '@automl-ts/core';
import { layerConverters, moduleClasses } from '@automl-ts/core';
import type * as tf from '@tensorflow/tfjs';
import { fusedBlockModule } from './fuse-block.js';
import { type RepBlock, RepBlock as RepBlockClass, type RepBlockConfig } from './rep-block.js';

const CLASS_NAMES = ['RepBlock', 'RepVGGBlock', 'ACBlock', 'DiverseBranchBlock'] as const;

/** Exports a rep block as the stock layers of its fused form, named after the block. */
function convertRepBlock(
  module: Module,
  input: tf.SymbolicTensor,
  ctx: LayerConversionContext,
): tf.SymbolicTensor {
  const fused = fusedBlockModule(module as RepBlock);
  try {
    const inner: LayerConversionContext = {
      convert: (child, x) => ctx.convert(child, x),
      apply: (owner, make, inputs, options = {}) =>
        ctx.apply(module, make, inputs, {
          ...options,
          suffix:
            [owner === fused ? undefined : owner.className.toLowerCase(), options.suffix]
              .filter((s) => s !== undefined)
              .join('_') || undefined,
        }),
    };
    return fusedConvert(fused, input, inner);
  } finally {
    fused.dispose();
  }
}

function fusedConvert(
  fused: Module,
  input: tf.SymbolicTensor,
  ctx: LayerConversionContext,
): tf.SymbolicTensor {
  if (fused.className !== 'Sequential') return layerConverters.get(fused.className)(fused, input, ctx);
  let x = input;
  for (const child of fused.children().values()) x = layerConverters.get(child.className)(child, x, ctx);
  return x;
}

/**
 * Registers the rep-block classes with core's `moduleClasses` (for `moduleFromConfig`) and
 * `layerConverters` (for `toLayersModel`, which then exports the fused form). Idempotent.
 */
export function registerRepBlockClasses(): void {
  for (const name of CLASS_NAMES) {
    if (!moduleClasses.has(name)) {
      moduleClasses.register(name, {
        fromConfig: (config) => RepBlockClass.fromConfig(config as unknown as RepBlockConfig),
      });
    }
    if (!layerConverters.has(name)) layerConverters.register(name, convertRepBlock);
  }
}
