import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendPreference } from '@automl-ts/core';
import { runQuickstart } from './pipeline.js';
import { lineChartSvg } from './svg-chart.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    'train-images': { type: 'string', default: '12000' },
    'test-images': { type: 'string', default: '2000' },
    epochs: { type: 'string', default: '3' },
    'prune-ratio': { type: 'string', default: '0.5' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'out' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`automl-ts quickstart: backend self-check, train conv4 on the embedded MNIST, prune, fine-tune, export.

  --backend auto|tensorflow|wasm|cpu   (default auto)
  --train-images N  --test-images N    (default 12000, 2000)
  --epochs N                           (default 3)
  --prune-ratio R                      fraction of each channel group removed (default 0.5)
  --seed N                             (default 0)
  --out DIR                            report.json, loss.svg and the exported model (default out)`);
  process.exit(0);
}

const number = (name: string, text: string | undefined): number => {
  const value = Number(text);
  if (!Number.isFinite(value)) {
    console.error(`@automl-ts/example-quickstart: --${name} must be a number, got "${text}"`);
    process.exit(2);
  }
  return value;
};

const outDir = resolve(values.out ?? 'out');
const report = await runQuickstart({
  backend: values.backend as BackendPreference,
  trainImages: number('train-images', values['train-images']),
  testImages: number('test-images', values['test-images']),
  epochs: number('epochs', values.epochs),
  pruneRatio: number('prune-ratio', values['prune-ratio']),
  seed: number('seed', values.seed),
  onProgress: (line) => console.log(line),
});

if (report.kernelCheck.length > 0) {
  console.log(`\nKernel check, ${report.backend.name} vs cpu (worst ‖a−b‖/‖b‖ over random configurations)`);
  console.table(
    report.kernelCheck.map((r) => ({
      computation: r.computation,
      configs: r.configs,
      'max rel. error': r.maxRelativeError.toExponential(2),
    })),
  );
}

const row = (name: string, s: typeof report.trained) => ({
  model: name,
  'test accuracy %': (s.testAccuracy * 100).toFixed(2),
  'MACs (M)': (s.macs / 1e6).toFixed(3),
  'params (k)': (s.params / 1e3).toFixed(1),
  'latency ms (batch 1, median)': s.latencyMs.toFixed(3),
});
console.log(
  `\nResults on ${report.backend.name} (training step ${report.msPerTrainingStep.toFixed(1)} ms, batch 64)`,
);
console.table([row('conv4 trained', report.trained), row('pruned + fine-tuned', report.pruned)]);

mkdirSync(outDir, { recursive: true });
await report.exported.save(`file://${resolve(outDir, 'model')}`);
const { exported: _model, ...json } = report;
writeFileSync(resolve(outDir, 'report.json'), `${JSON.stringify(json, null, 2)}\n`);
writeFileSync(
  resolve(outDir, 'loss.svg'),
  lineChartSvg('Training loss, conv4 on embedded MNIST', 'step', 'cross-entropy', [
    {
      name: 'train',
      points: report.losses.slice(0, report.stepsBeforePruning).map((y, x) => [x, y] as const),
    },
    {
      name: 'fine-tune (pruned)',
      points: report.losses
        .slice(report.stepsBeforePruning)
        .map((y, x) => [x + report.stepsBeforePruning, y] as const),
    },
  ]),
);
console.log(
  `\nexported model: ${resolve(outDir, 'model', 'model.json')} (stock tf.LayersModel; max |Δ| vs pruned module ${report.exportMaxAbsDifference.toExponential(2)})`,
);
console.log(`report: ${resolve(outDir, 'report.json')}, plot: ${resolve(outDir, 'loss.svg')}`);
for (const [metric, value, unit] of [
  ['test_accuracy', report.trained.testAccuracy, 'fraction'],
  ['pruned_test_accuracy', report.pruned.testAccuracy, 'fraction'],
  ['macs_ratio_pruned_over_trained', report.pruned.macs / report.trained.macs, 'ratio'],
  ['train_step_ms', report.msPerTrainingStep, 'ms'],
] as const) {
  console.log(
    `BENCH ${JSON.stringify({ name: 'quickstart/conv4-mnist', backend: report.backend.name, metric, value, unit })}`,
  );
}
