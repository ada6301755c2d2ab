import { nkLandscape, randomSearch, regularizedEvolution, runSearch } from '@automl-ts/evolution';
import { describe, expect, test } from 'vitest';
import { meanStd } from './helpers.js';

describe('NK landscape', () => {
  test('the dynamic-programming optimum equals brute force', () => {
    for (const [genes, alphabet, interactions, seed] of [
      [8, 3, 2, 0],
      [7, 4, 1, 1],
      [6, 2, 0, 2],
      [6, 3, 5, 3],
    ] as const) {
      const nk = nkLandscape({ genes, alphabet, interactions, seed });
      let best = Number.NEGATIVE_INFINITY;
      for (const arch of nk.space.enumerate()) best = Math.max(best, nk.evaluate(arch)['fitness']!);
      expect(nk.optimum.fitness).toBeCloseTo(best, 12);
      expect(nk.evaluate(nk.optimum.architecture)['fitness']).toBe(nk.optimum.fitness);
    }
  });

  test('regularized evolution beats random search for the same evaluations (10 seeds, as in Real et al.)', async () => {
    // 16 layers × 4 ops (4.3e9 architectures), K = 2: rugged, with a known optimum.
    const nk = nkLandscape({ genes: 16, alphabet: 4, interactions: 2, seed: 0 });
    const budget = { evaluations: 1000 };
    const scores = { evolution: [] as number[], random: [] as number[] };
    for (let seed = 0; seed < 10; seed++) {
      const common = { space: nk.space, evaluator: nk.evaluate, objectives: nk.objectives, budget, seed };
      const evolved = await runSearch({
        ...common,
        strategy: regularizedEvolution({ populationSize: 50, sampleSize: 10 }),
      });
      const sampled = await runSearch({ ...common, strategy: randomSearch() });
      scores.evolution.push(evolved.best!.metrics['fitness']! / nk.optimum.fitness);
      scores.random.push(sampled.best!.metrics['fitness']! / nk.optimum.fitness);
    }
    const evolution = meanStd(scores.evolution);
    const random = meanStd(scores.random);
    console.log(
      `NK(16, 4, K=2), 1000 evaluations, best / optimum over 10 seeds: regularized evolution ` +
        `${evolution.mean.toFixed(4)} ± ${evolution.std.toFixed(4)}, random search ${random.mean.toFixed(4)} ± ${random.std.toFixed(4)}`,
    );
    expect(evolution.mean).toBeGreaterThan(random.mean);
    // Welch's t statistic: the gap is many standard errors wide, not luck.
    const t = (evolution.mean - random.mean) / Math.sqrt((evolution.std ** 2 + random.std ** 2) / 10);
    expect(t).toBeGreaterThan(4);
    expect(Math.min(...scores.evolution)).toBeGreaterThan(Math.max(...scores.random) - 0.05);
  });
});
