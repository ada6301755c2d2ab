import { hypervolume, invertedGenerationalDistance, nsga2, runSearch, zdt } from '@automl-ts/evolution';
import { describe, expect, test } from 'vitest';
import { meanStd } from './helpers.js';

const SEEDS = [1, 2, 3, 4, 5];

// NSGA-II as in Deb et al. 2002: N = 100, 250 generations (25,000 evaluations), SBX η_c = 20,
// polynomial mutation η_m = 20 with probability 1/30, crossover probability 0.9.
describe.each([
  ['zdt1', 2 / 3],
  ['zdt2', 1 / 3],
  ['zdt3', undefined],
] as const)('NSGA-II on %s (30 variables)', (name, exact) => {
  test('reaches the hypervolume of the true front within 1% (reference (1, 1), mean of 5 seeds)', async () => {
    const problem = zdt(name);
    if (exact !== undefined) expect(problem.trueHypervolume).toBe(exact);
    const ratios: number[] = [];
    const igds: number[] = [];
    const trueFront = problem.trueFront(1000);
    for (const seed of SEEDS) {
      const result = await runSearch({
        space: problem.space,
        evaluator: problem.evaluate,
        objectives: problem.objectives,
        strategy: nsga2({ populationSize: 100 }),
        budget: { generations: 250 },
        seed,
      });
      expect(result.evaluations).toBe(25_000);
      const front = result.front.map((record) => record.objectives as number[]);
      ratios.push(hypervolume(front, [1, 1]) / problem.trueHypervolume);
      igds.push(invertedGenerationalDistance(front, trueFront));
    }
    const ratio = meanStd(ratios);
    const igd = meanStd(igds);
    console.log(
      `${name}: hypervolume ratio ${ratio.mean.toFixed(5)} ± ${ratio.std.toFixed(5)}, ` +
        `IGD ${igd.mean.toExponential(3)} ± ${igd.std.toExponential(3)} (5 seeds, 25,000 evaluations each)`,
    );
    expect(ratio.mean).toBeGreaterThanOrEqual(0.99);
    expect(igd.mean).toBeLessThan(0.01);
  });
});
