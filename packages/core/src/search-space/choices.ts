import { describeValue, errorFactory } from '../internal/errors.js';

/** A value an architecture can hold for one choice. */
export type ChoiceValue = string | number | boolean;

/** One of a fixed list of values (kernel size, op name, branch on/off). Encoded as the value's index. */
export interface CategoricalChoice {
  readonly kind: 'categorical';
  readonly name: string;
  readonly values: readonly ChoiceValue[];
}

/** An integer from `min` to `max` in steps of `step` (depth, width). Encoded as the step index. */
export interface IntRangeChoice {
  readonly kind: 'int';
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

/** A real number in `[min, max]` (a pruning ratio, a benchmark variable). Encoded as the value itself. */
export interface RealRangeChoice {
  readonly kind: 'real';
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

/** One named dimension of a {@link SearchSpace}. Plain data: it is its own JSON form. */
export type Choice = CategoricalChoice | IntRangeChoice | RealRangeChoice;

/**
 * A choice as seen by a search algorithm: where its gene lives in the encoded vector and what
 * values that gene can take.
 */
export interface Gene {
  readonly name: string;
  readonly kind: Choice['kind'];
  /** Smallest encoded value (0 for discrete genes, `min` for real ones). */
  readonly lower: number;
  /** Largest encoded value (`cardinality - 1` for discrete genes, `max` for real ones). */
  readonly upper: number;
  /** Number of values (`Infinity` for a real gene). */
  readonly cardinality: number;
}

const failCategorical = errorFactory('@automl-ts/core/categorical');
const failIntRange = errorFactory('@automl-ts/core/intRange');
const failRealRange = errorFactory('@automl-ts/core/realRange');

function checkName(name: unknown, fail: (message: string) => Error): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw fail(`a choice name must be a non-empty string, got ${describeValue(name)}`);
  }
}

/**
 * A choice among listed values, encoded by index.
 *
 * @example
 * const kernel = categorical('kernel', [3, 5, 7]);
 */
export function categorical(name: string, values: readonly ChoiceValue[]): CategoricalChoice {
  checkName(name, failCategorical);
  if (!Array.isArray(values) || values.length === 0) {
    throw failCategorical(`choice "${name}" needs at least one value, got ${describeValue(values)}`);
  }
  const seen = new Set<ChoiceValue>();
  for (const value of values) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok) {
      throw failCategorical(
        `choice "${name}" has value ${describeValue(value)}; values must be strings, booleans or finite numbers`,
      );
    }
    if (seen.has(value)) throw failCategorical(`choice "${name}" lists ${describeValue(value)} twice`);
    seen.add(value);
  }
  return { kind: 'categorical', name, values: Object.freeze(values.slice()) };
}

/**
 * An integer range `min, min + step, …, max`, encoded by step index. `max - min` must be a multiple of `step`.
 *
 * @example
 * const depth = intRange('depth', { min: 2, max: 4 });
 * const width = intRange('width', { min: 16, max: 64, step: 16 }); // 16, 32, 48, 64
 */
export function intRange(name: string, range: { min: number; max: number; step?: number }): IntRangeChoice {
  checkName(name, failIntRange);
  const { min, max, step = 1 } = range ?? ({} as { min: number; max: number });
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
    throw failIntRange(
      `choice "${name}" needs integers min <= max, got min ${describeValue(min)}, max ${describeValue(max)}`,
    );
  }
  if (!Number.isSafeInteger(step) || step < 1) {
    throw failIntRange(`choice "${name}" needs a positive integer step, got ${describeValue(step)}`);
  }
  if ((max - min) % step !== 0) {
    throw failIntRange(`choice "${name}" cannot reach max ${max} from min ${min} in steps of ${step}`);
  }
  return { kind: 'int', name, min, max, step };
}

/**
 * A real-valued range `[min, max]`, encoded as the value itself (for NSGA-II's SBX and polynomial
 * mutation, or continuous hyperparameters). A space with a real choice has infinitely many architectures.
 *
 * @example
 * const ratio = realRange('keepRatio', { min: 0.25, max: 1 });
 */
