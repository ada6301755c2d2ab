// Michalewicz & Nazhiyath, "Genocop III: a co-evolutionary algorithm for numerical optimization problems with nonlinear constraints", 1995 (repairing infeasible individuals); here a greedy descent on the violation.
import type { Architecture, ChoiceValue, SearchSpace } from '@automl-ts/core';

/**
 * Moves an infeasible architecture toward feasibility: at each step it takes the neighbour (one
 * categorical value changed, one integer step, or a real gene halfway to a bound) with the smallest
 * violation, for at most `steps` steps. Returns the first architecture with violation 0, or
 * `undefined` when the descent stalls or runs out of steps. Deterministic.
 */
export function repairArchitecture(
  space: SearchSpace,
  arch: Architecture,
  violation: (arch: Architecture) => number,
  steps: number,
): Architecture | undefined {
  let current = arch;
  let currentViolation = violation(current);
  for (let step = 0; step < steps && currentViolation > 0; step++) {
    let next: Architecture | undefined;
    let nextViolation = currentViolation;
    for (const neighbour of neighboursWithReal(space, current)) {
      const value = violation(neighbour);
      if (value < nextViolation) {
        next = neighbour;
        nextViolation = value;
      }
    }
    if (next === undefined) return undefined;
    current = next;
    currentViolation = nextViolation;
  }
  return currentViolation === 0 ? current : undefined;
}

function neighboursWithReal(space: SearchSpace, arch: Architecture): Architecture[] {
  const out = space.neighbours(arch);
  for (const choice of space.choices) {
    if (choice.kind !== 'real') continue;
    const value = arch[choice.name] as number;
    for (const bound of [choice.min, choice.max]) {
      const moved: ChoiceValue = (value + bound) / 2;
      if (moved !== value) out.push({ ...arch, [choice.name]: moved });
    }
  }
  return out;
}
