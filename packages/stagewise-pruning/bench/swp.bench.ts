// SWP benchmarks (issue 13): one stage-wise sandwich iteration (full + tiny + 2 random) over one
// plain training step of the full network, the same for the one-stage supernet, the seconds of one
// architecture evaluation with BN recalibration, and the peak tensor memory of both trainings.
// Figures that compare two things are measured in the same run, alternating.
import {
  type Batch,
  createResNetCifar,
  initBackend,
  type Module,
  SGD,
  type Supernet,
  toChannelSupernet,
  trainStep,
} from '@automl-ts/core';
import { createWidthEvaluator, trainStagewise, uniformArchitecture } from '@automl-ts/stagewise-pruning';
import * as tf from '@tensorflow/tfjs';

const ROUNDS = Number(process.env['SWP_BENCH_ROUNDS'] ?? 3);
const BATCH = Number(process.env['SWP_BENCH_BATCH'] ?? 32);

function benchLine(figure: {
  name: string;
  backend: string;
  metric: string;
  value: number;
  unit: string;
}): void {
  console.log(`BENCH ${JSON.stringify(figure)}`);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const backend = await initBackend({
  prefer: (process.env['SWP_BENCH_BACKEND'] as 'auto' | undefined) ?? 'auto',
});
const name = backend.name;
const teacher: Module = createResNetCifar({ depth: 20, numClasses: 10 });
const batch: Batch = {
  x: tf.randomNormal([BATCH, 32, 32, 3], 0, 1, 'float32', 1),
  y: tf.tensor1d(
    Array.from({ length: BATCH }, (_, i) => i % 10),
    'int32',
  ),
};
const stagewise: Supernet = toChannelSupernet(teacher, { inputShape: [32, 32, 3] });
const oneStage: Supernet = toChannelSupernet(teacher, { inputShape: [32, 32, 3] });
const optimizer = new SGD(teacher.namedParameters(), { learningRate: 0.01, momentum: 0.9 });

const timed = async (fn: () => unknown | Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
};
let seed = 0;
const iteration = (net: Supernet, split: 'resolution' | 'single') => () =>
  trainStagewise(net, teacher, () => [batch], { iterations: 1, split, seed: seed++ });

// Warm-up, then alternate.
trainStep(teacher, optimizer, batch);
await iteration(stagewise, 'resolution')();
await iteration(oneStage, 'single')();
const plain: number[] = [];
const swp: number[] = [];
const one: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  plain.push(await timed(() => trainStep(teacher, optimizer, batch)));
  swp.push(await timed(iteration(stagewise, 'resolution')));
  one.push(await timed(iteration(oneStage, 'single')));
}

const peak = async (net: Supernet, split: 'resolution' | 'single'): Promise<number> =>
  (
    await tf.profile(async () => {
      await iteration(net, split)();
    })
  ).peakBytes /
  2 ** 20;
const peakStagewise = await peak(stagewise, 'resolution');
const peakOneStage = await peak(oneStage, 'single');

// Evaluation as the search runs it: BN recalibration on 10 batches of 64 training images, then
// top-1 over 2,000 validation images (the paper's 200 per class).
const calibration = Array.from({ length: 10 }, (_, i) => ({
  x: tf.randomNormal([64, 32, 32, 3], 0, 1, 'float32', 10 + i),
  y: tf.zeros([64], 'int32'),
}));
const validation = Array.from({ length: 8 }, (_, i) => ({
  x: tf.randomNormal([250, 32, 32, 3], 0, 1, 'float32', 30 + i),
  y: tf.zeros([250], 'int32'),
}));
const evaluate = createWidthEvaluator(stagewise, { calibration, validation });
const evals: number[] = [];
for (const ratio of [0.5, 0.6, 0.7].slice(0, Math.max(1, ROUNDS))) {
  evals.push(await timed(() => evaluate(uniformArchitecture(stagewise, ratio))));
}

const rows: Array<[string, string]> = [
  [`plain ResNet-20 training step (batch ${BATCH})`, `${median(plain).toFixed(3)} s`],
  ['stage-wise sandwich iteration (full + tiny + 2 random)', `${median(swp).toFixed(3)} s`],
  ['one-stage sandwich iteration', `${median(one).toFixed(3)} s`],
  ['stage-wise / plain', `${(median(swp) / median(plain)).toFixed(2)}×`],
  ['one-stage / plain', `${(median(one) / median(plain)).toFixed(2)}×`],
  ['evaluation per architecture (BN 640 images, 2,000 validation)', `${median(evals).toFixed(2)} s`],
  ['peak tensor memory, stage-wise iteration', `${peakStagewise.toFixed(1)} MB`],
  ['peak tensor memory, one-stage iteration', `${peakOneStage.toFixed(1)} MB`],
];
console.log(`\nSWP on ${name}, ResNet-20, ${ROUNDS} alternating rounds (medians)`);
for (const [what, value] of rows) console.log(`${what.padEnd(64)} ${value}`);
benchLine({
  name: 'swp-train-step',
  backend: name,
  metric: 'sandwich_over_full',
  value: median(swp) / median(plain),
  unit: 'ratio',
});
benchLine({
  name: 'swp-train-step',
  backend: name,
  metric: 'one_stage_sandwich_over_full',
  value: median(one) / median(plain),
  unit: 'ratio',
});
benchLine({
  name: 'swp-train-step',
  backend: name,
  metric: 'full_step_seconds',
  value: median(plain),
  unit: 's',
});
benchLine({
  name: 'swp-train-step',
  backend: name,
  metric: 'sandwich_seconds',
  value: median(swp),
  unit: 's',
});
benchLine({ name: 'swp-eval', backend: name, metric: 'seconds_per_arch', value: median(evals), unit: 's' });
benchLine({ name: 'swp-memory', backend: name, metric: 'peak_mb', value: peakStagewise, unit: 'MB' });
benchLine({
  name: 'swp-memory',
  backend: name,
  metric: 'one_stage_peak_mb',
  value: peakOneStage,
  unit: 'MB',
});
optimizer.dispose();
