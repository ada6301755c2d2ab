import { type Rng, toRng } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { type ImageDataset, pixelsPerImage } from '../dataset.js';
import { errorFactory, type Fail } from '../internal/errors.js';
import { checkInteger, checkOneOf } from '../internal/validate.js';
import { type AugmentOptions, augmentInto, type ResolvedAugment, resolveAugment } from './augment.js';
import {
  type ChannelStats,
  type Normalization,
  type PixelTransform,
  resolveNormalization,
  writeNormalized,
} from './normalize.js';

/** Label encoding of batches and episodes: one-hot float32 `[n, classes]` or int32 `[n]`. */
export type LabelEncoding = 'one-hot' | 'int';

/** Options of {@link createBatchLoader}. */
export interface BatchLoaderOptions {
  /**
   * Images per batch.
   * @default 32
   */
  batchSize?: number;
  /**
   * Shuffle the order at the start of every epoch (seeded).
   * @default true
   */
  shuffle?: boolean;
  /**
   * Seed or generator of the shuffle and the augmentation.
   * @default 0
   */
  seed?: number | string | Rng;
  /**
   * Drop the last batch of an epoch when it is smaller than `batchSize`.
   * @default false
   */
  dropLast?: boolean;
  /**
   * Label encoding.
   * @default 'one-hot'
   */
  labels?: LabelEncoding;
  /**
   * Pixel normalisation: `none` scales to [0, 1], `compute` standardises with this dataset's
   * per-channel statistics, or give `{ mean, std }` (e.g. the training loader's `normalization`).
   * @default 'none'
   */
  normalize?: Normalization;
  /**
   * Seeded augmentation (random crop with padding, horizontal flip).
   * @default undefined (none)
   */
  augment?: AugmentOptions;
  /**
   * Assemble the next batch while the consumer works on the current one (it is built when the
   * consumer awaits, e.g. on `model.trainOnBatch` or `tensor.data()`).
   * @default true
   */
  prefetch?: boolean;
}

/**
 * One batch of images: normalised NHWC float32 images, their labels and their indices in the
 * dataset (core's `Batch` plus `indices`, `size` and `dispose`). Dispose it when done.
 */
export interface ImageBatch {
  /** `[size, height, width, channels]` float32. */
  readonly x: tf.Tensor4D;
  /** One-hot `[size, classes]` float32, or `[size]` int32. */
  readonly y: tf.Tensor2D | tf.Tensor1D;
  /** Indices of the images in the dataset. */
  readonly indices: Int32Array;
  /** Number of images. */
  readonly size: number;
  /** Releases `x` and `y`. */
  dispose(): void;
}

/**
 * Iterates over a dataset in batches: each `for await` loop is one epoch with a fresh seeded
 * shuffle. Batches belong to the caller, who disposes them.
 */
export interface BatchLoader extends AsyncIterable<ImageBatch> {
  /** Batches per epoch. */
  readonly numBatches: number;
  /** The statistics used to normalise (compute once on the training set, pass them to the others). */
  readonly normalization: ChannelStats;
  /** Number of classes (width of one-hot labels). */
  readonly numClasses: number;
  /** Starts the next epoch (the same as iterating the loader). */
  epoch(): AsyncGenerator<ImageBatch, void, undefined>;
}

interface ResolvedBatchOptions {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly labels: LabelEncoding;
  readonly transform: PixelTransform;
  readonly augment: ResolvedAugment | undefined;
  readonly prefetch: boolean;
}

function resolveOptions(
  fail: Fail,
  dataset: ImageDataset,
  options: BatchLoaderOptions,
): ResolvedBatchOptions {
  return {
    batchSize: checkInteger(fail, 'batchSize', options.batchSize ?? 32, 1),
    shuffle: options.shuffle ?? true,
    dropLast: options.dropLast ?? false,
    labels: checkOneOf(fail, 'labels', options.labels ?? 'one-hot', ['one-hot', 'int']),
    transform: resolveNormalization(fail, dataset, options.normalize ?? 'none'),
    augment: resolveAugment(fail, options.augment),
    prefetch: options.prefetch ?? true,
  };
}

/**
 * Builds the tensors of a batch of images (augmented with `rng` when `augment` is set) and labels.
 * Shared with the episodic sampler.
 */
