import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../../internal/errors.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import type { ChildMapper, ModuleBuilder, NamedModules, SerializedChild } from './layer-utils.js';
import { cloneChild, emitTrace, namedEntries, serializeModule } from './layer-utils.js';

/** The JSON form of a {@link Sum}: its branches, in order. */
export type SumConfig = { readonly branches: readonly SerializedChild[] };

const SOURCE = '@automl-ts/core/Sum';

/**
 * Parallel branches on the same input, added elementwise: `y = Σ_i branch_i(x)` (any number of
 * branches; `Residual` is the two-branch case with an optional identity). Every branch must
 * produce the same shape. Traced join: one `add` event whose inputs are the branch outputs in
 * order (none for a single branch, whose output is the sum). Exported as one Keras `Add` layer.
 *
 * @example
 * const block = new Sum([
 *   ['conv3x3', new Sequential([['conv', conv3x3], ['bn', bn3x3]])],
 *   ['conv1x1', new Sequential([['conv', conv1x1], ['bn', bn1x1]])],
 * ]); // then new Activation('relu') after it
 */
export class Sum extends Module {
  static override readonly className: string = 'Sum';

  constructor(branches: NamedModules) {
    super();
    const entries = namedEntries(branches ?? []);
    if (entries.length === 0) throw new AutomlError(SOURCE, 'needs at least one branch');
    for (const [name, branch] of entries) this.addModule(name, branch);
  }

  /** The branches in order, with their names. */
  branches(): Array<[string, Module]> {
    return [...this.children()];
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const outputs = [...this.children().values()].map((branch) => branch.forward(x, ctx));
    const first = outputs[0] as tf.Tensor;
    if (outputs.length === 1) return first;
    for (const [i, [name]] of this.branches().entries()) {
      const shape = (outputs[i] as tf.Tensor).shape;
      if (shape.length !== first.rank || shape.some((d, k) => d !== first.shape[k])) {
        throw new AutomlError(
          `${SOURCE}.forward (${this.path || 'root'})`,
          `branch "${name}" output [${shape}] differs from branch "${this.branches()[0]?.[0]}" output [${first.shape}]`,
        );
      }
    }
    const y = tf.addN(outputs);
    emitTrace(ctx, this, 'add', outputs, y);
    return y;
  }

  /** Plain JSON enough to rebuild the structure (children's configs included; weights are separate). */
  getConfig(): SumConfig {
    return {
      branches: this.branches().map(([name, module]) => ({ name, module: serializeModule(module) })),
    };
  }

  /** Rebuilds from {@link Sum.getConfig}; `build` makes each branch (see `moduleFromConfig`). */
  static fromConfig(config: SumConfig, build: ModuleBuilder): Sum {
    return new Sum(config.branches.map(({ name, module }) => [name, build(module)] as const));
  }

  /** A deep copy with the same names. */
  clone(): Sum {
    return this.cloneWith(() => undefined);
  }

  /** A copy in which `mapChild` may replace any descendant (see `ChildMapper`); the original is untouched. */
  cloneWith(mapChild: ChildMapper): Sum {
    return new Sum(this.branches().map(([name, child]) => [name, cloneChild(child, mapChild)] as const));
  }
}
