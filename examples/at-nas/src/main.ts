// The AT-NAS pipeline in one command: meta-search, baselines at equal budget, meta-test, report.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@automl-ts/core';
import { defineCommand, resolveResultsDirectory } from '@automl-ts/report';
import { METHODS, type Method, runPipeline } from './pipeline.js';

const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url));

export const command = defineCommand({
  name: '@automl-ts/example-at-nas',
  usage: 'pnpm --filter ./examples/at-nas start -- [options]',
  description:
    'AT-NAS on Omniglot: meta-trains a DARTS-op conv4-cells supernet with architectures from an evolving population, and at equal budget the uniform-sampling supernet and first-order MAML on conv4; meta-tests per-task architecture adaptation, the best architecture without it, a random architecture and the baselines on the same tasks. Seeded; rerun the same command to resume.',
  options: {
    'data-dir': {
      type: 'path',
      description: 'data root with omniglot/images_background.zip (and images_evaluation.zip)',
      defaultText: '$AUTOML_DATA_DIR, else the embedded MNIST (smoke test)',
    },
    'meta-test': {
      type: 'choice',
      choices: ['auto', 'evaluation', 'background'],
      default: 'auto',
      description: 'meta-test on the official evaluation set or on held-out background alphabets',
    },
    ways: { type: 'integer', min: 2, default: 5, description: 'classes per task' },
    shots: { type: 'integer', min: 1, default: 1, description: 'support examples per class' },
    queries: { type: 'integer', min: 1, default: 15, description: 'query examples per class (T-NAS: 15)' },
    'meta-iterations': {
      type: 'integer',
      min: 1,
      default: 2000,
      description: 'meta-iterations per method (equal budgets)',
    },
    'meta-batch': { type: 'integer', min: 1, default: 4, description: 'tasks per meta-iteration (T-NAS: 4)' },
    'inner-steps': { type: 'integer', min: 1, default: 5, description: 'inner SGD steps (T-NAS: 5)' },
    channels: { type: 'integer', min: 1, default: 32, description: 'supernet width' },
    'conv4-channels': {
      type: 'integer',
      min: 1,
      default: 64,
      description: 'width of the MAML conv4 baseline',
    },
    population: { type: 'integer', min: 2, default: 20, description: 'population size' },
    'evolve-every': {
      type: 'integer',
      min: 1,
      default: 50,
      description: 'meta-iterations between generations (G)',
    },
    children: { type: 'integer', min: 1, default: 4, description: 'children per generation' },
    'fitness-tasks': { type: 'integer', min: 1, default: 10, description: 'meta-val tasks per fitness' },
    'test-tasks': { type: 'integer', min: 1, default: 600, description: 'meta-test tasks' },
    'adapt-generations': {
      type: 'integer',
      min: 0,
      default: 3,
      description: 'EA generations per novel task',
    },
    methods: {
      type: 'string',
      default: METHODS.join(','),
      description: 'comma-separated subset of at-nas, uniform, maml-conv4',
    },
    seed: { type: 'integer', min: 0, default: 0, description: 'seed of tasks, weights and evolution' },
    backend: {
      type: 'choice',
      choices: ['auto', 'wasm', 'cpu'],
      default: 'wasm',
      description: 'TF.js backend',
    },
    results: { type: 'path', description: 'results directory', defaultText: 'runs/results (git-ignored)' },
    'commit-results': { type: 'boolean', description: 'write into the committed results/' },
  },
});

/** Runs the command line `argv` (without node and the script). */
export async function main(
  argv: readonly string[],
  log: (line: string) => void = console.log,
): Promise<void> {
  const args = command.parse([...argv]);
  if (args === undefined) {
    log(command.help());
    return;
  }
  const methods = String(args.methods)
    .split(',')
    .map((m) => m.trim()) as Method[];
  for (const m of methods) {
    if (!(METHODS as readonly string[]).includes(m))
      throw new Error(`@automl-ts/example-at-nas: --methods has "${m}"; known: ${METHODS.join(', ')}`);
  }
  await initBackend({ prefer: args.backend as 'auto' | 'wasm' | 'cpu' });
  const { directory } = resolveResultsDirectory({
    exampleDir: EXAMPLE_DIR,
    requested: args.results,
    commit: args['commit-results'],
  });
  await runPipeline({
    dataDir: args['data-dir'] ?? process.env.AUTOML_DATA_DIR,
    metaTest: args['meta-test'] as 'auto' | 'evaluation' | 'background',
    ways: args.ways,
    shots: args.shots,
    queries: args.queries,
    iterations: args['meta-iterations'],
    metaBatchSize: args['meta-batch'],
    innerSteps: args['inner-steps'],
    channels: args.channels,
    conv4Channels: args['conv4-channels'],
    populationSize: args.population,
    evolveEvery: args['evolve-every'],
    children: args.children,
    fitnessTasks: args['fitness-tasks'],
    testTasks: args['test-tasks'],
    adaptGenerations: args['adapt-generations'],
    seed: args.seed,
    methods,
    runsDirectory: resolve(EXAMPLE_DIR, 'runs'),
    resultsDirectory: directory,
    log,
    argv: process.argv,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
