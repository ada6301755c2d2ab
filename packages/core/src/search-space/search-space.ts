import { type AutomlError, describeValue, errorFactory } from '../internal/errors.js';
import type { Rng } from '../random/rng.js';
import {
  type CategoricalChoice,
  type Choice,
  type ChoiceValue,
  choiceAllows,
  describeAllowed,
  type Gene,
  geneOf,
  type IntRangeChoice,
  indexOfValue,
  reviveChoice,
  valueAtIndex,
} from './choices.js';

/**
 * One point of a {@link SearchSpace}: a plain, JSON-serialisable record with one value per choice,
 * e.g. `{ depth: 3, kernel: 5, width: 32 }`.
 */
export type Architecture = Readonly<Record<string, ChoiceValue>>;

/** The JSON form of a {@link SearchSpace} (`space.toJSON()`, `SearchSpace.fromJSON(json)`). */
export interface SearchSpaceJSON {
  readonly className: 'SearchSpace';
  readonly choices: readonly Choice[];
}

const fail = (where: string): ((message: string) => AutomlError) => errorFactory(`@automl-ts/core/${where}`);

/** Options of {@link SearchSpace.mutate}. */
export interface MutateOptions {
  /**
   * Probability that each gene changes. At least one gene always changes (when any can), so
   * `0` means "exactly one gene, chosen uniformly", the mutation of Real et al. (2019).
   * @default 0
   */
  probability?: number;
}

/**
 * An ordered set of named choices. Architectures encode to number vectors (the index of the value
 * for categorical and integer choices, the value itself for real ones) and decode back, which is
 * what evolution and reinforcement learning work on.
 *
 * @example
 * const space = defineSearchSpace([
 *   intRange('depth', { min: 2, max: 4 }),
 *   categorical('kernel', [3, 5, 7]),
 *   categorical('width', [16, 32, 64]),
 * ]);
 * const arch = space.sample(createRng(0)); // { depth: 3, kernel: 7, width: 16 }
 * space.decode(space.encode(arch));        // equal to arch
 * space.validate({ depth: 3, kernel: 5, width: 48 });
 * // throws '@automl-ts/core/SearchSpace.validate: choice "width" has value 48; allowed: 16, 32, 64'
 */
export class SearchSpace {
  /** Survives minification; identifies the JSON form. */
  static readonly className = 'SearchSpace';

  /** The choices, in encoding order. */
  readonly choices: readonly Choice[];
  /** The choice names, in encoding order. */
  readonly names: readonly string[];
  readonly #genes: readonly Gene[];
  readonly #indexByName: ReadonlyMap<string, number>;
  /** Indices of the choices with two or more values (the ones a mutation can change). */
  readonly #mutable: readonly number[];

  /** Prefer {@link defineSearchSpace}. Throws on duplicate names. */
  constructor(choices: readonly Choice[]) {
    if (!Array.isArray(choices)) {
      throw fail('SearchSpace')(`expected an array of choices, got ${describeValue(choices)}`);
    }
    const revived = choices.map((choice) => reviveChoice(choice));
    const indexByName = new Map<string, number>();
    revived.forEach((choice, index) => {
      if (indexByName.has(choice.name)) {
        throw fail('SearchSpace')(`choice "${choice.name}" is defined twice`);
      }
      indexByName.set(choice.name, index);
    });
    this.choices = Object.freeze(revived);
    this.names = Object.freeze(revived.map((choice) => choice.name));
    this.#genes = Object.freeze(revived.map(geneOf));
    this.#indexByName = indexByName;
    this.#mutable = this.#genes.flatMap((gene, i) => (gene.cardinality > 1 ? [i] : []));
  }

  /** Number of choices (the length of an encoded vector). */
  get dimensions(): number {
    return this.choices.length;
  }

  /** Encoded bounds and cardinality of each gene, in encoding order. */
  genes(): readonly Gene[] {
    return this.#genes;
  }

  /** The choice called `name`; throws listing the known names when there is none. */
  choice(name: string): Choice {
    const index = this.#indexByName.get(name);
    if (index === undefined) {
      throw fail('SearchSpace.choice')(`unknown choice "${name}"; the space has: ${this.#listNames()}`);
    }
    return this.choices[index] as Choice;
  }

  /** True when every choice is categorical or integer (the space is finite). */
  isDiscrete(): boolean {
    return this.choices.every((choice) => choice.kind !== 'real');
  }

