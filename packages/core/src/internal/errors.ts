/**
 * Errors thrown by automl-ts say where they come from: `@automl-ts/<package>/<function>: message`.
 * Callers can match on `source` without parsing the message.
 */
export class AutomlError extends Error {
  override readonly name = 'AutomlError';
  /** `@automl-ts/<package>/<function>` */
  readonly source: string;

  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(`${source}: ${message}`, options);
    this.source = source;
  }
}

/**
 * Returns a function that builds {@link AutomlError}s prefixed with `source`, for packages and
 * plugins that want automl-ts's error convention.
 *
 * @example
 * const fail = errorFactory('@my-org/my-plugin/fuse');
 * throw fail(`branch count must be >= 1, got ${describeValue(n)}`);
 */
export function errorFactory(source: string): (message: string, cause?: unknown) => AutomlError {
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
