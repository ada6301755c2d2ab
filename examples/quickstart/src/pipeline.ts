import {
  type BackendInfo,
  type BackendPreference,
  cosineSchedule,
  createModel,
  initBackend,
  type Module,
  measureLatency,
  profileModel,
  pruneByRatio,
  SGD,
  toLayersModel,
  topKCorrect,
  trainStep,
} from '@automl-ts/core';
import { createBatchLoader, type ImageDataset, loadEmbeddedDataset } from '@automl-ts/datasets';
import { createRunClock, type RunClock } from '@automl-ts/report';
import * as tf from '@tensorflow/tfjs';
import { checkKernelsAgainstCpu, type KernelCheckRow } from './kernel-check.js';

/** Options of {@link runQuickstart}. */
export interface QuickstartOptions {
  /** @default 'auto' */
  backend?: BackendPreference;
  /** Training images taken from the embedded MNIST training split. @default 12000 */
  trainImages?: number;
  /** Test images from the embedded MNIST test split. @default 2000 */
  testImages?: number;
  /** Epochs before pruning. @default 3 */
  epochs?: number;
  /** Epochs of fine-tuning after pruning. @default 1 */
  fineTuneEpochs?: number;
  /** Fraction of each channel group removed. @default 0.5 */
  pruneRatio?: number;
  /** Channels of the conv4 net. @default 32 */
  channels?: number;
  /** @default 64 */
  batchSize?: number;
  /** @default 0 */
  seed?: number;
  /** Random configurations per kernel in the wasm-vs-cpu check. @default 40 */
  kernelCheckConfigs?: number;
  /** Called with one line of progress at a time. @default no output */
  onProgress?: (line: string) => void;
  /** Times the phases (kernel check, training, fine-tuning, evaluation). @default a new clock */
  clock?: RunClock;
}

/** A model's size, speed and accuracy. */
export interface ModelSummary {
  readonly macs: number;
  readonly params: number;
  readonly latencyMs: number;
  readonly testAccuracy: number;
  /** 1 for each test image classified correctly, else 0, in test-set order. */
  readonly testCorrect: readonly number[];
}

/** Everything the quickstart measured. */
export interface QuickstartReport {
  readonly backend: BackendInfo;
  readonly kernelCheck: readonly KernelCheckRow[];
  /** Training loss per step (before pruning, then fine-tuning). */
  readonly losses: readonly number[];
  readonly stepsBeforePruning: number;
  readonly msPerTrainingStep: number;
  readonly trained: ModelSummary;
  readonly pruned: ModelSummary;
  /** The stock tf.LayersModel export of the pruned net. */
  readonly exported: tf.LayersModel;
  /** max |pruned − exported| over a test batch. */
  readonly exportMaxAbsDifference: number;
}

/**
 * The README's main job on the embedded MNIST: pick the backend, check the wasm kernels
 * against cpu, train a conv4 net with automl-ts's training loop, prune half its channels for
 * real (L1 criterion, dependency groups), fine-tune, and export a stock `tf.LayersModel`.
 */