  /**
   * Number of distinct architectures as a `number`: `Infinity` when a real choice exists, and
   * rounded to the nearest double beyond 2^53 (use {@link SearchSpace.exactSize} for those).
   * The empty space has one architecture, `{}`.
   */
  size(): number {
    return this.#genes.reduce((product, gene) => product * gene.cardinality, 1);
  }

  /** Number of distinct architectures, exactly; `null` when a real choice makes it infinite. */
  exactSize(): bigint | null {
    if (!this.isDiscrete()) return null;
    return this.#genes.reduce((product, gene) => product * BigInt(gene.cardinality), 1n);
  }

  /** Throws unless `arch` has exactly this space's choices, each with an allowed value. */
  validate(arch: unknown): asserts arch is Architecture {
    const problem = this.#problemWith(arch);
    if (problem !== undefined) throw fail('SearchSpace.validate')(problem);
  }

  /** Whether `arch` is an architecture of this space (never throws). */
  contains(arch: unknown): arch is Architecture {
    return this.#problemWith(arch) === undefined;
  }

  /** The gene vector of a valid architecture (validated first). */
  encode(arch: Architecture): number[] {
    const problem = this.#problemWith(arch);
    if (problem !== undefined) throw fail('SearchSpace.encode')(problem);
    return this.choices.map((choice) => {
      const value = arch[choice.name];
      return choice.kind === 'real' ? (value as number) : indexOfValue(choice, value);
    });
  }

  /**
   * The architecture of a gene vector. Discrete genes are rounded to the nearest index and clamped
   * into range, real genes clamped into `[min, max]`, so any finite vector of the right length
   * decodes (what crossover and mutation need). Non-finite genes throw.
   */
  decode(vector: readonly number[]): Architecture {
    if (!Array.isArray(vector) || vector.length !== this.choices.length) {
      throw fail('SearchSpace.decode')(
        `expected ${this.choices.length} genes (${this.#listNames()}), got ${describeValue(vector)}`,
      );
    }
    const arch: Record<string, ChoiceValue> = {};
    this.choices.forEach((choice, i) => {
      const gene = vector[i];
      if (typeof gene !== 'number' || !Number.isFinite(gene)) {
        throw fail('SearchSpace.decode')(`gene ${i} ("${choice.name}") is ${describeValue(gene)}`);
      }
      const { lower, upper } = this.#genes[i] as Gene;
      if (choice.kind === 'real') {
        arch[choice.name] = Math.min(upper, Math.max(lower, gene));
      } else {
        arch[choice.name] = valueAtIndex(choice, Math.min(upper, Math.max(lower, Math.round(gene))));
      }
    });
    return arch;
  }

  /** A uniformly random architecture (every value of every choice equally likely). */
  sample(rng: Rng): Architecture {
    const arch: Record<string, ChoiceValue> = {};
    this.choices.forEach((choice, i) => {
      arch[choice.name] = this.#randomValue(choice, this.#genes[i] as Gene, rng);
    });
    return arch;
  }

  /**
   * A copy of `arch` with some genes changed to a different value, uniformly among the others
   * (real genes are redrawn uniformly in their range). At least one gene changes when any choice
   * has two or more values.
   */
  mutate(arch: Architecture, rng: Rng, options: MutateOptions = {}): Architecture {
    this.validate(arch);
    const probability = options.probability ?? 0;
    if (!(probability >= 0 && probability <= 1)) {
      throw fail('SearchSpace.mutate')(`probability must be in [0, 1], got ${describeValue(probability)}`);
    }
    const mutable = this.#mutable;
    const out: Record<string, ChoiceValue> = { ...arch };
    let changed = false;
    if (probability > 0) {
      for (const i of mutable) {
        if (rng.bernoulli(probability)) {
          this.#changeGene(out, i, rng);
          changed = true;
        }
      }
    }
    if (!changed && mutable.length > 0) this.#changeGene(out, rng.choice(mutable), rng);
    return out;
  }

  /**
   * The architectures one step away from `arch`: each categorical choice set to each of its other
   * values, each integer choice moved one step down or up (integer ranges are ordinal). Real choices
   * have no discrete neighbours and are left as they are.
   */
  neighbours(arch: Architecture): Architecture[] {
    this.validate(arch);
    const out: Architecture[] = [];
    this.choices.forEach((choice) => {
      const current = arch[choice.name];
      if (choice.kind === 'categorical') {
        for (const value of choice.values) if (value !== current) out.push({ ...arch, [choice.name]: value });
      } else if (choice.kind === 'int') {
        const value = current as number;
        if (value - choice.step >= choice.min) out.push({ ...arch, [choice.name]: value - choice.step });
        if (value + choice.step <= choice.max) out.push({ ...arch, [choice.name]: value + choice.step });
      }
    });
    return out;
  }

