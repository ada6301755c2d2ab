// He et al., "Deep Residual Learning for Image Recognition", 2016, eq. 1–2 (y = F(x) + shortcut(x), then ReLU).
import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../../internal/errors.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import type { ActivationKind } from './activation.js';
import { Activation } from './activation.js';
import type {
  ChildMapper,
  ModuleBuilder,
  NamedModules,
  SerializedChild,
  SerializedModule,
} from './layer-utils.js';
import { cloneChild, emitTrace, namedEntries, serializeModule } from './layer-utils.js';

/** Options of {@link Residual}. */
export interface ResidualOptions {
  /** The residual branch F, run in order; its layers are direct children (`block0.conv1.kernel`). */
  body: NamedModules;
  /** Projection applied to the input before the add (child `shortcut`). @default identity */
  shortcut?: Module;
  /** Activation after the add (child `postActivation`). @default none */
  postActivation?: ActivationKind;
}

/** The JSON form of a {@link Residual}. */
export type ResidualConfig = {
  readonly body: readonly SerializedChild[];
  readonly shortcut: SerializedModule | null;
  readonly postActivation: ActivationKind | null;
};

const RESERVED = ['shortcut', 'postActivation'];

/**
 * A residual block: `y = act(body(x) + shortcut(x))`. The body's layers are direct children, so
 * names read `stage1.block0.conv1.kernel`; the shortcut module is the child `shortcut` and the
 * post-activation the child `postActivation`. Traced joins: one `add` event whose inputs are the
 * body output and the shortcut output (the block input itself for an identity shortcut).
 *
 * @example
 * const block = new Residual({
 *   body: [['conv1', conv1], ['bn1', bn1], ['relu1', new Activation('relu')], ['conv2', conv2], ['bn2', bn2]],
 *   postActivation: 'relu',
 * });
 */
export class Residual extends Module {
  static override readonly className: string = 'Residual';

  readonly #bodyNames: string[];
  readonly #shortcut: Module | undefined;
  readonly #postActivation: Activation | undefined;

  constructor(options: ResidualOptions) {
    super();
    const body = namedEntries(options?.body ?? []);
    if (body.length === 0) throw new AutomlError('@automl-ts/core/Residual', 'body needs at least one layer');
    for (const [name, layer] of body) {
      if (RESERVED.includes(name)) {
        throw new AutomlError(
          '@automl-ts/core/Residual',
          `body layer name "${name}" is reserved (${RESERVED.join(', ')})`,
        );
      }
      this.addModule(name, layer);
    }
    this.#bodyNames = body.map(([name]) => name);
    this.#shortcut =
      options.shortcut === undefined ? undefined : this.addModule('shortcut', options.shortcut);
    this.#postActivation =
      options.postActivation === undefined
        ? undefined
        : this.addModule('postActivation', new Activation(options.postActivation));
  }

  /** The body's layers in order, with their names. */
  body(): Array<[string, Module]> {
    return this.#bodyNames.map((name) => [name, this.children().get(name) as Module]);
  }

  /** The shortcut projection, or `undefined` for identity. */
  get shortcut(): Module | undefined {
    return this.#shortcut;
  }

  /** The activation after the add, if any. */
  get postActivation(): ActivationKind | undefined {
    return this.#postActivation?.kind;
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    let branch = x;
    for (const [, layer] of this.body()) branch = layer.forward(branch, ctx);
    const skip = this.#shortcut === undefined ? x : this.#shortcut.forward(x, ctx);
    if (branch.shape.some((d, i) => d !== skip.shape[i]) || branch.rank !== skip.rank) {
      throw new AutomlError(
        `@automl-ts/core/Residual.forward (${this.path || 'root'})`,
        `body output [${branch.shape}] and shortcut output [${skip.shape}] differ; give a shortcut that matches`,
      );
    }
    const sum = tf.add(branch, skip);
    emitTrace(ctx, this, 'add', [branch, skip], sum);
    return this.#postActivation === undefined ? sum : this.#postActivation.forward(sum, ctx);
  }

  /** Plain JSON enough to rebuild the structure (children's configs included; weights are separate). */
  getConfig(): ResidualConfig {
    return {
      body: this.body().map(([name, module]) => ({ name, module: serializeModule(module) })),
      shortcut: this.#shortcut === undefined ? null : serializeModule(this.#shortcut),
      postActivation: this.#postActivation?.kind ?? null,
    };
  }

  /** Rebuilds from {@link Residual.getConfig}; `build` makes each child (see `moduleFromConfig`). */
  static fromConfig(config: ResidualConfig, build: ModuleBuilder): Residual {
    return new Residual({
      body: config.body.map(({ name, module }) => [name, build(module)] as const),
      ...(config.shortcut === null ? {} : { shortcut: build(config.shortcut) }),
      ...(config.postActivation === null ? {} : { postActivation: config.postActivation }),
    });
  }

  /** A deep copy with the same names. */
  clone(): Residual {
    return this.cloneWith(() => undefined);
  }

  /**
   * A copy in which `mapChild` may replace any descendant (body layers and the shortcut; see
   * `ChildMapper`); the original is untouched.
   */
  cloneWith(mapChild: ChildMapper): Residual {
    return new Residual({
      body: this.body().map(([name, layer]) => [name, cloneChild(layer, mapChild)] as const),
      ...(this.#shortcut === undefined ? {} : { shortcut: cloneChild(this.#shortcut, mapChild) }),
      ...(this.#postActivation === undefined ? {} : { postActivation: this.#postActivation.kind }),
    });
  }
}
