// pnpm --filter @automl-ts/example-repnas start -- [options]: the RepNAS comparison on CIFAR-10.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@automl-ts/core';
import { REPNET_PRESETS, type RepNetForm } from '@automl-ts/rep-blocks';
import { defineCommand, resolveResultsDirectory } from '@automl-ts/report';
import { FORMS, runPipeline } from './pipeline.js';
import { measureStepTimes } from './step-times.js';

const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url));

const command = defineCommand({
  name: '@automl-ts/example-repnas',
  usage: 'pnpm --filter @automl-ts/example-repnas start -- [options]',
  description:
    'Trains one RepVGG-style backbone as plain convs, RepVGG, ACNet, DBB and RepNAS-searched ODBB blocks on CIFAR-10, fuses each into the same plain net, and reports accuracy (3 seeds), training cost, MACs and latency. Resumable: rerun the same command.',
  options: {
    forms: { type: 'string', default: FORMS.join(','), description: 'comma-separated forms to train' },
    seeds: { type: 'string', default: '0,1,2', description: 'comma-separated seeds' },
    size: {
      type: 'choice',
      choices: Object.keys(REPNET_PRESETS),
      default: 'cifar-small',
      description: 'backbone preset',
    },
    epochs: {
      type: 'integer',
      min: 1,
      default: 10,
      description: 'training epochs of every run (RepNAS fractions refer to them)',
    },
    'batch-size': { type: 'integer', min: 1, default: 64, description: 'minibatch size' },
    'val-fraction': {
      type: 'number',
      greaterThan: 0,
      default: 0.1,
      description: 'fraction of the training set held out for model selection',
    },
    limit: { type: 'integer', min: 10, description: 'use only the first N training images (quick runs)' },
    'data-dir': {
      type: 'path',
      description: 'CIFAR-10 binary folder',
      defaultText:
        '$AUTOML_DATA_DIR/cifar10/cifar-10-batches-bin or ../shared/data/cifar10/cifar-10-batches-bin',
    },
    'image-folder': { type: 'path', description: 'your own images (a folder per class) instead of CIFAR-10' },
    backend: {
      type: 'choice',
      choices: ['auto', 'wasm', 'cpu'],
      default: 'wasm',
      description: 'TF.js backend',
    },
    'checkpoint-every': { type: 'integer', min: 1, default: 200, description: 'steps between checkpoints' },
    'stop-after-step': {
      type: 'integer',
      min: 1,
      description: 'stop every run after this step (resume later)',
    },
    'odbb-retrain': {
      type: 'boolean',
      description:
        'retrain the searched ODBB architecture from scratch instead of fusing the searched weights',
    },
    'measure-steps': {
      type: 'integer',
      min: 1,
      description: 'only measure the training step time of each form over this many steps, then exit',
    },
    results: {
      type: 'path',
      description: 'results folder',
      defaultText: 'runs/results (results/ with --commit-results)',
    },
    'commit-results': { type: 'boolean', description: 'write into the committed results/' },
  },
});

const args = command.parse(process.argv.slice(2));
if (args === undefined) {
  console.log(command.help());
} else {
  const backend = await initBackend({ prefer: args.backend as 'auto' | 'wasm' | 'cpu' });
  console.error(`backend: ${backend.name} (${backend.threads} thread(s))`);
  const forms = String(args.forms)
    .split(',')
    .map((f) => f.trim()) as RepNetForm[];
  for (const form of forms) {
    if (!FORMS.includes(form))
      throw new Error(`@automl-ts/example-repnas: --forms has "${form}"; known: ${FORMS.join(', ')}`);
  }
  const seeds = String(args.seeds)
    .split(',')
    .map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new Error(`@automl-ts/example-repnas: --seeds must be integers >= 0, got "${args.seeds}"`);
  const cifarDir =
    args['data-dir'] ??
    (process.env['AUTOML_DATA_DIR'] === undefined
      ? join(EXAMPLE_DIR, '..', '..', '..', 'shared', 'data', 'cifar10', 'cifar-10-batches-bin')
      : join(process.env['AUTOML_DATA_DIR'], 'cifar10', 'cifar-10-batches-bin'));
  const data = {
    cifarDir,
    ...(args['image-folder'] === undefined ? {} : { imageFolder: args['image-folder'] }),
    valFraction: args['val-fraction'] as number,
    splitSeed: 0,
    ...(args.limit === undefined ? {} : { limit: args.limit }),
  };
  if (args['measure-steps'] !== undefined) {
    await measureStepTimes({
      forms,
      size: args.size as string,
      batchSize: args['batch-size'] as number,
      steps: args['measure-steps'],
      data,
      log: console.log,
    });
  } else {
    const { directory } = resolveResultsDirectory({
      exampleDir: EXAMPLE_DIR,
      requested: args.results,
      commit: args['commit-results'] === true,
    });
    await runPipeline({
      forms,
      seeds,
      size: args.size as string,
      epochs: args.epochs as number,
      batchSize: args['batch-size'] as number,
      data,
      resultsDir: directory,
      checkpointDir: join(EXAMPLE_DIR, 'runs', 'checkpoints'),
      checkpointEvery: args['checkpoint-every'] as number,
      ...(args['stop-after-step'] === undefined ? {} : { stopAfterStep: args['stop-after-step'] }),
      retrainSearched: args['odbb-retrain'] === true,
      exampleDir: EXAMPLE_DIR,
      log: (line) => console.log(line),
    });
    console.log(`results in ${directory}`);
  }
}
