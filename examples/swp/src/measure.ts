// Sizing: times one training step of the teacher, one stage-wise and one one-stage supernet
// iteration (full + tiny + 2 random), and one architecture evaluation (extract, BN recalibration,
// validation), on random CIFAR-sized data, so that the real runs can be budgeted.
// Run: pnpm --filter @automl-ts/example-swp exec tsx src/measure.ts [teacher] [backend] [batch] [steps]
import {
  architectureCost,
  type Batch,
  initBackend,
  SGD,
  toChannelSupernet,
  trainStep,
} from '@automl-ts/core';
import { createWidthEvaluator, trainStagewise, uniformArchitecture } from '@automl-ts/stagewise-pruning';
import * as tf from '@tensorflow/tfjs';
import { buildTeacher, CIFAR_INPUT_SHAPE, type TeacherName } from './teachers.js';

const [name = 'resnet20', backendName = 'auto', batchText = '64', stepsText = '3'] = process.argv.slice(2);
const batchSize = Number(batchText);
const steps = Number(stepsText);
const backend = await initBackend({ prefer: backendName as 'auto' });
const batch = (seed: number): Batch => ({
  x: tf.randomNormal([batchSize, ...CIFAR_INPUT_SHAPE], 0, 1, 'float32', seed),
  y: tf.tensor1d(
    Array.from({ length: batchSize }, (_, i) => (i + seed) % 10),
    'int32',
  ),
});
const batches = [batch(1), batch(2)];
const teacher = buildTeacher(name as TeacherName);
const time = async (fn: () => unknown | Promise<unknown>): Promise<number> => {
  await fn(); // warm-up
  const started = performance.now();
  for (let i = 0; i < steps; i++) await fn();
  return (performance.now() - started) / 1000 / steps;
};
const optimizer = new SGD(teacher.namedParameters(), { learningRate: 0.01, momentum: 0.9 });
const plain = await time(() => trainStep(teacher, optimizer, batches[0] as Batch));
const perIteration = async (split: 'resolution' | 'single') => {
  const supernet = toChannelSupernet(teacher, { inputShape: CIFAR_INPUT_SHAPE });
  let done = 0;
  const t = await time(async () => {
    done += 1;
    await trainStagewise(supernet, teacher, () => batches.slice(0, 1), { iterations: 1, split, seed: done });
  });
  supernet.dispose();
  return t;
};
const stagewise = await perIteration('resolution');
const oneStage = await perIteration('single');
const supernet = toChannelSupernet(teacher, { inputShape: CIFAR_INPUT_SHAPE });
const calibration = Array.from({ length: 10 }, (_, i) => ({
  x: tf.randomNormal([64, ...CIFAR_INPUT_SHAPE], 0, 1, 'float32', 10 + i),
  y: tf.zeros([64], 'int32'),
}));
const validation = Array.from({ length: 8 }, (_, i) => ({
  x: tf.randomNormal([250, ...CIFAR_INPUT_SHAPE], 0, 1, 'float32', 30 + i),
  y: tf.zeros([250], 'int32'),
}));
let ratio = 0.3;
const evaluation = await time(async () => {
  ratio = ratio >= 0.9 ? 0.3 : ratio + 0.1;
  const evaluate = createWidthEvaluator(supernet, { calibration, validation });
  await evaluate(uniformArchitecture(supernet, ratio));
});
const macs = architectureCost(supernet, supernet.largestArchitecture()).macs;
console.log(
  `backend ${backend.name}, ${name} (${(macs / 1e6).toFixed(1)} M MACs), batch ${batchSize}, ${steps} timed runs each`,
);
console.log(
  `teacher training step        ${plain.toFixed(3)} s  → epoch of 48,000 images ${((plain * 48000) / batchSize / 60).toFixed(1)} min`,
);
console.log(
  `stage-wise sandwich iteration ${stagewise.toFixed(3)} s  (${(stagewise / plain).toFixed(2)}× a plain step)`,
);
console.log(
  `one-stage sandwich iteration  ${oneStage.toFixed(3)} s  (${(oneStage / plain).toFixed(2)}× a plain step)`,
);
console.log(
  `evaluation per architecture   ${evaluation.toFixed(3)} s  (BN on 10×64 training images, 2,000 validation images)`,
);
