// CIFAR-10 and CIFAR-100 "binary version" (Krizhevsky, "Learning Multiple Layers of Features from
// Tiny Images", 2009; cs.toronto.edu/~kriz/cifar.html): fixed-size records of 1 label byte
// (CIFAR-100: coarse then fine label) followed by 32×32×3 pixels stored channel-planar (1024 red,
// 1024 green, 1024 blue, rows first). We store them channels-last (HWC).
import { createImageDataset, type ImageDataset } from '../dataset.js';
import { describeValue, errorFactory, type Fail } from '../internal/errors.js';
import {
  dataDirFrom,
  dataRootCandidates,
  isGzipFile,
  nodeModules,
  openFileChunks,
  readFileBytes,
  statOrUndefined,
} from '../internal/node.js';
import { checkInteger, checkOneOf } from '../internal/validate.js';

/** Which CIFAR. */
export type CifarVariant = 'cifar10' | 'cifar100';

/** CIFAR images are 32×32 RGB. */
const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXELS = PLANE * 3;

/** Class names of CIFAR-10, label order (as in `batches.meta.txt`). */
export const CIFAR10_CLASS_NAMES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** Fine class names of CIFAR-100, label order (as in `fine_label_names.txt`). */
export const CIFAR100_FINE_CLASS_NAMES: readonly string[] = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can ' +
  'castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin ' +
  'elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster ' +
  'man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck ' +
  'pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk ' +
  'skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger ' +
  'tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm'
).split(' ');

/** Coarse (superclass) names of CIFAR-100, label order (as in `coarse_label_names.txt`). */
export const CIFAR100_COARSE_CLASS_NAMES: readonly string[] = (
  'aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices ' +
  'household_furniture insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes ' +
  'large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles small_mammals trees ' +
  'vehicles_1 vehicles_2'
).split(' ');

const LABEL_BYTES: Readonly<Record<CifarVariant, number>> = { cifar10: 1, cifar100: 2 };

/** One record of a CIFAR binary batch. */
export interface CifarRecord {
  /** Position of the record in its file. */
  readonly index: number;
  /** 32×32×3 pixels, HWC. */
  readonly image: Uint8Array;
  /** Class (CIFAR-100: the fine class). */
  readonly label: number;
  /** CIFAR-100 superclass; undefined for CIFAR-10. */
  readonly coarseLabel?: number;
}

/** A decoded CIFAR binary batch: `size` images, NHWC. */
export interface CifarBatch {
  readonly size: number;
  /** `size` × 32×32×3 pixels, NHWC. */
  readonly images: Uint8Array;
  /** Classes (CIFAR-100: fine classes). */
  readonly labels: Int32Array;
  /** CIFAR-100 superclasses; undefined for CIFAR-10. */
  readonly coarseLabels?: Int32Array;
}

function recordBytes(variant: CifarVariant): number {
  return LABEL_BYTES[variant] + PIXELS;
}

/** Decodes one record at `record[0..]` into `out` (HWC) and checks its labels; returns [label, coarse]. */
function decodeRecord(
  fail: Fail,
  variant: CifarVariant,
  record: Uint8Array,
  out: Uint8Array,
  outOffset: number,
  where: () => string,
): [number, number | undefined] {
  const labelBytes = LABEL_BYTES[variant];
  const coarse = variant === 'cifar100' ? record[0]! : undefined;
  const label = record[labelBytes - 1]!;
  const classes = variant === 'cifar10' ? 10 : 100;
  if (label >= classes) {
    throw fail(
      `${where()} has label ${label}, outside [0, ${classes - 1}] for ${variant} (is this a ${variant} file?)`,
    );
  }
  if (coarse !== undefined && coarse >= 20) {
    throw fail(
      `${where()} has coarse label ${coarse}, outside [0, 19] for cifar100 (is this a cifar100 file?)`,
    );
  }
  for (let p = 0; p < PLANE; p++) {
    const o = outOffset + p * 3;
    out[o] = record[labelBytes + p]!;
    out[o + 1] = record[labelBytes + PLANE + p]!;
    out[o + 2] = record[labelBytes + 2 * PLANE + p]!;
  }
  return [label, coarse];
}

function checkVariant(fail: Fail, variant: unknown): CifarVariant {
  return checkOneOf(fail, 'variant', variant, ['cifar10', 'cifar100']);
}

/** Options of {@link decodeCifarBatch} and {@link streamCifarRecords}. */
export interface CifarDecodeOptions {
  /**
   * CIFAR-10 records have 1 label byte, CIFAR-100 records 2 (coarse, fine).
   * @default 'cifar10'
   */
  variant?: CifarVariant;
}

const failDecode = errorFactory('decodeCifarBatch');

