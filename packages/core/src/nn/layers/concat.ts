import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../../internal/errors.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import type { ChildMapper, ModuleBuilder, NamedModules, SerializedChild } from './layer-utils.js';
import { cloneChild, emitTrace, namedEntries, serializeModule } from './layer-utils.js';

/** The JSON form of a {@link Concat}: its branches, in order. */
export type ConcatConfig = { readonly branches: readonly SerializedChild[] };

/**
 * Parallel branches on the same input, concatenated on the channel (last) axis in branch order.
 * Traced join: one `concat` event with attrs `axis` (the positive index of the last axis).
 *
 * @example
 * const inception = new Concat([
 *   ['branch1x1', new Conv2d({ inChannels: 32, outChannels: 16, kernelSize: 1 })],
 *   ['branch3x3', new Conv2d({ inChannels: 32, outChannels: 16, kernelSize: 3 })],
 * ]); // [n, h, w, 32] → [n, h, w, 32]
 */
export class Concat extends Module {
  static override readonly className: string = 'Concat';

  constructor(branches: NamedModules) {
    super();
    const entries = namedEntries(branches);
    if (entries.length === 0) throw new AutomlError('@automl-ts/core/Concat', 'needs at least one branch');
    for (const [name, branch] of entries) this.addModule(name, branch);
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const outputs = [...this.children().values()].map((branch) => branch.forward(x, ctx));
    const axis = (outputs[0] as tf.Tensor).rank - 1;
    const y = tf.concat(outputs, axis);
    emitTrace(ctx, this, 'concat', outputs, y, { axis });
    return y;
  }

  /** Plain JSON enough to rebuild the structure (children's configs included; weights are separate). */
  getConfig(): ConcatConfig {
    return {
      branches: [...this.children()].map(([name, module]) => ({ name, module: serializeModule(module) })),
    };
  }

  /** Rebuilds from {@link Concat.getConfig}; `build` makes each branch (see `moduleFromConfig`). */
  static fromConfig(config: ConcatConfig, build: ModuleBuilder): Concat {
    return new Concat(config.branches.map(({ name, module }) => [name, build(module)] as const));
  }

  /** A deep copy with the same names. */
  clone(): Concat {
    return this.cloneWith(() => undefined);
  }

  /** A copy in which `mapChild` may replace any descendant (see `ChildMapper`); the original is untouched. */
  cloneWith(mapChild: ChildMapper): Concat {
    return new Concat(
      [...this.children()].map(([name, child]) => [name, cloneChild(child, mapChild)] as const),
    );
  }
}
