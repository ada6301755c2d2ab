import { join } from 'node:path';
import {
  CIFAR10_CLASS_NAMES,
  CIFAR100_COARSE_CLASS_NAMES,
  CIFAR100_FINE_CLASS_NAMES,
  decodeCifarBatch,
  loadCifar10,
  loadCifar100,
  streamCifarRecords,
} from '@automl-ts/datasets';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cifarBytes, gzip, pixel, tempDir, writeBytes } from './helpers/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

/** Pixel (y, x, c) of a fixture record with `seed`, as stored HWC after decoding. */
const expected = (seed: number, y: number, x: number, c: number) => pixel(seed, c * 1024 + y * 32 + x);

describe('decodeCifarBatch', () => {
  test('turns channel-planar records into HWC images with labels', () => {
    const bytes = cifarBytes([
      { label: 3, seed: 1 },
      { label: 9, seed: 2 },
    ]);
    const batch = decodeCifarBatch(bytes);
    expect(batch.size).toBe(2);
    expect(Array.from(batch.labels)).toEqual([3, 9]);
    expect(batch.coarseLabels).toBeUndefined();
    expect(batch.images.length).toBe(2 * 32 * 32 * 3);
    for (const [y, x, c] of [
      [0, 0, 0],
      [5, 17, 1],
      [31, 31, 2],
    ] as const) {
      expect(batch.images[(y * 32 + x) * 3 + c]).toBe(expected(1, y, x, c));
      expect(batch.images[3072 + (y * 32 + x) * 3 + c]).toBe(expected(2, y, x, c));
    }
  });

  test('reads CIFAR-100 coarse and fine labels', () => {
    const batch = decodeCifarBatch(
      cifarBytes([{ label: 99, coarse: 19, seed: 0 }], 'cifar100'),
      'train.bin',
      {
        variant: 'cifar100',
      },
    );
    expect(Array.from(batch.labels)).toEqual([99]);
    expect(Array.from(batch.coarseLabels!)).toEqual([19]);
  });

  test.each([
    [
      'a truncated batch',
      cifarBytes([{ label: 1, seed: 0 }]).subarray(0, 3000),
      'cifar10',
      /"b\.bin" is truncated: it ends at offset 3000, inside record 0 \(cifar10 records are 3073 bytes/,
    ],
    [
      'a label out of range',
      cifarBytes([
        { label: 1, seed: 0 },
        { label: 12, seed: 0 },
      ]),
      'cifar10',
      /"b\.bin": record 1 at offset 3073 has label 12, outside \[0, 9\] for cifar10/,
    ],
    [
      'a CIFAR-10 file read as CIFAR-100',
      cifarBytes([
        { label: 1, seed: 0 },
        { label: 2, seed: 0 },
      ]),
      'cifar100',
      /truncated: it ends at offset 6146, inside record 1 \(cifar100 records are 3074 bytes/,
    ],
  ] as const)('rejects %s, naming the file and offset', (_, bytes, variant, message) => {
    expect(() => decodeCifarBatch(bytes, 'b.bin', { variant })).toThrowError(message);
    expect(() => decodeCifarBatch(bytes, 'b.bin', { variant })).toThrowError(
      /^@automl-ts\/datasets\/decodeCifarBatch:/,
    );
  });
});

describe('streamCifarRecords', () => {
  test('streams records, also from gzip', async () => {
    const records = Array.from({ length: 7 }, (_, i) => ({ label: i % 10, seed: i }));
    const file = await writeBytes(join(dir, 'stream', 'b.bin.gz'), gzip(cifarBytes(records)));
    const labels: number[] = [];
    for await (const record of streamCifarRecords(file)) {
      labels.push(record.label);
      expect(record.image[(2 * 32 + 3) * 3 + 1]).toBe(expected(record.index, 2, 3, 1));
    }
    expect(labels).toEqual(records.map((r) => r.label));
  });

  test('a truncated file is an error naming the file, offset and record', async () => {
    const file = await writeBytes(
      join(dir, 'stream', 'cut.bin'),
      cifarBytes([
        { label: 1, seed: 0 },
        { label: 1, seed: 0 },
      ]).subarray(0, 4000),
    );
    await expect(
      (async () => {
        for await (const _ of streamCifarRecords(file));
      })(),
    ).rejects.toThrowError(
      `@automl-ts/datasets/streamCifarRecords: "${file}" is truncated: it ends at offset 4000, inside record 1`,
    );
  });
});

describe('loadCifar10 and loadCifar100', () => {
  test('loadCifar10 reads the five training batches in order and the class names', async () => {
    const folder = join(dir, 'data', 'cifar-10-batches-bin');
    for (let b = 1; b <= 5; b++) {
      await writeBytes(
        join(folder, `data_batch_${b}.bin`),
        cifarBytes([
          { label: b, seed: b * 10 },
          { label: b + 1, seed: b * 10 + 1 },
        ]),
      );
    }
    await writeBytes(join(folder, 'test_batch.bin'), cifarBytes([{ label: 0, seed: 99 }]));
    await writeBytes(join(folder, 'batches.meta.txt'), `${CIFAR10_CLASS_NAMES.join('\n')}\n\n`);
    const train = await loadCifar10({ dataDir: join(dir, 'data') });
    expect(train.size).toBe(10);
    expect(train.shape).toEqual({ height: 32, width: 32, channels: 3 });
    expect(Array.from(train.labels)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    expect(train.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(train.images[3072 * 9 + (31 * 32 + 0) * 3 + 2]).toBe(expected(51, 31, 0, 2));
    const limited = await loadCifar10({ directory: folder, limit: 3 });
    expect(Array.from(limited.labels)).toEqual([1, 2, 2]);
    const test = await loadCifar10({ directory: folder, split: 'test' });
    expect(test.size).toBe(1);
  });

  test('the data root is searched as for Omniglot: <root>/cifar10/cifar-10-batches-bin, then <root>/cifar-10-batches-bin (issue 19)', async () => {
    // What a user did: AUTOML_DATA_DIR-style root holding cifar10/ and omniglot/ side by side.
    const root = join(dir, 'root');
    const folder = join(root, 'cifar10', 'cifar-10-batches-bin');
    for (let b = 1; b <= 5; b++)
      await writeBytes(join(folder, `data_batch_${b}.bin`), cifarBytes([{ label: b, seed: b }]));
    const train = await loadCifar10({ dataDir: root });
    expect(Array.from(train.labels)).toEqual([1, 2, 3, 4, 5]);
    // The dataset's own folder comes first when both exist.
    const flat = join(root, 'cifar-10-batches-bin');
    for (let b = 1; b <= 5; b++)
      await writeBytes(join(flat, `data_batch_${b}.bin`), cifarBytes([{ label: 0, seed: b }]));
    expect(Array.from((await loadCifar10({ dataDir: root })).labels)).toEqual([1, 2, 3, 4, 5]);
    const saved = process.env['AUTOML_DATA_DIR'];
    process.env['AUTOML_DATA_DIR'] = root;
    try {
      expect((await loadCifar10()).size).toBe(5);
    } finally {
      if (saved === undefined) delete process.env['AUTOML_DATA_DIR'];
      else process.env['AUTOML_DATA_DIR'] = saved;
    }
    const empty = join(dir, 'empty-root');
    await writeBytes(join(empty, 'readme.txt'), 'nothing here');
    await expect(loadCifar100({ dataDir: empty })).rejects.toThrowError(
      `@automl-ts/datasets/loadCifar100: cifar100 not found under the data directory "${empty}"; looked for "${join(empty, 'cifar100', 'cifar-100-binary')}", "${join(empty, 'cifar-100-binary')}"`,
    );
  });

  test('loadCifar100 labels with fine or coarse classes', async () => {
    const folder = join(dir, 'data', 'cifar-100-binary');
    await writeBytes(
      join(folder, 'train.bin'),
      cifarBytes(
        [
          { label: 4, coarse: 0, seed: 1 },
          { label: 30, coarse: 0, seed: 2 },
          { label: 99, coarse: 13, seed: 3 },
        ],
        'cifar100',
      ),
    );
    const fine = await loadCifar100({ directory: folder });
    expect(Array.from(fine.labels)).toEqual([4, 30, 99]);
    expect(fine.classNames).toEqual(CIFAR100_FINE_CLASS_NAMES);
    expect(fine.classNames[99]).toBe('worm');
    const coarse = await loadCifar100({ directory: folder, labelMode: 'coarse' });
    expect(Array.from(coarse.labels)).toEqual([0, 0, 13]);
    expect(coarse.classNames).toEqual(CIFAR100_COARSE_CLASS_NAMES);
    expect(coarse.classNames).toHaveLength(20);
  });

  test('a missing batch file is named', async () => {
    const folder = join(dir, 'partial', 'cifar-10-batches-bin');
    await writeBytes(join(folder, 'data_batch_1.bin'), cifarBytes([{ label: 1, seed: 1 }]));
    await expect(loadCifar10({ directory: folder })).rejects.toThrowError(
      `@automl-ts/datasets/loadCifar10: "${join(folder, 'data_batch_2.bin')}" not found`,
    );
  });

  test('a truncated batch file is an error naming the file and the offset', async () => {
    const folder = join(dir, 'cut', 'cifar-100-binary');
    await writeBytes(
      join(folder, 'test.bin'),
      cifarBytes([{ label: 1, seed: 1 }], 'cifar100').subarray(0, 3074 - 10),
    );
    await writeBytes(join(folder, 'train.bin'), new Uint8Array(0));
    await expect(loadCifar100({ directory: folder, split: 'test' })).rejects.toThrowError(
      `@automl-ts/datasets/loadCifar100: "${join(folder, 'test.bin')}" is truncated: it ends at offset 3064, inside record 0`,
    );
  });

  test('options are validated', async () => {
    await expect(loadCifar100({ labelMode: 'medium' as 'fine' })).rejects.toThrowError(
      '@automl-ts/datasets/loadCifar100: labelMode must be one of "fine", "coarse"; got "medium"',
    );
    await expect(loadCifar10({ split: 'val' as 'train' })).rejects.toThrowError(
      'split must be one of "train", "test"; got "val"',
    );
  });
});
