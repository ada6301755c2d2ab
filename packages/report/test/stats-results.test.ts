import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildResults,
  checkResults,
  collectProvenance,
  createRunClock,
  RESULTS_SCHEMA,
  readResults,
  summarize,
  summarizeOverSeeds,
  tQuantile975,
  writeResults,
} from '@automl-ts/report';
import { describe, expect, test } from 'vitest';

describe('summaries', () => {
  test('mean, sample std and the normal 95% interval, checked by hand', () => {
    // mean 0.9, deviations ±0.1 → variance 0.01 (n − 1 = 2) → std 0.1; ci = 1.96·0.1/√3.
    const s = summarize([0.8, 0.9, 1]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(0.9, 15);
    expect(s.std).toBeCloseTo(0.1, 15);
    expect(s.ci95).toBeCloseTo((1.96 * 0.1) / Math.sqrt(3), 15);
    expect(summarize([0.8, 0.9, 1], 't').ci95).toBeCloseTo((4.303 * 0.1) / Math.sqrt(3), 12);
    expect(summarize([2])).toMatchObject({ n: 1, mean: 2, std: 0, ci95: 0 });
    expect(Number.isNaN(summarize([]).mean)).toBe(true);
  });

  test('the same interval as @automl-ts/meta-learning evaluate (1.96·s/√n) on random samples', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let trial = 0; trial < 20; trial++) {
      const values = Array.from({ length: 2 + Math.floor(random() * 50) }, random);
      const n = values.length;
      const mean = values.reduce((a, b) => a + b, 0) / n;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
      expect(summarize(values).ci95).toBeCloseTo((1.96 * Math.sqrt(variance)) / Math.sqrt(n), 12);
    }
  });

  test('over seeds: the interval of the seed means uses t with seeds − 1 degrees of freedom', () => {
    const result = summarizeOverSeeds([
      [1, 1, 0, 1],
      [1, 0, 0, 1],
      [1, 1, 1, 1],
    ]);
    expect(result.perSeed.map((s) => s.mean)).toEqual([0.75, 0.5, 1]);
    expect(result.overSeeds.mean).toBeCloseTo(0.75, 15);
    expect(result.overSeeds.std).toBeCloseTo(0.25, 15);
    expect(result.overSeeds.ci95).toBeCloseTo((tQuantile975(2) * 0.25) / Math.sqrt(3), 12);
    expect(result.pooled.n).toBe(12);
    expect(tQuantile975(30)).toBe(2.042);
    expect(tQuantile975(31)).toBe(1.96);
  });
});

describe('results files', () => {
  const clock = createRunClock(
    (() => {
      let wall = 0;
      let cpu = 0;
      return {
        wallSeconds: () => (wall += 30),
        cpuSeconds: () => (cpu += 60),
      };
    })(),
    new Date('2026-01-01T00:00:00Z'),
  );

  test('the run clock keeps phases apart, in minutes of wall and CPU time', async () => {
    expect(await clock.time('training', () => 7)).toBe(7);
    clock.add('evaluation', { wall: 120, cpu: 60 });
    expect(clock.phases()).toEqual({
      training: { wallMinutes: 0.5, cpuMinutes: 1 },
      evaluation: { wallMinutes: 2, cpuMinutes: 1 },
    });
  });

  test('provenance records git, command, packages and machine', () => {
    const provenance = collectProvenance({
      seeds: { weights: 3 },
      backend: { name: 'cpu', threads: null },
      startedAt: clock.startedAt,
      phases: clock.phases(),
      from: import.meta.dirname,
      argv: ['node', 'main.ts', '--shots', '1'],
    });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: import.meta.dirname,
      encoding: 'utf8',
    }).trim();
    expect(provenance.git?.commit).toBe(head);
    expect(typeof provenance.git?.dirty).toBe('boolean');
    expect(provenance.command.argv).toEqual(['node', 'main.ts', '--shots', '1']);
    expect(provenance.packages['@tensorflow/tfjs']).toBe('4.22.0');
    expect(provenance.packages['@automl-ts/core']).toBe('0.0.0');
    expect(provenance.machine.cores).toBeGreaterThan(0);
    expect(provenance.machine.node).toBe(process.version);
    expect(provenance.timing.startedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(provenance.timing.phases.training).toEqual({ wallMinutes: 0.5, cpuMinutes: 1 });
    expect(provenance.seeds).toEqual({ weights: 3 });
  });

  test('written atomically, read back, summaries recomputable; tampering is caught', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'report-results-'));
    try {
      const results = buildResults({
        pipeline: 'test',
        run: 'r1',
        protocol: { id: 'p@1', description: 'a test' },
        config: { shots: 1 },
        provenance: collectProvenance({
          seeds: {},
          backend: { name: 'cpu', threads: null },
          startedAt: new Date(),
          phases: {},
        }),
        outcomes: { accuracy: [0.8, 0.9, 1] },
        data: { curve: [1, 2] },
      });
      expect(results.schema).toBe(RESULTS_SCHEMA);
      expect(results.summary.accuracy?.mean).toBeCloseTo(0.9, 15);
      const path = join(directory, 'nested', 'r1.json');
      await writeResults(path, results);
      const read = await readResults(path);
      expect(read).toEqual(JSON.parse(JSON.stringify(results)));
      const tampered = { ...read, outcomes: { accuracy: [0.8, 0.9] } };
      await writeFile(path, JSON.stringify(tampered));
      await expect(readResults(path)).rejects.toThrow(
        /@automl-ts\/report\/checkResults: .*summary\["accuracy"\] does not match its 2 outcomes/,
      );
      expect(() => checkResults({ schema: 'x' })).toThrow(
        /is not an automl-ts\/results@1 file \(schema "x"\)/,
      );
      await expect(readResults(join(directory, 'missing.json'))).rejects.toThrow(
        /cannot read ".*missing.json"/,
      );
      expect(() =>
        buildResults({ ...results, outcomes: { accuracy: [Number.NaN] }, protocol: results.protocol }),
      ).toThrow(/outcomes\["accuracy"\] must be an array of finite numbers/);
      expect((await readFile(path, 'utf8')).length).toBeGreaterThan(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
