import { type Architecture, categorical, defineSearchSpace } from '@automl-ts/core';
import {
  architectureKey,
  CachedEvaluator,
  evaluationSeed,
  maximize,
  minimize,
  nkLandscape,
  nsga2,
  ofaEvolution,
  randomSearch,
  regularizedEvolution,
  resolveCachedEvaluatorOptions,
  runSearch,
  type SearchOptions,
} from '@automl-ts/evolution';
import { describe, expect, test } from 'vitest';
import { sleep } from './helpers.js';

const nk = nkLandscape({ genes: 8, alphabet: 3, interactions: 1, seed: 2 });

describe('CachedEvaluator', () => {
  test('never runs more than `concurrency` evaluations at once, and shares concurrent requests', async () => {
    let running = 0;
    let peak = 0;
    let calls = 0;
    const evaluator = new CachedEvaluator(
      async (arch: Architecture) => {
        calls++;
        running++;
        peak = Math.max(peak, running);
        await sleep(5);
        running--;
        return { value: arch['a'] as number };
      },
      { concurrency: 3 },
    );
    const archs = Array.from({ length: 12 }, (_, i) => ({ a: i % 8 }));
    const outcomes = await Promise.all(archs.map((arch) => evaluator.evaluate(arch)));
    expect(peak).toBe(3);
    expect(calls).toBe(8);
    expect(evaluator.evaluations).toBe(8);
    expect(outcomes.map((o) => (o.status === 'ok' ? o.metrics['value'] : -1))).toEqual(archs.map((a) => a.a));
  });

  test('retries a throwing evaluator, then records the failure (cached, not retried again)', async () => {
    const attempts: number[] = [];
    const evaluator = new CachedEvaluator(
      (_arch, context) => {
        attempts.push(context.attempt);
        throw new Error('CUDA out of memory');
      },
      { retries: 2 },
    );
    const outcome = await evaluator.evaluate({ a: 1 });
    expect(outcome).toMatchObject({ status: 'failed', error: 'CUDA out of memory', attempts: 3 });
    expect(attempts).toEqual([1, 2, 3]);
    await evaluator.evaluate({ a: 1 });
    expect(attempts).toHaveLength(3);
  });

  test('evaluation seeds depend on the search seed and the architecture only', () => {
    expect(evaluationSeed(1, '["a"]')).toBe(evaluationSeed(1, '["a"]'));
    expect(evaluationSeed(1, '["a"]')).not.toBe(evaluationSeed(2, '["a"]'));
    expect(evaluationSeed('x', '["a"]')).toBeLessThan(2 ** 31);
    expect(architectureKey({ b: 1, a: 'x' })).toBe(architectureKey({ a: 'x', b: 1 }));
  });

  test.each([
    [{ concurrency: 0 }, 'concurrency must be a positive integer, got 0'],
    [{ retries: -1 }, 'retries must be an integer >= 0, got -1'],
    [{ retryDelayMs: Number.NaN }, 'retryDelayMs must be a finite number >= 0, got NaN'],
  ])('resolveCachedEvaluatorOptions rejects %j', (options, message) => {
    expect(() => resolveCachedEvaluatorOptions(options)).toThrow(
      `@automl-ts/evolution/resolveCachedEvaluatorOptions: ${message}`,
    );
  });
});

describe('failures never lose the rest of the run', () => {
  test('an evaluator that throws is retried per policy, then recorded as failed; the search goes on', async () => {
    const tries = new Map<string, number>();
    const result = await runSearch({
      space: nk.space,
      evaluator: (arch, context) => {
        const key = architectureKey(arch);
        tries.set(key, context.attempt);
        if (arch['layer0'] === 'op0') throw new Error(`diverged at attempt ${context.attempt}`);
        return nk.evaluate(arch);
      },
      objectives: nk.objectives,
      strategy: regularizedEvolution({ populationSize: 10, sampleSize: 3 }),
      budget: { evaluations: 60 },
      retries: 1,
      seed: 7,
    });
    const failed = result.history.filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(result.failed).toBe(failed.length);
    for (const record of failed) {
      expect(record.error).toBe('diverged at attempt 2');
      expect(record.objectives).toBeNull();
      expect(record.cached || record.attempts === 2).toBe(true);
    }
    expect(result.history).toHaveLength(60);
    expect(result.best!.architecture['layer0']).not.toBe('op0');
  });

  test('a flaky evaluator succeeds on retry', async () => {
    const seen = new Set<string>();
    const result = await runSearch({
      space: nk.space,
      evaluator: (arch) => {
        const key = architectureKey(arch);
        if (!seen.has(key)) {
          seen.add(key);
          throw new Error('transient');
        }
        return nk.evaluate(arch);
      },
      objectives: nk.objectives,
      strategy: randomSearch(),
      budget: { evaluations: 20 },
    });
    expect(result.failed).toBe(0);
    expect(result.history.filter((r) => !r.cached).every((r) => r.attempts === 2)).toBe(true);
  });

  test('objectives with NaN or missing metrics are recorded as failed, not retried', async () => {
    let calls = 0;
    const result = await runSearch({
      space: nk.space,
      evaluator: (arch) => {
        calls++;
        if (arch['layer1'] === 'op1') return { fitness: Number.NaN, flops: 3 };
        if (arch['layer1'] === 'op2') return { flops: 3 };
        return nk.evaluate(arch);
      },
      objectives: nk.objectives,
      strategy: randomSearch(),
      budget: { evaluations: 40 },
    });
    const nan = result.history.find((r) => r.architecture['layer1'] === 'op1');
    const missing = result.history.find((r) => r.architecture['layer1'] === 'op2');
    expect(nan).toMatchObject({
      status: 'failed',
      error: '@automl-ts/evolution/evaluate: objective "fitness" is NaN in {fitness: NaN, flops: 3}',
      attempts: 1,
    });
    expect(missing?.error).toBe(
      '@automl-ts/evolution/evaluate: objective "fitness" is missing in {flops: 3}',
    );
    expect(calls).toBe(result.uniqueEvaluations);
    expect(result.best?.status).toBe('ok');
  });
});