  /**
   * Every architecture of a discrete space, in encoding order (the last choice varies fastest).
   * Throws for a space with a real choice.
   */
  *enumerate(): Generator<Architecture> {
    if (!this.isDiscrete()) {
      throw fail('SearchSpace.enumerate')('a space with a real choice has infinitely many architectures');
    }
    const indices = this.choices.map(() => 0);
    const cardinalities = this.#genes.map((gene) => gene.cardinality);
    while (true) {
      yield this.decode(indices);
      let i = indices.length - 1;
      while (i >= 0 && (indices[i] as number) + 1 === cardinalities[i]) {
        indices[i] = 0;
        i--;
      }
      if (i < 0) return;
      indices[i] = (indices[i] as number) + 1;
    }
  }

  /**
   * A canonical string for an architecture (its values in encoding order), for caches and
   * de-duplication: two architectures of this space are equal exactly when their keys are.
   */
  key(arch: Architecture): string {
    return JSON.stringify(this.names.map((name) => arch[name] ?? null));
  }

  /** The configuration this space was built from. */
  getConfig(): { choices: readonly Choice[] } {
    return { choices: this.choices };
  }

  /** Plain JSON; `SearchSpace.fromJSON(JSON.parse(JSON.stringify(space)))` rebuilds an equal space. */
  toJSON(): SearchSpaceJSON {
    return { className: 'SearchSpace', choices: this.choices };
  }

  /** Rebuilds a space from {@link SearchSpace.toJSON}, validating every choice. */
  static fromJSON(json: unknown): SearchSpace {
    const record = (json ?? {}) as Partial<SearchSpaceJSON>;
    if (record.className !== SearchSpace.className || !Array.isArray(record.choices)) {
      throw fail('SearchSpace.fromJSON')(`not a SearchSpace JSON: ${describeValue(json)}`);
    }
    return new SearchSpace(record.choices);
  }

  #listNames(): string {
    return this.names.length === 0 ? '(no choices)' : this.names.join(', ');
  }

  #problemWith(arch: unknown): string | undefined {
    if (typeof arch !== 'object' || arch === null || Array.isArray(arch)) {
      return `expected an architecture object, got ${describeValue(arch)}`;
    }
    const record = arch as Record<string, unknown>;
    for (const choice of this.choices) {
      if (!Object.hasOwn(record, choice.name)) {
        return `choice "${choice.name}" is missing; allowed: ${describeAllowed(choice)}`;
      }
      const value = record[choice.name];
      if (!choiceAllows(choice, value)) {
        return `choice "${choice.name}" has value ${describeValue(value)}; allowed: ${describeAllowed(choice)}`;
      }
    }
    for (const name of Object.keys(record)) {
      if (!this.#indexByName.has(name))
        return `unknown choice "${name}"; the space has: ${this.#listNames()}`;
    }
    return undefined;
  }

  #randomValue(choice: Choice, gene: Gene, rng: Rng): ChoiceValue {
    if (choice.kind === 'real') return rng.uniform(choice.min, choice.max);
    return valueAtIndex(choice, rng.int(0, gene.cardinality - 1));
  }

  #changeGene(out: Record<string, ChoiceValue>, index: number, rng: Rng): void {
    const choice = this.choices[index] as Choice;
    const gene = this.#genes[index] as Gene;
    if (choice.kind === 'real') {
      out[choice.name] = rng.uniform(choice.min, choice.max);
      return;
    }
    const discrete = choice as CategoricalChoice | IntRangeChoice;
    const current = indexOfValue(discrete, out[choice.name]);
    // Draw among the other cardinality - 1 indices, skipping the current one.
    const drawn = rng.int(0, gene.cardinality - 2);
    out[choice.name] = valueAtIndex(discrete, drawn >= current ? drawn + 1 : drawn);
  }
}

/**
 * Builds a {@link SearchSpace} from choices made with {@link categorical}, {@link intRange} and
 * {@link realRange}.
 *
 * @example
 * const space = defineSearchSpace([intRange('depth', { min: 2, max: 4 }), categorical('kernel', [3, 5, 7])]);
 */
export function defineSearchSpace(choices: readonly Choice[]): SearchSpace {
  return new SearchSpace(choices);
}
