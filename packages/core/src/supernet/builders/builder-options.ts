import { AutomlError, describeValue } from '../../internal/errors.js';

/**
 * Fills a builder's defaults from user overrides, rejecting unknown keys (a typo would otherwise
 * silently build the default network).
 */
export function resolveBuilderOptions<T extends object>(
  source: string,
  defaults: Required<T>,
  overrides: T | undefined,
): Required<T> {
  if (
    overrides !== undefined &&
    (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))
  ) {
    throw new AutomlError(source, `overrides must be an object, got ${describeValue(overrides)}`);
  }
  const known = Object.keys(defaults);
  for (const key of Object.keys(overrides ?? {})) {
    if (!known.includes(key)) {
      throw new AutomlError(source, `unknown option "${key}"; options: ${known.join(', ')}`);
    }
  }
  const resolved: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(overrides ?? {})) if (value !== undefined) resolved[key] = value;
  return resolved as Required<T>;
}

/** Throws unless `value` is an array of at least `minLength` positive integers. */
export function checkPositiveIntegers(source: string, name: string, value: unknown, minLength = 1): number[] {
  if (
    !Array.isArray(value) ||
    value.length < minLength ||
    !value.every((v) => Number.isInteger(v) && v >= 1)
  ) {
    throw new AutomlError(
      source,
      `${name} must be ${minLength > 1 ? `at least ${minLength} ` : 'non-empty, '}positive integers, got ${describeValue(value)}`,
    );
  }
  return [...value];
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(source: string, name: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new AutomlError(source, `${name} must be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}
