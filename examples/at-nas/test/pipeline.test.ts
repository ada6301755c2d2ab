import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@automl-ts/core';
import { readResults } from '@automl-ts/report';
import { afterAll, expect, test } from 'vitest';
import { loadAtNasData } from '../src/data.js';
import { command } from '../src/main.js';
import { type PipelineOptions, runPipeline } from '../src/pipeline.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

test('the pipeline end to end on tiny data: trains every method, meta-tests, writes JSON, table and SVGs; a rerun resumes to the same numbers', async () => {
  await initBackend({ prefer: 'cpu' });
  const root = await mkdtemp(join(tmpdir(), 'automl-ts-at-nas-example-'));
  dirs.push(root);
  const lines: string[] = [];
  const options: PipelineOptions = {
    dataDir: undefined,
    metaTest: 'auto',
    ways: 3,
    shots: 1,
    queries: 2,
    iterations: 6,
    metaBatchSize: 1,
    innerSteps: 1,
    channels: 3,
    conv4Channels: 4,
    populationSize: 3,
    evolveEvery: 3,
    children: 1,
    fitnessTasks: 1,
    testTasks: 2,
    adaptGenerations: 1,
    seed: 1,
    methods: ['at-nas', 'uniform', 'maml-conv4'],
    runsDirectory: join(root, 'runs'),
    resultsDirectory: join(root, 'results'),
    log: (line) => lines.push(line),
    imageSize: 16,
  };
  const first = await runPipeline(options);
  const results = await readResults(first.resultsPath);
  expect(Object.keys(results.outcomes).sort()).toEqual(
    [
      'meta-test/AT-NAS (per-task architecture adaptation)/accuracy',
      'meta-test/AT-NAS best architecture, no per-task adaptation/accuracy',
      'meta-test/adaptation-seconds',
      'meta-test/first-order MAML, fixed conv4-4/accuracy',
      'meta-test/random architecture, same meta-trained supernet/accuracy',
      'meta-test/uniform sampling (no EA in the loop), best of P on meta-val/accuracy',
    ].sort(),
  );
  for (const [name, values] of Object.entries(results.outcomes)) {
    expect(values, name).toHaveLength(2);
    if (name.endsWith('/accuracy')) for (const v of values) expect(v).toBeGreaterThanOrEqual(0);
  }
  expect(results.provenance.timing.phases).toHaveProperty('training');
  expect(results.provenance.timing.phases).toHaveProperty('evaluation');
  expect((results.data as { generations: unknown[] }).generations).toHaveLength(2);
  expect((await readdir(options.resultsDirectory)).sort()).toEqual(
    [
      'at-nas-3w1s-mnist-seed1-curves.svg',
      'at-nas-3w1s-mnist-seed1-population.svg',
      'at-nas-3w1s-mnist-seed1.json',
      'at-nas-3w1s-mnist-seed1.md',
    ].sort(),
  );
  expect(lines.some((line) => line.includes('generation 1'))).toBe(true);

  // Rerun: every method resumes from its final checkpoint and the meta-test numbers are the same.
  const again = await runPipeline({ ...options, resultsDirectory: join(root, 'results-again') });
  const second = await readResults(again.resultsPath);
  const withoutTimes = (o: Readonly<Record<string, readonly number[]>>) =>
    Object.fromEntries(Object.entries(o).filter(([name]) => !name.includes('seconds')));
  expect(withoutTimes(second.outcomes)).toEqual(withoutTimes(results.outcomes));
}, 300_000);

test('the command line: --help, and bad values name the option', () => {
  expect(command.parse(['--help'])).toBeUndefined();
  expect(command.help()).toContain('--meta-iterations');
  expect(() => command.parse(['--ways', '1'])).toThrow(/--ways must be an integer >= 2, got "1"/);
});

test('--meta-test evaluation without images_evaluation.zip names the paths it looked for', async () => {
  const root = await mkdtemp(join(tmpdir(), 'automl-ts-at-nas-example-'));
  dirs.push(root);
  await expect(loadAtNasData(root, 'evaluation')).rejects.toThrow(
    /^@automl-ts\/example-at-nas: --meta-test evaluation needs Omniglot's images_evaluation\.zip; looked for ".*omniglot\/images_evaluation\.zip"/,
  );
});
