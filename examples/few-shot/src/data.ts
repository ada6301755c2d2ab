import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeImageFolder,
  EMBEDDED_DATASET,
  findOmniglotSet,
  type ImageDataset,
  imageAt,
  indicesByClass,
  loadEmbeddedDataset,
  loadOmniglotMetaSplit,
  splitByClass,
  splitDataset,
} from '@automl-ts/datasets';
import type { Task } from '@automl-ts/meta-learning';
import * as tf from '@tensorflow/tfjs';

/** Where the final (meta-test) classes come from. */
export type MetaTestSource = 'evaluation' | 'background' | 'embedded';

/**
 * Meta-training, meta-validation (model selection) and meta-test (the reported number) classes,
 * pairwise disjoint on Omniglot (by alphabet), 28×28×1 with strokes as 1.
 */
export interface FewShotData {
  /** Short name for run names and reports: `omniglot` or `mnist`. */
  readonly name: string;
  readonly description: string;
  readonly train: ImageDataset;
  readonly val: ImageDataset;
  readonly test: ImageDataset;
  readonly metaTest: MetaTestSource;
  /** The alphabets (Omniglot) or digits (embedded) of each part. */
  readonly split: {
    readonly train: readonly string[];
    readonly val: readonly string[];
    readonly test: readonly string[];
  };
}

/** The seed of the class split: fixed, so that every run (any --seed) uses the same classes. */
export const SPLIT_SEED = 0;

/**
 * Where meta-test comes from: `auto` is the official evaluation set when the data directory has
 * it, else held-out background alphabets; the embedded dataset without a data directory.
 */
export async function resolveMetaTest(
  dataDir: string | undefined,
  metaTest: 'auto' | 'evaluation' | 'background',
): Promise<MetaTestSource> {
  if (dataDir === undefined) return 'embedded';
  if (metaTest === 'background') return 'background';
  const { found, lookedAt } = await findOmniglotSet(dataDir, 'evaluation');
  if (metaTest === 'evaluation' && found === undefined) {
    throw new Error(
      `@automl-ts/example-few-shot: --meta-test evaluation needs Omniglot's images_evaluation.zip; looked for ${lookedAt
        .map((p) => `"${p}"`)
        .join(', ')}`,
    );
  }
  return found === undefined ? 'background' : 'evaluation';
}

/** Omniglot split by alphabet as datasets' `loadOmniglotMetaSplit` does (the AT-NAS example uses the same classes). */
async function omniglot(
  dataDir: string,
  rotations: boolean,
  metaTest: 'auto' | 'evaluation' | 'background',
): Promise<FewShotData> {
  const source = await resolveMetaTest(dataDir, metaTest);
  const split = await loadOmniglotMetaSplit({
    dataDir,
    rotations: rotations ? [0, 90, 180, 270] : [0],
    metaTest: source === 'evaluation' ? 'evaluation' : 'background',
    splitSeed: SPLIT_SEED,
  });
  return { name: 'omniglot', ...split };
}

/**
 * The embedded dataset (MNIST, installed with @automl-ts/datasets): five digits meta-train; the
 * other five give meta-val and meta-test from disjoint halves of their images (ten classes cannot make
 * three disjoint 5-way pools: a smoke-test dataset, not a benchmark).
 */
async function embedded(): Promise<FewShotData> {
  const full = await loadEmbeddedDataset({ split: 'train', limit: 10_000 });
  const { train, held } = splitByClass(full, {
    ratios: { train: 1, held: 1 },
    groupOf: (c) => (c < 5 ? 'low' : 'high'),
    seed: SPLIT_SEED,
  });
  const { val, test } = splitDataset(held, { ratios: { val: 1, test: 1 }, seed: SPLIT_SEED });
  return {
    name: EMBEDDED_DATASET.name.toLowerCase(),
    description: `${EMBEDDED_DATASET.name} (embedded, first 10,000 training images): digits ${train.classNames.join(', ')} meta-train; digits ${val.classNames.join(', ')} meta-val and meta-test on disjoint halves of their images`,
    train,
    val,
    test,
    metaTest: 'embedded',
    split: { train: train.classNames, val: val.classNames, test: test.classNames },
  };
}

/** Omniglot from `dataDir` (absolute), or the embedded dataset without one. */
export function loadFewShotData(
  dataDir: string | undefined,
  rotations: boolean,
  metaTest: 'auto' | 'evaluation' | 'background' = 'auto',
): Promise<FewShotData> {
  return dataDir === undefined ? embedded() : omniglot(dataDir, rotations, metaTest);
}

/** A user's task: class names and support/query tensors (the caller disposes them). */
export interface UserTask {
  readonly classNames: readonly string[];
  readonly task: Task;
  readonly queryLabels: readonly number[];
  /** The file of each query image (absolute), in the order of `task.query`. */
  readonly queryFiles: readonly string[];
  /** The file of each support image (absolute). */
  readonly supportFiles: readonly string[];
  dispose(): void;
}

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** Code-point order (the image-folder reader's order). */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** The images of `<directory>/<class>/` (one level), keyed `<class>/<file>` in reading order. */
async function readTaskFolder(directory: string): Promise<Map<string, Uint8Array>> {
  let classes: Dirent[];
  try {
    classes = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    throw new Error(
      `@automl-ts/example-few-shot: cannot read the --adapt folder "${directory}" (${(error as Error).message})`,
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const folder of classes
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .sort((a, b) => compareCodePoints(a.name, b.name))) {
    const names = (await readdir(join(directory, folder.name), { withFileTypes: true }))
      .filter((e) => e.isFile() && IMAGE_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x)))
      .map((e) => `${folder.name}/${e.name}`)
      .sort(compareCodePoints);
    for (const name of names) files.set(name, await readFile(join(directory, name)));
  }
  return files;
}

/**
 * Reads a task from a folder with one sub-folder of images per class, resized to `size`×`size`
 * grayscale in [0, 1] (inverted with `invert`). The first `shots` images of each class (in file
 * name order) are the support set (at most as many as the smallest class has); the others, if
 * any, the query set.
 */
export async function loadUserTask(
  directory: string,
  size: number,
  shots: number,
  invert: boolean,
): Promise<UserTask> {
  const files = await readTaskFolder(directory);
  const dataset = decodeImageFolder(files, { size, colorMode: 'grayscale' });
  // decodeImageFolder reads classes and files in the same code-point order as readTaskFolder.
  const paths = [...files.keys()].map((key) => join(directory, key));
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
    queryFiles: query.map((index) => paths[index] as string),
    supportFiles: support.map((index) => paths[index] as string),
    dispose: () => tf.dispose([supportSet.x, supportSet.y, querySet.x, querySet.y]),
  };
}
