// End to end on a tiny synthetic CIFAR-layout fixture (built here): five forms, one seed, a run
// stopped mid-way and resumed, results JSON with provenance, table, chart, and the best fused
// model exported, reloaded with stock tf.loadLayersModel and scoring what the fused model scored.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, initBackend } from '@automl-ts/core';
import { readResults } from '@automl-ts/report';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FORMS, runPipeline } from '../src/pipeline.js';

const TINY = {
  stemWidth: 4,
  depths: [1, 1, 1, 1],
  widths: [4, 8, 8, 8],
  stemStride: 2,
  stageStrides: [1, 2, 2, 1],
} as const;
let root: string;

/** CIFAR binary records: label byte, then 1024 red, 1024 green, 1024 blue bytes; class k is bright in channel k % 3. */
function cifarFile(records: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const bytes = new Uint8Array(records * 3073);
  for (let r = 0; r < records; r++) {
    const label = r % 3;
    bytes[r * 3073] = label;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 1024; p++)
        bytes[r * 3073 + 1 + c * 1024 + p] = (c === label ? 150 : 40) + rng.int(0, 60);
    }
  }
  return bytes;
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  root = await mkdtemp(join(tmpdir(), 'repnas-pipeline-'));
  const cifar = join(root, 'cifar-10-batches-bin');
  await import('node:fs/promises').then((fs) => fs.mkdir(cifar));
  for (let i = 1; i <= 5; i++) await writeFile(join(cifar, `data_batch_${i}.bin`), cifarFile(24, i));
  await writeFile(join(cifar, 'test_batch.bin'), cifarFile(30, 9));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('five forms train, fuse, report and export; a stopped run resumes', async () => {
  const lines: string[] = [];
  const options = {
    forms: FORMS,
    seeds: [0],
    size: TINY,
    epochs: 1,
    batchSize: 12,
    data: { cifarDir: join(root, 'cifar-10-batches-bin'), valFraction: 0.2, splitSeed: 0 },
    resultsDir: join(root, 'results'),
    checkpointDir: join(root, 'runs', 'checkpoints'),
    checkpointEvery: 2,
    // 96 training images, batch 12: 8 steps per run; the first pass stops every run at step 3.
    exampleDir: root,
    log: (line: string) => lines.push(line),
    latencyRuns: 2,
  };
  const first = await runPipeline({ ...options, stopAfterStep: 3 });
  expect(first.summary).toEqual({ unfinished: 5 });
  const second = await runPipeline(options);
  expect(second.results).toHaveLength(5);
  const files = (await readdir(options.resultsDir)).sort();
  expect(files).toEqual(
    expect.arrayContaining([
      'accuracy.svg',
      'best-model',
      'summary.md',
      ...FORMS.map((f) => `${f}-seed0.json`),
    ]),
  );
  const macs = new Set<number>();
  for (const form of FORMS) {
    const result = await readResults(join(options.resultsDir, `${form}-seed0.json`));
    expect(result.provenance.seeds['weights']).toBe(0);
    expect(result.outcomes['test/correct']).toHaveLength(30);
    expect(result.outcomes['val/correct']?.length).toBeGreaterThan(0);
    // The fused net classifies exactly as the multi-branch net.
    expect(result.outcomes['test/correct']).toEqual(result.outcomes['test-unfused/correct']);
    macs.add((result.data as Record<string, number>)['fusedMacs'] as number);
  }
  expect(macs.size).toBe(1);
  const exported = (second.summary as { exported: Record<string, number> }).exported;
  expect(exported['reloadedTestAccuracy']).toBe(exported['recordedFusedTestAccuracy']);
  const odbb = await readResults(join(options.resultsDir, 'odbb-seed0.json'));
  expect((odbb.data as { kept: string[][] }).kept.flat()).toHaveLength(10);
}, 900_000);

test('ODBB retrained from scratch: the searched branches, fresh weights, the same export checks', async () => {
  const options = {
    forms: ['odbb'] as const,
    seeds: [1],
    size: TINY,
    epochs: 1,
    batchSize: 12,
    data: { cifarDir: join(root, 'cifar-10-batches-bin'), valFraction: 0.2, splitSeed: 0 },
    resultsDir: join(root, 'results-retrain'),
    checkpointDir: join(root, 'runs-retrain', 'checkpoints'),
    checkpointEvery: 4,
    exampleDir: root,
    log: () => undefined,
    latencyRuns: 2,
    retrainSearched: true,
  };
  const { results } = await runPipeline(options);
  const result = results[0]!;
  expect(result.config['retrainSearched']).toBe(true);
  expect(result.outcomes['test/correct']).toEqual(result.outcomes['test-unfused/correct']);
  expect((result.data as { kept: string[][] }).kept.flat()).toHaveLength(10);
}, 600_000);
