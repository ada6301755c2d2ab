// Deb, "An efficient constraint handling method for genetic algorithms", CMAME 2000 (feasibility first, violation as a penalty).
import type { Architecture } from '@automl-ts/core';
import { describeValue, errorFactory } from '../internal/errors.js';
import type { Metrics } from '../types.js';

/**
 * A budget on a property of an architecture (FLOPs, parameters, latency).
 *
 * A hard constraint is checked before evaluation with `measure` (a profiler, a latency lookup
 * table): infeasible candidates are never evaluated; they are resampled or repaired. A soft
 * constraint is a penalty: each objective (as minimised) gets `penalty × relative violation`
 * added, so it can also be checked on a metric the evaluator returns.
 *
 * @example
 * const budget: Constraint = { name: 'flops', measure: (arch) => countFlops(arch), max: 300e6 };
 */
export interface Constraint {
  /** Name used in messages. */
  readonly name: string;
  /** Measures an architecture before evaluation. Hard constraints need it. */
  readonly measure?: (arch: Architecture) => number;
  /** A metric of the evaluator's result to constrain instead of `measure` (soft constraints only). */
  readonly metric?: string;
  /**
   * Upper bound (inclusive).
   * @default Infinity
   */
  readonly max?: number;
  /**
   * Lower bound (inclusive).
   * @default -Infinity
   */
  readonly min?: number;
  /**
   * `hard`: never evaluate an infeasible architecture. `soft`: evaluate it and penalise.
   * @default 'hard'
   */
  readonly kind?: 'hard' | 'soft';
  /**
   * Soft constraints: added to every minimised objective per unit of relative violation
   * (`(value - max) / |max|`, or the absolute excess when the bound is 0).
   * @default 1
   */
  readonly penalty?: number;
}

/** A {@link Constraint} with defaults filled in and checked. */
export interface ResolvedConstraint {
  readonly name: string;
  readonly measure: ((arch: Architecture) => number) | undefined;
  readonly metric: string | undefined;
  readonly max: number;
  readonly min: number;
  readonly kind: 'hard' | 'soft';
  readonly penalty: number;
}

const fail = errorFactory('resolveConstraint');

/** Fills defaults and validates a constraint. */
export function resolveConstraint(constraint: Constraint): ResolvedConstraint {
  if (typeof constraint !== 'object' || constraint === null) {
    throw fail(`expected a constraint object, got ${describeValue(constraint)}`);
  }
  const {
    name,
    measure,
    metric,
    max = Number.POSITIVE_INFINITY,
    min = Number.NEGATIVE_INFINITY,
  } = constraint;
  const kind = constraint.kind ?? 'hard';
  const penalty = constraint.penalty ?? 1;
  if (typeof name !== 'string' || name.length === 0)
    throw fail(`a constraint needs a name, got ${describeValue(name)}`);
  if (kind !== 'hard' && kind !== 'soft')
    throw fail(`constraint "${name}": kind must be "hard" or "soft", got ${describeValue(kind)}`);
  if ((measure === undefined) === (metric === undefined)) {
    throw fail(
      `constraint "${name}" needs exactly one of measure (a function of the architecture) or metric`,
    );
  }
  if (measure !== undefined && typeof measure !== 'function')
    throw fail(`constraint "${name}": measure must be a function`);
  if (kind === 'hard' && measure === undefined) {
    throw fail(
      `hard constraint "${name}" needs measure: a metric is only known after evaluation (make it soft)`,
    );
  }
  if (
    Number.isNaN(max) ||
    Number.isNaN(min) ||
    typeof max !== 'number' ||
    typeof min !== 'number' ||
    min > max
  ) {
    throw fail(
      `constraint "${name}" needs numbers min <= max, got min ${describeValue(min)}, max ${describeValue(max)}`,
    );
  }
  if (min === Number.NEGATIVE_INFINITY && max === Number.POSITIVE_INFINITY) {
    throw fail(`constraint "${name}" needs a max or a min`);
  }
  if (!(penalty >= 0) || !Number.isFinite(penalty)) {
    throw fail(`constraint "${name}": penalty must be a finite number >= 0, got ${describeValue(penalty)}`);
  }
  return { name, measure, metric, max, min, kind, penalty };
}

/** The bound of a constraint in words: `flops <= 300000000`, `latency in [1, 5]`. */
export function describeConstraint(constraint: ResolvedConstraint): string {
  const { name, min, max } = constraint;
  if (min === Number.NEGATIVE_INFINITY) return `${name} <= ${max}`;
  if (max === Number.POSITIVE_INFINITY) return `${name} >= ${min}`;
  return `${name} in [${min}, ${max}]`;
}

/** How far `value` is outside the bounds, relative to the bound (0 inside; Infinity for NaN). */
export function relativeViolation(constraint: ResolvedConstraint, value: number): number {
  if (Number.isNaN(value)) return Number.POSITIVE_INFINITY;
  if (value > constraint.max) return (value - constraint.max) / scaleOf(constraint.max);
  if (value < constraint.min) return (constraint.min - value) / scaleOf(constraint.min);
  return 0;
}

function scaleOf(bound: number): number {
  return bound === 0 ? 1 : Math.abs(bound);
}

/** Sum of the relative violations of hard constraints by `arch` (0 when feasible). */
export function hardViolation(constraints: readonly ResolvedConstraint[], arch: Architecture): number {
  let total = 0;
  for (const constraint of constraints) {
    if (constraint.kind === 'hard') total += relativeViolation(constraint, measureOf(constraint, arch));
  }
  return total;
}

/** Sum of `penalty × relative violation` over the soft constraints. */
export function softPenalty(
  constraints: readonly ResolvedConstraint[],
  arch: Architecture,
  metrics: Metrics,
): { violation: number; penalty: number } {
  let violation = 0;
  let penalty = 0;
  for (const constraint of constraints) {
    if (constraint.kind !== 'soft') continue;
    const value =
      constraint.metric === undefined
        ? measureOf(constraint, arch)
        : (metrics[constraint.metric] ?? Number.NaN);
    const amount = relativeViolation(constraint, value);
    violation += amount;
    if (amount > 0) penalty += constraint.penalty * amount;
  }
  return { violation, penalty };
}

/** The measured value of an architecture under a constraint with `measure`. */
export function measureOf(constraint: ResolvedConstraint, arch: Architecture): number {
  if (constraint.measure === undefined) return Number.NaN;
  const value = constraint.measure(arch);
  if (typeof value !== 'number') {
    throw errorFactory('measure')(
      `constraint "${constraint.name}" measured ${describeValue(value)}, expected a number`,
    );
  }
  return value;
}
