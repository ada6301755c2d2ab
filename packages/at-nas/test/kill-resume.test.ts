import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atNasSearch } from '@automl-ts/at-nas';
import { META_CHECKPOINT_FILE } from '@automl-ts/meta-learning';
import { afterAll, expect, test } from 'vitest';
import { CHECKPOINT_EVERY, ITERATIONS, killedSearch } from './fixtures/killed-search.js';
import { useBackend } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function checkpointIteration(dir: string): Promise<number | undefined> {
  try {
    return (JSON.parse(await readFile(join(dir, META_CHECKPOINT_FILE), 'utf8')) as { iteration: number })
      .iteration;
  } catch {
    return undefined;
  }
}

test('a meta-search killed with SIGKILL after a periodic checkpoint resumes to exactly the uninterrupted search: weights, population, generations, curve', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'automl-ts-at-nas-kill-'));
  dirs.push(dir);
  const script = fileURLToPath(new URL('./fixtures/killed-search.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: fileURLToPath(new URL('./tsconfig.source.json', import.meta.url)),
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? code));
  });
  // After at least one generation (iteration 4) and several checkpoints; the child stalls at 18.
  let killedAt = -1;
  // No clock: the test's timeout is the guard if the child never reaches the checkpoint.
  while (child.exitCode === null) {
    const iteration = await checkpointIteration(dir);
    if (iteration !== undefined && iteration >= 3 * CHECKPOINT_EVERY) {
      child.kill('SIGKILL');
      killedAt = iteration;
      break;
    }
    await sleep(5);
  }
  expect(await exited, output).toBe('SIGKILL');
  expect(killedAt).toBeGreaterThanOrEqual(3 * CHECKPOINT_EVERY);
  expect(await checkpointIteration(dir)).toBeLessThan(ITERATIONS);

  await useBackend('cpu');
  const resumedOptions = killedSearch(dir);
  const resumed = await atNasSearch(resumedOptions);
  const straightOptions = killedSearch();
  const straight = await atNasSearch(straightOptions);
  expect(resumed.metaTraining.history).toEqual(straight.metaTraining.history);
  expect(resumed.generations).toEqual(straight.generations);
  expect(resumed.generations).toHaveLength(ITERATIONS / 4);
  expect(resumed.population).toEqual(straight.population);
  const values = (o: typeof straightOptions) =>
    new Map([...o.supernet.namedVariables()].map(([name, v]) => [name, Array.from(v.dataSync())]));
  expect(values(resumedOptions)).toEqual(values(straightOptions));
  resumedOptions.supernet.dispose();
  straightOptions.supernet.dispose();
}, 240_000);
