import { join } from 'node:path';
import {
  decodeIdx,
  loadIdxDataset,
  loadMnist,
  MNIST_CLASS_NAMES,
  readIdxFile,
  streamIdxRecords,
} from '@automl-ts/datasets';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gzip, idxBytes, mnistLike, tempDir, writeBytes } from './helpers/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

describe('decodeIdx', () => {
  test.each([
    ['uint8', [2, 3], [0, 1, 2, 253, 254, 255]],
    ['int8', [4], [-128, -1, 0, 127]],
    ['int16', [2, 2], [-32768, -2, 3, 32767]],
    ['int32', [3], [-2147483648, 0, 2147483647]],
    ['float32', [2], [1.5, -0.25]],
    ['float64', [2], [Math.PI, -1e-300]],
  ] as const)('decodes %s big-endian values', (dtype, shape, values) => {
    const decoded = decodeIdx(idxBytes(dtype, shape, values));
    expect(decoded.dtype).toBe(dtype);
    expect(decoded.shape).toEqual(shape);
    expect(Array.from(decoded.data)).toEqual(values);
  });

  test('gunzips gzipped bytes', () => {
    const { images } = mnistLike(3, 4, 5);
    const raw = decodeIdx(images);
    const gz = decodeIdx(gzip(images));
    expect(gz.shape).toEqual([3, 4, 5]);
    expect(Array.from(gz.data)).toEqual(Array.from(raw.data));
  });

  test.each([
    [
      'a wrong magic number',
      Uint8Array.of(0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 7),
      /bad magic number 0x12340801 at offset 0/,
    ],
    [
      'an unknown type byte',
      Uint8Array.of(0, 0, 0x07, 0x01, 0, 0, 0, 1, 7),
      /bad magic number 0x00000701 at offset 0/,
    ],
    [
      'a header cut short',
      Uint8Array.of(0, 0, 0x08, 0x03, 0, 0),
      /truncated: 6 bytes is shorter than the IDX header/,
    ],
    [
      'data cut inside a record',
      idxBytes('uint8', [3, 2, 2], Array(12).fill(1)).subarray(0, 16 + 6),
      /truncated: it ends at offset 22, inside record 1 of 3 \(uint8 \[3, 2, 2\] needs 28 bytes\)/,
    ],
    [
      'trailing bytes',
      Uint8Array.from([...idxBytes('uint8', [2], [1, 2]), 9, 9]),
      /2 unexpected bytes after the data at offset 10/,
    ],
    [
      'a corrupt gzip stream',
      Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3),
      /gzip stream is corrupt or truncated/,
    ],
  ])('rejects %s, naming the source and offset', (_, bytes, message) => {
    expect(() => decodeIdx(bytes, 'train-images-idx3-ubyte')).toThrowError(message);
    expect(() => decodeIdx(bytes, 'train-images-idx3-ubyte')).toThrowError(
      /^@automl-ts\/datasets\/decodeIdx: "train-images-idx3-ubyte"/,
    );
  });
});

describe('readIdxFile and streamIdxRecords', () => {
  test('read raw and gzipped files, whole or the first records', async () => {
    const { images, imageValues } = mnistLike(50, 6, 7);
    const raw = await writeBytes(join(dir, 'read', 'images-idx3-ubyte'), images);
    const gz = await writeBytes(join(dir, 'read', 'images-idx3-ubyte.gz'), gzip(images));
    for (const file of [raw, gz]) {
      const all = await readIdxFile(file);
      expect(all.shape).toEqual([50, 6, 7]);
      expect(Array.from(all.data)).toEqual(imageValues);
      const first = await readIdxFile(file, { limit: 3 });
      expect(first.shape).toEqual([3, 6, 7]);
      expect(Array.from(first.data)).toEqual(imageValues.slice(0, 3 * 42));
    }
  });

  test('streams records one by one and stops early', async () => {
    const { labels, labelValues } = mnistLike(25, 2, 2, 7);
    const file = await writeBytes(join(dir, 'stream', 'labels.gz'), gzip(labels));
    const seen: number[] = [];
    for await (const record of streamIdxRecords(file)) {
      expect(record.header.shape).toEqual([25]);
      expect(record.index).toBe(seen.length);
      seen.push(record.data[0]!);
    }
    expect(seen).toEqual(labelValues);
    const firstFive: number[] = [];
    for await (const record of streamIdxRecords(file, { limit: 5 })) firstFive.push(record.data[0]!);
    expect(firstFive).toEqual(labelValues.slice(0, 5));
  });

  test.each([
    ['raw', false],
    ['gzipped', true],
  ])('a truncated %s file is an error naming the file and the offset', async (_, gzipped) => {
    const whole = idxBytes('uint8', [4, 3, 3], Array(36).fill(5));
    const cut = whole.subarray(0, 16 + 20);
    const file = await writeBytes(join(dir, 'truncated', `cut-${gzipped}`), gzipped ? gzip(cut) : cut);
    const offset = gzipped ? 'decompressed offset 36' : 'offset 36';
    await expect(readIdxFile(file)).rejects.toThrowError(
      `@automl-ts/datasets/readIdxFile: "${file}" is truncated: it ends at ${offset}, inside record 2 of 4`,
    );
    await expect(
      (async () => {
        for await (const _record of streamIdxRecords(file));
      })(),
    ).rejects.toThrowError(/^@automl-ts\/datasets\/streamIdxRecords: .* is truncated/);
  });

  test('a gzip file cut short is an error naming the file', async () => {
    const gz = gzip(idxBytes('uint8', [100], Array(100).fill(3)));
    const file = await writeBytes(join(dir, 'truncated', 'cut.gz'), gz.subarray(0, gz.length - 12));
    await expect(readIdxFile(file)).rejects.toThrowError(
      `"${file}": the gzip stream is corrupt or truncated`,
    );
  });

  test('a missing file is an error naming it', async () => {
    const file = join(dir, 'nope', 'missing-idx1-ubyte');
    await expect(readIdxFile(file)).rejects.toThrowError(
      `@automl-ts/datasets/readIdxFile: cannot read "${file}"`,
    );
  });

  test('limit is validated', async () => {
    await expect(readIdxFile('x', { limit: -1 })).rejects.toThrowError(
      'limit must be an integer >= 0, got -1',
    );
  });
});