/**
 * Decodes a CIFAR binary batch (e.g. `data_batch_1.bin`, CIFAR-100's `train.bin`) from its bytes.
 * Pure: usable in browsers.
 *
 * @param source how to name the data in errors.
 * @example
 * const batch = decodeCifarBatch(bytes, 'data_batch_1.bin'); // batch.images: 10000 × 32×32×3
 */
export function decodeCifarBatch(
  bytes: Uint8Array,
  source = 'CIFAR data',
  options: CifarDecodeOptions = {},
): CifarBatch {
  const variant = checkVariant(failDecode, options.variant ?? 'cifar10');
  const size = recordBytes(variant);
  const name = `"${source}"`;
  if (bytes.length % size !== 0) {
    const complete = Math.floor(bytes.length / size);
    throw failDecode(
      `${name} is truncated: it ends at offset ${bytes.length}, inside record ${complete} ` +
        `(${variant} records are ${size} bytes; ${bytes.length} is not a multiple)`,
    );
  }
  const count = bytes.length / size;
  const images = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);
  const coarseLabels = variant === 'cifar100' ? new Int32Array(count) : undefined;
  for (let r = 0; r < count; r++) {
    const [label, coarse] = decodeRecord(
      failDecode,
      variant,
      bytes.subarray(r * size, (r + 1) * size),
      images,
      r * PIXELS,
      () => `${name}: record ${r} at offset ${r * size}`,
    );
    labels[r] = label;
    if (coarseLabels !== undefined) coarseLabels[r] = coarse!;
  }
  return { size: count, images, labels, ...(coarseLabels !== undefined ? { coarseLabels } : {}) };
}

async function* streamRecordsWith(
  fail: Fail,
  filePath: string,
  variant: CifarVariant,
): AsyncGenerator<CifarRecord, void, undefined> {
  const size = recordBytes(variant);
  const { chunks } = await openFileChunks(fail, filePath);
  const record = new Uint8Array(size);
  let filled = 0;
  let index = 0;
  for await (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(size - filled, chunk.length - offset);
      record.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === size) {
        const image = new Uint8Array(PIXELS);
        const at = index;
        const [label, coarse] = decodeRecord(
          fail,
          variant,
          record,
          image,
          0,
          () => `"${filePath}": record ${at} at offset ${at * size}`,
        );
        yield { index, image, label, ...(coarse !== undefined ? { coarseLabel: coarse } : {}) };
        index++;
        filled = 0;
      }
    }
  }
  if (filled !== 0) {
    throw fail(
      `"${filePath}" is truncated: it ends at offset ${index * size + filled}, inside record ${index} ` +
        `(${variant} records are ${size} bytes)`,
    );
  }
}

const failStream = errorFactory('streamCifarRecords');

/**
 * Streams the records of a CIFAR binary batch file one at a time. Node only.
 *
 * @example
 * for await (const { image, label } of streamCifarRecords('cifar-10-batches-bin/test_batch.bin')) { … }
 */
export function streamCifarRecords(
  filePath: string,
  options: CifarDecodeOptions = {},
): AsyncGenerator<CifarRecord, void, undefined> {
  return streamRecordsWith(failStream, filePath, checkVariant(failStream, options.variant ?? 'cifar10'));
}

/** Options of {@link loadCifar10} and {@link loadCifar100}. */
export interface CifarOptions {
  /**
   * `train` (50,000 images) or `test` (10,000).
   * @default 'train'
   */
  split?: 'train' | 'test';
  /**
   * Folder of the extracted binary version; overrides `dataDir`.
   * @default found under `dataDir`: `<dataDir>/cifar10/cifar-10-batches-bin`, then
   * `<dataDir>/cifar-10-batches-bin` (CIFAR-100: `cifar100/cifar-100-binary`, then `cifar-100-binary`)
   */
  directory?: string;
  /**
   * Data directory.
   * @default process.env.AUTOML_DATA_DIR
   */
  dataDir?: string;
  /**
   * Keep only the first `limit` images.
   * @default all
   */
  limit?: number;
}

/** Options of {@link loadCifar100}. */
export interface Cifar100Options extends CifarOptions {
  /**
   * Label images with the 100 fine classes or the 20 superclasses.
   * @default 'fine'
   */
  labelMode?: 'fine' | 'coarse';
}

async function readClassNames(
  fail: Fail,
  filePath: string,
  fallback: readonly string[],
): Promise<readonly string[]> {
  if ((await statOrUndefined(fail, filePath))?.isFile() !== true) return fallback;
  const text = new TextDecoder().decode(await readFileBytes(fail, filePath));
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== fallback.length) {
    throw fail(`"${filePath}" lists ${names.length} class names, expected ${fallback.length}`);
  }
  return names;
}

