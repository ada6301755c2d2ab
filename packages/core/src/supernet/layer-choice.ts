// Liu et al., "DARTS: Differentiable Architecture Search", ICLR 2019, §2.1 (a layer is one of a set of
// candidate operations); here the choice is discrete, as in single-path one-shot NAS
// (Guo et al., "Single Path One-Shot Neural Architecture Search with Uniform Sampling", ECCV 2020).
import type * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { ChildMapper, NamedModules } from '../nn/layers/layer-utils.js';
import { cloneChild, namedEntries } from '../nn/layers/layer-utils.js';
import { type ApplyContext, Module } from '../nn/module.js';
import { profileModel } from '../profile/profile-model.js';
import type { Rng } from '../random/rng.js';
import { toRng } from '../random/rng.js';
import { type CategoricalChoice, type Choice, categorical } from '../search-space/choices.js';
import { candidateOps, createCandidateOp } from './candidate-ops.js';
import type { DeclaresChoices, ExtractionContext, SubnetExtractable } from './extraction.js';

/** Options of {@link LayerChoice}. */
export interface LayerChoiceOptions {
  /** Name of the architecture choice that picks the candidate (`blocks.b2.op`). */
  choice: string;
  /** The candidates, each under the name the architecture uses for it. */
  candidates: NamedModules;
}

/** Options of {@link LayerChoice.fromOps}. */
export interface LayerChoiceFromOpsOptions {
  /** Name of the architecture choice. */
  choice: string;
  /** Registered candidate-op names (see `candidateOps`). */
  ops: readonly string[];
  inChannels: number;
  outChannels: number;
  /** @default 1 */
  stride?: number;
  /** Seed or rng for the candidates' initial weights. @default 0 */
  seed?: number | string | Rng;
}

/**
 * One of several candidate modules, picked by the architecture: `arch[choice]` names the
 * candidate that runs. Every candidate owns its weights (`<path>.<op>.…`); only the chosen one
 * runs and receives gradients.
 *
 * @example
 * const op = LayerChoice.fromOps({ choice: 'b0.op', ops: ['conv3x3', 'sep_conv3x3', 'skip'], inChannels: 16, outChannels: 16, seed: 1 });
 * op.apply(x, { arch: { 'b0.op': 'sep_conv3x3' } });
 */
export class LayerChoice extends Module implements SubnetExtractable, DeclaresChoices {
  static override readonly className: string = 'LayerChoice';

  readonly choice: CategoricalChoice;

  constructor(options: LayerChoiceOptions) {
    super();
    const entries = namedEntries(options?.candidates ?? []);
    if (entries.length === 0) {
      throw new AutomlError(
        '@automl-ts/core/LayerChoice',
        `choice ${describeValue(options?.choice)} needs at least one candidate`,
      );
    }
    this.choice = categorical(
      options.choice,
      entries.map(([name]) => name),
    );
    for (const [name, candidate] of entries) this.addModule(name, candidate);
  }

  /**
   * Builds the candidates from the candidate-op registry, all with the same widths and stride,
   * ordered cheapest first by multiply-accumulates (then parameters, then the order of `ops`), so
   * that the choice's first value is its cheapest op and its last the most expensive: what
   * `Supernet.smallestArchitecture()` and `largestArchitecture()` take.
   */
  static fromOps(options: LayerChoiceFromOpsOptions): LayerChoice {
    // An unknown name throws before any candidate allocates weights that nothing would dispose.
    for (const op of options.ops) candidateOps.get(op);
    const rng = toRng(options.seed ?? 0);
    const spec = {
      inChannels: options.inChannels,
      outChannels: options.outChannels,
      stride: options.stride ?? 1,
    };
    const built = options.ops.map((op, index) => {
      const module = createCandidateOp(op, { ...spec, seed: rng.fork(op) });
      // Every candidate sees the same input, so MACs at one probe size rank them at any size.
      const probe = 8 * spec.stride;
      const { macs, params } = profileModel(module, { inputShape: [probe, probe, spec.inChannels] });
      return { op, module, index, macs, params };
    });
    built.sort((a, b) => a.macs - b.macs || a.params - b.params || a.index - b.index);
    return new LayerChoice({
      choice: options.choice,
      candidates: built.map(({ op, module }) => [op, module] as const),
    });
  }

  searchChoices(): readonly Choice[] {
    return [this.choice];
  }

  /** The candidate the architecture picks. */
  chosen(arch: ApplyContext['arch']): Module {
    const source = `@automl-ts/core/LayerChoice.forward (${this.path || 'root'})`;
    const name = this.choice.name;
    if (arch === undefined || !Object.hasOwn(arch, name)) {
      throw new AutomlError(
        source,
        `the architecture has no choice "${name}"; candidates: ${this.choice.values.join(', ')}`,
      );
    }
    const op = arch[name];
    const candidate = typeof op === 'string' ? this.children().get(op) : undefined;
    if (candidate === undefined) {
      throw new AutomlError(
        source,
        `choice "${name}" has value ${describeValue(op)}; candidates: ${this.choice.values.join(', ')}`,
      );
    }
    return candidate;
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    return this.chosen(ctx.arch).forward(x, ctx);
  }

  /** The chosen candidate, extracted. */
  extractSubnet(ctx: ExtractionContext): Module {
    return ctx.extract(this.chosen(ctx.arch));
  }

  /** A deep copy (candidates copied with `cloneModule`). */
  clone(): LayerChoice {
    return this.cloneWith(() => undefined);
  }

  /** A copy in which `mapChild` may replace any descendant. */
  cloneWith(mapChild: ChildMapper): LayerChoice {
    return new LayerChoice({
      choice: this.choice.name,
      candidates: [...this.children()].map(([name, child]) => [name, cloneChild(child, mapChild)] as const),
    });
  }
}