describe('loadIdxDataset and loadMnist', () => {
  test('pairs images and labels into a dataset', async () => {
    const { images, labels, imageValues, labelValues } = mnistLike(20, 4, 4);
    const imagesFile = await writeBytes(join(dir, 'pair', 'images'), images);
    const labelsFile = await writeBytes(join(dir, 'pair', 'labels'), gzip(labels));
    const dataset = await loadIdxDataset({ images: imagesFile, labels: labelsFile });
    expect(dataset.size).toBe(20);
    expect(dataset.shape).toEqual({ height: 4, width: 4, channels: 1 });
    expect(dataset.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(Array.from(dataset.labels)).toEqual(labelValues);
    expect(Array.from(dataset.images)).toEqual(imageValues);
  });

  test('rejects images and labels of different lengths', async () => {
    const a = mnistLike(5, 2, 2);
    const b = mnistLike(6, 2, 2);
    const imagesFile = await writeBytes(join(dir, 'mismatch', 'images'), a.images);
    const labelsFile = await writeBytes(join(dir, 'mismatch', 'labels'), b.labels);
    await expect(loadIdxDataset({ images: imagesFile, labels: labelsFile })).rejects.toThrowError(
      `@automl-ts/datasets/loadIdxDataset: "${imagesFile}" has 5 images but "${labelsFile}" has 6 labels`,
    );
  });

  test('rejects a label outside the given classes', async () => {
    const imagesFile = await writeBytes(join(dir, 'range', 'images'), mnistLike(3, 2, 2).images);
    const labelsFile = await writeBytes(join(dir, 'range', 'labels'), idxBytes('uint8', [3], [0, 1, 4]));
    await expect(
      loadIdxDataset({ images: imagesFile, labels: labelsFile, classNames: ['a', 'b', 'c'] }),
    ).rejects.toThrowError(/label 2 is 4, outside the 3 classes given \(0\.\.2\)/);
  });

  test.each(['mnist', 'fashion-mnist', 'kmnist'] as const)(
    'loadMnist finds the %s files in <dataDir>/<variant>',
    async (variant) => {
      const train = mnistLike(12, 28, 28);
      const test = mnistLike(4, 28, 28);
      const folder = join(dir, 'data', variant);
      await writeBytes(join(folder, 'train-images-idx3-ubyte.gz'), gzip(train.images));
      await writeBytes(join(folder, 'train-labels-idx1-ubyte.gz'), gzip(train.labels));
      await writeBytes(join(folder, 't10k-images-idx3-ubyte'), test.images);
      await writeBytes(join(folder, 't10k-labels-idx1-ubyte'), test.labels);
      const loaded = await loadMnist({ variant, dataDir: join(dir, 'data') });
      expect(loaded.size).toBe(12);
      expect(loaded.name).toBe(`${variant}-train`);
      expect(loaded.classNames).toEqual(MNIST_CLASS_NAMES[variant]);
      const testSplit = await loadMnist({ variant, split: 'test', directory: folder, limit: 2 });
      expect(testSplit.size).toBe(2);
    },
  );

  test('loadMnist names the missing file', async () => {
    await expect(loadMnist({ dataDir: join(dir, 'empty') })).rejects.toThrowError(
      `@automl-ts/datasets/loadMnist: "${join(dir, 'empty', 'mnist', 'train-images-idx3-ubyte')}" (or .gz) not found`,
    );
  });

  test('loadMnist validates its options', async () => {
    await expect(loadMnist({ variant: 'emnist' as 'mnist' })).rejects.toThrowError(
      '@automl-ts/datasets/loadMnist: variant must be one of "mnist", "fashion-mnist", "kmnist"; got "emnist"',
    );
  });
});
