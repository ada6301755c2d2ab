import type * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../../internal/errors.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import type { ChildMapper, ModuleBuilder, NamedModules, SerializedChild } from './layer-utils.js';
import { cloneChild, namedEntries, serializeModule } from './layer-utils.js';

/** The JSON form of a {@link Sequential}: its children, in order. */
export type SequentialConfig = { readonly layers: readonly SerializedChild[] };

/**
 * Named children run one after another. Each child's variables are named under the child's name
 * (`stem.conv.kernel` for a child `conv` of a Sequential added as `stem`).
 *
 * @example
 * const stem = new Sequential([
 *   ['conv', new Conv2d({ inChannels: 3, outChannels: 16, kernelSize: 3, useBias: false, seed: 0 })],
 *   ['bn', new BatchNorm({ channels: 16 })],
 *   ['relu', new Activation('relu')],
 * ]);
 * stem.namedParameters().keys(); // conv.kernel, bn.gamma, bn.beta
 */
export class Sequential extends Module {
  static override readonly className: string = 'Sequential';

  constructor(layers: NamedModules) {
    super();
    const entries = namedEntries(layers);
    if (entries.length === 0) throw new AutomlError('@automl-ts/core/Sequential', 'needs at least one layer');
    for (const [name, layer] of entries) this.addModule(name, layer);
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    let y = x;
    for (const layer of this.children().values()) y = layer.forward(y, ctx);
    return y;
  }

  /** The child named `name`; throws listing the children when there is none. */
  get(name: string): Module {
    const child = this.children().get(name);
    if (child === undefined) {
      throw new AutomlError(
        `@automl-ts/core/Sequential.get${this.path === '' ? '' : ` (${this.path})`}`,
        `no layer "${name}"; layers: ${[...this.children().keys()].join(', ')}`,
      );
    }
    return child;
  }

  /** Number of children. */
  get length(): number {
    return this.children().size;
  }

  /** Plain JSON enough to rebuild the structure (children's configs included; weights are separate). */
  getConfig(): SequentialConfig {
    return {
      layers: [...this.children()].map(([name, module]) => ({ name, module: serializeModule(module) })),
    };
  }

  /** Rebuilds from {@link Sequential.getConfig}; `build` makes each child (see `moduleFromConfig`). */
  static fromConfig(config: SequentialConfig, build: ModuleBuilder): Sequential {
    return new Sequential(config.layers.map(({ name, module }) => [name, build(module)] as const));
  }

  /** A deep copy with the same names. */
  clone(): Sequential {
    return this.cloneWith(() => undefined);
  }

  /** A copy in which `mapChild` may replace any descendant (see `ChildMapper`); the original is untouched. */
  cloneWith(mapChild: ChildMapper): Sequential {
    return new Sequential(
      [...this.children()].map(([name, child]) => [name, cloneChild(child, mapChild)] as const),
    );
  }
}
