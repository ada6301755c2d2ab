// Coello Coello, "Theoretical and numerical constraint-handling techniques used with evolutionary algorithms: a survey", CMAME 2002 (rejection/resampling and repair).
import { type Architecture, AutomlError, createRng, type SearchSpace } from '@automl-ts/core';
import { describeValue, errorFactory } from '../internal/errors.js';
import {
  type Constraint,
  describeConstraint,
  hardViolation,
  measureOf,
  type ResolvedConstraint,
  relativeViolation,
  resolveConstraint,
} from './constraint.js';
import { minimizeMeasure } from './minimize-measure.js';
import { repairArchitecture } from './repair.js';

/** How a search keeps its candidates within the hard constraints. */
export interface ConstraintHandlingOptions {
  /**
   * `resample`: draw a new candidate (a new child, a new random sample) until one is feasible.
   * `repair`: first move the infeasible candidate toward feasibility by greedy steps, then resample.
   * @default 'resample'
   */
  handling?: 'resample' | 'repair';
  /**
   * Candidates drawn for one slot before giving up; then the constraints are analysed and either
   * reported infeasible (with the smallest achievable value) or reported too rare to hit.
   * @default 100
   */
  maxTries?: number;
  /**
   * Greedy steps of one repair.
   * @default 32
   */
  repairSteps?: number;
  /**
   * Spaces with at most this many architectures are enumerated when analysing feasibility (exact
   * smallest achievable values); larger ones use coordinate descent.
   * @default 100_000
   */
  exhaustiveLimit?: number;
}

/** {@link ConstraintHandlingOptions} with defaults filled in. */
export type ResolvedConstraintHandling = Required<ConstraintHandlingOptions>;

/** Fills defaults and validates {@link ConstraintHandlingOptions}. */
export function resolveConstraintHandlingOptions(
  options: ConstraintHandlingOptions = {},
): ResolvedConstraintHandling {
  const fail = errorFactory('resolveConstraintHandlingOptions');
  const { handling = 'resample', maxTries = 100, repairSteps = 32, exhaustiveLimit = 100_000 } = options;
  if (handling !== 'resample' && handling !== 'repair') {
    throw fail(`handling must be "resample" or "repair", got ${describeValue(handling)}`);
  }
  for (const [name, value] of Object.entries({ maxTries, repairSteps, exhaustiveLimit })) {
    if (!Number.isInteger(value) || value < 1)
      throw fail(`${name} must be a positive integer, got ${describeValue(value)}`);
  }
  return { handling, maxTries, repairSteps, exhaustiveLimit };
}

/**
 * Thrown when no architecture of the space meets a hard constraint (or the hard constraints
 * together). It carries the smallest achievable value so the caller can relax the budget.
 */
export class InfeasibleConstraintError extends AutomlError {
  /** The constraint(s) in words, e.g. `flops <= 1000000`. */
  readonly constraint: string;
  /** The closest achievable value of that constraint's measure (`undefined` for a joint failure). */
  readonly smallestAchievable: number | undefined;
  /** An architecture that reaches it. */
  readonly architecture: Architecture;
  /** True when the whole space was enumerated, so the value is exact. */
  readonly exhaustive: boolean;

  constructor(
    message: string,
    details: {
      constraint: string;
      smallestAchievable: number | undefined;
      architecture: Architecture;
      exhaustive: boolean;
    },
  ) {
    super('@automl-ts/evolution/checkConstraints', message);
    this.constraint = details.constraint;
    this.smallestAchievable = details.smallestAchievable;
    this.architecture = details.architecture;
    this.exhaustive = details.exhaustive;
  }
}

/** What {@link checkConstraints} found. */
export interface ConstraintCheck {
  /** An architecture that meets every hard constraint. */
  readonly feasibleExample: Architecture;
  /** True when the whole space was enumerated. */
  readonly exhaustive: boolean;
}

/**
 * Decides whether the hard constraints can be met in `space` at all, before spending any
 * evaluation: enumerates small spaces, descends on larger ones. Throws
 * {@link InfeasibleConstraintError} naming the constraint and its smallest achievable value.
 *
 * @example
 * checkConstraints(space, [{ name: 'flops', measure: flopsOf, max: 1e6 }]);
 * // InfeasibleConstraintError: @automl-ts/evolution/checkConstraints: hard constraint "flops <= 1000000"
 * // cannot be met: the smallest achievable flops is 2400000 at {...} (exact: all 108 architectures examined)
 */
