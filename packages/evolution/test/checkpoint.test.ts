import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@automl-ts/core';
import {
  CHECKPOINT_FILE,
  HISTORY_FILE,
  loadSearchCheckpoint,
  nsga2,
  readHistory,
  resumeSearch,
  runSearch,
  zdt,
} from '@automl-ts/evolution';
import { afterAll, describe, expect, test } from 'vitest';
import { checkpointedSearchOptions } from './fixtures/checkpointed-search.js';
import { sleep, TSX_SOURCE_ENV, withoutTimes } from './helpers.js';

const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'automl-ts-evolution-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Search options over a ZDT benchmark problem, without budget, strategy or checkpoint. */
const zdtSearch = (name: 'zdt1' | 'zdt2', variables: number, seed: number) => {
  const problem = zdt(name, { variables });
  return { space: problem.space, evaluator: problem.evaluate, objectives: problem.objectives, seed };
};

describe('checkpoint and resume', () => {
  test('a search killed with SIGKILL mid-run and resumed has exactly the history of an uninterrupted run', async () => {
    const dir = await tempDir();
    const script = fileURLToPath(new URL('./fixtures/checkpointed-search.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...TSX_SOURCE_ENV },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
      child.on('exit', (code, signal) => resolve(signal ?? code));
    });
    // Kill it once it is well into the run (at least 20 of 80 generations checkpointed; the child
    // stalls after 60 generations if this process is too slow to get there first).
    let killedAt = -1;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const checkpoint = await loadSearchCheckpoint(dir).catch(() => undefined);
      if (checkpoint !== undefined && checkpoint.generation >= 20) {
        child.kill('SIGKILL');
        killedAt = checkpoint.generation;
        break;
      }
      await sleep(10);
    }
    expect(await exited, stderr).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(20);
    const atKill = await loadSearchCheckpoint(dir);
    expect(atKill!.historyLength).toBeLessThan(320);

    const resumed = await resumeSearch(checkpointedSearchOptions(dir));
    const uninterrupted = await runSearch(checkpointedSearchOptions());
    expect(resumed.evaluations).toBe(320);
    expect(withoutTimes(resumed.history)).toEqual(withoutTimes(uninterrupted.history));
    expect(resumed.best).toMatchObject({ index: uninterrupted.best!.index });
    // The files agree with the result, and no temporary files are left behind.
    expect(withoutTimes(await readHistory(join(dir, HISTORY_FILE)))).toEqual(
      withoutTimes(uninterrupted.history),
    );
    expect((await readdir(dir)).sort()).toEqual([CHECKPOINT_FILE, HISTORY_FILE]);
    expect((await loadSearchCheckpoint(dir))!.generation).toBe(uninterrupted.generations);
  });

  test('a checkpoint write removes temporary files of an earlier write killed before its rename', async () => {
    const options = { ...zdtSearch('zdt1', 3, 4), strategy: nsga2({ populationSize: 6 }) };
    const dir = await tempDir();
    await runSearch({ ...options, budget: { generations: 1 }, checkpointDir: dir });
    // What SIGKILL between writing and renaming leaves; another file of the user's stays.
    await writeFile(join(dir, '.checkpoint.json.0123456789ab.tmp'), '{"partial":');
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await resumeSearch({ ...options, budget: { generations: 2 }, checkpointDir: dir });
    expect((await readdir(dir)).sort()).toEqual([CHECKPOINT_FILE, HISTORY_FILE, 'notes.txt']);
  });

  test('resume discards history lines written after the last checkpoint (a kill between append and rename)', async () => {
    const options = { ...zdtSearch('zdt1', 5, 3), strategy: nsga2({ populationSize: 10 }) };
    const dir = await tempDir();
    await runSearch({ ...options, budget: { generations: 4 }, checkpointDir: dir });
    await appendFile(join(dir, HISTORY_FILE), '{"index":40,"generation":4,"architecture":{"x1":0.5},"sta');
    const resumed = await resumeSearch({ ...options, budget: { generations: 9 }, checkpointDir: dir });
    const whole = await runSearch({ ...options, budget: { generations: 9 } });
    expect(withoutTimes(resumed.history)).toEqual(withoutTimes(whole.history));
    expect(await readHistory(join(dir, HISTORY_FILE))).toHaveLength(90);
  });

  test('resume refuses a checkpoint written by another configuration, and runSearch refuses to overwrite one', async () => {
    const options = { ...zdtSearch('zdt2', 4, 1), budget: { generations: 2 } };
    const dir = await tempDir();
    await runSearch({ ...options, strategy: nsga2({ populationSize: 6 }), checkpointDir: dir });
    await expect(
      runSearch({ ...options, strategy: nsga2({ populationSize: 6 }), checkpointDir: dir }),
    ).rejects.toThrow(
      `@automl-ts/evolution/runSearch: ${dir} already holds a checkpoint: continue it with resumeSearch or use an empty directory`,
    );
    await expect(
      resumeSearch({ ...options, strategy: nsga2({ populationSize: 8 }), checkpointDir: dir }),
    ).rejects.toThrow(
      '@automl-ts/evolution/resumeSearch: the checkpoint was written with strategy {"name":"nsga2","config":{"populationSize":6',
    );
    await expect(
      resumeSearch({ ...options, seed: 2, strategy: nsga2({ populationSize: 6 }), checkpointDir: dir }),
    ).rejects.toThrow('the checkpoint was written with seed 1, this search has 2');
    const empty = await tempDir();
    await expect(
      resumeSearch({ ...options, strategy: nsga2({ populationSize: 6 }), checkpointDir: empty }),
    ).rejects.toThrow(`@automl-ts/evolution/resumeSearch: ${empty} holds no checkpoint to resume`);
    await writeFile(join(empty, CHECKPOINT_FILE), '{"format":"other"}');
    await expect(loadSearchCheckpoint(empty)).rejects.toThrow('@automl-ts/evolution/loadSearchCheckpoint:');
  });

  test('writeFileAtomic replaces the whole file or nothing', async () => {
    const dir = await tempDir();
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'old');
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(path, `new ${i} `.repeat(1000))));
    expect(await readFile(path, 'utf8')).toMatch(/^(new \d+ )+$/);
    expect(await readdir(dir)).toEqual(['state.json']);
  });
});
