import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildResults, collectProvenance } from '@automl-ts/report';
import { describe, expect, test } from 'vitest';
import { quickstartBlock, regenerate } from '../scripts/readme-figures.js';

describe('README figures', () => {
  const resultsFile = join(import.meta.dirname, '..', 'results', 'results.json');
  if (!existsSync(resultsFile)) {
    console.warn(
      `[examples/quickstart] README figures test SKIPPED: ${resultsFile} is not committed yet (pnpm demo -- --commit-results); the README says its table is not regenerated.`,
    );
  }

  test.runIf(existsSync(resultsFile))(
    'the quickstart table of README.md is the one the committed results file gives',
    async () => {
      // examples/quickstart/results/results.json is written by `pnpm demo -- --commit-results`;
      // `pnpm --filter @automl-ts/example-quickstart readme-figures` rewrites the table from it.
      const readme = await readFile(resolve(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
      const regenerated = await regenerate(readme);
      expect(regenerated).toBe(readme);
      expect(readme).toMatch(/\| conv4-32, 3 epochs \| \d+\.\d\d% \|/);
      const results = JSON.parse(
        await readFile(join(import.meta.dirname, '..', 'results', 'results.json'), 'utf8'),
      );
      // The accuracies are the means of the stored per-image outcomes.
      const correct: number[] = results.outcomes['trained/test-correct'];
      expect(readme).toContain(
        `| ${((100 * correct.reduce((a, b) => a + b, 0)) / correct.length).toFixed(2)}% |`,
      );
    },
  );
});

describe('the README claim: the same seed gives the same numbers', () => {
  const resultsFile = join(import.meta.dirname, '..', 'results', 'results.json');
  // The full default run (about 1.5 minutes on 2 idle cores). Same seed, same backend: XNNPACK
  // splits work by output tiles, so the thread count does not change a value either. Tolerance:
  // the accuracies may differ by at most 2 of the 2,000 test images (0.1 %), for a CPU whose wasm
  // engine rounds differently; on the machine that wrote the results file they are identical.
  test.runIf(existsSync(resultsFile))(
    'a fresh `pnpm demo` reproduces the committed accuracies the README shows',
    async () => {
      const { execFile } = await import('node:child_process');
      const { promisify } = await import('node:util');
      const { mkdtemp, rm } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const out = await mkdtemp(join(tmpdir(), 'quickstart-reproduce-'));
      try {
        const root = resolve(import.meta.dirname, '..', '..', '..');
        await promisify(execFile)('sh', ['-c', `pnpm demo -- --out ${out}`], {
          cwd: root,
          maxBuffer: 64 * 1024 * 1024,
        });
        const fresh = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
        const committed = JSON.parse(await readFile(resultsFile, 'utf8'));
        for (const key of ['trained/test-correct', 'pruned/test-correct']) {
          const a: number[] = fresh.outcomes[key];
          const b: number[] = committed.outcomes[key];
          expect(a).toHaveLength(b.length);
          const sum = (v: number[]) => v.reduce((s, x) => s + x, 0);
          expect(Math.abs(sum(a) - sum(b)), key).toBeLessThanOrEqual(2);
        }
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    },
    1_200_000,
  );
});

describe('the README block', () => {
  test('is built from a results file: accuracies from the outcomes, sizes and latency from data', () => {
    const results = buildResults({
      pipeline: 'quickstart',
      run: 'quickstart-conv4-mnist-seed0',
      protocol: { id: 'quickstart/mnist-test@1', description: 'test' },
      config: { epochs: 3, pruneRatio: 0.5 },
      provenance: collectProvenance({
        seeds: { weightsAndBatches: 0 },
        backend: { name: 'wasm', threads: 2 },
        startedAt: new Date('2026-12-01T00:00:00Z'),
        finishedAt: new Date('2026-12-01T00:02:00Z'),
        phases: {},
      }),
      outcomes: { 'trained/test-correct': [1, 1, 1, 0], 'pruned/test-correct': [1, 0, 1, 0] },
      data: {
        trained: { macs: 2.57e6, params: 28_600, latencyMs: 0.381, testAccuracy: 0.75 },
        pruned: { macs: 0.7e6, params: 7_400, latencyMs: 0.234, testAccuracy: 0.5 },
      },
    });
    const block = quickstartBlock(results);
    expect(
      block.startsWith(
        '<!-- quickstart-table:start -->\nMeasured by `pnpm demo -- --commit-results` on wasm (',
      ),
    ).toBe(true);
    expect(block).toContain('| conv4-32, 3 epochs | 75.00% | 2.57M | 28.6k | 0.38 ms |');
    expect(block).toContain('| pruned 50% per group + 1 epoch fine-tune | 50.00% | 0.70M | 7.4k | 0.23 ms |');
    expect(block).toContain('Accuracies are over 4 test images');
    expect(block.endsWith('<!-- quickstart-table:end -->')).toBe(true);
  });
});

describe('the README command, from the repository root', () => {
  test('`pnpm demo` runs as written (with a short budget appended) and says where it wrote', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const out = await mkdtemp(join(tmpdir(), 'quickstart-readme-'));
    try {
      const root = resolve(import.meta.dirname, '..', '..', '..');
      const { stdout } = await promisify(execFile)(
        'sh',
        ['-c', `pnpm demo -- --train-images 256 --test-images 64 --epochs 1 --out ${out}`],
        { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      );
      expect(stdout).toContain(`results and loss plot written to ${out}`);
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
      expect(results.schema).toBe('automl-ts/results@1');
      expect(results.outcomes['trained/test-correct']).toHaveLength(64);
      expect(Object.keys(results.provenance.timing.phases)).toEqual(
        expect.arrayContaining(['training', 'fine-tuning', 'evaluation']),
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 600_000);
});