export function checkConstraints(
  space: SearchSpace,
  constraints: readonly Constraint[],
  options: Pick<ConstraintHandlingOptions, 'exhaustiveLimit'> & { seed?: number | string } = {},
): ConstraintCheck {
  const hard = constraints.map(resolveConstraint).filter((constraint) => constraint.kind === 'hard');
  const rng = createRng(`checkConstraints:${options.seed ?? 0}`);
  const minimizeOptions = { exhaustiveLimit: options.exhaustiveLimit ?? 100_000 };
  for (const constraint of hard) {
    const found = minimizeMeasure(
      space,
      (arch) => relativeViolation(constraint, measureOf(constraint, arch)),
      rng,
      minimizeOptions,
    );
    if (found.value > 0) {
      const achieved = measureOf(constraint, found.architecture);
      const bound =
        constraint.max === Number.POSITIVE_INFINITY || achieved < constraint.min ? 'largest' : 'smallest';
      throw new InfeasibleConstraintError(
        `hard constraint "${describeConstraint(constraint)}" cannot be met: the ${bound} achievable ${constraint.name} is ` +
          `${achieved} at ${describeValue(found.architecture)} (${howFound(found)})`,
        {
          constraint: describeConstraint(constraint),
          smallestAchievable: achieved,
          architecture: found.architecture,
          exhaustive: found.exhaustive,
        },
      );
    }
  }
  const joint = minimizeMeasure(space, (arch) => hardViolation(hard, arch), rng, minimizeOptions);
  if (joint.value > 0) {
    const names = hard.map(describeConstraint).join(', ');
    throw new InfeasibleConstraintError(
      `hard constraints ${names} cannot be met together: the smallest total relative violation is ${joint.value} ` +
        `at ${describeValue(joint.architecture)} (${howFound(joint)})`,
      {
        constraint: names,
        smallestAchievable: undefined,
        architecture: joint.architecture,
        exhaustive: joint.exhaustive,
      },
    );
  }
  return { feasibleExample: joint.architecture, exhaustive: joint.exhaustive };
}

function howFound(found: { exhaustive: boolean; examined: number }): string {
  return found.exhaustive
    ? `exact: all ${found.examined} architectures examined`
    : `best found by coordinate descent over ${found.examined} architectures; the space is too large to enumerate`;
}

/**
 * Produces feasible candidates for the strategies: calls `generate` (which draws from the search
 * rng) until a candidate meets the hard constraints, repairing it first when asked.
 */
export class FeasibleCandidates {
  readonly #space: SearchSpace;
  readonly #hard: readonly ResolvedConstraint[];
  readonly #all: readonly ResolvedConstraint[];
  readonly #options: ResolvedConstraintHandling;
  readonly #seed: number | string;

  constructor(
    space: SearchSpace,
    constraints: readonly ResolvedConstraint[],
    options: ResolvedConstraintHandling,
    seed: number | string,
  ) {
    this.#space = space;
    this.#all = constraints;
    this.#hard = constraints.filter((constraint) => constraint.kind === 'hard');
    this.#options = options;
    this.#seed = seed;
  }

  /** True when `arch` meets every hard constraint. */
  isFeasible(arch: Architecture): boolean {
    return this.#hard.length === 0 || hardViolation(this.#hard, arch) === 0;
  }

  /** The first feasible candidate `generate` yields (repaired when `handling` is `repair`). */
  next(generate: () => Architecture): Architecture {
    if (this.#hard.length === 0) return generate();
    const violation = (arch: Architecture): number => hardViolation(this.#hard, arch);
    for (let attempt = 0; attempt < this.#options.maxTries; attempt++) {
      const candidate = generate();
      if (violation(candidate) === 0) return candidate;
      if (this.#options.handling === 'repair') {
        const repaired = repairArchitecture(this.#space, candidate, violation, this.#options.repairSteps);
        if (repaired !== undefined) return repaired;
      }
    }
    const check = checkConstraints(this.#space, this.#all, {
      exhaustiveLimit: this.#options.exhaustiveLimit,
      seed: this.#seed,
    });
    throw errorFactory('runSearch')(
      `no candidate met the hard constraints in ${this.#options.maxTries} tries, although feasible architectures exist ` +
        `(e.g. ${describeValue(check.feasibleExample)}); raise constraintHandling.maxTries or use handling: "repair"`,
    );
  }
}