export function buildImageTensor(
  dataset: ImageDataset,
  indices: ArrayLike<number>,
  transform: PixelTransform,
  augment: ResolvedAugment | undefined,
  rng: Rng | undefined,
): tf.Tensor4D {
  const n = pixelsPerImage(dataset);
  const { height, width, channels } = dataset.shape;
  const data = new Float32Array(indices.length * n);
  const scratch = augment !== undefined ? new Uint8Array(n) : undefined;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    let pixels = dataset.images.subarray(index * n, (index + 1) * n);
    if (augment !== undefined && rng !== undefined && scratch !== undefined) {
      augmentInto(pixels, dataset.shape, augment, rng, scratch);
      pixels = scratch;
    }
    writeNormalized(pixels, transform, data, i * n);
  }
  return tf.tensor4d(data, [indices.length, height, width, channels], 'float32');
}

/** Label tensor of `labels`: one-hot float32 `[n, classes]` or int32 `[n]`. */
export function buildLabelTensor(
  labels: ArrayLike<number>,
  classes: number,
  encoding: LabelEncoding,
): tf.Tensor2D | tf.Tensor1D {
  if (encoding === 'int') return tf.tensor1d(Int32Array.from(labels), 'int32');
  const data = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) data[i * classes + labels[i]!] = 1;
  return tf.tensor2d(data, [labels.length, classes], 'float32');
}

const defer: (callback: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (callback) => globalThis.setImmediate(callback)
    : (callback) => setTimeout(callback, 0);

/**
 * Runs `make` on the macrotask queue, so that it happens while the consumer awaits its own work.
 * The promise is marked handled: a failure surfaces when the consumer awaits it, not as an
 * unhandled rejection in between.
 */
function soon<T>(make: () => T): Promise<T> {
  const promise = new Promise<T>((resolve, reject) => {
    defer(() => {
      try {
        resolve(make());
      } catch (error) {
        reject(error);
      }
    });
  });
  promise.catch(() => {});
  return promise;
}

const failLoader = errorFactory('createBatchLoader');

/**
 * Creates a batch loader: seeded shuffling per epoch, optional drop-last, normalised NHWC float32
 * images, one-hot or integer labels, seeded augmentation, and prefetch of the next batch.
 *
 * @example
 * const loader = createBatchLoader(train, {
 *   batchSize: 64, seed: 1, normalize: 'compute', augment: { randomCrop: { padding: 4 }, horizontalFlip: true },
 * });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for await (const batch of loader) {
 *     await model.trainOnBatch(batch.x, batch.y);
 *     batch.dispose();
 *   }
 * }
 * const valLoader = createBatchLoader(val, { shuffle: false, normalize: loader.normalization });
 */
export function createBatchLoader(dataset: ImageDataset, options: BatchLoaderOptions = {}): BatchLoader {
  const resolved = resolveOptions(failLoader, dataset, options);
  if (dataset.size === 0) throw failLoader(`dataset "${dataset.name}" has no images`);
  const rng = toRng(options.seed ?? 0);
  const { batchSize } = resolved;
  const numBatches = resolved.dropLast
    ? Math.floor(dataset.size / batchSize)
    : Math.ceil(dataset.size / batchSize);
  const numClasses = dataset.classNames.length;

  const build = (order: Int32Array, b: number): ImageBatch => {
    const indices = order.slice(b * batchSize, Math.min((b + 1) * batchSize, order.length));
    const x = buildImageTensor(dataset, indices, resolved.transform, resolved.augment, rng);
    const labels = Int32Array.from(indices, (i) => dataset.labels[i]!);
    const y = buildLabelTensor(labels, numClasses, resolved.labels);
    return {
      x,
      y,
      indices,
      size: indices.length,
      dispose() {
        x.dispose();
        y.dispose();
      },
    };
  };

  async function* epoch(): AsyncGenerator<ImageBatch, void, undefined> {
    const identity = Int32Array.from({ length: dataset.size }, (_, i) => i);
    const order = resolved.shuffle ? Int32Array.from(rng.shuffle(Array.from(identity))) : identity;
    let pending: Promise<ImageBatch> | undefined =
      resolved.prefetch && numBatches > 0 ? soon(() => build(order, 0)) : undefined;
    try {
      for (let b = 0; b < numBatches; b++) {
        let current: ImageBatch;
        if (pending !== undefined) {
          current = await pending;
          pending = b + 1 < numBatches ? soon(() => build(order, b + 1)) : undefined;
        } else {
          current = build(order, b);
        }
        yield current;
      }
    } finally {
      // The consumer stopped early: the prefetched batch was never handed out, so release it here.
      if (pending !== undefined) {
        const orphan = await pending.catch(() => undefined);
        orphan?.dispose();
      }
    }
  }

  return {
    numBatches,
    normalization: resolved.transform.stats,
    numClasses,
    epoch,
    [Symbol.asyncIterator]: epoch,
  };
}
