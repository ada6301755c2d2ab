import { describeValue, errorFactory } from './internal/errors.js';

/** Height, width and channels of every image of a dataset (NHWC layout, channels last). */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  /** 1 for grayscale, 3 for RGB. */
  readonly channels: number;
}

/**
 * A labelled image dataset held in memory as uint8 pixels: what every reader returns and every
 * pipeline consumes. Pixels stay uint8 (a quarter of float32's memory) until a batch or an episode
 * turns them into normalised float32 tensors.
 *
 * Image `i` occupies `images.subarray(i * pixelsPerImage, (i + 1) * pixelsPerImage)` with
 * `pixelsPerImage = height * width * channels`, rows first, channels last.
 *
 * @typeParam ClassInfo metadata kept per class (Omniglot keeps alphabet, character and rotation).
 */
export interface ImageDataset<ClassInfo = unknown> {
  /** A short name used in error messages and reports, e.g. `mnist-train`. */
  readonly name: string;
  /** All pixels, NHWC, uint8. */
  readonly images: Uint8Array;
  /** The class of each image, in [0, classNames.length). */
  readonly labels: Int32Array;
  /** Number of images. */
  readonly size: number;
  /** Shape of one image. */
  readonly shape: ImageShape;
  /** Name of each class; the label is the index. */
  readonly classNames: readonly string[];
  /** Metadata of each class (same order as `classNames`), when the format has any. */
  readonly classInfo?: readonly ClassInfo[];
}

/** Input of {@link createImageDataset}. */
export interface ImageDatasetInput<ClassInfo = unknown> {
  /**
   * Name used in messages.
   * @default 'dataset'
   */
  name?: string;
  /** Pixels, NHWC uint8 (kept, not copied). */
  images: Uint8Array;
  /** Class of each image. */
  labels: Int32Array | readonly number[];
  /** Shape of one image. */
  shape: ImageShape;
  /** Name of each class. */
  classNames: readonly string[];
  /** Optional metadata of each class. */
  classInfo?: readonly ClassInfo[];
}

const failCreate = errorFactory('createImageDataset');

/**
 * Builds an {@link ImageDataset} from your own arrays, checking that the sizes agree and that
 * every label names a class.
 *
 * @example
 * const tiny = createImageDataset({
 *   images: new Uint8Array(2 * 4 * 4), labels: [0, 1],
 *   shape: { height: 4, width: 4, channels: 1 }, classNames: ['off', 'on'],
 * });
 */
export function createImageDataset<ClassInfo = unknown>(
  input: ImageDatasetInput<ClassInfo>,
): ImageDataset<ClassInfo> {
  const { shape, classNames } = input;
  for (const key of ['height', 'width', 'channels'] as const) {
    const value = shape?.[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw failCreate(`shape.${key} must be an integer >= 1, got ${describeValue(value)}`);
    }
  }
  const labels = input.labels instanceof Int32Array ? input.labels : Int32Array.from(input.labels);
  const pixelsPerImage = shape.height * shape.width * shape.channels;
  if (input.images.length !== labels.length * pixelsPerImage) {
    throw failCreate(
      `images has ${input.images.length} values but ${labels.length} labels × ${shape.height}×${shape.width}×${shape.channels} ` +
        `needs ${labels.length * pixelsPerImage}`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label < 0 || label >= classNames.length) {
      throw failCreate(
        `labels[${i}] is ${label}, outside [0, ${classNames.length - 1}] (${classNames.length} classes)`,
      );
    }
  }
  if (input.classInfo !== undefined && input.classInfo.length !== classNames.length) {
    throw failCreate(`classInfo has ${input.classInfo.length} entries for ${classNames.length} classes`);
  }
  return {
    name: input.name ?? 'dataset',
    images: input.images,
    labels,
    size: labels.length,
    shape: { height: shape.height, width: shape.width, channels: shape.channels },
    classNames: classNames.slice(),
    ...(input.classInfo !== undefined ? { classInfo: input.classInfo.slice() } : {}),
  };
}

/** Number of uint8 values in one image of `dataset`. */
export function pixelsPerImage(dataset: Pick<ImageDataset, 'shape'>): number {
  return dataset.shape.height * dataset.shape.width * dataset.shape.channels;
}

/** A view (no copy) of the pixels of image `index`. */
export function imageAt(dataset: ImageDataset, index: number): Uint8Array {
  const n = pixelsPerImage(dataset);
  return dataset.images.subarray(index * n, (index + 1) * n);
}

/** The indices of the images of each class: `result[label]` lists them in increasing order. */
export function indicesByClass(dataset: ImageDataset): Int32Array[] {
  const counts = new Int32Array(dataset.classNames.length);
  for (const label of dataset.labels) counts[label]!++;
  const out = Array.from(counts, (count) => new Int32Array(count));
  const fill = new Int32Array(counts.length);
  dataset.labels.forEach((label, index) => {
    out[label]![fill[label]!++] = index;
  });
  return out;
}

/** Options of {@link subsetDataset}. */
export interface SubsetOptions {
  /**
   * Name of the subset.
   * @default `${dataset.name}-subset`
   */
  name?: string;
  /**
   * Keep only the classes that occur in the subset and renumber them 0..C'-1 (in their original
   * order), carrying their names and metadata along. Class-disjoint splits use this.
   * @default false
   */
  compactClasses?: boolean;
}

const failSubset = errorFactory('subsetDataset');

/**
 * A new dataset made of the images at `indices` (in that order), copied into contiguous memory.
 *
 * @example
 * const firstHundred = subsetDataset(mnist, Array.from({ length: 100 }, (_, i) => i));
 */
export function subsetDataset<ClassInfo>(
  dataset: ImageDataset<ClassInfo>,
  indices: ArrayLike<number>,
  options: SubsetOptions = {},
): ImageDataset<ClassInfo> {
  const n = pixelsPerImage(dataset);
  const images = new Uint8Array(indices.length * n);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= dataset.size) {
      throw failSubset(
        `indices[${i}] must be an integer in [0, ${dataset.size - 1}], got ${describeValue(index)}`,
      );
    }
    images.set(dataset.images.subarray(index * n, (index + 1) * n), i * n);
    labels[i] = dataset.labels[index]!;
  }
  const name = options.name ?? `${dataset.name}-subset`;
  if (options.compactClasses !== true) {
    return {
      name,
      images,
      labels,
      size: labels.length,
      shape: dataset.shape,
      classNames: dataset.classNames,
      ...(dataset.classInfo !== undefined ? { classInfo: dataset.classInfo } : {}),
    };
  }
  const present = new Uint8Array(dataset.classNames.length);
  for (const label of labels) present[label] = 1;
  const kept: number[] = [];
  const newLabelOf = new Int32Array(dataset.classNames.length).fill(-1);
  present.forEach((isPresent, label) => {
    if (isPresent === 1) {
      newLabelOf[label] = kept.length;
      kept.push(label);
    }
  });
  for (let i = 0; i < labels.length; i++) labels[i] = newLabelOf[labels[i]!]!;
  const classInfo = dataset.classInfo;
  return {
    name,
    images,
    labels,
    size: labels.length,
    shape: dataset.shape,
    classNames: kept.map((label) => dataset.classNames[label]!),
    ...(classInfo !== undefined ? { classInfo: kept.map((label) => classInfo[label]!) } : {}),
  };
}