async function loadCifar(
  fail: Fail,
  variant: CifarVariant,
  options: Cifar100Options,
  layout: { datasetFolder: string; folder: string; train: readonly string[]; test: readonly string[] },
): Promise<ImageDataset> {
  const split = checkOneOf(fail, 'split', options.split ?? 'train', ['train', 'test']);
  const limit = options.limit === undefined ? Infinity : checkInteger(fail, 'limit', options.limit, 0);
  const { path } = await nodeModules(fail);
  let directory = options.directory;
  if (directory === undefined) {
    const dataDir = dataDirFrom(options.dataDir);
    if (dataDir === undefined) {
      throw fail(
        `no data directory: pass directory or dataDir, or set AUTOML_DATA_DIR (looked for ${describeValue(layout.folder)})`,
      );
    }
    const candidates = dataRootCandidates(path.join, dataDir, layout.datasetFolder, [layout.folder]);
    let found: string | undefined;
    for (const candidate of candidates) {
      if ((await statOrUndefined(fail, candidate))?.isDirectory() === true) {
        found = candidate;
        break;
      }
    }
    if (found === undefined) {
      throw fail(
        `${variant} not found under the data directory "${dataDir}"; looked for ${candidates.map((c) => `"${c}"`).join(', ')}`,
      );
    }
    directory = found;
  }
  const files = (split === 'train' ? layout.train : layout.test).map((file) => path.join(directory, file));
  let expected = 0;
  for (const file of files) {
    const stat = await statOrUndefined(fail, file);
    if (stat?.isFile() !== true)
      throw fail(`"${file}" not found; the ${variant} ${split} split needs ${files.join(', ')}`);
    if (await isGzipFile(fail, file)) {
      throw fail(
        `"${file}" is gzipped; extract the binary batches first (streamCifarRecords reads gzipped files)`,
      );
    }
    const size = recordBytes(variant);
    if (stat.size % size !== 0) {
      throw fail(
        `"${file}" is truncated: it ends at offset ${stat.size}, inside record ${Math.floor(stat.size / size)} ` +
          `(${variant} records are ${size} bytes; ${stat.size} is not a multiple)`,
      );
    }
    expected += stat.size / size;
  }
  const count = Math.min(expected, limit);
  const images = new Uint8Array(count * PIXELS);
  const fine = new Int32Array(count);
  const coarse = new Int32Array(count);
  let filled = 0;
  for (const file of files) {
    if (filled >= count) break;
    for await (const record of streamRecordsWith(fail, file, variant)) {
      images.set(record.image, filled * PIXELS);
      fine[filled] = record.label;
      coarse[filled] = record.coarseLabel ?? 0;
      filled++;
      if (filled >= count) break;
    }
  }
  const useCoarse = variant === 'cifar100' && options.labelMode === 'coarse';
  const classNames =
    variant === 'cifar10'
      ? await readClassNames(fail, path.join(directory, 'batches.meta.txt'), CIFAR10_CLASS_NAMES)
      : useCoarse
        ? await readClassNames(
            fail,
            path.join(directory, 'coarse_label_names.txt'),
            CIFAR100_COARSE_CLASS_NAMES,
          )
        : await readClassNames(fail, path.join(directory, 'fine_label_names.txt'), CIFAR100_FINE_CLASS_NAMES);
  return createImageDataset({
    name: `${variant}-${split}${useCoarse ? '-coarse' : ''}`,
    images,
    labels: useCoarse ? coarse : fine,
    shape: { height: SIDE, width: SIDE, channels: 3 },
    classNames,
  });
}

const failCifar10 = errorFactory('loadCifar10');

/**
 * Loads CIFAR-10 from the extracted binary version (`cifar-10-batches-bin/data_batch_1.bin` …
 * `data_batch_5.bin`, `test_batch.bin`, `batches.meta.txt`), streaming the batch files. Node only.
 *
 * @example
 * const train = await loadCifar10({ dataDir: '/data' }); // 50000 × 32×32×3, 10 classes
 */
export async function loadCifar10(options: CifarOptions = {}): Promise<ImageDataset> {
  return loadCifar(failCifar10, 'cifar10', options, {
    datasetFolder: 'cifar10',
    folder: 'cifar-10-batches-bin',
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
    test: ['test_batch.bin'],
  });
}

const failCifar100 = errorFactory('loadCifar100');

/**
 * Loads CIFAR-100 from the extracted binary version (`cifar-100-binary/train.bin`, `test.bin`,
 * `fine_label_names.txt`, `coarse_label_names.txt`), with fine or coarse labels. Node only.
 *
 * @example
 * const test = await loadCifar100({ split: 'test', labelMode: 'coarse', dataDir: '/data' }); // 20 classes
 */
export async function loadCifar100(options: Cifar100Options = {}): Promise<ImageDataset> {
  checkOneOf(failCifar100, 'labelMode', options.labelMode ?? 'fine', ['fine', 'coarse']);
  return loadCifar(failCifar100, 'cifar100', options, {
    datasetFolder: 'cifar100',
    folder: 'cifar-100-binary',
    train: ['train.bin'],
    test: ['test.bin'],
  });
}
