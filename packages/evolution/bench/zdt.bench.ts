// NSGA-II on ZDT1–3 (30 variables, N = 100, 250 generations, 5 seeds): hypervolume of the front found
// over that of the true front (reference point (1, 1)), and IGD.
import { hypervolume, invertedGenerationalDistance, nsga2, runSearch, zdt } from '../src/index.js';
import { benchLine, printTable } from './report.js';

const SEEDS = [1, 2, 3, 4, 5];
const rows: string[][] = [];
for (const name of ['zdt1', 'zdt2', 'zdt3'] as const) {
  const problem = zdt(name);
  const trueFront = problem.trueFront(1000);
  const ratios: number[] = [];
  const igds: number[] = [];
  const started = performance.now();
  for (const seed of SEEDS) {
    const result = await runSearch({
      space: problem.space,
      evaluator: problem.evaluate,
      objectives: problem.objectives,
      strategy: nsga2({ populationSize: 100 }),
      budget: { generations: 250 },
      seed,
    });
    const front = result.front.map((record) => record.objectives as number[]);
    ratios.push(hypervolume(front, [1, 1]) / problem.trueHypervolume);
    igds.push(invertedGenerationalDistance(front, trueFront));
  }
  const seconds = (performance.now() - started) / 1000 / SEEDS.length;
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  rows.push([
    name,
    problem.trueHypervolume.toFixed(5),
    mean(ratios).toFixed(5),
    `${Math.min(...ratios).toFixed(5)}–${Math.max(...ratios).toFixed(5)}`,
    mean(igds).toExponential(3),
    seconds.toFixed(2),
  ]);
  if (name !== 'zdt3') {
    benchLine({
      name,
      backend: 'js',
      metric: 'hypervolume_ratio',
      value: Number(mean(ratios).toFixed(5)),
      unit: 'ratio',
    });
  }
}
printTable(
  'NSGA-II, 25,000 evaluations per run, mean of 5 seeds (ZDT3: true hypervolume from a 10,000-point front sample)',
  ['problem', 'true HV', 'HV ratio', 'range', 'IGD', 's / run'],
  rows,
);
