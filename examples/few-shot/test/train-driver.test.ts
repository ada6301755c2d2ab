// End to end through the CLI's driver (`main` → `train` / `adaptToUserTask`) on tiny Omniglot-layout
// zips built here: train, checkpoint, resume, evaluate on meta-test, report, adapt; every relative
// path typed as a user would from the directory in INIT_CWD.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasMetaCheckpoint } from '@automl-ts/meta-learning';
import { readResults } from '@automl-ts/report';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { omniglotEntries, png1Bit, zip } from '../../../packages/datasets/test/helpers/fixtures.js';
import { EXAMPLE_DIR, main } from '../src/main.js';

let root: string;
const initCwd = process.env.INIT_CWD;

/** Runs the CLI with `argv` from `cwd` (as pnpm does: INIT_CWD) and returns what it printed. */
async function cli(cwd: string, argv: string[]): Promise<string[]> {
  process.env.INIT_CWD = cwd;
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    await main(argv);
  } finally {
    spy.mockRestore();
  }
  return lines;
}

const BACKGROUND = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta'];
const EVALUATION = ['Atlantean', 'Kannada'];

/** Tiny options: 2-way 1-shot protonet on 4-filter conv4, cpu. */
const tiny = (...extra: string[]) => [
  '--',
  '--algorithm',
  'protonet',
  '--ways',
  '2',
  '--shots',
  '1',
  '--queries',
  '1',
  '--channels',
  '4',
  '--no-rotations',
  '--eval-every',
  '2',
  '--eval-every-tasks',
  '2',
  '--eval-tasks',
  '3',
  '--checkpoint-every',
  '2',
  '--backend',
  'cpu',
  '--log-every',
  '1',
  ...extra,
];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'few-shot-e2e-'));
  // data/omniglot/images_background.zip (6 alphabets) and data/omniglot/images_evaluation.zip (2),
  // in the official layout images_<set>/<Alphabet>/character<NN>/<id>_<drawer>.png.
  await mkdir(join(root, 'data', 'omniglot'), { recursive: true });
  await mkdir(join(root, 'background-only', 'omniglot'), { recursive: true });
  const background = zip(omniglotEntries({ alphabets: BACKGROUND, characters: 3, drawings: 3 }));
  await writeFile(join(root, 'data', 'omniglot', 'images_background.zip'), background);
  await writeFile(join(root, 'background-only', 'omniglot', 'images_background.zip'), background);
  await writeFile(
    join(root, 'data', 'omniglot', 'images_evaluation.zip'),
    zip(omniglotEntries({ set: 'evaluation', alphabets: EVALUATION, characters: 3, drawings: 3 })),
  );
  // A user task: two classes of bars, the first image of each is the support set.
  for (const [name, column] of [
    ['left', 3],
    ['right', 17],
    ['middle', 10],
  ] as const) {
    for (const index of [1, 2]) {
      const folder = join(root, name === 'middle' ? 'three-classes' : 'my-task', name);
      await mkdir(folder, { recursive: true });
      await writeFile(
        join(folder, `${index}.png`),
        png1Bit(21, 21, (x) => x !== column),
      );
      if (name !== 'middle') {
        await mkdir(join(root, 'three-classes', name), { recursive: true });
        await writeFile(
          join(root, 'three-classes', name, `${index}.png`),
          png1Bit(21, 21, (x) => x !== column),
        );
      }
    }
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

afterEach(() => {
  if (initCwd === undefined) delete process.env.INIT_CWD;
  else process.env.INIT_CWD = initCwd;
});

describe('the few-shot CLI driver on tiny data', () => {
  const run = 'protonet-2w1s-omniglot-evalset-seed0';

  test('trains, checkpoints, resumes to the same result, evaluates on meta-test and reports', async () => {
    // Relative paths from the directory the command was typed in (not examples/few-shot).
    const first = await cli(
      root,
      tiny('--data-dir', 'data', '--checkpoint', 'ck', '--results', 'out', '--meta-iterations', '2'),
    );
    expect(await hasMetaCheckpoint(join(root, 'ck'))).toBe(true);
    expect(existsSync(join(EXAMPLE_DIR, 'ck'))).toBe(false);
    expect(first[1]).toContain(
      '15 meta-train classes (5 alphabets), 3 meta-val (1 alphabets, model selection), 6 meta-test (2 alphabets of the official evaluation set)',
    );
    expect(first.at(-1)).toBe(`report written to ${join(root, 'out')}: ${run}.json, ${run}.svg, README.md`);
    const resumedLines = await cli(
      root,
      tiny(
        '--data-dir',
        'data',
        '--checkpoint',
        'ck',
        '--results',
        'out',
        '--meta-iterations',
        '4',
        '--resume',
      ),
    );
    expect(resumedLines).toContain('resumed at meta-iteration 2');
    const resumed = await readResults(join(root, 'out', `${run}.json`));

    // The same 4 iterations without the interruption.
    await cli(
      root,
      tiny(
        '--data-dir',
        'data',
        '--checkpoint',
        'ck-straight',
        '--results',
        'straight',
        '--meta-iterations',
        '4',
      ),
    );
    const straight = await readResults(join(root, 'straight', `${run}.json`));

    expect(resumed.schema).toBe('automl-ts/results@1');
    expect(resumed.protocol.id).toBe('few-shot/meta-test@1');
    expect(resumed.data.metaIterations).toBe(4);
    expect(resumed.outcomes['meta-test/accuracy']).toHaveLength(3);
    expect(resumed.outcomes['meta-test/accuracy']).toEqual(straight.outcomes['meta-test/accuracy']);
    expect(resumed.outcomes['meta-test/loss']).toEqual(straight.outcomes['meta-test/loss']);
    expect((resumed.data.evaluations as unknown[]).length).toBe(2);
    // Meta-test is the evaluation set; meta-train and meta-val are background alphabets, disjoint.
    const split = resumed.data.split as { train: string[]; val: string[]; test: string[] };
    expect(split.test).toEqual([...EVALUATION].sort());
    expect(split.train.length + split.val.length).toBe(6);
    expect(split.train.filter((a) => split.val.includes(a))).toEqual([]);
    // Provenance: command, seeds, backend, phases kept apart.
    expect(resumed.provenance.command.invocationDirectory).toBe(root);
    expect(resumed.provenance.backend.name).toBe('cpu');
    expect(Object.keys(resumed.provenance.timing.phases).sort()).toEqual([
      'evaluation',
      'selection',
      'training',
    ]);
    expect(resumed.config.budgetClock).toBe('cpu');
    // The report: plot and README with the run, protocol labelled.
    const svg = await readFile(join(root, 'out', `${run}.svg`), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('meta-test accuracy (final, 3 tasks)');
    const readme = await readFile(join(root, 'out', 'README.md'), 'utf8');
    expect(readme).toMatch(new RegExp(`\\| ${run} \\| meta-test \\| protonet \\|`));
    expect(existsSync(join(root, 'out', 'comparison-2w1s-omniglot.svg'))).toBe(true);
    // A time-limited ETA honours --max-minutes (the log line reports the budget).
    expect(resumedLines.some((l) => /\| [\d.]+ of 120 min \| eta /.test(l))).toBe(true);
  });

  test('--meta-test background holds out background alphabets; evaluation without the zip is an error', async () => {
    await cli(
      root,
      tiny(
        '--data-dir',
        'data',
        '--meta-test',
        'background',
        '--checkpoint',
        'ck-bg',
        '--results',
        'bg',
        '--meta-iterations',
        '1',
      ),
    );
    const results = await readResults(join(root, 'bg', 'protonet-2w1s-omniglot-bgtest-seed0.json'));
    const split = results.data.split as { train: string[]; val: string[]; test: string[] };
    expect(split.test.every((a) => BACKGROUND.includes(a))).toBe(true);
    expect(new Set([...split.train, ...split.val, ...split.test]).size).toBe(6);
    expect(split.train.length * split.val.length * split.test.length).toBeGreaterThan(0);
    await expect(
      cli(
        root,
        tiny(
          '--data-dir',
          'background-only',
          '--meta-test',
          'evaluation',
          '--checkpoint',
          'ck-x',
          '--meta-iterations',
          '1',
        ),
      ),
    ).rejects.toThrow(
      `--meta-test evaluation needs Omniglot's images_evaluation.zip; looked for "${join(root, 'background-only', 'omniglot', 'images_evaluation.zip')}"`,
    );
  });

  test('--adapt: file names per query, class names and preprocessing in the saved model, the checkpoint ways', async () => {
    // The checkpoint of the first test (2-way); --ways 5 on this command line does not matter.
    const lines = await cli(
      root,
      tiny(
        '--data-dir',
        'data',
        '--checkpoint',
        'ck',
        '--adapt',
        'my-task',
        '--output',
        'adapted',
        '--ways',
        '2',
      ),
    );
    const queries = lines.filter((l) => l.startsWith('  query '));
    expect(queries).toHaveLength(2);
    expect(queries[0]).toMatch(
      new RegExp(`^  query 1 ${join(root, 'my-task', 'left', '2.png')}: true left, predicted (left|right)$`),
    );
    expect(queries[1]).toMatch(
      new RegExp(
        `^  query 2 ${join(root, 'my-task', 'right', '2.png')}: true right, predicted (left|right)$`,
      ),
    );
    const model = JSON.parse(await readFile(join(root, 'adapted', 'model.json'), 'utf8'));
    expect(model.userDefinedMetadata.classNames).toEqual(['left', 'right']);
    expect(model.userDefinedMetadata.preprocessing).toMatchObject({
      size: [28, 28],
      channels: 1,
      invert: false,
    });
    expect(model.userDefinedMetadata.metaTrainedWays).toBe(2);

    await expect(
      cli(root, tiny('--data-dir', 'data', '--checkpoint', 'ck', '--adapt', 'three-classes', '--ways', '5')),
    ).rejects.toThrow(`has 3 classes; the model in "${join(root, 'ck')}" was meta-trained for 2-way tasks`);
    await expect(
      cli(root, tiny('--data-dir', 'data', '--checkpoint', 'ck', '--adapt', 'missing')),
    ).rejects.toThrow(`cannot read the --adapt folder "${join(root, 'missing')}"`);
  });

  test('ad-hoc results never land in the committed results/ without --commit-results', async () => {
    await expect(
      cli(
        root,
        tiny(
          '--data-dir',
          'data',
          '--checkpoint',
          'ck-c',
          '--results',
          join(EXAMPLE_DIR, 'results'),
          '--meta-iterations',
          '1',
        ),
      ),
    ).rejects.toThrow('is the committed results folder: pass --commit-results to replace committed results');
    const lines = await cli(
      root,
      tiny('--data-dir', 'data', '--checkpoint', 'ck-d', '--meta-iterations', '1', '--seed', '7'),
    );
    const adHoc = join(EXAMPLE_DIR, 'runs', 'results');
    expect(lines.at(-1)).toBe(
      `report written to ${adHoc}: protonet-2w1s-omniglot-evalset-seed7.json, protonet-2w1s-omniglot-evalset-seed7.svg, README.md`,
    );
    await rm(join(adHoc, 'protonet-2w1s-omniglot-evalset-seed7.json'));
    await rm(join(adHoc, 'protonet-2w1s-omniglot-evalset-seed7.svg'));
  });
});
