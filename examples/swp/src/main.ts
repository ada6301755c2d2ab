// One command for the SWP pipeline on CIFAR-10: `--step teachers` trains and saves the teacher,
// `--step compare` (default) runs SWP, the one-stage supernet, uniform width and L1-norm pruning at
// the MACs budget and the proxy-vs-actual study; both are seeded and resume where they stopped.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, registerFileSystemRouter } from '@automl-ts/core';
import { defineCommand, resolveResultsDirectory } from '@automl-ts/report';
import { loadCifarSplits } from './data.js';
import { METHODS, type Method, runSwpPipeline } from './pipeline.js';
import { TEACHERS, type TeacherName, trainTeacher } from './teachers.js';

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));

const command = defineCommand({
  name: '@automl-ts/example-swp',
  usage: 'pnpm --filter @automl-ts/example-swp start -- [options]',
  description:
    'Stage-wise pruning (SWP) on CIFAR-10 against uniform width, L1-norm pruning and the one-stage supernet.',
  options: {
    step: {
      type: 'choice',
      choices: ['teachers', 'compare', 'all'],
      default: 'compare',
      description: 'what to run',
    },
    teacher: { type: 'choice', choices: [...TEACHERS], default: 'resnet20', description: 'the base network' },
    'data-dir': {
      type: 'path',
      description: 'data root holding cifar10/cifar-10-batches-bin (default AUTOML_DATA_DIR)',
    },
    'teachers-dir': {
      type: 'path',
      description: 'where teachers are saved',
      defaultText: '<example>/teachers',
    },
    runs: { type: 'path', description: 'checkpoints and models', defaultText: '<example>/runs' },
    results: { type: 'path', description: 'results folder', defaultText: '<example>/runs/results' },
    'commit-results': { type: 'boolean', description: 'write into the committed results/' },
    backend: {
      type: 'choice',
      choices: ['auto', 'tensorflow', 'wasm', 'cpu'],
      default: 'auto',
      description: 'TF.js backend',
    },
    'teacher-epochs': { type: 'integer', min: 1, default: 160, description: 'teacher training epochs' },
    'teacher-lr': { type: 'number', greaterThan: 0, default: 0.1, description: 'teacher peak learning rate' },
    width: {
      type: 'integer',
      min: 2,
      default: 16,
      description: 'ResNet first-stage width (16 in the paper; tests use less)',
    },
    methods: {
      type: 'string',
      default: METHODS.join(','),
      description: `comma-separated, of ${METHODS.join(', ')}`,
    },
    seeds: { type: 'string', default: '0,1,2', description: 'comma-separated seeds' },
    macs: {
      type: 'number',
      greaterThan: 0,
      default: 0.5,
      description: "MACs budget, a fraction of the teacher's",
    },
    iterations: { type: 'integer', min: 1, default: 2000, description: 'supernet training iterations' },
    'batch-size': { type: 'integer', min: 1, default: 64, description: 'batch size of every training' },
    'search-evaluations': {
      type: 'integer',
      min: 1,
      default: 500,
      description: 'architectures evaluated per search',
    },
    population: { type: 'integer', min: 2, default: 50, description: 'evolution population' },
    'calibration-batches': {
      type: 'integer',
      min: 1,
      default: 10,
      description: 'training batches for BN recalibration',
    },
    'fine-tune-epochs': {
      type: 'integer',
      min: 1,
      default: 20,
      description: 'fine-tuning epochs of every pruned network',
    },
    'fine-tune-lr': {
      type: 'number',
      greaterThan: 0,
      default: 0.01,
      description: 'fine-tuning peak learning rate',
    },
    'max-batches': { type: 'integer', min: 1, description: 'cap batches per epoch (tests, sizing)' },
    'correlation-archs': {
      type: 'integer',
      min: 0,
      default: 10,
      description: 'architectures of the proxy-vs-actual study',
    },
    'correlation-epochs': {
      type: 'integer',
      min: 1,
      default: 5,
      description: 'fine-tuning epochs per study architecture',
    },
    'val-per-class': {
      type: 'integer',
      min: 1,
      default: 200,
      description: 'validation images per class, held out of training',
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
  const backend = await initBackend({ prefer: args.backend });
  registerFileSystemRouter();
  log(`backend ${backend.name}`);
  const methods = args.methods.split(',').map((m) => m.trim());
  for (const m of methods) {
    if (!(METHODS as readonly string[]).includes(m)) {
      throw new Error(
        `@automl-ts/example-swp: --methods has ${JSON.stringify(m)}; known: ${METHODS.join(', ')}`,
      );
    }
  }
  const seeds = args.seeds.split(',').map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s)))
    throw new Error(`@automl-ts/example-swp: --seeds must be integers, got ${JSON.stringify(args.seeds)}`);
  const data = await loadCifarSplits({
    valPerClass: args['val-per-class'],
    ...(args['data-dir'] === undefined ? {} : { dataDir: args['data-dir'] }),
    ...(args.limit === undefined ? {} : { limit: args.limit }),
  });
  log(
    `CIFAR-10: ${data.train.labels.length} training, ${data.val.labels.length} validation (held out), ${data.test.labels.length} test images`,
  );
  const teacherDir = join(args['teachers-dir'] ?? join(EXAMPLE_DIR, 'teachers'), args.teacher);
  const maxBatches = args['max-batches'] === undefined ? {} : { maxBatchesPerEpoch: args['max-batches'] };
  if (args.step !== 'compare') {
    const record = await trainTeacher({
      name: args.teacher as TeacherName,
      data,
      outDir: teacherDir,
      epochs: args['teacher-epochs'],
      batchSize: args['batch-size'],
      learningRate: args['teacher-lr'],
      width: args.width,
      from: EXAMPLE_DIR,
      ...maxBatches,
      onEpoch: (e) =>
        log(
          `teacher ${args.teacher}: epoch ${e.epoch}/${e.epochs} loss ${e.meanLoss.toFixed(3)} ${e.seconds.toFixed(1)} s (${(e.seconds / Math.max(e.steps, 1)).toFixed(3)} s/step)`,
        ),
    });
    log(
      `teacher ${args.teacher}: val ${(100 * (record.summary['val/correct']?.mean ?? 0)).toFixed(2)}%, test ${(100 * (record.summary['test/correct']?.mean ?? 0)).toFixed(2)}%, saved in ${teacherDir}`,
    );
  }
  if (args.step !== 'teachers') {
    const { directory } = resolveResultsDirectory({
      exampleDir: EXAMPLE_DIR,
      requested: args.results,
      commit: args['commit-results'] === true,
    });
    await runSwpPipeline({
      teacherDir,
      data,
      runsDir: args.runs ?? join(EXAMPLE_DIR, 'runs'),
      resultsDir: directory,
      methods: methods as Method[],
      seeds,
      macsRatio: args.macs,
      supernetIterations: args.iterations,
      batchSize: args['batch-size'],
      searchEvaluations: args['search-evaluations'],
      populationSize: args.population,
      calibrationBatches: args['calibration-batches'],
      fineTuneEpochs: args['fine-tune-epochs'],
      fineTuneLearningRate: args['fine-tune-lr'],
      correlationArchs: args['correlation-archs'],
      correlationEpochs: args['correlation-epochs'],
      from: EXAMPLE_DIR,
      log,
      ...maxBatches,
    });
    log(`results in ${directory}`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
