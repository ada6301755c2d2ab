import {
  EMBEDDED_DATASET,
  type ImageDataset,
  imageAt,
  indicesByClass,
  loadEmbeddedDataset,
  loadImageFolder,
  loadOmniglot,
  splitByClass,
} from '@automl-ts/datasets';
import type { Task } from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';

/** Meta-training and meta-validation classes (disjoint), 28×28×1 with strokes as 1. */
export interface FewShotData {
  /** Short name for run names and reports: `omniglot` or `mnist`. */
  readonly name: string;
  readonly description: string;
  readonly train: ImageDataset;
  readonly val: ImageDataset;
}

/**
 * Omniglot's background set (30 alphabets) with rotations as extra classes, split by alphabet into
 * 25 for meta-training and 5 for meta-validation (a rotation stays with its alphabet).
 */
async function omniglot(dataDir: string, rotations: boolean): Promise<FewShotData> {
  const full = await loadOmniglot({ dataDir, rotations: rotations ? [0, 90, 180, 270] : [0] });
  const { train, val } = splitByClass(full, {
    ratios: { train: 25, val: 5 },
    groupOf: (c, dataset) => dataset.classInfo?.[c]?.alphabet ?? String(c),
    seed: 0,
  });
  return {
    name: 'omniglot',
    description: `Omniglot background (${full.alphabets.length} alphabets, ${full.classNames.length} classes${rotations ? ' with rotations' : ''}): ${train.classNames.length} meta-train / ${val.classNames.length} meta-val classes split by alphabet`,
    train,
    val,
  };
}

/** The embedded dataset (MNIST, installed with @automl-ts/datasets): digits 0–4 meta-train, 5–9 meta-val. */
async function embedded(): Promise<FewShotData> {
  const full = await loadEmbeddedDataset({ split: 'train', limit: 10_000 });
  const { train, val } = splitByClass(full, {
    ratios: { train: 1, val: 1 },
    groupOf: (c) => (c < 5 ? 'low' : 'high'),
    seed: 0,
  });
  return {
    name: EMBEDDED_DATASET.name.toLowerCase(),
    description: `${EMBEDDED_DATASET.name} (embedded, first 10,000 training images): digits ${train.classNames.join(', ')} meta-train / ${val.classNames.join(', ')} meta-val`,
    train,
    val,
  };
}

/** Omniglot from `dataDir`, or the embedded dataset without one. */
export function loadFewShotData(dataDir: string | undefined, rotations: boolean): Promise<FewShotData> {
  return dataDir === undefined ? embedded() : omniglot(dataDir, rotations);
}

/** A user's task: class names and support/query tensors (the caller disposes them). */
export interface UserTask {
  readonly classNames: readonly string[];
  readonly task: Task;
  /** Image paths are not kept by the folder reader: the query images are numbered per class. */
  readonly queryLabels: readonly number[];
  dispose(): void;
}

/**
 * Reads a task from a folder with one sub-folder of images per class, resized to `size`×`size`
 * grayscale in [0, 1] (inverted with `invert`). The first `shots` images of each class are the
 * support set (at most as many as the smallest class has); the others, if any, the query set.
 */
export async function loadUserTask(
  directory: string,
  size: number,
  shots: number,
  invert: boolean,
): Promise<UserTask> {
  const dataset = await loadImageFolder(directory, { size, colorMode: 'grayscale' });
  const byClass = indicesByClass(dataset);
  const fewest = Math.min(...byClass.map((indices) => indices.length));
  const k = Math.min(shots, fewest);
  const support: number[] = [];
  const query: number[] = [];
  byClass.forEach((indices) => {
    support.push(...Array.from(indices.subarray(0, k)));
    query.push(...Array.from(indices.subarray(k)));
  });
  const images = (indices: readonly number[]) => {
    const pixels = size * size;
    const data = new Float32Array(indices.length * pixels);
    indices.forEach((index, i) => {
      const image = imageAt(dataset, index);
      for (let p = 0; p < pixels; p++) {
        const value = (image[p] as number) / 255;
        data[i * pixels + p] = invert ? 1 - value : value;
      }
    });
    return tf.tensor4d(data, [indices.length, size, size, 1]);
  };
  const labels = (indices: readonly number[]) => indices.map((index) => dataset.labels[index] as number);
  const supportSet = { x: images(support), y: tf.tensor1d(labels(support), 'int32') };
  const querySet = { x: images(query), y: tf.tensor1d(labels(query), 'int32') };
  return {
    classNames: dataset.classNames,
    task: { support: supportSet, query: querySet },
    queryLabels: labels(query),
    dispose: () => tf.dispose([supportSet.x, supportSet.y, querySet.x, querySet.y]),
  };
}
