import {
  type Architecture,
  categorical,
  createRng,
  defineSearchSpace,
  intRange,
  realRange,
} from '@automl-ts/core';
import {
  type HistoryRecord,
  iterateSearch,
  maximize,
  minimize,
  nkLandscape,
  nsga2,
  ofaEvolution,
  randomSearch,
  regularizedEvolution,
  runSearch,
  type SearchEvent,
  type SearchStrategy,
  type StrategyContext,
} from '@automl-ts/evolution';
import { describe, expect, test } from 'vitest';
import { sleep, withoutTimes } from './helpers.js';

const nk = nkLandscape({ genes: 10, alphabet: 3, interactions: 2, seed: 1 });
const mixed = defineSearchSpace([
  realRange('lr', { min: 0, max: 1 }),
  categorical('op', ['a', 'b', 'c']),
  intRange('depth', { min: 1, max: 6 }),
]);
const mixedEvaluate = (arch: Architecture) => {
  const lr = arch['lr'] as number;
  const depth = arch['depth'] as number;
  return { error: (lr - 0.3) ** 2 + (arch['op'] === 'b' ? 0 : 0.1), cost: depth + lr };
};

const strategies: [string, () => SearchStrategy<never>][] = [
  ['random search', () => randomSearch({ batchSize: 7 }) as SearchStrategy<never>],
  [
    'regularized evolution',
    () => regularizedEvolution({ populationSize: 10, sampleSize: 3, batchSize: 2 }) as SearchStrategy<never>,
  ],
  ['ofa evolution', () => ofaEvolution({ populationSize: 12 }) as SearchStrategy<never>],
];

describe('runSearch', () => {
  test.each(strategies)('%s: same seed, same history; another seed, another history', async (_name, make) => {
    const run = (seed: number) =>
      runSearch({
        space: nk.space,
        evaluator: nk.evaluate,
        objectives: nk.objectives,
        strategy: make(),
        budget: { evaluations: 80 },
        seed,
      });
    const [a, b, c] = await Promise.all([run(1), run(1), run(2)]);
    expect(withoutTimes(a.history)).toEqual(withoutTimes(b.history));
    expect(withoutTimes(a.history)).not.toEqual(withoutTimes(c.history));
    expect(a.evaluations).toBe(80);
    expect(a.best?.metrics['fitness']).toBe(Math.max(...a.history.map((r) => r.metrics['fitness'] ?? 0)));
  });

  test('nsga2 on mixed real and categorical genes: seeded, and its front is non-dominated', async () => {
    const options = {
      space: mixed,
      evaluator: mixedEvaluate,
      objectives: [minimize('error'), minimize('cost')],
      budget: { generations: 6 },
    };
    const a = await runSearch({ ...options, strategy: nsga2({ populationSize: 12 }), seed: 3 });
    const b = await runSearch({ ...options, strategy: nsga2({ populationSize: 12 }), seed: 3 });
    expect(withoutTimes(a.history)).toEqual(withoutTimes(b.history));
    expect(a.evaluations).toBe(72);
    for (const record of a.front) {
      for (const other of a.history) {
        const [e, c] = record.objectives as number[];
        const [oe, oc] = other.objectives as number[];
        expect(oe! <= e! && oc! <= c! && (oe! < e! || oc! < c!)).toBe(false);
      }
    }
  });

  test('the history does not depend on concurrency or on evaluation timing', async () => {
    const slowAndJittery = async (arch: Architecture) => {
      await sleep(Math.floor(Math.random() * 4));
      return nk.evaluate(arch);
    };
    const options = {
      space: nk.space,
      evaluator: slowAndJittery,
      objectives: nk.objectives,
      budget: { evaluations: 60 },
      seed: 5,
    };
    const sequential = await runSearch({
      ...options,
      strategy: regularizedEvolution({ populationSize: 8, sampleSize: 3, batchSize: 4 }),
    });
    const parallel = await runSearch({
      ...options,
      strategy: regularizedEvolution({ populationSize: 8, sampleSize: 3, batchSize: 4 }),
      concurrency: 4,
    });
    expect(withoutTimes(parallel.history)).toEqual(withoutTimes(sequential.history));
  });

  test('an architecture is never evaluated twice: repeats are cache hits', async () => {
    const tiny = defineSearchSpace([categorical('a', [1, 2]), categorical('b', [1, 2, 3])]);
    let calls = 0;
    const result = await runSearch({
      space: tiny,
      evaluator: (arch) => {
        calls++;
        return { score: (arch['a'] as number) * (arch['b'] as number) };
      },
      objectives: [maximize('score')],
      strategy: regularizedEvolution({ populationSize: 4, sampleSize: 2 }),
      budget: { evaluations: 40 },
    });
    expect(calls).toBe(result.uniqueEvaluations);
    expect(calls).toBeLessThanOrEqual(6);
    expect(result.history.filter((r) => r.cached)).toHaveLength(40 - calls);
    expect(result.history.filter((r) => r.cached).every((r) => r.attempts === 0)).toBe(true);
    expect(result.best?.architecture).toEqual({ a: 2, b: 3 });
  });

  test('budget in generations; records carry their generation', async () => {
    const result = await runSearch({
      space: nk.space,
      evaluator: nk.evaluate,
      objectives: nk.objectives,
      strategy: ofaEvolution({ populationSize: 8, parentRatio: 0.25 }),
      budget: { generations: 3 },
    });
    expect(result.generations).toBe(3);
    // 8 random, then 6 children per generation (2 parents kept).
    expect(result.history.map((r) => r.generation)).toEqual([
      ...Array(8).fill(0),
      ...Array(6).fill(1),
      ...Array(6).fill(2),
    ]);
  });

  test('iterateSearch yields one event per generation, then done, with the counts a progress display needs', async () => {
    const events: SearchEvent[] = [];
    for await (const event of iterateSearch({
      space: nk.space,
      evaluator: nk.evaluate,
      objectives: nk.objectives,
      strategy: randomSearch({ batchSize: 10 }),
      budget: { evaluations: 35 },
    })) {
      events.push(event);
    }
    expect(events.map((e) => e.type)).toEqual([
      'generation',
      'generation',
      'generation',
      'generation',
      'done',
    ]);
    const last = events.at(-1);
    expect(last?.type === 'done' && last.result.evaluations).toBe(35);
    // What a progress display reads (the examples' searchProgress draws these): evaluations so
    // far against the budget, the generation, and the best record so far.
    const generations = events.filter((e) => e.type === 'generation');
    expect(generations.map((e) => e.evaluations)).toEqual([10, 20, 30, 35]);
    expect(generations.map((e) => e.generation)).toEqual([0, 1, 2, 3]);
    for (const e of generations) {
      expect(e.budget).toEqual({ evaluations: 35 });
      expect(typeof e.best?.metrics.fitness).toBe('number');
    }
  });
});

