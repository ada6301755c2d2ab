// The README's commands, run as written from the repository root (issue 19: its own command failed
// because relative paths resolved inside examples/few-shot), with a short budget appended and the
// checkpoint and report sent to a temporary folder. Needs the real Omniglot background zip.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { png1Bit } from '../../../packages/datasets/test/helpers/fixtures.js';

const run = promisify(execFile);
const repositoryRoot = resolve(import.meta.dirname, '..', '..', '..');
const readmePath = join(repositoryRoot, 'examples', 'few-shot', 'README.md');
const sharedData = resolve(repositoryRoot, '..', 'shared', 'data');
const hasData = existsSync(join(sharedData, 'omniglot', 'images_background.zip'));
// Each command decodes the whole background set (19,280 drawings with rotations) and meta-trains
// conv4-64: about 70 s on 2 cores, even beside another job. .ci/run runs it with
// AUTOML_README_TESTS=1; `pnpm test` does not.
const requested = process.env.AUTOML_README_TESTS === '1';
const available = hasData && requested;
if (!available) {
  console.warn(
    `[examples/few-shot] README command test SKIPPED: ${
      hasData
        ? 'set AUTOML_README_TESTS=1 to run it (a few minutes)'
        : `${join(sharedData, 'omniglot', 'images_background.zip')} not found (the README's commands use ../shared/data)`
    }.`,
  );
}

/** The commands of the README's first sh block, continuation lines joined, comments dropped. */
export function readmeCommands(markdown: string): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(markdown)?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The environment without INIT_CWD, so that pnpm sets it from the directory it runs in. */
function withoutInitCwd(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { INIT_CWD: _ignored, ...rest } = env;
  return rest;
}

describe.runIf(available)('the few-shot README, from the repository root', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'few-shot-readme-'));
    // ~/my-letters of the adapt command: two classes of dark strokes on white (hence --invert).
    for (const [name, column] of [
      ['a', 5],
      ['b', 20],
    ] as const) {
      await mkdir(join(home, 'my-letters', name), { recursive: true });
      for (const index of [1, 2]) {
        await writeFile(
          join(home, 'my-letters', name, `${index}.png`),
          png1Bit(28, 28, (x) => x !== column),
        );
      }
    }
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('train, resume and adapt run as written (short budget appended)', async () => {
    const commands = readmeCommands(await readFile(readmePath, 'utf8'));
    expect(commands).toHaveLength(3);
    expect(commands.every((c) => c.startsWith('pnpm --filter @automl-ts/example-few-shot start -- '))).toBe(
      true,
    );
    const short = `--meta-iterations 2 --eval-every 1 --eval-every-tasks 2 --eval-tasks 4 --checkpoint-every 1 --checkpoint ${join(home, 'ck')} --results ${join(home, 'results')}`;
    const outputs: string[] = [];
    for (const command of commands) {
      // A shell, as the user's: `~` is HOME; the command's own options first, then the budget.
      const { stdout } = await run('sh', ['-c', `${command} ${short}`], {
        cwd: repositoryRoot,
        env: withoutInitCwd({ ...process.env, HOME: home }),
        maxBuffer: 16 * 1024 * 1024,
      });
      outputs.push(stdout);
    }
    const [train, resume, adapt] = outputs as [string, string, string];
    expect(train).toMatch(/maml-5w1s-omniglot-(bgtest|evalset)-seed0: meta-test accuracy/);
    expect(train).toContain(`report written to ${join(home, 'results')}`);
    expect(resume).toContain('resumed at meta-iteration 2');
    expect(adapt).toMatch(
      new RegExp(`query 1 ${join(home, 'my-letters', 'a', '2.png')}: true a, predicted (a|b)`),
    );
    const model = JSON.parse(await readFile(join(home, 'ck', 'adapted-my-letters', 'model.json'), 'utf8'));
    expect(model.userDefinedMetadata.classNames).toEqual(['a', 'b']);
    expect(model.userDefinedMetadata.preprocessing.invert).toBe(true);
  }, 1_800_000);
});
