import { type AutomlError, errorFactory as coreErrorFactory } from '@automl-ts/core';

export { describeValue } from '@automl-ts/core';

/** Returns a function that builds errors prefixed `@automl-ts/meta-learning/<where>: `. */
export function errorFactory(where: string): (message: string, cause?: unknown) => AutomlError {
  return coreErrorFactory(`@automl-ts/meta-learning/${where}`);
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
