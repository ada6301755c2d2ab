// CIFAR-10 (or an image folder) for the RepNAS pipeline: a validation split held out of the
// training set for model selection, the test batch for the final numbers only, per-channel
// normalisation from the training part, and batches that depend only on (seed, step) so that a
// resumed run sees exactly the data the uninterrupted run would have.
import { createRng } from '@automl-ts/core';
import { type ImageDataset, loadCifar10, loadImageFolder, splitDataset } from '@automl-ts/datasets';
import * as tf from '@tensorflow/tfjs';

/** The three parts of the data. */
export interface PipelineData {
  readonly train: ImageDataset;
  /** Held out of the training set: model selection only. */
  readonly val: ImageDataset;
  /** CIFAR-10's test_batch.bin (or the folder's test part): final numbers only. */
  readonly test: ImageDataset;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly numClasses: number;
}

/** Options of {@link loadPipelineData}. */
export interface DataOptions {
  /** CIFAR-10 binary folder (holding data_batch_1.bin … test_batch.bin). */
  readonly cifarDir?: string;
  /** A user's image folder (one sub-folder per class), split 80/10/10 instead. */
  readonly imageFolder?: string;
  /** Fraction of the training images held out for validation. */
  readonly valFraction: number;
  /** Seed of the validation split. */
  readonly splitSeed: number;
  /** Use only the first N training (and N/5 test) images: quick runs and tests. */
  readonly limit?: number;
}

function channelStats(dataset: ImageDataset): { mean: number[]; std: number[] } {
  const c = dataset.shape.channels;
  const sum = new Float64Array(c);
  const squares = new Float64Array(c);
  for (let i = 0; i < dataset.images.length; i++) {
    const v = (dataset.images[i] as number) / 255;
    sum[i % c] = (sum[i % c] as number) + v;
    squares[i % c] = (squares[i % c] as number) + v * v;
  }
  const n = dataset.images.length / c;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(squares, (s, k) => Math.sqrt(Math.max(1e-12, s / n - (mean[k] as number) ** 2)));
  return { mean, std };
}

/** Loads and splits the data. */
export async function loadPipelineData(options: DataOptions): Promise<PipelineData> {
  let trainAll: ImageDataset;
  let test: ImageDataset;
  if (options.imageFolder !== undefined) {
    const all = await loadImageFolder(options.imageFolder, { size: [32, 32], colorMode: 'rgb' });
    const parts = splitDataset(all, { ratios: { train: 0.9, test: 0.1 }, seed: options.splitSeed });
    trainAll = parts.train;
    test = parts.test;
  } else {
    const limit = options.limit;
    trainAll = await loadCifar10({
      split: 'train',
      directory: options.cifarDir,
      ...(limit === undefined ? {} : { limit }),
    });
    test = await loadCifar10({
      split: 'test',
      directory: options.cifarDir,
      ...(limit === undefined ? {} : { limit: Math.max(10, Math.floor(limit / 5)) }),
    });
  }
  const { train, val } = splitDataset(trainAll, {
    ratios: { train: 1 - options.valFraction, val: options.valFraction },
    seed: options.splitSeed,
  });
  const { mean, std } = channelStats(train);
  return { train, val, test, mean, std, numClasses: trainAll.classNames.length };
}

/** Images `indices` of `dataset` as a normalised float NHWC tensor, optionally augmented. */
export function imagesTensor(
  data: PipelineData,
  dataset: ImageDataset,
  indices: readonly number[],
  augment?: { readonly seed: number },
): tf.Tensor4D {
  const { height, width, channels } = dataset.shape;
  const pixels = height * width * channels;
  const out = new Float32Array(indices.length * pixels);
  const rng = augment === undefined ? undefined : createRng(augment.seed);
  indices.forEach((index, n) => {
    // Standard CIFAR augmentation: 4-pixel zero-padded random crop and horizontal flip.
    const dy = rng === undefined ? 0 : rng.int(-4, 4);
    const dx = rng === undefined ? 0 : rng.int(-4, 4);
    const flip = rng !== undefined && rng.next() < 0.5;
    const base = index * pixels;
    for (let y = 0; y < height; y++) {
      const sy = y + dy;
      for (let x = 0; x < width; x++) {
        const sx0 = x + dx;
        const sx = flip ? width - 1 - sx0 : sx0;
        const o = ((n * height + y) * width + x) * channels;
        for (let c = 0; c < channels; c++) {
          const inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
          const raw = inside
            ? (dataset.images[base + (sy * width + sx) * channels + c] as number) / 255
            : (data.mean[c] as number);
          out[o + c] = (raw - (data.mean[c] as number)) / (data.std[c] as number);
        }
      }
    }
  });
  return tf.tensor4d(out, [indices.length, height, width, channels]);
}

/**
 * Minibatch `step` of seeded epochs over the training part: epoch e is a permutation drawn from
 * (seed, e); batches are consecutive slices of it (the last partial batch is dropped).
 */
export function createBatchAt(data: PipelineData, batchSize: number, seed: number) {
  const stepsPerEpoch = Math.floor(data.train.size / batchSize);
  if (stepsPerEpoch < 1)
    throw new Error(
      `@automl-ts/example-repnas: ${data.train.size} training images are fewer than a batch of ${batchSize}`,
    );
  let cached: { epoch: number; order: number[] } | undefined;
  const batchAt = (step: number) => {
    const epoch = Math.floor(step / stepsPerEpoch);
    if (cached?.epoch !== epoch) {
      cached = {
        epoch,
        order: createRng(`${seed}:epoch:${epoch}`).shuffle(
          Array.from({ length: data.train.size }, (_, i) => i),
        ),
      };
    }
    const start = (step % stepsPerEpoch) * batchSize;
    const indices = cached.order.slice(start, start + batchSize);
    const x = imagesTensor(data, data.train, indices, { seed: (seed * 1_000_003 + step) % 2_147_483_647 });
    const labels = tf.tensor1d(
      indices.map((i) => data.train.labels[i] as number),
      'int32',
    );
    return { x, labels };
  };
  return { batchAt, stepsPerEpoch };
}

/** 1 per correctly classified example of `dataset`, 0 otherwise (predict gives logits or probabilities). */
export function correctness(
  data: PipelineData,
  dataset: ImageDataset,
  predict: (x: tf.Tensor4D) => tf.Tensor,
  batchSize = 250,
): number[] {
  const out: number[] = [];
  for (let start = 0; start < dataset.size; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, dataset.size - start) }, (_, i) => start + i);
    const predicted = tf.tidy(() => tf.argMax(predict(imagesTensor(data, dataset, indices)), -1).dataSync());
    for (const [k, index] of indices.entries()) out.push(predicted[k] === dataset.labels[index] ? 1 : 0);
  }
  return out;
}
