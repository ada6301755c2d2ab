import { AutomlError } from '@automl-ts/core';

/** Returns a function that builds errors prefixed `@automl-ts/meta-learning/<where>: `. */
export function errorFactory(where: string): (message: string, cause?: unknown) => AutomlError {
  const source = `@automl-ts/meta-learning/${where}`;
  return (message, cause) => new AutomlError(source, message, cause === undefined ? undefined : { cause });
}

/** Formats a value for an error message: short, JSON where possible. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
