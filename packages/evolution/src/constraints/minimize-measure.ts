// Exhaustive enumeration for small spaces; otherwise multi-start coordinate descent (Wright, "Coordinate descent algorithms", Math. Prog. 2015).
import {
  type Architecture,
  type Choice,
  type ChoiceValue,
  choiceCardinality,
  type Rng,
  type SearchSpace,
} from '@automl-ts/core';

/** Options of {@link minimizeMeasure}. */
export interface MinimizeMeasureOptions {
  /**
   * Spaces with at most this many architectures are enumerated, so the minimum is exact.
   * @default 100_000
   */
  exhaustiveLimit?: number;
  /**
   * Random starting points of the coordinate descent used on larger spaces.
   * @default 16
   */
  restarts?: number;
}

/** The smallest value of a function over a search space and where it is reached. */
export interface MeasureMinimum {
  readonly value: number;
  readonly architecture: Architecture;
  /** True when every architecture was examined (the value is the exact minimum). */
  readonly exhaustive: boolean;
  /** How many architectures were measured. */
  readonly examined: number;
}

const GRID = 21;

/**
 * Minimises `measure` over `space`: exactly by enumeration when the space is small, otherwise by
 * coordinate descent from several random starts (each gene in turn set to its best value until
 * nothing improves), which finds the minimum of measures that are monotone per choice, as FLOPs,
 * parameters and latency are. Real genes are searched on a 21-point grid.
 */
export function minimizeMeasure(
  space: SearchSpace,
  measure: (arch: Architecture) => number,
  rng: Rng,
  options: MinimizeMeasureOptions = {},
): MeasureMinimum {
  const exhaustiveLimit = options.exhaustiveLimit ?? 100_000;
  const restarts = options.restarts ?? 16;
  const score = (arch: Architecture): number => {
    const value = measure(arch);
    return Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
  };
  if (space.isDiscrete() && space.size() <= exhaustiveLimit) {
    let best: { value: number; architecture: Architecture } | undefined;
    let examined = 0;
    for (const arch of space.enumerate()) {
      const value = score(arch);
      examined++;
      if (best === undefined || value < best.value) best = { value, architecture: arch };
    }
    const found = best as { value: number; architecture: Architecture };
    return { ...found, exhaustive: true, examined };
  }
  let examined = 0;
  let best: { value: number; architecture: Architecture } | undefined;
  for (let start = 0; start < restarts; start++) {
    let current: Record<string, ChoiceValue> = { ...space.sample(rng) };
    let currentValue = score(current);
    examined++;
    let improved = true;
    while (improved) {
      improved = false;
      for (const choice of space.choices) {
        for (const value of candidateValues(choice)) {
          if (value === current[choice.name]) continue;
          const trial = { ...current, [choice.name]: value };
          const trialValue = score(trial);
          examined++;
          if (trialValue < currentValue) {
            current = trial;
            currentValue = trialValue;
            improved = true;
          }
        }
      }
    }
    if (best === undefined || currentValue < best.value)
      best = { value: currentValue, architecture: current };
  }
  const found = best as { value: number; architecture: Architecture };
  return { ...found, exhaustive: false, examined };
}

function candidateValues(choice: Choice): ChoiceValue[] {
  switch (choice.kind) {
    case 'categorical':
      return choice.values.slice();
    case 'int': {
      const count = choiceCardinality(choice);
      const picks = Math.min(count, 64);
      const indices = new Set(
        Array.from({ length: picks }, (_, i) => Math.round((i * (count - 1)) / (picks - 1 || 1))),
      );
      return [...indices].map((index) => choice.min + index * choice.step);
    }
    case 'real':
      return Array.from(
        { length: GRID },
        (_, i) => choice.min + ((choice.max - choice.min) * i) / (GRID - 1),
      );
  }
}
