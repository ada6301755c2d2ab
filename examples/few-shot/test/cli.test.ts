import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSvg } from '@automl-ts/report';
import { describe, expect, test } from 'vitest';
import { parseCommandLine } from '../src/args.js';
import { etaSeconds } from '../src/main.js';
import {
  accuracyChart,
  comparisonChart,
  comparisonKey,
  curveTable,
  oldPointNear,
  type RunReport,
  type RunView,
  rebuildReports,
  seedGroups,
  trainingCurve,
  viewOf,
} from '../src/report.js';

describe('command line', () => {
  test('per-algorithm defaults follow the papers', () => {
    const maml = parseCommandLine([]);
    expect(maml).toMatchObject({
      algorithm: 'maml',
      ways: 5,
      shots: 1,
      queries: 15,
      innerLr: 0.4,
      innerSteps: 1,
      evalSteps: 3,
      metaBatch: 8,
    });
    expect(parseCommandLine(['--algorithm', 'reptile'])).toMatchObject({
      innerLr: 0.001,
      innerSteps: 5,
      evalSteps: 50,
      metaBatch: 5,
      // Nichol et al.'s Omniglot runs meta-train on 10 shots per class, inner batches of 10.
      trainShots: 10,
      trainQueries: 5,
      innerBatch: 10,
    });
    expect(parseCommandLine(['--shots', '5'])).toMatchObject({
      shots: 5,
      trainShots: 5,
      queries: 15,
      trainQueries: 15,
      innerBatch: undefined,
    });
    expect(parseCommandLine(['--algorithm', 'protonet', '--shots', '5'])).toMatchObject({
      innerSteps: 0,
      evalSteps: 0,
      shots: 5,
    });
    expect(parseCommandLine(['--help'])).toBeUndefined();
  });

  test('--train-ways: protonet trains on larger tasks than it is evaluated on; defaults to --ways', () => {
    expect(parseCommandLine(['--ways', '20'])).toMatchObject({ ways: 20, trainWays: 20 });
    expect(parseCommandLine(['--algorithm', 'protonet', '--train-ways', '60'])).toMatchObject({
      ways: 5,
      trainWays: 60,
    });
    expect(() => parseCommandLine(['--algorithm', 'maml', '--train-ways', '20'])).toThrow(
      /--train-ways 20 differs from --ways 5: only protonet \(no classifier head\) can train on other task sizes/,
    );
  });

  test.each([
    [
      ['--algorithm', 'snail'],
      /--algorithm must be one of maml, fomaml, anil, metasgd, reptile, protonet, got "snail"/,
    ],
    [['--inner-lr', '0'], /--inner-lr must be a number > 0, got "0"/],
    [['--ways', '1'], /--ways must be an integer >= 2, got "1"/],
    [['--inner-batch', '10'], /--inner-batch is a reptile option; --algorithm is maml/],
    [['--algorithm', 'reptile', '--inner-batch', '0'], /--inner-batch must be an integer >= 1, got "0"/],
    [['--backend', 'gpu'], /--backend must be one of auto, wasm, cpu, tensorflow, got "gpu"/],
    [['--shots'], /--shots needs a value \(argument missing\)/],
    // What a user typed (issue 19): Node's parseArgs said "argument is ambiguous".
    [['--shots', '-1'], /^@automl-ts\/example-few-shot: --shots must be an integer >= 1, got "-1"$/],
    [['--max-minutes', '-5'], /--max-minutes must be a number > 0, got "-5"/],
    [['--meta-test', 'valid'], /--meta-test must be one of auto, evaluation, background, got "valid"/],
  ])('%j is rejected', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe('paths', () => {
  test('every path option resolves against INIT_CWD, the directory the command was typed in', () => {
    const saved = process.env.INIT_CWD;
    process.env.INIT_CWD = '/home/user/automl-ts';
    try {
      const args = parseCommandLine([
        '--data-dir',
        '../shared/data',
        '--checkpoint',
        'examples/few-shot/runs/x',
        '--results',
        'out',
        '--adapt',
        'letters',
        '--output',
        '/abs/model',
      ]);
      expect(args).toMatchObject({
        dataDir: '/home/user/shared/data',
        // Not doubled (examples/few-shot/examples/few-shot/runs/x) as when resolved in the package.
        checkpoint: '/home/user/automl-ts/examples/few-shot/runs/x',
        resultsDir: '/home/user/automl-ts/out',
        adapt: '/home/user/automl-ts/letters',
        output: '/abs/model',
      });
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
  });
});

describe('ETA', () => {
  test('is capped by what is left of --max-minutes', () => {
    // 2 s an iteration, 99,000 iterations left, but 600 s of budget left: 600 s.
    expect(
      etaSeconds({ iteration: 1000, iterations: 100_000, secondsPerIteration: 2, budgetSecondsLeft: 600 }),
    ).toBe(600);
    expect(
      etaSeconds({ iteration: 90, iterations: 100, secondsPerIteration: 2, budgetSecondsLeft: 600 }),
    ).toBe(20);
    expect(
      etaSeconds({ iteration: 90, iterations: 100, secondsPerIteration: 2, budgetSecondsLeft: -3 }),
    ).toBe(0);
  });
});

const legacy: RunReport = {
  run: 'maml-5w1s-omniglot',
  algorithm: 'maml',
  dataset: 'omniglot',
  datasetDescription: 'Omniglot',
  ways: 5,
  shots: 1,
  queries: 15,
  backend: 'wasm',
  config: { metaBatch: 8 },
  metaIterations: 20,
  stopped: 'completed',
  trainingMinutes: 1.5,
  final: { accuracy: 0.62, ci95: 0.02, tasks: 600, steps: 3 },
  evaluations: [
    { iteration: 10, loss: 1.2, lossCi95: 0.1, accuracy: 0.5, accuracyCi95: 0.05 },
    { iteration: 20, loss: 1, lossCi95: 0.1, accuracy: 0.6, accuracyCi95: 0.04 },
  ],
  trainingCurve: trainingCurve(
    Array.from({ length: 20 }, (_, i) => ({ iteration: i + 1, loss: 1, accuracy: i / 20 })),
    4,
  ),
  finishedAt: '2025-01-01T00:00:00.000Z',
};

/** A new-protocol run view with per-task outcomes. */
const newRun = (seed: number, outcomes: number[], minutes = 30): RunView => ({
  ...viewOf(legacy),
  run: `maml-5w1s-omniglot-evalset-seed${seed}`,
  protocol: 'meta-test',
  seed,
  group: 'maml-5w1s-omniglot-evalset',
  trainingMinutes: minutes,
  outcomes,
  final: {
    accuracy: outcomes.reduce((a, b) => a + b, 0) / outcomes.length,
    ci95: 0.01,
    tasks: outcomes.length,
    steps: 3,
    split: 'meta-test',
  },
});

describe('report', () => {
  test('the training curve averages windows of meta-iterations', () => {
    expect(legacy.trainingCurve).toEqual([
      { iteration: 5, accuracy: 0.1 },
      { iteration: 10, accuracy: 0.35 },
      { iteration: 15, accuracy: 0.6 },
      { iteration: 20, accuracy: 0.85 },
    ]);
  });

  test('the learning curve table lists the periodic evaluations, then the final one', () => {
    const view = viewOf(legacy);
    expect(view.protocol).toBe('old');
    expect(curveTable(view)).toBe(
      [
        '| meta-iteration | meta-val accuracy | tasks |',
        '|---:|---|---:|',
        '| 10 | 50.0% ± 5.0% | 100 |',
        '| 20 (final) | 62.0% ± 2.0% | 600 |',
      ].join('\n'),
    );
    // Without periodic evaluations: the meta-training query accuracy, then the final evaluation.
    expect(curveTable({ ...view, evaluations: [] })).toBe(
      [
        '| meta-iteration | meta-training query accuracy | meta-val accuracy (tasks) |',
        '|---:|---|---|',
        '| 5 | 10.0% |  |',
        '| 10 | 35.0% |  |',
        '| 15 | 60.0% |  |',
        '| 20 | 85.0% |  |',
        '| 20 (final) |  | 62.0% ± 2.0% (600) |',
      ].join('\n'),
    );
  });

  test('seeds: mean ± CI over seeds (t) and pooled over tasks; the old curve point nearest in minutes', () => {
    const [group] = seedGroups([
      newRun(0, [1, 1, 0, 1]),
      newRun(1, [1, 0, 0, 1]),
      newRun(2, [1, 1, 1, 1]),
      viewOf(legacy),
    ]);
    expect(group?.runs).toHaveLength(3);
    expect(group?.overSeeds.mean).toBeCloseTo(0.75, 12);
    // Seed means 0.75, 0.5, 1: std 0.25, t(2) = 4.303.
    expect(group?.overSeeds.ci95).toBeCloseTo((4.303 * 0.25) / Math.sqrt(3), 12);
    expect(group?.pooled.n).toBe(12);
    // The old run: 20 iterations in 1.5 min; its evaluation at iteration 10 sits at 0.75 min.
    expect(oldPointNear(viewOf(legacy), 0.7)).toEqual({ minutes: 0.75, accuracy: 0.5, ci95: 0.05 });
  });

  test('charts render: per-run curve and the comparison with old curves, seed groups and published lines', async () => {
    const run = await renderSvg(accuracyChart(viewOf(legacy)));
    expect(run).toContain('maml, omniglot 5-way 1-shot (old protocol): final 62.0% ± 2.0%');
    const comparison = await renderSvg(
      comparisonChart([viewOf(legacy), newRun(0, [1, 0, 1]), newRun(1, [1, 1, 1])]),
    );
    expect(comparison).toContain('maml (old): 62.0% ± 2.0%, 2 min; paper 98.7%');
    expect(comparison).toMatch(/maml, 2 seeds, meta-test: 83\.3% ± /);
    expect(comparison).toContain('stroke-dasharray="2,3"');
    expect(comparisonKey(viewOf(legacy))).toBe('5w1s-omniglot');
    expect(() => comparisonChart([])).toThrow(/comparisonChart: no runs/);
  });

  test('--rebuild-report rewrites the README and every plot from old-protocol JSON files', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'few-shot-rebuild-'));
    try {
      const other: RunReport = { ...legacy, run: 'protonet-5w5s-omniglot', algorithm: 'protonet', shots: 5 };
      await writeFile(join(directory, `${legacy.run}.json`), JSON.stringify(legacy));
      await writeFile(join(directory, `${other.run}.json`), JSON.stringify(other));
      expect(await rebuildReports(directory)).toBe(2);
      const readme = await readFile(join(directory, 'README.md'), 'utf8');
      expect(readme).toContain(
        '| maml-5w1s-omniglot | old (final on meta-val) | maml | omniglot 5-way 1-shot | 20 × 8 | 1.5 | in training | wasm | **62.0% ± 2.0%** (600 meta-val tasks, 3 steps) | 98.7% | [plot](maml-5w1s-omniglot.svg) |',
      );
      expect(readme).toContain(
        `### ${legacy.run}\n\n![${legacy.run}](${legacy.run}.svg)\n\n${curveTable(viewOf(legacy))}`,
      );
      expect(readme).toContain('No run of the new protocol yet');
      for (const key of ['5w1s-omniglot', '5w5s-omniglot']) {
        expect(readme).toContain(`![${key}](comparison-${key}.svg)`);
        expect((await readFile(join(directory, `comparison-${key}.svg`), 'utf8')).startsWith('<svg')).toBe(
          true,
        );
      }
      expect(await readFile(join(directory, `${other.run}.svg`), 'utf8')).toBe(
        await renderSvg(accuracyChart(viewOf(other))),
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
