import { errorFactory } from '@automl-ts/core';

/** An error factory for `@automl-ts/report/<fn>`. */
export const reportError = (fn: string) => errorFactory(`@automl-ts/report/${fn}`);
