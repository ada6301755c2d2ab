import { AutomlError } from '@automl-ts/core';

/** A function that builds an {@link AutomlError} whose message starts with `@automl-ts/datasets/<function>:`. */
export type Fail = (message: string, cause?: unknown) => AutomlError;

/** Returns a factory of errors prefixed with `@automl-ts/datasets/<functionName>`. */
export function errorFactory(functionName: string): Fail {
  const source = `@automl-ts/datasets/${functionName}`;
  return (message, cause) => new AutomlError(source, message, cause === undefined ? undefined : { cause });
}

/** Formats a value for an error message: short, JSON where possible. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The first line of an underlying error (a decoder's, the file system's), so that our message can
 * quote it without dumping a third-party stack trace.
 */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
