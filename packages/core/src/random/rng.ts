import seedrandom from 'seedrandom';
import { AutomlError, describeValue, errorFactory } from '../internal/errors.js';

/** The state of an {@link Rng}, JSON-serialisable, for checkpoints. */
export type RngState = {
  readonly algorithm: 'alea';
  readonly state: { readonly prng: AleaState; readonly spareNormal: number | null };
};

/** Alea's internal state (seedrandom's `State.Alea`), spelled out so our types need no @types/seedrandom. */
export interface AleaState {
  readonly c: number;
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
}

interface AleaPrng {
  double(): number;
  state(): AleaState;
}

/**
 * A seeded source of randomness. Every stochastic API in automl-ts takes one (or a seed),
 * so the same seed on the same backend gives the same result.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** Uniform float in [min, max). */
  uniform(min: number, max: number): number;
  /** Standard normal sample (Box–Muller). */
  normal(mean?: number, std?: number): number;
  /** True with probability `p`. */
  bernoulli(p: number): boolean;
  /** One element of a non-empty array. */
  choice<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** `k` distinct elements, in random order. */
  sample<T>(items: readonly T[], k: number): T[];
  /**
   * A 31-bit integer seed for a TF.js random op (`tf.randomNormal(shape, 0, 1, 'float32', rng.seed())`),
   * so that tensor initialisation follows this generator.
   */
  seed(): number;
  /** An independent generator derived from this one's next draw and `label`. */
  fork(label?: string): Rng;
  /** Snapshot of the internal state (for checkpoints); see {@link restoreRng}. */
  state(): RngState;
}

const fail = errorFactory('@automl-ts/core/createRng');

class AleaRng implements Rng {
  #prng: AleaPrng;
  #spareNormal: number | undefined;

  constructor(prng: AleaPrng) {
    this.#prng = prng;
  }

  next(): number {
    return this.#prng.double();
  }

  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new AutomlError('@automl-ts/core/Rng.int', `expected integers min <= max, got ${min}, ${max}`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  uniform(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  normal(mean = 0, std = 1): number {
    if (this.#spareNormal !== undefined) {
      const z = this.#spareNormal;
      this.#spareNormal = undefined;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.#spareNormal = radius * Math.sin(2 * Math.PI * v);
    return mean + std * radius * Math.cos(2 * Math.PI * v);
  }

  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  choice<T>(items: readonly T[]): T {
    if (items.length === 0)
      throw new AutomlError('@automl-ts/core/Rng.choice', 'cannot choose from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  sample<T>(items: readonly T[], k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > items.length) {
      throw new AutomlError(
        '@automl-ts/core/Rng.sample',
        `k must be an integer in [0, ${items.length}], got ${k}`,
      );
    }
    // Partial Fisher–Yates: only the first k positions are drawn.
    const out = items.slice();
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.next() * (out.length - i));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out.slice(0, k);
  }

  seed(): number {
    return Math.floor(this.next() * 0x7fffffff);
  }

  fork(label = ''): Rng {
    return createRng(`${this.seed()}:${label}`);
  }

  state(): RngState {
    return { algorithm: 'alea', state: { prng: this.#prng.state(), spareNormal: this.#spareNormal ?? null } };
  }

  setSpareNormal(value: number | undefined): void {
    this.#spareNormal = value;
  }
}

/**
 * Creates a seeded generator (seedrandom's Alea: fast, 2^116 period, serialisable state).
 *
 * @example
 * const rng = createRng(42);
 * const w = tf.randomNormal([3, 3], 0, 1, 'float32', rng.seed());
 */
export function createRng(seed: number | string): Rng {
  if (typeof seed === 'number' ? !Number.isFinite(seed) : typeof seed !== 'string') {
    throw fail(`seed must be a finite number or a string, got ${describeValue(seed)}`);
  }
  return new AleaRng(seedrandom.alea(String(seed), { state: true }));
}

/** Recreates a generator from {@link Rng.state}; it continues exactly where the original was. */
export function restoreRng(state: RngState): Rng {
  const inner = state?.state;
  if (state?.algorithm !== 'alea' || inner?.prng == null) {
    throw new AutomlError('@automl-ts/core/restoreRng', `not an RngState: ${describeValue(state)}`);
  }
  const rng = new AleaRng(seedrandom.alea('', { state: { ...inner.prng } }));
  rng.setSpareNormal(inner.spareNormal ?? undefined);
  return rng;
}

/** Accepts a seed or an existing generator, as every stochastic option in automl-ts does. */
export function toRng(seedOrRng: number | string | Rng): Rng {
  return typeof seedOrRng === 'object' ? seedOrRng : createRng(seedOrRng);
}
