// Cai et al., "Once-for-All", ICLR 2020 (one weight-shared network whose sub-networks are
// specialised by architecture); Yu & Huang, "Universally Slimmable Networks", ICCV 2019, §3.3 (the
// sandwich rule trains the largest and the smallest child every step: `largestArchitecture`,
// `smallestArchitecture`).
import type * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { NamedModules } from '../nn/layers/layer-utils.js';
import { cloneModule, namedEntries } from '../nn/layers/layer-utils.js';
import { Sequential } from '../nn/layers/sequential.js';
import { type ApplyContext, Module } from '../nn/module.js';
import type { Rng } from '../random/rng.js';
import type { Choice, ChoiceValue } from '../search-space/choices.js';
import { type Architecture, SearchSpace } from '../search-space/search-space.js';
import { collectChoices, createExtractionContext } from './extraction.js';

/** Options of {@link Supernet}. */
export interface SupernetOptions {
  /** The top-level parts, run in order (`stem`, `stage1`, …, `head`); their names prefix all variables. */
  layers: NamedModules;
  /** Input shape without the batch axis, NHWC (`[32, 32, 3]`): what `extract` runs to size the subnet. */
  inputShape: readonly number[];
  /**
   * The search space. Must contain every choice the layers declare, identically.
   * @default the choices the layers declare, depth-first
   */
  searchSpace?: SearchSpace;
}

const SOURCE = '@automl-ts/core/Supernet';

/**
 * A weight-sharing network whose `apply(x, { arch })` runs the sub-network `arch` picks from its
 * {@link SearchSpace}: dynamic widths by slicing, elastic kernels, layer choices, elastic depth.
 * `extract(arch)` returns that sub-network as a standalone module of plain layers with the same
 * outputs. Build one from dynamic modules (`DynamicConv2d`, `DynamicBatchNorm`, `LayerChoice`,
 * `ElasticDepth`, the blocks) or take a registered one with `createSupernet`.
 *
 * @example
 * const net = createSupernet('ofa-mobilenetv2', { numClasses: 10 });
 * const arch = net.sample(createRng(0));
 * const logits = net.apply(images, { arch, training: true });
 * const subnet = net.extract(arch); // plain Conv2d/BatchNorm/… with copied weights
 */
export class Supernet extends Module {
  static override readonly className: string = 'Supernet';

  readonly searchSpace: SearchSpace;
  readonly inputShape: readonly number[];
  readonly #names: readonly string[];

  constructor(options: SupernetOptions) {
    super();
    const entries = namedEntries(options?.layers ?? []);
    if (entries.length === 0) throw new AutomlError(SOURCE, 'needs at least one layer');
    const shape = options.inputShape;
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new AutomlError(
        SOURCE,
        `inputShape must be positive integers without the batch axis, got ${describeValue(shape)}`,
      );
    }
    this.inputShape = Object.freeze([...shape]);
    for (const [name, layer] of entries) this.addModule(name, layer);
    this.#names = entries.map(([name]) => name);
    const declared = collectChoices(this);
    if (options.searchSpace === undefined) {
      this.searchSpace = new SearchSpace(declared);
    } else {
      this.searchSpace = options.searchSpace;
      for (const choice of declared) checkDeclaredIn(this.searchSpace, choice);
    }
  }

  /** The top-level parts, in order, with their names. */
  layers(): Array<[string, Module]> {
    return this.#names.map((name) => [name, this.children().get(name) as Module]);
  }

  /** Runs the sub-network of `ctx.arch`, which must be an architecture of {@link Supernet.searchSpace}. */
  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    this.#validate(ctx.arch, 'apply');
    let y = x;
    for (const [, layer] of this.layers()) y = layer.forward(y, ctx);
    return y;
  }

  /**
   * The sub-network of `arch` as a standalone `Sequential` of plain layers (Conv2d, BatchNorm,
   * Activation, Residual, Dense, …) holding copies of the active weights, under the same names
   * as in the supernet. With `training: false` its outputs equal `apply(x, { arch })`.
   */
  extract(arch: Architecture): Sequential {
    this.#validate(arch, 'extract');
    const ctx = createExtractionContext(this, arch, this.inputShape);
    return new Sequential(this.layers().map(([name, layer]) => [name, ctx.extract(layer)] as const));
  }

  /** A uniformly random architecture of the space. */
  sample(rng: Rng): Architecture {
    return this.searchSpace.sample(rng);
  }

  /**
   * The largest sub-network: every numeric choice at its maximum (width, depth, kernel, expand
   * ratio), every other categorical choice at its last value (choices list their values cheapest
   * first: `LayerChoice.fromOps` orders its ops by MACs).
   */
  largestArchitecture(): Architecture {
    return this.#extreme('max');
  }

  /** The smallest sub-network: every numeric choice at its minimum, every other categorical choice at its first (cheapest) value. */
  smallestArchitecture(): Architecture {
    return this.#extreme('min');
  }

  /** A deep copy (same search space and input shape, new variables with the same values). */
  clone(): Supernet {
    return new Supernet({
      layers: this.layers().map(([name, layer]) => [name, cloneModule(layer)] as const),
      inputShape: this.inputShape,
      searchSpace: this.searchSpace,
    });
  }

  #extreme(which: 'max' | 'min'): Architecture {
    const arch: Record<string, ChoiceValue> = {};
    for (const choice of this.searchSpace.choices) {
      if (choice.kind === 'categorical') {
        const numbers = choice.values.filter((v): v is number => typeof v === 'number');
        arch[choice.name] =
          numbers.length === choice.values.length
            ? Math[which](...numbers)
            : (choice.values[which === 'max' ? choice.values.length - 1 : 0] as ChoiceValue);
      } else {
        arch[choice.name] = choice[which];
      }
    }
    return arch;
  }

  #validate(arch: unknown, method: string): asserts arch is Architecture {
    const source = `${SOURCE}.${method}${this.path === '' ? '' : ` (${this.path})`}`;
    if (arch === undefined) {
      throw new AutomlError(
        source,
        `needs an architecture: pass { arch } (e.g. supernet.sample(rng) or supernet.largestArchitecture()); choices: ${this.searchSpace.names.join(', ')}`,
      );
    }
    try {
      this.searchSpace.validate(arch);
    } catch (error) {
      const detail =
        error instanceof AutomlError ? error.message.slice(error.source.length + 2) : String(error);
      throw new AutomlError(source, `invalid architecture: ${detail}`, { cause: error });
    }
  }
}

function checkDeclaredIn(space: SearchSpace, declared: Choice): void {
  const found = space.names.includes(declared.name) ? space.choice(declared.name) : undefined;
  if (found === undefined || JSON.stringify(found) !== JSON.stringify(declared)) {
    throw new AutomlError(
      SOURCE,
      `searchSpace must contain the choice the layers declare, ${JSON.stringify(declared)}; ` +
        (found === undefined ? 'it has no such choice' : `it has ${JSON.stringify(found)}`),
    );
  }
}
