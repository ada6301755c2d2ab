// AT-NAS speed on Omniglot-sized tasks (28×28×1, 5-way 1-shot, 15 queries, 5 inner steps, first order):
//   - at-nas-meta-task / supernet_over_conv4: one first-order meta-task through the DARTS-op
//     conv4-cells supernet with a sampled architecture, over the same meta-task on the fixed conv4
//     whose width gives the closest MACs to that architecture (goal <= 1.3); median over sampled
//     architectures, CPU time (other jobs on a shared machine do not inflate it);
//   - at-nas-adapt / seconds: architecture (3 generations of 4 children from a population of 10)
//     plus weight adaptation to one novel 5-way 1-shot task, wall seconds.
//
//   pnpm --filter ./examples/at-nas bench [--backend wasm|cpu] [--runs 5] [--archs 5] [--channels 32] [--shots 1]
// (--shots changes the meta-task of the first figure; the adaptation figure is always 1-shot.)

import { adaptToTask } from '@automl-ts/at-nas';
import {
  type BackendName,
  createModel,
  createRng,
  createSupernet,
  DARTS_OPS,
  initBackend,
  type Module,
  profileModel,
} from '@automl-ts/core';
import { createMetaLearner, metaStep, type SampledTask } from '@automl-ts/meta-learning';
import { formatTable } from '@automl-ts/report';
import * as tf from '@tensorflow/tfjs';

function option(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

const backend = option('--backend', 'wasm') as BackendName;
const runs = Number(option('--runs', '5'));
const archCount = Number(option('--archs', '5'));
const channels = Number(option('--channels', '32'));
const shots = Number(option('--shots', '1'));
const WAYS = 5;
const QUERIES = 15;
const SIZE = 28;
const INNER_STEPS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median CPU milliseconds of `run` after two warm-up calls. */
function cpuMs(run: () => void): number {
  for (let i = 0; i < 2; i++) run();
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    cpu.push((used.user + used.system) / 1000);
  }
  return median(cpu);
}

function syntheticTask(seed: number, shots: number): SampledTask {
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
  const support = { x: images(WAYS * shots), y: labels(shots) };
  const query = { x: images(WAYS * QUERIES), y: labels(QUERIES) };
  return { support, query, dispose: () => tf.dispose([support.x, support.y, query.x, query.y]) };
}

const macsOf = (module: Module) => profileModel(module, { inputShape: [SIZE, SIZE, 1] }).macs;

const info = await initBackend({ prefer: backend });
const task = syntheticTask(0, shots);
const supernet = createSupernet('conv4-cells', {
  inputSize: SIZE,
  numClasses: WAYS,
  channels,
  ops: DARTS_OPS,
  seed: 0,
});
const learner = createMetaLearner('fomaml', supernet, { innerLr: 0.1, innerSteps: INNER_STEPS });
const optimizer = learner.createOptimizer();
const conv4Macs = new Map<number, number>();
const conv4OfWidth = (width: number) =>
  createModel('conv4', { inputSize: SIZE, inChannels: 1, numClasses: WAYS, channels: width, seed: 0 });
for (let width = 4; width <= 128; width += 4) {
  const net = conv4OfWidth(width);
  conv4Macs.set(width, macsOf(net));
  net.dispose();
}

const rng = createRng('bench');
const rows: { arch: string; macs: number; conv4Width: number; supernetMs: number; conv4Ms: number }[] = [];
for (let a = 0; a < archCount; a++) {
  const arch = supernet.sample(rng);
  const subnet = supernet.extract(arch);
  const macs = macsOf(subnet);
  subnet.dispose();
  const width = [...conv4Macs].reduce(
    (best, [w, m]) => (Math.abs(m - macs) < Math.abs((conv4Macs.get(best) as number) - macs) ? w : best),
    4,
  );
  learner.arch = arch;
  const supernetMs = cpuMs(() => metaStep(learner, [task], optimizer));
  const conv4 = conv4OfWidth(width);
  const plain = createMetaLearner('fomaml', conv4, { innerLr: 0.1, innerSteps: INNER_STEPS });
  const plainOptimizer = plain.createOptimizer();
  const conv4Ms = cpuMs(() => metaStep(plain, [task], plainOptimizer));
  plainOptimizer.dispose();
  conv4.dispose();
  rows.push({ arch: Object.values(arch).join(' / '), macs, conv4Width: width, supernetMs, conv4Ms });
}
const ratio = median(rows.map((r) => r.supernetMs / r.conv4Ms));

// Adaptation to a novel task from a population of 10 (meta-weights as they are: the cost does not depend on training).
const population = Array.from({ length: 10 }, () => ({ architecture: supernet.sample(rng) }));
const adaptSeconds: number[] = [];
for (let i = 0; i < Math.max(1, Math.min(runs, 3)); i++) {
  const novel = syntheticTask(100 + i, 1);
  const adaptation = await adaptToTask({ learner, population }, novel.support, {
    generations: 3,
    children: 4,
    seed: i,
  });
  adaptSeconds.push(adaptation.seconds.total);
  adaptation.dispose();
  novel.dispose();
}

console.log(
  formatTable(
    [
      { title: 'sampled architecture', value: (r: (typeof rows)[number]) => r.arch },
      { title: 'MMACs', value: (r: (typeof rows)[number]) => (r.macs / 1e6).toFixed(2) },
      { title: 'conv4 width (equal MACs)', value: (r: (typeof rows)[number]) => String(r.conv4Width) },
      { title: 'supernet CPU ms', value: (r: (typeof rows)[number]) => r.supernetMs.toFixed(0) },
      { title: 'conv4 CPU ms', value: (r: (typeof rows)[number]) => r.conv4Ms.toFixed(0) },
      { title: 'ratio', value: (r: (typeof rows)[number]) => (r.supernetMs / r.conv4Ms).toFixed(2) },
    ],
    rows,
    'terminal',
  ),
);
console.log(
  `adaptation to a novel 5-way 1-shot task: ${adaptSeconds.map((s) => s.toFixed(1)).join(', ')} s (3 generations × 4 children + 10 members, ${INNER_STEPS} inner steps each)`,
);
const bench = (name: string, metric: string, value: number, unit: string) =>
  console.log(
    `BENCH ${JSON.stringify({ name, backend: info.name, metric, value: Number(value.toFixed(4)), unit })}`,
  );
bench('at-nas-meta-task', 'supernet_over_conv4', ratio, 'ratio');
bench('at-nas-meta-task', 'supernet_cpu_ms', median(rows.map((r) => r.supernetMs)), 'ms');
bench('at-nas-adapt', 'seconds', median(adaptSeconds), 's');
optimizer.dispose();
task.dispose();
supernet.dispose();
