// GraphPruning speed on the current backend (wasm by default): one PruningNet training step (weights
// generated for a random width vector) over one plain training step of the teacher at full width,
// measured in the same run; one DDPG episode of the width search without its reward evaluation, and
// the reward evaluation (BN recalibration + validation) on its own. ResNet-20 on CIFAR-sized inputs.
//
//   pnpm --filter @automl-ts/graph-pruning bench [--batch 64] [--runs 5] [--backend wasm]
import { parseArgs } from 'node:util';
import {
  Adam,
  type Architecture,
  createModel,
  initBackend,
  toChannelSupernet,
  trainStep,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { evaluateSubnet, PruningNet, searchWidths, trainPruningNet } from '../src/index.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '64' },
    runs: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const batchSize = Number(values.batch);
const runs = Number(values.runs);
const backend = await initBackend({ prefer: values.backend as 'wasm' });
const inputShape = [32, 32, 3] as const;
const batch = {
  x: tf.randomNormal([batchSize, ...inputShape], 0, 1, 'float32', 0),
  y: tf.tensor1d(
    Array.from({ length: batchSize }, (_, i) => i % 10),
    'int32',
  ),
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timeIt(run: () => Promise<void> | void): Promise<number> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    samples.push((performance.now() - start) / 1000);
  }
  return median(samples);
}

const teacher = createModel('resnet20');
const plainOptimizer = new Adam(teacher.namedParameters(), { learningRate: 1e-3 });
const plain = await timeIt(() => {
  trainStep(teacher, plainOptimizer, batch);
});
const net = new PruningNet(toChannelSupernet(teacher, { inputShape }), { inputShape });
// One training run; each step's time is the gap between consecutive step events (the first is warm-up).
const stamps: number[] = [];
await trainPruningNet(net, () => batch, {
  steps: runs + 2,
  seed: 0,
  onStep: () => stamps.push(performance.now()),
});
const pruningStep = median(stamps.slice(1).map((t, i) => (t - (stamps[i] as number)) / 1000));

const calibration = [batch];
const validation = [batch];
let evalSeconds = 0;
let evalCount = 0;
const evaluate = async (arch: Architecture) => {
  const start = performance.now();
  const { accuracy } = await evaluateSubnet(net, arch, { calibration, validation });
  evalSeconds += (performance.now() - start) / 1000;
  evalCount += 1;
  return accuracy;
};
const episodes = runs + 2;
const start = performance.now();
await searchWidths(net, { evaluate, episodes, warmupEpisodes: 1, seed: 0, agent: { batchSize: 8 } });
const total = (performance.now() - start) / 1000;
const episodeSeconds = (total - evalSeconds) / episodes;
const evalPerEpisode = evalSeconds / evalCount;

const rows = [
  { name: 'plain-step', metric: 'seconds', value: plain, unit: 's' },
  { name: 'pruningnet-step', metric: 'seconds', value: pruningStep, unit: 's' },
  { name: 'pruningnet-step', metric: 'over_plain_step', value: pruningStep / plain, unit: 'x' },
  { name: 'ddpg-episode', metric: 'seconds', value: episodeSeconds, unit: 's' },
  { name: 'ddpg-episode', metric: 'eval_seconds', value: evalPerEpisode, unit: 's' },
];
console.log(
  `GraphPruning on ${backend.name} (${backend.threads ?? 1} threads), ResNet-20, batch ${batchSize}, ${runs} runs`,
);
console.log('name              metric            value');
for (const r of rows)
  console.log(`${r.name.padEnd(18)}${r.metric.padEnd(18)}${r.value.toFixed(3)} ${r.unit}`);
for (const r of rows) console.log(`BENCH ${JSON.stringify({ ...r, backend: backend.name })}`);