export function realRange(name: string, range: { min: number; max: number }): RealRangeChoice {
  checkName(name, failRealRange);
  const { min, max } = range ?? ({} as { min: number; max: number });
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(max > min)) {
    throw failRealRange(
      `choice "${name}" needs finite min < max, got min ${describeValue(min)}, max ${describeValue(max)}`,
    );
  }
  return { kind: 'real', name, min, max };
}

/** Number of values a choice can take (`Infinity` for a real range). */
export function choiceCardinality(choice: Choice): number {
  switch (choice.kind) {
    case 'categorical':
      return choice.values.length;
    case 'int':
      return (choice.max - choice.min) / choice.step + 1;
    case 'real':
      return Number.POSITIVE_INFINITY;
  }
}

/** The gene of a choice: its encoded bounds and cardinality. */
export function geneOf(choice: Choice): Gene {
  const cardinality = choiceCardinality(choice);
  if (choice.kind === 'real') {
    return { name: choice.name, kind: choice.kind, lower: choice.min, upper: choice.max, cardinality };
  }
  return { name: choice.name, kind: choice.kind, lower: 0, upper: cardinality - 1, cardinality };
}

/** The value at a discrete index of a categorical or integer choice. */
export function valueAtIndex(choice: CategoricalChoice | IntRangeChoice, index: number): ChoiceValue {
  return choice.kind === 'categorical'
    ? (choice.values[index] as ChoiceValue)
    : choice.min + index * choice.step;
}

/** The index of `value` in a categorical or integer choice, or -1 when it is not one of its values. */
export function indexOfValue(choice: CategoricalChoice | IntRangeChoice, value: unknown): number {
  if (choice.kind === 'categorical') return choice.values.indexOf(value as ChoiceValue);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < choice.min || value > choice.max)
    return -1;
  const offset = value - choice.min;
  return offset % choice.step === 0 ? offset / choice.step : -1;
}

/** Whether `value` is allowed by `choice`. */
export function choiceAllows(choice: Choice, value: unknown): boolean {
  if (choice.kind === 'real') {
    return typeof value === 'number' && Number.isFinite(value) && value >= choice.min && value <= choice.max;
  }
  return indexOfValue(choice, value) >= 0;
}

const LISTED_VALUES = 12;

/** The allowed values of a choice in words, for error messages (`16, 32, 64`). */
export function describeAllowed(choice: Choice): string {
  switch (choice.kind) {
    case 'categorical':
      return choice.values.map((value) => describeValue(value)).join(', ');
    case 'int': {
      const count = choiceCardinality(choice);
      if (count <= LISTED_VALUES) {
        return Array.from({ length: count }, (_, i) => String(choice.min + i * choice.step)).join(', ');
      }
      return choice.step === 1
        ? `integers ${choice.min} to ${choice.max}`
        : `integers ${choice.min} to ${choice.max} in steps of ${choice.step}`;
    }
    case 'real':
      return `real numbers in [${choice.min}, ${choice.max}]`;
  }
}

/** Validates a choice from untrusted data (JSON) by rebuilding it with its helper. */
export function reviveChoice(data: unknown): Choice {
  const record = (data ?? {}) as Record<string, unknown>;
  switch (record['kind']) {
    case 'categorical':
      return categorical(record['name'] as string, record['values'] as ChoiceValue[]);
    case 'int':
      return intRange(record['name'] as string, {
        min: record['min'] as number,
        max: record['max'] as number,
        step: record['step'] as number,
      });
    case 'real':
      return realRange(record['name'] as string, {
        min: record['min'] as number,
        max: record['max'] as number,
      });
    default:
      throw errorFactory('@automl-ts/core/SearchSpace')(
        `not a choice (kind must be categorical, int or real): ${describeValue(data)}`,
      );
  }
}
