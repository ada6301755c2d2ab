import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeValue, errorFactory } from '../internal/errors.js';
import type { JsonValue } from '../strategies/strategy.js';
import { type Evaluator, type EvaluatorLike, toEvaluator } from './evaluator.js';

/** Where an evaluator factory runs (worker thread of a pool, process of a distributed worker). */
export interface EvaluatorFactoryContext {
  /** Identifies the worker (thread id in a pool, a name for distributed workers). */
  readonly workerId: string;
}

/**
 * What an evaluator module exports for worker pools and distributed workers: each worker calls it
 * once with the same options to build its own evaluator (its own TF.js backend, its own data).
 *
 * @example
 * // evaluate-mlp.ts
 * export const createEvaluator: EvaluatorFactory = async (options) => {
 *   await initBackend({ prefer: 'cpu' });
 *   const data = loadData(options);
 *   return async (arch, { seed }) => ({ accuracy: await trainAndScore(arch, data, seed) });
 * };
 */
export type EvaluatorFactory = (
  options: JsonValue,
  context: EvaluatorFactoryContext,
) => EvaluatorLike | Promise<EvaluatorLike>;

/** A module specifier (absolute path, `file:` URL or package name) to an import URL. */
export function moduleSpecifier(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return isAbsolute(module) ? pathToFileURL(module).href : module;
}

/**
 * `import()`, falling back to `require()` for a TypeScript file that the ESM loader cannot read: on
 * Node 20, ESM loader hooks (tsx's) do not reach worker threads, while require hooks do.
 */
async function importModule(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !specifier.startsWith('file:')) throw error;
    return createRequire(import.meta.url)(fileURLToPath(specifier));
  }
}

/** Imports an evaluator module and builds its evaluator with `createEvaluator(options, context)`. */
export async function loadEvaluator(
  module: string,
  options: JsonValue,
  context: EvaluatorFactoryContext,
): Promise<Evaluator> {
  const fail = errorFactory('loadEvaluator');
  let imported: { createEvaluator?: unknown };
  try {
    imported = (await importModule(module)) as { createEvaluator?: unknown };
  } catch (error) {
    throw fail(
      `cannot import evaluator module ${module}: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  const factory = imported.createEvaluator;
  if (typeof factory !== 'function') {
    throw fail(
      `${module} must export a function createEvaluator(options, context), found ${describeValue(typeof factory)}`,
    );
  }
  return toEvaluator(await (factory as EvaluatorFactory)(options, context));
}
