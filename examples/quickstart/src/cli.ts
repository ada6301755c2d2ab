// The quickstart from the command line: see `--help` and the repository README.
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendPreference } from '@automl-ts/core';
import {
  buildResults,
  collectProvenance,
  createRunClock,
  defineCommand,
  formatTable,
  lineChart,
  resolveResultsDirectory,
  writeChart,
  writeResults,
} from '@automl-ts/report';
import { type ModelSummary, type QuickstartReport, runQuickstart } from './pipeline.js';

/** The example's folder. */
export const EXAMPLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The quickstart's command line. */
export const command = defineCommand({
  name: '@automl-ts/example-quickstart',
  usage: 'pnpm --filter @automl-ts/example-quickstart start -- [options]   (or: pnpm demo)',
  description:
    'automl-ts quickstart: backend self-check, train conv4 on the embedded MNIST, prune, fine-tune, export.\n' +
    'Writes the model, results.json (with provenance) and loss.svg to --out; --commit-results also writes\n' +
    'examples/quickstart/results/, the file the README figures are regenerated from.',
  options: {
    backend: {
      type: 'choice',
      choices: ['auto', 'tensorflow', 'wasm', 'cpu'],
      default: 'auto',
      description: 'TF.js backend',
    },
    'train-images': { type: 'integer', min: 64, default: 12000, description: 'training images' },
    'test-images': { type: 'integer', min: 1, default: 2000, description: 'test images' },
    epochs: { type: 'integer', min: 1, default: 3, description: 'epochs before pruning' },
    'prune-ratio': {
      type: 'number',
      greaterThan: 0,
      default: 0.5,
      description: 'fraction of each channel group removed',
    },
    seed: { type: 'integer', min: 0, default: 0, description: 'seed of the weights and the batches' },
    out: {
      type: 'path',
      description: 'output folder (model, results.json, loss.svg)',
      defaultText: 'examples/quickstart/out',
    },
    'commit-results': {
      type: 'boolean',
      description: 'also write results.json and loss.svg into the committed examples/quickstart/results/',
    },
  },
});

const row = (name: string, s: ModelSummary) => ({
  model: name,
  accuracy: (s.testAccuracy * 100).toFixed(2),
  macs: (s.macs / 1e6).toFixed(3),
  params: (s.params / 1e3).toFixed(1),
  latency: s.latencyMs.toFixed(3),
});

/** The results table of the README and the console. */
export function resultsTable(
  report: Pick<QuickstartReport, 'trained' | 'pruned'>,
  format: 'markdown' | 'terminal',
) {
  return formatTable(
    [
      { title: 'model', value: (r: ReturnType<typeof row>) => r.model },
      { title: 'test accuracy %', value: (r: ReturnType<typeof row>) => r.accuracy },
      { title: 'MACs (M)', value: (r: ReturnType<typeof row>) => r.macs },
      { title: 'params (k)', value: (r: ReturnType<typeof row>) => r.params },
      { title: 'latency ms (batch 1, median)', value: (r: ReturnType<typeof row>) => r.latency },
    ],
    [row('conv4 trained', report.trained), row('pruned + fine-tuned', report.pruned)],
    format,
  );
}

/** The loss curve chart. */
export function lossChart(report: Pick<QuickstartReport, 'losses' | 'stepsBeforePruning'>) {
  return lineChart({
    title: 'Training loss, conv4 on embedded MNIST',
    x: { title: 'step', zero: true },
    y: { title: 'cross-entropy', zero: true },
    series: [
      {
        name: 'train',
        markers: false,
        points: report.losses.slice(0, report.stepsBeforePruning).map((y, x) => ({ x, y })),
      },
      {
        name: 'fine-tune (pruned)',
        markers: false,
        points: report.losses
          .slice(report.stepsBeforePruning)
          .map((y, x) => ({ x: x + report.stepsBeforePruning, y })),
      },
    ],
  });
}

