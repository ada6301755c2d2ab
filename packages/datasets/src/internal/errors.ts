import { type AutomlError, errorFactory as coreErrorFactory } from '@automl-ts/core';

export { describeValue } from '@automl-ts/core';

/** A function that builds an {@link AutomlError} whose message starts with `@automl-ts/datasets/<function>:`. */
export type Fail = (message: string, cause?: unknown) => AutomlError;

/** Returns a factory of errors prefixed with `@automl-ts/datasets/<functionName>`. */
export function errorFactory(functionName: string): Fail {
  return coreErrorFactory(`@automl-ts/datasets/${functionName}`);
}

/**
 * The first line of an underlying error (a decoder's, the file system's), so that our message can
 * quote it without dumping a third-party stack trace.
 */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
