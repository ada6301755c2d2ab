import { type AutomlError, errorFactory as coreErrorFactory } from '@automl-ts/core';

export { describeValue } from '@automl-ts/core';

/** Returns a function that builds errors prefixed `@automl-ts/at-nas/<where>: `. */
export function errorFactory(where: string): (message: string, cause?: unknown) => AutomlError {
  return coreErrorFactory(`@automl-ts/at-nas/${where}`);
}
