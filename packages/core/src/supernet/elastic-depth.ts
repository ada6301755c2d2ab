// Cai et al., "Once-for-All", ICLR 2020, §3.2 (elastic depth: a stage with D blocks runs its first d).
import type * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { ChildMapper, NamedModules } from '../nn/layers/layer-utils.js';
import { cloneChild, namedEntries } from '../nn/layers/layer-utils.js';
import { Sequential } from '../nn/layers/sequential.js';
import { type ApplyContext, Module } from '../nn/module.js';
import { type Choice, intRange } from '../search-space/choices.js';
import type { DeclaresChoices, ExtractionContext, SubnetExtractable } from './extraction.js';

/** Options of {@link ElasticDepth}. */
export interface ElasticDepthOptions {
  /**
   * The depth choice: a name (an integer range from `minDepth` to the number of blocks is
   * declared), or a choice whose values are depths from 1 to the number of blocks.
   */
  depth: string | Choice;
  /** @default 1 */
  minDepth?: number;
  /** The blocks, in order, under their names (`block0`, …). */
  blocks: NamedModules;
}

/**
 * A stage of blocks of which the architecture runs the first `arch[depth]`; the others are
 * skipped (and get no gradient). Extraction keeps the first blocks as a `Sequential` with the
 * same names.
 *
 * @example
 * const stage = new ElasticDepth({ depth: 'stage1.depth', minDepth: 2, blocks: [['block0', b0], ['block1', b1], ['block2', b2]] });
 * stage.apply(x, { arch: { 'stage1.depth': 2, ...blockChoices } }); // block0 then block1
 */
export class ElasticDepth extends Module implements SubnetExtractable, DeclaresChoices {
  static override readonly className: string = 'ElasticDepth';

  readonly depth: Choice;
  readonly #names: readonly string[];

  constructor(options: ElasticDepthOptions) {
    super();
    const source = '@automl-ts/core/ElasticDepth';
    const entries = namedEntries(options?.blocks ?? []);
    if (entries.length === 0) throw new AutomlError(source, 'needs at least one block');
    const depth = options.depth;
    if (typeof depth === 'string') {
      this.depth = intRange(depth, { min: options.minDepth ?? 1, max: entries.length });
    } else {
      const values =
        depth?.kind === 'categorical'
          ? depth.values
          : depth?.kind === 'int'
            ? [depth.min, depth.max]
            : [Number.NaN];
      const bad = values.find(
        (v) => typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > entries.length,
      );
      if (bad !== undefined) {
        throw new AutomlError(
          source,
          `depth choice ${describeValue(depth?.name)} allows ${describeValue(bad)}; depths must be integers in [1, ${entries.length}]`,
        );
      }
      this.depth = depth;
    }
    if (this.depth.kind === 'int' && this.depth.min < 1) {
      throw new AutomlError(
        source,
        `minDepth must be an integer >= 1, got ${describeValue(options.minDepth)}`,
      );
    }
    for (const [name, block] of entries) this.addModule(name, block);
    this.#names = entries.map(([name]) => name);
  }

  searchChoices(): readonly Choice[] {
    return [this.depth];
  }

  /** The blocks the architecture runs, with their names. */
  activeBlocks(arch: ApplyContext['arch']): Array<[string, Module]> {
    const name = this.depth.name;
    const value = arch?.[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > this.#names.length) {
      throw new AutomlError(
        `@automl-ts/core/ElasticDepth.forward (${this.path || 'root'})`,
        `choice "${name}" is ${describeValue(value)}; expected a depth from 1 to ${this.#names.length}`,
      );
    }
    return this.#names.slice(0, value).map((n) => [n, this.children().get(n) as Module]);
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    let y = x;
    for (const [, block] of this.activeBlocks(ctx.arch)) y = block.forward(y, ctx);
    return y;
  }

  /** A `Sequential` of the active blocks, each extracted, under their names. */
  extractSubnet(ctx: ExtractionContext): Sequential {
    return new Sequential(
      this.activeBlocks(ctx.arch).map(([name, block]) => [name, ctx.extract(block)] as const),
    );
  }

  /** A deep copy. */
  clone(): ElasticDepth {
    return this.cloneWith(() => undefined);
  }

  /** A copy in which `mapChild` may replace any descendant. */
  cloneWith(mapChild: ChildMapper): ElasticDepth {
    return new ElasticDepth({
      depth: this.depth,
      blocks: [...this.children()].map(([name, child]) => [name, cloneChild(child, mapChild)] as const),
    });
  }
}
