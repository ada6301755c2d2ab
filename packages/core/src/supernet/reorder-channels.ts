// Cai et al., "Once-for-All", ICLR 2020, §3.2 (elastic width: channels sorted by importance, the L1
// norm of their weights, so that narrower sub-networks keep the most important ones).
import { cloneModule } from '../nn/layers/layer-utils.js';
import type { Module } from '../nn/module.js';

/** A block that can sort its internal channels by importance without changing its function. */
export interface ChannelReorderable {
  reorderChannels(): void;
}

/** True when `module` has a `reorderChannels()` method (duck-typed). */
export function isChannelReorderable(module: Module): module is Module & ChannelReorderable {
  return typeof (module as Partial<ChannelReorderable>).reorderChannels === 'function';
}

/**
 * A copy of a supernet (or any module) in which every reorderable block
 * (`DynamicMBConvBlock`, `SlimmableBasicBlock`, or yours implementing `reorderChannels()`) has its
 * inner channels sorted by the L1 norm of their filters, most important first. The producing
 * conv's filters, the BNs and depthwise convs in between and the consuming conv's inputs are
 * permuted together, so the largest sub-network computes exactly what it did; a narrower one
 * then keeps the strongest channels. Channels tied across blocks by residual adds (stage widths)
 * are left in place, as in OFA. `reorderChannels.inPlace(net)` changes `net` itself.
 *
 * @example
 * const sorted = reorderChannels(supernet); // before shrinking the expand ratios / widths
 */
export function reorderChannels<M extends Module>(module: M): M {
  const copy = cloneModule(module) as M;
  reorderChannels.inPlace(copy);
  return copy;
}

/** Reorders in place; returns how many blocks were reordered. */
reorderChannels.inPlace = function reorderChannelsInPlace(module: Module): number {
  let count = 0;
  for (const m of module.modules()) {
    if (isChannelReorderable(m)) {
      m.reorderChannels();
      count += 1;
    }
  }
  return count;
};
