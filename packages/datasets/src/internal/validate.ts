import { describeValue, type Fail } from './errors.js';

// One integer check across the packages: core's (the error names the option and the range).
export { checkInteger } from '@automl-ts/core';

/** Checks that `value` is one of `allowed` and returns it. */
export function checkOneOf<T extends string | number>(
  fail: Fail,
  name: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw fail(
      `${name} must be one of ${allowed.map((v) => describeValue(v)).join(', ')}; got ${describeValue(value)}`,
    );
  }
  return value as T;
}

/** Checks that `value` is a finite number (optionally > 0) and returns it. */
export function checkNumber(
  fail: Fail,
  name: string,
  value: unknown,
  options: { positive?: boolean } = {},
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (options.positive === true && value <= 0)) {
    throw fail(
      `${name} must be a finite${options.positive === true ? ' positive' : ''} number, got ${describeValue(value)}`,
    );
  }
  return value;
}
