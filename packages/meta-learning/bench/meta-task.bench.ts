// Cost of one meta-task on the few-shot backbone: conv4 (64 filters) on 28×28×1 images (Omniglot
// size), 5-way 1-shot 15-query, one inner step (MAML's Omniglot training setting). Compared, in the
// same run and on the same 80 images:
//   - a plain training step (core's trainStep, Adam) on support + query;
//   - a first-order MAML meta-task (inner step on the support set, query gradient at φ);
//   - a second-order MAML meta-task (the outer gradient through the inner step);
//   - for reference: ANIL (second order), Meta-SGD, Reptile (5 inner Adam steps), ProtoNet.
// Times are medians after warm-up, as wall clock and as CPU time of this process; the ratios use
// CPU time, which other jobs on a shared machine do not inflate (wasm runs on one thread in Node).
//
//   pnpm --filter @automl-ts/meta-learning bench [--backend wasm|cpu] [--runs 10] [--channels 64]

import { Adam, type BackendName, createModel, createRng, initBackend, trainStep } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { createMetaLearner, type MetaLearner, metaStep, type SampledTask } from '../src/index.js';

function option(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

const backend = option('--backend', 'wasm') as BackendName;
const runs = Number(option('--runs', '10'));
const channels = Number(option('--channels', '64'));
const WAYS = 5;
const SHOTS = 1;
const QUERIES = 15;
const SIZE = 28;

interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function time(run: () => void): Timing {
  for (let i = 0; i < 2; i++) run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    run();
    wall.push(performance.now() - wallStart);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

function syntheticTask(seed: number): SampledTask {
  const rng = createRng(seed);
  const images = (n: number) =>
    tf.tensor4d(
      Float32Array.from({ length: n * SIZE * SIZE }, () => (rng.next() < 0.15 ? 1 : 0)),
      [n, SIZE, SIZE, 1],
    );
  const labels = (perClass: number) =>
    tf.tensor1d(
      Array.from({ length: WAYS * perClass }, (_, i) => Math.floor(i / perClass)),
      'int32',
    );
  const support = { x: images(WAYS * SHOTS), y: labels(SHOTS) };
  const query = { x: images(WAYS * QUERIES), y: labels(QUERIES) };
  return { support, query, dispose: () => tf.dispose([support.x, support.y, query.x, query.y]) };
}

const info = await initBackend({ prefer: backend });
const conv4 = () =>
  createModel('conv4', { inputSize: SIZE, inChannels: 1, numClasses: WAYS, channels, seed: 0 });
const task = syntheticTask(0);

const plainModule = conv4();
const plainOptimizer = new Adam(plainModule.namedParameters(), { learningRate: 1e-3 });
const x = tf.concat([task.support.x, task.query.x]);
const y = tf.concat([task.support.y, task.query.y]);
const plain = time(() => {
  trainStep(plainModule, plainOptimizer, { x, y });
});

function metaTaskTiming(name: string, options: Record<string, unknown>): Timing {
  const module = conv4();
  const learner: MetaLearner = createMetaLearner(name, module, options);
  const optimizer = learner.createOptimizer();
  const timing = time(() => {
    metaStep(learner, [task], optimizer);
  });
  optimizer.dispose();
  learner.dispose();
  module.dispose();
  return timing;
}

const rows: Array<{ name: string; timing: Timing }> = [
  { name: 'plain training step (80 images)', timing: plain },
  { name: 'first-order MAML meta-task', timing: metaTaskTiming('fomaml', { innerLr: 0.4, innerSteps: 1 }) },
  { name: 'second-order MAML meta-task', timing: metaTaskTiming('maml', { innerLr: 0.4, innerSteps: 1 }) },
  { name: 'ANIL meta-task (second order)', timing: metaTaskTiming('anil', { innerLr: 0.4, innerSteps: 1 }) },
  {
    name: 'Meta-SGD meta-task (second order)',
    timing: metaTaskTiming('metasgd', { innerLr: 0.4, innerSteps: 1 }),
  },
  { name: 'Reptile meta-task (5 inner steps)', timing: metaTaskTiming('reptile', {}) },
  { name: 'ProtoNet meta-task', timing: metaTaskTiming('protonet', {}) },
];

const cpuOf = (name: string) => rows.find((row) => row.name === name)?.timing.cpuMs as number;
const foOverPlain = cpuOf('first-order MAML meta-task') / cpuOf('plain training step (80 images)');
const soOverFo = cpuOf('second-order MAML meta-task') / cpuOf('first-order MAML meta-task');

const header = ['', 'wall ms', 'cpu ms', '× plain step'];
const table = rows.map((row) => [
  row.name,
  row.timing.wallMs.toFixed(1),
  row.timing.cpuMs.toFixed(1),
  (row.timing.cpuMs / plain.cpuMs).toFixed(2),
]);
const widths = header.map((cell, i) =>
  Math.max(cell.length, ...table.map((row) => (row[i] as string).length)),
);
const line = (cells: readonly string[]) =>
  cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)))
    .join('  ');
console.log(
  `\nOne meta-task on conv4-${channels} (28×28×1), ${WAYS}-way ${SHOTS}-shot ${QUERIES}-query, one inner step; backend ${info.name}${info.simd ? ' (SIMD)' : ''}, ${runs} runs, medians`,
);
console.log(line(header));
console.log(widths.map((width) => '-'.repeat(width)).join('  '));
for (const row of table) console.log(line(row));
console.log(
  `\nfirst-order MAML / plain step: ${foOverPlain.toFixed(2)} (target ≤ 2.5); second-order / first-order MAML: ${soOverFo.toFixed(2)}\n`,
);
const bench = (metric: string, value: number) =>
  console.log(
    `BENCH ${JSON.stringify({ name: 'meta-task-cost', backend: info.name, metric, value: Number(value.toFixed(3)), unit: 'ratio' })}`,
  );
bench('fomaml_over_train_step', foOverPlain);
bench('maml2_over_fomaml', soOverFo);

tf.dispose([x, y]);
task.dispose();
plainOptimizer.dispose();
plainModule.dispose();