/** Runs the quickstart with `argv`; returns the output folder. */
export async function main(argv: readonly string[]): Promise<string | undefined> {
  const args = command.parse(argv);
  if (args === undefined) {
    console.log(command.help());
    return undefined;
  }
  const outDir = args.out ?? join(EXAMPLE_DIR, 'out');
  const clock = createRunClock();
  const report = await runQuickstart({
    backend: args.backend as BackendPreference,
    trainImages: args['train-images'],
    testImages: args['test-images'],
    epochs: args.epochs,
    pruneRatio: args['prune-ratio'],
    seed: args.seed,
    clock,
    onProgress: (line) => console.log(line),
  });

  if (report.kernelCheck.length > 0) {
    console.log(`\nKernel check, ${report.backend.name} vs cpu (worst ‖a−b‖/‖b‖ over random configurations)`);
    console.log(
      formatTable(
        [
          { title: 'computation', value: (r: (typeof report.kernelCheck)[number]) => r.computation },
          { title: 'configs', value: (r: (typeof report.kernelCheck)[number]) => r.configs },
          {
            title: 'max rel. error',
            value: (r: (typeof report.kernelCheck)[number]) => r.maxRelativeError.toExponential(2),
          },
        ],
        report.kernelCheck,
        'terminal',
      ),
    );
  }
  console.log(
    `\nResults on ${report.backend.name} (training step ${report.msPerTrainingStep.toFixed(1)} ms, batch 64)`,
  );
  console.log(resultsTable(report, 'terminal'));

  await mkdir(outDir, { recursive: true });
  await report.exported.save(`file://${join(outDir, 'model')}`);
  const { exported: _model, trained, pruned, ...rest } = report;
  const results = buildResults({
    pipeline: 'quickstart',
    run: `quickstart-conv4-mnist-seed${args.seed}`,
    protocol: {
      id: 'quickstart/mnist-test@1',
      description: `embedded MNIST: trained on the first ${args['train-images']} training images, scored on the first ${args['test-images']} test images`,
    },
    config: {
      backend: args.backend,
      trainImages: args['train-images'],
      testImages: args['test-images'],
      epochs: args.epochs,
      pruneRatio: args['prune-ratio'],
      seed: args.seed,
    },
    provenance: collectProvenance({
      seeds: { weightsAndBatches: args.seed },
      backend: { name: report.backend.name, threads: report.backend.threads ?? null },
      startedAt: clock.startedAt,
      phases: clock.phases(),
      from: EXAMPLE_DIR,
    }),
    outcomes: { 'trained/test-correct': trained.testCorrect, 'pruned/test-correct': pruned.testCorrect },
    data: JSON.parse(
      JSON.stringify({
        ...rest,
        trained: { ...trained, testCorrect: undefined },
        pruned: { ...pruned, testCorrect: undefined },
      }),
    ),
  });
  const targets = [outDir];
  if (args['commit-results']) {
    targets.push(resolveResultsDirectory({ exampleDir: EXAMPLE_DIR, commit: true }).directory);
  }
  for (const directory of targets) {
    await writeResults(join(directory, 'results.json'), results);
    await writeChart(join(directory, 'loss.svg'), lossChart(report));
  }
  console.log(
    `\nexported model: ${join(outDir, 'model', 'model.json')} (stock tf.LayersModel; max |Δ| vs pruned module ${report.exportMaxAbsDifference.toExponential(2)})`,
  );
  console.log(`results and loss plot written to ${targets.join(' and ')}`);
  for (const [metric, value, unit] of [
    ['test_accuracy', trained.testAccuracy, 'fraction'],
    ['pruned_test_accuracy', pruned.testAccuracy, 'fraction'],
    ['macs_ratio_pruned_over_trained', pruned.macs / trained.macs, 'ratio'],
    ['train_step_ms', report.msPerTrainingStep, 'ms'],
  ] as const) {
    console.log(
      `BENCH ${JSON.stringify({ name: 'quickstart/conv4-mnist', backend: report.backend.name, metric, value, unit })}`,
    );
  }
  report.exported.dispose();
  return outDir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    })
    // The threaded wasm backend's worker threads keep Node alive after the work is done.
    .finally(() => process.exit());
}
