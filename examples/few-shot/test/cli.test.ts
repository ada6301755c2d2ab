import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseCommandLine } from '../src/args.js';
import {
  accuracyPlot,
  axisTicks,
  comparisonKey,
  comparisonPlot,
  curveTable,
  type RunReport,
  rebuildReports,
  trainingCurve,
  writeReport,
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
    [['--backend', 'gpu'], /--backend must be auto, wasm, cpu or tensorflow/],
    [['--shots'], /argument missing/],
  ])('%j is rejected', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe('report', () => {
  const report: RunReport = {
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

  test('the training curve averages windows of meta-iterations', () => {
    expect(report.trainingCurve).toEqual([
      { iteration: 5, accuracy: 0.1 },
      { iteration: 10, accuracy: 0.35 },
      { iteration: 15, accuracy: 0.6 },
      { iteration: 20, accuracy: 0.85 },
    ]);
  });

  test('writes the JSON, the plot and a table with the published accuracy', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'few-shot-report-'));
    try {
      await writeReport(directory, report);
      const table = await readFile(join(directory, 'README.md'), 'utf8');
      expect(table).toContain(
        '| maml-5w1s-omniglot | maml | omniglot | 5-way 1-shot | 20 × 8 | 1.5 | wasm | **62.0% ± 2.0%** (600 tasks, 3 steps) | 98.7% | [plot](maml-5w1s-omniglot.svg) |',
      );
      const svg = await readFile(join(directory, 'maml-5w1s-omniglot.svg'), 'utf8');
      expect(svg).toBe(accuracyPlot(report));
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(svg.match(/<circle /g)).toHaveLength(2);
      expect(JSON.parse(await readFile(join(directory, 'maml-5w1s-omniglot.json'), 'utf8'))).toEqual(report);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test('the learning curve table lists the periodic evaluations, then the final one', () => {
    expect(curveTable(report)).toBe(
      [
        '| meta-iteration | meta-val accuracy | tasks |',
        '|---:|---|---:|',
        '| 10 | 50.0% ± 5.0% | 100 |',
        '| 20 (final) | 62.0% ± 2.0% | 600 |',
      ].join('\n'),
    );
    // Without periodic evaluations: the meta-training query accuracy, then the final evaluation.
    expect(curveTable({ ...report, evaluations: [] })).toBe(
      [
        '| meta-iteration | meta-training query accuracy | meta-val accuracy (tasks) |',
        '|---:|---|---|',
        '| 5 | 10.0% | |',
        '| 10 | 35.0% | |',
        '| 15 | 60.0% | |',
        '| 20 | 85.0% | |',
        '| 20 (final) | | 62.0% ± 2.0% (600) |',
      ].join('\n'),
    );
  });

  test.each([
    [20, [0, 5, 10, 15, 20]],
    [2359, [0, 500, 1000, 1500, 2000]],
    [4795, [0, 1000, 2000, 3000, 4000]],
    [823, [0, 200, 400, 600, 800]],
    [1, [0, 1]],
  ])('axis ticks up to %i are round numbers', (max, ticks) => {
    expect(axisTicks(max)).toEqual(ticks);
  });

  test('--rebuild-report rewrites the README and every plot from the JSON reports', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'few-shot-rebuild-'));
    try {
      const other: RunReport = { ...report, run: 'protonet-5w5s-omniglot', algorithm: 'protonet', shots: 5 };
      await writeFile(join(directory, `${report.run}.json`), JSON.stringify(report));
      await writeFile(join(directory, `${other.run}.json`), JSON.stringify(other));
      expect(await rebuildReports(directory)).toBe(2);
      const readme = await readFile(join(directory, 'README.md'), 'utf8');
      expect(readme).toContain('| protonet-5w5s-omniglot | protonet | omniglot | 5-way 5-shot |');
      expect(readme).toContain(
        `### ${report.run}\n\n![${report.run}](${report.run}.svg)\n\n${curveTable(report)}`,
      );
      expect(await readFile(join(directory, `${other.run}.svg`), 'utf8')).toBe(accuracyPlot(other));
      // One comparison plot per task (ways, shots, dataset), embedded in the README.
      for (const key of ['5w1s-omniglot', '5w5s-omniglot']) {
        expect(readme).toContain(`![${key}](comparison-${key}.svg)`);
      }
      expect(await readFile(join(directory, 'comparison-5w5s-omniglot.svg'), 'utf8')).toBe(
        comparisonPlot([other]),
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test('the comparison plot puts every run on one time axis with its published accuracy', () => {
    const slower: RunReport = {
      ...report,
      run: 'protonet-5w1s-omniglot-train60w',
      algorithm: 'protonet',
      trainingMinutes: 3,
      final: { accuracy: 0.9, ci95: 0.01, tasks: 600, steps: 0 },
    };
    expect(comparisonKey(slower)).toBe('5w1s-omniglot');
    const svg = comparisonPlot([report, slower]);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    // One line and one end point per run; one dotted published line per algorithm with a paper number.
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg.match(/stroke-dasharray="2 3"/g)).toHaveLength(2);
    expect(svg).toContain('maml: 62.0% ± 2.0%');
    expect(svg).toContain('protonet-train60w: 90.0% ± 1.0%');
    expect(svg).toContain('published 98.8%');
    // x is minutes: the 1.5-minute run ends halfway along the 3-minute axis (plot from x=60, 410 wide);
    // its evaluation at iteration 10 of 20 sits at 0.75 min.
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(circles).toEqual([60 + 410 / 2, 60 + 410]);
    expect(svg).toContain(`M${(60 + 410 / 4).toFixed(1)},`);
    expect(() => comparisonPlot([])).toThrow(/comparisonPlot: no reports/);
  });
});
