import { resolve } from 'node:path';
import {
  createProgress,
  defineCommand,
  formatTable,
  invocationDirectory,
  resolveResultsDirectory,
  resolveUserPath,
  searchProgress,
} from '@automl-ts/report';
import { afterEach, describe, expect, test } from 'vitest';

const command = defineCommand({
  name: '@automl-ts/example-test',
  usage: 'pnpm --filter x start -- [options]',
  description: 'A test command.',
  options: {
    shots: { type: 'integer', min: 1, default: 1, description: 'support examples per class' },
    lr: { type: 'number', greaterThan: 0, description: 'learning rate', defaultText: 'per algorithm' },
    offset: { type: 'number', default: 0, description: 'a signed number' },
    backend: { type: 'choice', choices: ['auto', 'cpu'], default: 'auto', description: 'backend' },
    'data-dir': { type: 'path', description: 'data directory' },
    resume: { type: 'boolean', description: 'continue' },
  },
});

describe('command line', () => {
  const initCwd = process.env.INIT_CWD;
  afterEach(() => {
    if (initCwd === undefined) delete process.env.INIT_CWD;
    else process.env.INIT_CWD = initCwd;
  });

  test('typed values, defaults, flags, and a leading -- from pnpm', () => {
    const values = command.parse(['--', '--shots', '5', '--lr', '0.1', '--resume', '--offset', '-2.5']);
    expect(values).toEqual({
      shots: 5,
      lr: 0.1,
      offset: -2.5,
      backend: 'auto',
      'data-dir': undefined,
      resume: true,
    });
    expect(command.parse(['--help'])).toBeUndefined();
  });

  test.each([
    [['--shots', '-1'], '@automl-ts/example-test: --shots must be an integer >= 1, got "-1"'],
    [['--shots=-1'], '--shots must be an integer >= 1, got "-1"'],
    [['--shots', '1.5'], '--shots must be an integer >= 1, got "1.5"'],
    [['--lr', '0'], '--lr must be a number > 0, got "0"'],
    [['--lr', 'abc'], '--lr must be a number > 0, got "abc"'],
    [['--backend', 'gpu'], '--backend must be one of auto, cpu, got "gpu"'],
    [['--shot', '1'], 'unknown option --shot; --help lists the options'],
    [['--shots'], '--shots needs a value (argument missing)'],
    [['--shots', '--resume'], '--shots needs a value (argument missing)'],
    [['extra'], 'unexpected argument extra; options start with --'],
  ])('%j is rejected naming the option and the value', (argv, message) => {
    expect(() => command.parse(argv)).toThrow(message);
  });

  test('paths resolve against INIT_CWD (the directory pnpm was run in), else the working directory', () => {
    process.env.INIT_CWD = '/somewhere/repo';
    expect(command.parse(['--data-dir', '../shared/data'])?.['data-dir']).toBe('/somewhere/shared/data');
    expect(command.parse(['--data-dir', '/abs/data'])?.['data-dir']).toBe('/abs/data');
    expect(invocationDirectory()).toBe('/somewhere/repo');
    delete process.env.INIT_CWD;
    expect(resolveUserPath('x')).toBe(resolve(process.cwd(), 'x'));
  });

  test('--help is generated from the spec', () => {
    const help = command.help();
    expect(help).toContain('A test command.\n\n  pnpm --filter x start -- [options]\n\nOptions\n');
    expect(help).toMatch(/ {2}--shots <n> +support examples per class \(default 1\)\n/);
    expect(help).toMatch(/--lr <x> +learning rate \(default per algorithm\)/);
    expect(help).toMatch(/--backend <auto\|cpu> +backend \(default auto\)/);
    expect(help).toMatch(/--resume +continue\n/);
    expect(help).toMatch(/--help +this text\n$/);
  });
});

describe('results location', () => {
  test('ad-hoc runs go to runs/results; the committed folder needs --commit-results', () => {
    const exampleDir = '/repo/examples/x';
    expect(resolveResultsDirectory({ exampleDir })).toEqual({
      directory: '/repo/examples/x/runs/results',
      committed: false,
    });
    expect(resolveResultsDirectory({ exampleDir, commit: true })).toEqual({
      directory: '/repo/examples/x/results',
      committed: true,
    });
    expect(() => resolveResultsDirectory({ exampleDir, requested: '/repo/examples/x/results' })).toThrow(
      '@automl-ts/report/resolveResultsDirectory: --results "/repo/examples/x/results" is the committed results folder: pass --commit-results to replace committed results',
    );
    expect(resolveResultsDirectory({ exampleDir, requested: '/tmp/mine' }).directory).toBe('/tmp/mine');
    expect(resolveResultsDirectory({ exampleDir, requested: '/repo/examples/x/results-old' }).committed).toBe(
      false,
    );
  });
});

