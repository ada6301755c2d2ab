import type { Architecture, Rng, SearchSpace } from '@automl-ts/core';
import type { HistoryRecord, Objective } from '../types.js';

/** A JSON value: what strategy configs and states are made of, so checkpoints can hold them. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** What a strategy may use while proposing candidates and learning from results. */
export interface StrategyContext {
  readonly space: SearchSpace;
  /** The search's generator: the only source of randomness a strategy may use. */
  readonly rng: Rng;
  readonly objectives: readonly Objective[];
  /**
   * Calls `generate` until it returns an architecture that meets the hard constraints (repairing
   * it when so configured). Wrap every proposal in it.
   */
  feasible(generate: () => Architecture): Architecture;
}

/** A member of a strategy's population: an evaluated architecture and its objectives (minimised). */
export type Individual = {
  /** Its index in the search history. */
  readonly index: number;
  readonly architecture: Architecture;
  readonly objectives: readonly number[];
};

/**
 * A search strategy in ask/tell form. The engine asks for a generation of candidates, evaluates
 * them (in parallel, cached, with retries), and tells the strategy the results in proposal order,
 * so that the history depends only on the seed, never on timing. The state is plain JSON so that
 * a checkpoint can hold it.
 */
export interface SearchStrategy<State extends JsonValue = JsonValue> {
  /** Registry-style name, stored in checkpoints. */
  readonly name: string;
  /** The resolved options, stored in checkpoints and compared on resume. */
  readonly config: { readonly [key: string]: JsonValue };
  /** Throws when the strategy cannot handle these objectives (e.g. several for a single-objective method). */
  check(objectives: readonly Objective[]): void;
  /** The state before the first generation. */
  init(): State;
  /** The next generation's candidates (at most `limit`, at least one). */
  ask(state: State, context: StrategyContext, limit: number): { state: State; candidates: Architecture[] };
  /** Updates the state with the results of the last generation, in proposal order. */
  tell(state: State, records: readonly HistoryRecord[], context: StrategyContext): State;
}

/** The individuals of `records` that succeeded. */
export function individualsOf(records: readonly HistoryRecord[]): Individual[] {
  const out: Individual[] = [];
  for (const record of records) {
    if (record.status === 'ok' && record.objectives !== null) {
      out.push({ index: record.index, architecture: record.architecture, objectives: record.objectives });
    }
  }
  return out;
}

/** Orders individuals by their first objective (smaller is better), older first on ties. */
export function byFirstObjective(a: Individual, b: Individual): number {
  return (a.objectives[0] as number) - (b.objectives[0] as number) || a.index - b.index;
}
