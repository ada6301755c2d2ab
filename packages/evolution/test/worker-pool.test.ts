import { categorical, defineSearchSpace, intRange } from '@automl-ts/core';
import { createWorkerPool, maximize, randomSearch, runSearch } from '@automl-ts/evolution';
import { describe, expect, test } from 'vitest';
import { createEvaluator } from './fixtures/mlp-evaluator.js';
import { TSX_SOURCE_ENV, withoutTimes } from './helpers.js';

const space = defineSearchSpace([
  intRange('depth', { min: 1, max: 2 }),
  categorical('width', [4, 8, 16]),
  categorical('activation', ['relu', 'tanh']),
]);
const options = { epochs: 1, samples: 128, features: 8 };

// Worker threads copy the environment when they start.
Object.assign(process.env, TSX_SOURCE_ENV);

describe('createWorkerPool', () => {
  test('two workers, each with its own TF.js evaluator, give the same history as sequential evaluation', async () => {
    const pool = createWorkerPool({
      module: new URL('./fixtures/mlp-evaluator.ts', import.meta.url),
      options,
      workers: 2,
    });
    const search = {
      space,
      objectives: [maximize('accuracy')],
      strategy: randomSearch({ batchSize: 4 }),
      budget: { evaluations: 8 },
      seed: 11,
    };
    try {
      const parallel = await runSearch({ ...search, evaluator: pool, concurrency: 2 });
      const sequential = await runSearch({
        ...search,
        evaluator: await createEvaluator(options, { workerId: 'main' }),
      });
      expect(parallel.failed).toBe(0);
      expect(withoutTimes(parallel.history)).toEqual(withoutTimes(sequential.history));
      expect(parallel.history.every((r) => r.metrics['params']! > 0)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  test('a module that cannot be loaded fails every evaluation with a clear message; the search still ends', async () => {
    const pool = createWorkerPool({
      module: new URL('./fixtures/does-not-exist.ts', import.meta.url),
      workers: 1,
    });
    try {
      const result = await runSearch({
        space,
        evaluator: pool,
        objectives: [maximize('accuracy')],
        strategy: randomSearch({ batchSize: 2 }),
        budget: { evaluations: 2 },
        retries: 0,
      });
      expect(result.failed).toBe(2);
      expect(result.history[0]!.error).toMatch(
        /^@automl-ts\/evolution\/loadEvaluator: cannot import evaluator module file:.*does-not-exist\.ts/,
      );
    } finally {
      await pool.close();
    }
  });

  test('bad options', () => {
    expect(() => createWorkerPool({ module: '', workers: 1 })).toThrow(
      '@automl-ts/evolution/createWorkerPool: module must be a path or URL',
    );
    expect(() => createWorkerPool({ module: '/x.js', workers: 0 })).toThrow(
      '@automl-ts/evolution/createWorkerPool: workers must be a positive integer, got 0',
    );
  });
});