describe('tables', () => {
  const rows = [
    { name: 'conv4', acc: '98.10', macs: 1.234 },
    { name: 'pruned | small', acc: '97.50', macs: 0.5 },
  ];
  const columns = [
    { title: 'model', value: (r: (typeof rows)[number]) => r.name },
    { title: 'accuracy %', value: (r: (typeof rows)[number]) => r.acc },
    { title: 'MACs (M)', value: (r: (typeof rows)[number]) => r.macs },
  ];
  test('markdown: numbers right-aligned, pipes escaped', () => {
    expect(formatTable(columns, rows, 'markdown')).toBe(
      [
        '| model | accuracy % | MACs (M) |',
        '|---|---:|---:|',
        '| conv4 | 98.10 | 1.234 |',
        '| pruned \\| small | 97.50 | 0.5 |',
      ].join('\n'),
    );
  });
  test('terminal: aligned columns under a rule', () => {
    expect(formatTable(columns, rows, 'terminal')).toBe(
      [
        'model           accuracy %  MACs (M)',
        '--------------  ----------  --------',
        'conv4                98.10     1.234',
        'pruned | small       97.50       0.5',
      ].join('\n'),
    );
  });
});

describe('progress', () => {
  test('without a terminal: one plain line per 10%, with the caller ETA', () => {
    const lines: string[] = [];
    const progress = createProgress({
      total: 200,
      label: 'train',
      stream: { write: (t: string) => lines.push(t) },
    });
    for (let i = 1; i <= 200; i++)
      progress.update(i, { info: `loss ${(1 / i).toFixed(2)}`, etaSeconds: 200 - i });
    progress.stop();
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('train   0% 1/200 | loss 1.00 | eta 3.3 min\n');
    expect(lines[1]).toBe('train  10% 20/200 | loss 0.05 | eta 3.0 min\n');
    expect(lines[10]).toBe('train 100% 200/200 | loss 0.01 | eta 0 s\n');
  });

  test('on a terminal: cli-progress redraws a bar in place', () => {
    let out = '';
    const stream = {
      write: (t: string) => {
        out += t;
        return true;
      },
      isTTY: true,
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    };
    const progress = createProgress({ total: 10, label: 'eval', stream });
    for (let i = 1; i <= 10; i++) progress.update(i, { info: 'ok', etaSeconds: 10 - i });
    progress.stop();
    expect(out).toContain('eval ');
    expect(out).toContain('100% 10/10 | ok | eta 0 s');
    expect(out).toContain('\u2588');
  });

  test('searchProgress renders evolution search events and a summary', () => {
    const lines: string[] = [];
    const onProgress = searchProgress({
      stream: { write: (t: string) => lines.push(t) },
      logEveryPercent: 50,
    });
    const event = (evaluations: number, generation: number) =>
      ({
        type: 'generation',
        generation,
        evaluations,
        failed: 0,
        budget: { evaluations: 4 },
        best: { metrics: { accuracy: 0.91234 } },
        objectives: [{ metric: 'accuracy' }],
        elapsedMs: 10,
      }) as never;
    onProgress(event(2, 0));
    onProgress(event(4, 1));
    onProgress({
      type: 'done',
      result: {
        evaluations: 4,
        uniqueEvaluations: 4,
        failed: 0,
        generations: 2,
        elapsedMs: 1500,
        best: { metrics: { accuracy: 0.91234 } },
        objectives: [{ metric: 'accuracy' }],
      },
    } as never);
    expect(lines[0]).toMatch(/^search {2}50% 2\/4 \| gen 0 \| best accuracy 0\.9123 \| eta /);
    expect(lines[1]).toMatch(/^search 100% 4\/4 \| gen 1 \| best accuracy 0\.9123 \| eta /);
    expect(lines[2]).toBe(
      'done: 4 evals (4 unique, 0 failed) in 2 generations, 1.5 s; best accuracy 0.9123\n',
    );
  });
});
