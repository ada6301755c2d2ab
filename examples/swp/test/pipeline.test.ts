import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  root = await mkdtemp(join(tmpdir(), 'swp-example-'));
  await writeFixture(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('trains a teacher, then runs every method and the correlation study end to end, and skips finished runs', {
  timeout: 900_000,
}, async () => {
  const lines: string[] = [];
  const argv = [
    '--step',
    'all',
    '--backend',
    'cpu',
    '--data-dir',
    root,
    '--teachers-dir',
    join(root, 'teachers'),
    '--runs',
    join(root, 'runs'),
    '--results',
    join(root, 'results'),
    '--width',
    '4',
    '--teacher-epochs',
    '1',
    '--batch-size',
    '8',
    '--max-batches',
    '2',
    '--val-per-class',
    '1',
    '--seeds',
    '0',
    '--iterations',
    '3',
    '--search-evaluations',
    '4',
    '--population',
    '2',
    '--calibration-batches',
    '1',
    '--fine-tune-epochs',
    '1',
    '--correlation-archs',
    '3',
    '--correlation-epochs',
    '1',
  ];
  await main(argv, (line) => lines.push(line));
  const files = (await readdir(join(root, 'results'))).sort();
  expect(files).toEqual(
    expect.arrayContaining([
      'resnet20-swp-macs50-seed0.json',
      'resnet20-one-stage-macs50-seed0.json',
      'resnet20-uniform-macs50-seed0.json',
      'resnet20-l1-macs50-seed0.json',
      'resnet20-correlation-swp-macs50.json',
      'resnet20-correlation-one-stage-macs50.json',
      'resnet20-summary.md',
      'resnet20-accuracy-vs-macs.svg',
    ]),
  );
  for (const method of ['swp', 'one-stage', 'uniform', 'l1']) {
    const results = JSON.parse(
      await readFile(join(root, 'results', `resnet20-${method}-macs50-seed0.json`), 'utf8'),
    );
    expect(results.schema).toBe('automl-ts/results@1');
    expect(results.data.macsFraction).toBeLessThanOrEqual(0.5);
    expect(results.outcomes['test/correct']).toHaveLength(20);
    expect(results.data.reloadedTestAccuracy).toBe(results.summary['test/correct'].mean);
    expect(results.provenance.timing.phases.training.wallMinutes).toBeGreaterThan(0);
  }
  const correlation = JSON.parse(
    await readFile(join(root, 'results', 'resnet20-correlation-swp-macs50.json'), 'utf8'),
  );
  expect(correlation.outcomes.proxy).toHaveLength(3);
  expect(correlation.outcomes.actual).toHaveLength(3);
  const teacher = JSON.parse(await readFile(join(root, 'teachers', 'resnet20', 'teacher.json'), 'utf8'));
  expect(teacher.outcomes['val/correct']).toHaveLength(10);

  const again: string[] = [];
  await main(
    argv.map((a) => (a === 'all' ? 'compare' : a)),
    (line) => again.push(line),
  );
  expect(again.filter((l) => l.includes('done earlier'))).toHaveLength(4);
});
