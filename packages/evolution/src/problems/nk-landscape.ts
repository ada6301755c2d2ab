// Kauffman & Weinberger, "The NK model of rugged fitness landscapes", J. Theor. Biol. 1989; adjacent neighbourhoods solved exactly by dynamic programming (Wright, Thompson & Zhang, FOGA 2000).
import {
  type Architecture,
  categorical,
  createRng,
  defineSearchSpace,
  type SearchSpace,
} from '@automl-ts/core';
import { describeValue, errorFactory } from '../internal/errors.js';
import { type Metrics, maximize, type Objective } from '../types.js';

/** Options of {@link nkLandscape}. */
export interface NkLandscapeOptions {
  /**
   * N: number of genes (layers).
   * @default 16
   */
  genes?: number;
  /**
   * Values per gene (candidate ops per layer).
   * @default 4
   */
  alphabet?: number;
  /**
   * K: each gene's contribution depends on itself and the next K genes (ruggedness).
   * @default 2
   */
  interactions?: number;
  /**
   * Seed of the random contribution tables.
   * @default 0
   */
  seed?: number | string;
}

/** A discrete NAS-like benchmark whose global optimum is known exactly. */
export interface NkLandscape {
  /** Genes `layer0 …`, each a categorical choice among `op0 …`. */
  readonly space: SearchSpace;
  /** Maximise `fitness`. */
  readonly objectives: readonly Objective[];
  /** `{ fitness }`: the mean contribution, in [0, 1). */
  readonly evaluate: (arch: Architecture) => Metrics;
  /** The global optimum, by dynamic programming. */
  readonly optimum: { readonly fitness: number; readonly architecture: Architecture };
}

/**
 * An NK landscape with adjacent neighbourhoods over categorical genes: fitness is the mean of N
 * contributions, contribution i a random table of genes i … i+K. Epistasis (K > 0) makes it rugged
 * like a NAS benchmark, yet the optimum is computed exactly, so a search can be scored against it.
 */
export function nkLandscape(options: NkLandscapeOptions = {}): NkLandscape {
  const fail = errorFactory('nkLandscape');
  const { genes = 16, alphabet = 4, interactions = 2, seed = 0 } = options;
  if (!Number.isInteger(genes) || genes < 2)
    throw fail(`genes must be an integer >= 2, got ${describeValue(genes)}`);
  if (!Number.isInteger(alphabet) || alphabet < 2)
    throw fail(`alphabet must be an integer >= 2, got ${describeValue(alphabet)}`);
  if (!Number.isInteger(interactions) || interactions < 0 || interactions >= genes) {
    throw fail(`interactions must be an integer in [0, genes - 1], got ${describeValue(interactions)}`);
  }
  const rng = createRng(`nk:${seed}`);
  const ops = Array.from({ length: alphabet }, (_, i) => `op${i}`);
  const names = Array.from({ length: genes }, (_, i) => `layer${i}`);
  const space = defineSearchSpace(names.map((name) => categorical(name, ops)));
  // Window of gene i: genes i … min(i + K, N - 1), read as a base-A number, oldest digit first.
  const widths = names.map((_, i) => Math.min(interactions, genes - 1 - i) + 1);
  const tables = widths.map((width) => Float64Array.from({ length: alphabet ** width }, () => rng.next()));
  const contribution = (i: number, values: readonly number[]): number => {
    let index = 0;
    for (let j = 0; j < (widths[i] as number); j++) index = index * alphabet + (values[i + j] as number);
    return (tables[i] as Float64Array)[index] as number;
  };
  const fitnessOf = (values: readonly number[]): number => {
    let sum = 0;
    for (let i = 0; i < genes; i++) sum += contribution(i, values);
    return sum / genes;
  };
  const evaluate = (arch: Architecture): Metrics => ({ fitness: fitnessOf(space.encode(arch)) });
  const best = solveExactly(genes, alphabet, interactions, contribution);
  const architecture = space.decode(best);
  return {
    space,
    objectives: [maximize('fitness')],
    evaluate,
    optimum: { fitness: fitnessOf(best), architecture },
  };
}

/**
 * Maximises Σ contribution(i) by dynamic programming over positions, with the last K values as the
 * state: O(N · A^(K+1)).
 */
function solveExactly(
  genes: number,
  alphabet: number,
  k: number,
  contribution: (i: number, values: readonly number[]) => number,
): number[] {
  const states = alphabet ** k;
  const digitsOf = (state: number, count: number): number[] => {
    const digits = new Array<number>(count);
    for (let j = count - 1; j >= 0; j--) {
      digits[j] = state % alphabet;
      state = Math.floor(state / alphabet);
    }
    return digits;
  };
  // value[s]: best sum of the contributions completed so far, given the last K genes are s.
  let value = new Float64Array(states);
  const choices: Int32Array[] = [];
  for (let position = k; position < genes; position++) {
    const next = new Float64Array(states).fill(Number.NEGATIVE_INFINITY);
    const from = new Int32Array(states).fill(-1);
    for (let state = 0; state < states; state++) {
      for (let v = 0; v < alphabet; v++) {
        const window = [...digitsOf(state, k), v];
        const offset = position - k;
        let gain = contribution(offset, padTo(window, offset, genes));
        if (position === genes - 1) {
          for (let i = offset + 1; i < genes; i++) gain += contribution(i, padTo(window, offset, genes));
        }
        const target = (state * alphabet + v) % states;
        const total = (value[state] as number) + gain;
        if (total > (next[target] as number)) {
          next[target] = total;
          from[target] = state * alphabet + v;
        }
      }
    }
    value = next;
    choices.push(from);
  }
  let state = 0;
  for (let s = 1; s < states; s++) if ((value[s] as number) > (value[state] as number)) state = s;
  const out = new Array<number>(genes);
  for (let position = genes - 1; position >= k; position--) {
    const packed = (choices[position - k] as Int32Array)[state] as number;
    out[position] = packed % alphabet;
    state = Math.floor(packed / alphabet);
  }
  const prefix = digitsOf(state, k);
  for (let j = 0; j < k; j++) out[j] = prefix[j] as number;
  return out;
}

/** Places a window of values starting at `offset` into a full-length vector (other genes unread). */
function padTo(window: readonly number[], offset: number, genes: number): number[] {
  const values = new Array<number>(genes).fill(0);
  for (let j = 0; j < window.length && offset + j < genes; j++) values[offset + j] = window[j] as number;
  return values;
}