describe('strategies in ask/tell form', () => {
  const context = (seed: number): StrategyContext => ({
    space: nk.space,
    rng: createRng(seed),
    objectives: nk.objectives,
    feasible: (generate) => generate(),
  });
  let index = 0;
  const record = (architecture: Architecture, fitness: number): HistoryRecord => ({
    index: index++,
    generation: 0,
    architecture,
    status: 'ok',
    metrics: { fitness },
    objectives: [-fitness],
    violation: 0,
    attempts: 1,
    cached: false,
    time: '',
    durationMs: 0,
  });

  test('regularized evolution removes the oldest member; with removal "worst", the worst', () => {
    const ctx = context(1);
    const archs = [0, 1, 2, 3].map(() => nk.space.sample(ctx.rng));
    const fitness = [0.9, 0.1, 0.5, 0.3];
    for (const [removal, kept] of [
      ['oldest', [0.1, 0.5, 0.3]],
      ['worst', [0.9, 0.5, 0.3]],
    ] as const) {
      const strategy = regularizedEvolution({ populationSize: 3, sampleSize: 2, removal });
      const state = strategy.tell(
        strategy.init(),
        archs.map((a, i) => record(a, fitness[i]!)),
        ctx,
      );
      expect(state.population.map((p) => -p.objectives[0]!)).toEqual(kept);
      const { candidates } = strategy.ask(state, ctx, 10);
      expect(candidates).toHaveLength(1);
      const parents = state.population.map((p) => p.architecture);
      const differsByOne = parents.some(
        (p) => nk.space.names.filter((n) => p[n] !== candidates[0]![n]).length === 1,
      );
      expect(differsByOne).toBe(true);
    }
  });

  test('regularized evolution fills its population with random samples before mutating', () => {
    const ctx = context(2);
    const strategy = regularizedEvolution({ populationSize: 5, sampleSize: 2, batchSize: 3 });
    const first = strategy.ask(strategy.init(), ctx, 100);
    expect(first.candidates).toHaveLength(3);
    const state = strategy.tell(
      first.state,
      first.candidates.map((a) => record(a, 0.5)),
      ctx,
    );
    expect(strategy.ask(state, ctx, 100).candidates).toHaveLength(2);
    expect(strategy.ask(state, ctx, 1).candidates).toHaveLength(1);
  });

  test('nsga2 keeps the first fronts and the least crowded of the last one', () => {
    const ctx = context(3);
    const strategy = nsga2({ populationSize: 3 });
    const points = [
      [0, 4],
      [4, 0],
      [2, 2],
      [1, 3.5],
      [5, 5],
    ];
    const records = points.map((objectives) => ({ ...record(nk.space.sample(ctx.rng), 0), objectives }));
    const state = strategy.tell(strategy.init(), records, ctx);
    expect(state.population.map((p) => p.objectives)).toEqual([
      [0, 4],
      [4, 0],
      [2, 2],
    ]);
    expect(strategy.ask(state, ctx, 100).candidates).toHaveLength(3);
  });
});
