// One command for the GraphPruning comparison on CIFAR-10 (ResNet-20 at 50 % MACs): GraphPruning
// (GCN states), AMC-style hand-crafted states, random search over the same PruningNet, and uniform
// width; seeded, resumable, with progress lines. The teachers come from the SWP pipeline
// (`pnpm --filter @automl-ts/example-swp teachers`).
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, registerFileSystemRouter } from '@automl-ts/core';
import { defineCommand } from '@automl-ts/report';
import { METHODS, type Method, runGraphPruningPipeline } from './pipeline.js';

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));

const command = defineCommand({
  name: '@automl-ts/example-graph-pruning',
  usage: 'pnpm --filter @automl-ts/example-graph-pruning start -- [options]',
  description:
    'GraphPruning on CIFAR-10 against uniform width, AMC-style states and random search at a MACs budget.',
  options: {
    'data-dir': {
      type: 'path',
      description: 'data root holding cifar10/cifar-10-batches-bin (default AUTOML_DATA_DIR)',
    },
    'teachers-dir': {
      type: 'path',
      description: "the SWP pipeline's teachers",
      defaultText: 'examples/swp/teachers',
    },
    runs: { type: 'path', description: 'checkpoints and models', defaultText: '<example>/runs' },
    results: { type: 'path', description: 'results folder', defaultText: '<example>/results' },
    backend: {
      type: 'choice',
      choices: ['auto', 'tensorflow', 'wasm', 'cpu'],
      default: 'auto',
      description: 'TF.js backend',
    },
    methods: { type: 'string', default: METHODS.join(','), description: 'comma-separated methods' },
    seeds: { type: 'string', default: '0,1,2', description: 'comma-separated seeds' },
    'macs-ratio': {
      type: 'number',
      greaterThan: 0,
      default: 0.5,
      description: 'MACs budget, fraction of the teacher',
    },
    'pruningnet-steps': { type: 'integer', min: 0, default: 2000, description: 'PruningNet training steps' },
    episodes: { type: 'integer', min: 1, default: 400, description: 'search episodes (warm-up included)' },
    'warmup-episodes': {
      type: 'integer',
      min: 0,
      default: 100,
      description: 'random warm-up episodes (AMC)',
    },
    'batch-size': { type: 'integer', min: 1, default: 64, description: 'batch size' },
    'train-batches': {
      type: 'integer',
      min: 0,
      default: 0,
      description: 'training batches to cycle (0: all)',
    },
    'calibration-batches': {
      type: 'integer',
      min: 1,
      default: 10,
      description: 'BN recalibration batches per reward',
    },
    'validation-batches': {
      type: 'integer',
      min: 1,
      default: 8,
      description: 'validation batches per reward',
    },
    'fine-tune-epochs': {
      type: 'integer',
      min: 0,
      default: 20,
      description: 'fine-tuning epochs of the pruned net',
    },
    'fine-tune-lr': {
      type: 'number',
      greaterThan: 0,
      default: 0.01,
      description: 'fine-tuning peak learning rate',
    },
    'val-per-class': {
      type: 'integer',
      min: 1,
      default: 200,
      description: 'validation images per class, held out',
    },
    limit: {
      type: 'integer',
      min: 1,
      description: 'read only the first images of each CIFAR file set (tests)',
    },
  },
});

/** Runs the command line (exported for the end-to-end test). */
export async function main(
  argv: readonly string[],
  log: (line: string) => void = console.log,
): Promise<void> {
  const args = command.parse(argv);
  if (args === undefined) {
    log(command.help());
    return;
  }
  const backend = await initBackend({ prefer: args.backend as 'auto' });
  registerFileSystemRouter();
  log(`backend ${backend.name}`);
  const methods = args.methods.split(',').map((m) => m.trim());
  for (const m of methods) {
    if (!(METHODS as readonly string[]).includes(m)) {
      throw new Error(
        `@automl-ts/example-graph-pruning: --methods has ${JSON.stringify(m)}; known: ${METHODS.join(', ')}`,
      );
    }
  }
  const seeds = args.seeds.split(',').map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s))) {
    throw new Error(
      `@automl-ts/example-graph-pruning: --seeds must be integers, got ${JSON.stringify(args.seeds)}`,
    );
  }
  await runGraphPruningPipeline({
    ...(args['data-dir'] === undefined ? {} : { dataDir: args['data-dir'] }),
    teachersDir: args['teachers-dir'] ?? join(EXAMPLE_DIR, '..', 'swp', 'teachers'),
    runsDir: args.runs ?? join(EXAMPLE_DIR, 'runs'),
    resultsDir: args.results ?? join(EXAMPLE_DIR, 'results'),
    seeds,
    methods: methods as Method[],
    macsRatio: args['macs-ratio'],
    pruningNetSteps: args['pruningnet-steps'],
    episodes: args.episodes,
    warmupEpisodes: args['warmup-episodes'],
    batchSize: args['batch-size'],
    trainBatches: args['train-batches'],
    calibrationBatches: args['calibration-batches'],
    validationBatches: args['validation-batches'],
    fineTuneEpochs: args['fine-tune-epochs'],
    fineTuneLearningRate: args['fine-tune-lr'],
    valPerClass: args['val-per-class'],
    ...(args.limit === undefined ? {} : { limit: args.limit }),
    onProgress: log,
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