describe('bad input', () => {
  const base: SearchOptions<never> = {
    space: nk.space,
    evaluator: nk.evaluate,
    objectives: nk.objectives,
    strategy: randomSearch() as never,
    budget: { evaluations: 5 },
  };
  test.each([
    [
      'an empty search space',
      { space: defineSearchSpace([]) },
      'runSearch: the search space is empty: define at least one choice',
    ],
    ['no objectives', { objectives: [] }, 'runSearch: objectives must list at least one objective'],
    [
      'a duplicate objective',
      { objectives: [maximize('fitness'), minimize('fitness')] },
      'runSearch: objective "fitness" is listed twice',
    ],
    ['no budget', { budget: {} }, 'runSearch: budget needs evaluations or generations'],
    [
      'a fractional budget',
      { budget: { evaluations: 2.5 } },
      'runSearch: budget.evaluations must be a positive integer, got 2.5',
    ],
    ['a NaN seed', { seed: Number.NaN }, 'runSearch: seed must be a finite number or a string, got NaN'],
    [
      'no evaluator',
      { evaluator: 42 as never },
      'toEvaluator: expected a function or an object with evaluate(), got 42',
    ],
    ['zero concurrency', { concurrency: 0 }, 'runSearch: concurrency must be a positive integer, got 0'],
    [
      'two objectives for regularized evolution',
      { strategy: regularizedEvolution() as never, objectives: [maximize('fitness'), minimize('flops')] },
      'regularizedEvolution: optimises one objective, got 2 (fitness, flops); use nsga2 for several',
    ],
  ] as [string, Partial<SearchOptions<never>>, string][])('%s', async (_name, override, message) => {
    await expect(runSearch({ ...base, ...override })).rejects.toThrow(`@automl-ts/evolution/${message}`);
  });

  test.each([
    [
      () => regularizedEvolution({ populationSize: 1 }),
      'regularizedEvolution: populationSize must be an integer >= 2, got 1',
    ],
    [
      () => regularizedEvolution({ populationSize: 10, sampleSize: 11 }),
      'regularizedEvolution: sampleSize must be an integer in [1, populationSize = 10], got 11',
    ],
    [() => nsga2({ populationSize: 1 }), 'nsga2: populationSize must be an integer >= 2, got 1'],
    [() => nsga2({ crossoverProbability: 2 }), 'nsga2: crossoverProbability must be in [0, 1], got 2'],
    [
      () => ofaEvolution({ populationSize: 0 }),
      'ofaEvolution: populationSize must be an integer >= 2, got 0',
    ],
    [
      () => ofaEvolution({ parentRatio: 0.6, mutationRatio: 0.6 }),
      'ofaEvolution: mutationRatio must be >= 0 with parentRatio + mutationRatio <= 1',
    ],
    [() => randomSearch({ batchSize: 0 }), 'randomSearch: batchSize must be a positive integer, got 0'],
    [
      () => nkLandscape({ interactions: 20 }),
      'nkLandscape: interactions must be an integer in [0, genes - 1], got 20',
    ],
  ])('strategy options: %#', (make, message) => {
    expect(make).toThrow(`@automl-ts/evolution/${message}`);
  });

  test('a search space with one fixed choice still runs (everything is a cache hit after the first)', async () => {
    const fixed = defineSearchSpace([categorical('only', ['x'])]);
    const result = await runSearch({
      space: fixed,
      evaluator: () => ({ score: 1 }),
      objectives: [maximize('score')],
      strategy: regularizedEvolution({ populationSize: 2, sampleSize: 2 }),
      budget: { evaluations: 5 },
    });
    expect(result.uniqueEvaluations).toBe(1);
    expect(result.evaluations).toBe(5);
  });
});
