import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@automl-ts/core';
import { loadCifarSplits } from '@automl-ts/example-swp/data';
import { trainTeacher } from '@automl-ts/example-swp/teachers';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { main } from '../src/main.js';

// A tiny CIFAR-10 in the binary layout: 1 label byte + 3072 pixel bytes (R, G, B planes) per record.
async function writeFixture(root: string): Promise<void> {
  const dir = join(root, 'cifar10', 'cifar-10-batches-bin');
  await mkdir(dir, { recursive: true });
  const file = (records: number, offset: number) => {
    const bytes = new Uint8Array(records * 3073);
    for (let r = 0; r < records; r++) {
      const label = (r + offset) % 10;
      bytes[r * 3073] = label;
      for (let p = 0; p < 3072; p++) bytes[r * 3073 + 1 + p] = (label * 25 + ((p * 7 + r * 13) % 50)) % 256;
    }
    return bytes;
  };
  for (let b = 1; b <= 5; b++) await writeFile(join(dir, `data_batch_${b}.bin`), file(12, b));
  await writeFile(join(dir, 'test_batch.bin'), file(20, 0));
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gp-example-'));
  await writeFixture(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('every method end to end on a synthetic CIFAR fixture; a second run skips finished runs', {
  timeout: 1_500_000,
}, async () => {
  await initBackend({ prefer: 'wasm' });
  const data = await loadCifarSplits({ dataDir: root, valPerClass: 1 });
  await trainTeacher({
    name: 'resnet20',
    data,
    outDir: join(root, 'teachers', 'resnet20'),
    epochs: 1,
    batchSize: 16,
    width: 4,
  });
  const argv = [
    '--backend',
    'wasm',
    '--data-dir',
    root,
    '--teachers-dir',
    join(root, 'teachers'),
    '--runs',
    join(root, 'runs'),
    '--results',
    join(root, 'results'),
    '--seeds',
    '0',
    '--pruningnet-steps',
    '3',
    '--episodes',
    '3',
    '--warmup-episodes',
    '1',
    '--batch-size',
    '16',
    '--train-batches',
    '2',
    '--calibration-batches',
    '1',
    '--validation-batches',
    '1',
    '--fine-tune-epochs',
    '1',
    '--val-per-class',
    '1',
  ];
  const lines: string[] = [];
  await main(argv, (line) => lines.push(line));
  const files = (await readdir(join(root, 'results'))).sort();
  expect(files).toEqual([
    'resnet20-amc-seed0.json',
    'resnet20-graphpruning-seed0.json',
    'resnet20-random-seed0.json',
    'resnet20-uniform-seed0.json',
    'reward-per-episode.svg',
  ]);
  for (const file of files.filter((f) => f.endsWith('.json'))) {
    const results = JSON.parse(await readFile(join(root, 'results', file), 'utf8'));
    expect(results.data.macs).toBeLessThanOrEqual(results.data.targetMacs);
    expect(results.outcomes['test/correct']).toHaveLength(20);
    // The exported model, reloaded with stock tf.loadLayersModel, gives the same test outcomes.
    expect(results.outcomes['test/correct-reloaded']).toEqual(results.outcomes['test/correct']);
    expect(results.provenance.git?.commit).toMatch(/^[0-9a-f]{40}$/);
  }
  expect(lines.some((l) => l.includes('PruningNet step 3/3'))).toBe(true);
  const again: string[] = [];
  await main(argv, (line) => again.push(line));
  expect(again.filter((l) => l.includes('skipped'))).toHaveLength(4);
});