export async function runQuickstart(options: QuickstartOptions = {}): Promise<QuickstartReport> {
  const log = options.onProgress ?? (() => {});
  const batchSize = options.batchSize ?? 64;
  const seed = options.seed ?? 0;
  const clock = options.clock ?? createRunClock();
  const backend = await initBackend({ prefer: options.backend ?? 'auto' });
  log(
    `backend: ${backend.name} (${backend.package}, device ${backend.device}, simd ${backend.simd}, threads ${backend.threads})`,
  );

  const kernelCheck =
    backend.name === 'cpu'
      ? []
      : await clock.time('kernel-check', () =>
          checkKernelsAgainstCpu(backend.name, options.kernelCheckConfigs ?? 40, seed),
        );
  if (kernelCheck.length > 0) {
    const worst = Math.max(...kernelCheck.map((r) => r.maxRelativeError));
    log(
      `kernel check vs cpu: ${kernelCheck.length} computations, worst relative error ${worst.toExponential(2)}`,
    );
  }

  const train = await loadEmbeddedDataset({ split: 'train', limit: options.trainImages ?? 12000 });
  const test = await loadEmbeddedDataset({ split: 'test', limit: options.testImages ?? 2000 });
  const normalization = { mean: [0.1307], std: [0.3081] };
  const loader = createBatchLoader(train, {
    batchSize,
    seed,
    labels: 'int',
    dropLast: true,
    normalize: normalization,
  });
  log(`data: embedded MNIST, ${train.size} training and ${test.size} test images`);

  const inputShape = [28, 28, 1];
  const model = createModel('conv4', {
    inputSize: 28,
    inChannels: 1,
    numClasses: 10,
    channels: options.channels ?? 32,
    seed,
  });
  const losses: number[] = [];
  const stepsPerEpoch = Math.floor(train.size / batchSize);

  const runEpochs = async (net: Module, epochs: number, baseLearningRate: number, label: string) => {
    const optimizer = new SGD(net.namedParameters(), {
      learningRate: baseLearningRate,
      momentum: 0.9,
      weightDecay: 5e-4,
    });
    const schedule = cosineSchedule({
      baseLearningRate,
      totalSteps: epochs * stepsPerEpoch,
      warmupSteps: Math.min(50, Math.floor((epochs * stepsPerEpoch) / 10)),
    });
    const started = performance.now();
    let steps = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      for await (const batch of loader) {
        optimizer.learningRate = schedule(optimizer.iterations);
        const { loss } = trainStep(net, optimizer, batch);
        batch.dispose();
        losses.push(loss);
        steps++;
        if (steps % 20 === 0 || steps === epochs * stepsPerEpoch) {
          log(
            `${label} epoch ${epoch + 1}/${epochs} step ${steps}/${epochs * stepsPerEpoch} loss ${loss.toFixed(4)}`,
          );
        }
      }
    }
    optimizer.dispose();
    return (performance.now() - started) / steps;
  };

  const evaluate = (net: Module): Promise<ModelSummary> =>
    clock.time('evaluation', async () => {
      const profile = profileModel(net, { inputShape });
      const latency = await measureLatency(net, inputShape, { warmup: 3, runs: 20 });
      const testCorrect = await testOutcomes(net, test, batchSize, normalization);
      return {
        macs: profile.macs,
        params: profile.params,
        latencyMs: latency.median,
        testAccuracy: testCorrect.reduce((a, b) => a + b, 0) / testCorrect.length,
        testCorrect,
      };
    });

  const msPerTrainingStep = await clock.time('training', () =>
    runEpochs(model, options.epochs ?? 3, 0.05, 'train'),
  );
  const stepsBeforePruning = losses.length;
  const trained = await evaluate(model);
  log(
    `trained: test accuracy ${(trained.testAccuracy * 100).toFixed(2)}%, ${(trained.macs / 1e6).toFixed(2)}M MACs`,
  );

  const pruned = pruneByRatio(model, { ratio: options.pruneRatio ?? 0.5, inputShape });
  log(
    `pruned ${((options.pruneRatio ?? 0.5) * 100).toFixed(0)}% of every channel group: ${model.countParameters()} → ${pruned.countParameters()} parameters`,
  );
  await clock.time('fine-tuning', () => runEpochs(pruned, options.fineTuneEpochs ?? 1, 0.01, 'fine-tune'));
  const prunedSummary = await evaluate(pruned);
  log(`pruned + fine-tuned: test accuracy ${(prunedSummary.testAccuracy * 100).toFixed(2)}%`);

  const exported = toLayersModel(pruned, { inputShape });
  const exportMaxAbsDifference = tf.tidy(() => {
    const x = tf.randomNormal([8, ...inputShape], 0, 1, 'float32', seed);
    return tf.max(tf.abs(tf.sub(pruned.apply(x), exported.predict(x) as tf.Tensor))).dataSync()[0]!;
  });
  model.dispose();
  pruned.dispose();
  return {
    backend,
    kernelCheck,
    losses,
    stepsBeforePruning,
    msPerTrainingStep,
    trained,
    pruned: prunedSummary,
    exported,
    exportMaxAbsDifference,
  };
}

/** Top-1 correctness (1 or 0) of every image of a dataset, normalised like the training data. */
async function testOutcomes(
  net: Module,
  data: ImageDataset,
  batchSize: number,
  normalize: { mean: number[]; std: number[] },
): Promise<number[]> {
  const correct: number[] = [];
  for await (const batch of createBatchLoader(data, {
    batchSize,
    shuffle: false,
    labels: 'int',
    normalize,
  })) {
    const logits = net.apply(batch.x);
    const hits = tf.tidy(() => tf.equal(tf.argMax(logits, 1), tf.cast(batch.y, 'int32')));
    const count = topKCorrect(logits, batch.y, 1);
    const perImage: number[] = Array.from(hits.dataSync() as Uint8Array, (hit) => (hit ? 1 : 0));
    // The per-image outcomes must add up to core's top-1 count.
    if (perImage.reduce((a, b) => a + b, 0) !== count)
      throw new Error('quickstart: per-image accuracy disagrees with topKCorrect');
    correct.push(...perImage);
    hits.dispose();
    logits.dispose();
    batch.dispose();
  }
  return correct;
}
