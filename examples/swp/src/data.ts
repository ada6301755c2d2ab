// CIFAR-10 for the pruning pipelines: the 50k training images split into training and a held-out
// validation split (200 images per class, as the SWP journal version), the 10k test images kept for
// the final numbers only; batches seeded per epoch so that a resumed run sees the same data.
import type { Batch } from '@automl-ts/core';
import {
  type ChannelStats,
  computeChannelStats,
  createBatchLoader,
  type ImageDataset,
  loadCifar10,
  splitDataset,
} from '@automl-ts/datasets';

/** The three splits and the training split's channel statistics. */
export interface CifarSplits {
  readonly train: ImageDataset;
  /** Held out of the training set: model selection (search, BN calibration checks) only. */
  readonly val: ImageDataset;
  /** The official test set: final numbers only. */
  readonly test: ImageDataset;
  readonly normalization: ChannelStats;
}

/** Options of {@link loadCifarSplits}. */
export interface CifarSplitOptions {
  /** Data root holding `cifar10/cifar-10-batches-bin/` (or `cifar-10-batches-bin/`). */
  dataDir?: string;
  /** Validation images per class, taken out of the training set. @default 200 */
  valPerClass?: number;
  /** Use only the first images of each file set (tests, sizing). @default all */
  limit?: number;
  /** Seed of the train/val split. @default 0 */
  seed?: number;
}

/** Loads CIFAR-10 and splits the training images into train and a class-balanced validation split. */
export async function loadCifarSplits(options: CifarSplitOptions = {}): Promise<CifarSplits> {
  const limit = options.limit === undefined ? {} : { limit: options.limit };
  const dataDir = options.dataDir === undefined ? {} : { dataDir: options.dataDir };
  const all = await loadCifar10({ split: 'train', ...dataDir, ...limit });
  const test = await loadCifar10({ split: 'test', ...dataDir, ...limit });
  const val = (options.valPerClass ?? 200) * all.classNames.length;
  if (val >= all.labels.length) {
    throw new Error(
      `@automl-ts/example-swp/loadCifarSplits: ${val} validation images leave none of ${all.labels.length} for training`,
    );
  }
  const { train, val: validation } = splitDataset(all, {
    ratios: { train: all.labels.length - val, val },
    seed: options.seed ?? 0,
  });
  return { train, val: validation, test, normalization: computeChannelStats(train) };
}

/** Options of {@link epochBatches}. */
export interface EpochBatchOptions {
  batchSize: number;
  /** Random crop (pad 4) and horizontal flip, the CIFAR standard. @default true */
  augment?: boolean;
  seed: number;
}

/**
 * The batches of one epoch, the same for the same (seed, epoch): a fresh loader seeded by both,
 * so that training resumed from a checkpoint sees the data it would have seen. Batches are the
 * caller's to dispose.
 */
export function epochBatches(
  dataset: ImageDataset,
  normalization: ChannelStats,
  epoch: number,
  options: EpochBatchOptions,
): AsyncIterable<Batch & { dispose(): void }> {
  return createBatchLoader(dataset, {
    batchSize: options.batchSize,
    seed: `${options.seed}:${epoch}`,
    labels: 'int',
    normalize: normalization,
    ...(options.augment === false
      ? {}
      : { augment: { randomCrop: { padding: 4, fill: 0 }, horizontalFlip: true } }),
  });
}

/** All batches of a split, in order, without augmentation (validation, test, BN calibration). */
export async function fixedBatches(
  dataset: ImageDataset,
  normalization: ChannelStats,
  batchSize: number,
  maxBatches = Number.POSITIVE_INFINITY,
): Promise<Batch[]> {
  const out: Batch[] = [];
  const loader = createBatchLoader(dataset, {
    batchSize,
    shuffle: false,
    labels: 'int',
    normalize: normalization,
  });
  for await (const batch of loader) {
    if (out.length >= maxBatches) {
      batch.dispose();
      break;
    }
    out.push({ x: batch.x, y: batch.y });
  }
  return out;
}
