// Engine overhead: 100,000 evaluations of a trivial objective (the search itself is all that is timed).
import {
  nkLandscape,
  randomSearch,
  regularizedEvolution,
  runSearch,
  type SearchStrategy,
} from '../src/index.js';
import { benchLine, printTable } from './report.js';

const EVALUATIONS = 100_000;
const nk = nkLandscape({ genes: 16, alphabet: 4, interactions: 2, seed: 0 });
const trivial = () => ({ fitness: 1 });

/** Wall-clock and CPU seconds (CPU time is steadier when other work shares the machine). */
async function seconds(strategy: SearchStrategy<never>): Promise<{ wall: number; cpu: number }> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const result = await runSearch({
    space: nk.space,
    evaluator: trivial,
    objectives: nk.objectives,
    strategy,
    budget: { evaluations: EVALUATIONS },
    seed: 1,
  });
  if (result.evaluations !== EVALUATIONS) throw new Error('short run');
  const cpu = process.cpuUsage(cpuStarted);
  return { wall: (performance.now() - started) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

// One warm-up run so that the JIT has compiled the engine before timing.
await seconds(randomSearch() as SearchStrategy<never>);
const evolution = await seconds(
  regularizedEvolution({ populationSize: 100, sampleSize: 25 }) as SearchStrategy<never>,
);
const random = await seconds(randomSearch({ batchSize: 100 }) as SearchStrategy<never>);
printTable(
  `Engine overhead, ${EVALUATIONS.toLocaleString('en')} evaluations of a trivial objective (16 categorical genes)`,
  ['strategy', 'wall s', 'CPU s', 'µs / evaluation (wall)'],
  [
    ['regularized evolution (P=100, S=25, batch 1)', ...figures(evolution)],
    ['random search (batch 100)', ...figures(random)],
  ],
);
benchLine({
  name: 'engine-overhead',
  backend: 'js',
  metric: 'seconds_per_100k',
  value: Number(evolution.wall.toFixed(3)),
  unit: 's',
});

function figures(time: { wall: number; cpu: number }): string[] {
  return [time.wall.toFixed(2), time.cpu.toFixed(2), ((time.wall / EVALUATIONS) * 1e6).toFixed(1)];
}
