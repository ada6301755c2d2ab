import { type AutomlError, errorFactory } from '@automl-ts/core';

/** An error factory for a function of this package: messages start `@automl-ts/stagewise-pruning/<fn>:`. */
export function failFor(fn: string): (message: string, cause?: unknown) => AutomlError {
  return errorFactory(`@automl-ts/stagewise-pruning/${fn}`);
}
