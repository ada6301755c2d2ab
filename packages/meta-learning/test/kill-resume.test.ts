import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { META_CHECKPOINT_FILE, metaTrain } from '@automl-ts/meta-learning';
import { afterAll, describe, expect, test } from 'vitest';
import { CHECKPOINT_EVERY, ITERATIONS, killedRun } from './fixtures/killed-meta-train.js';
import { BACKENDS, useBackend, variableValues } from './helpers.js';

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

describe.each(BACKENDS)('meta-training killed with SIGKILL mid-run (%s)', (backend) => {
  test('resumed from its periodic checkpoint, it equals an uninterrupted run: weights, optimizer, curve, architectures', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'automl-ts-meta-kill-'));
    dirs.push(dir);
    const script = fileURLToPath(new URL('./fixtures/killed-meta-train.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, backend], {
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
    // Kill it once several periodic checkpoints are written (the child stalls at iteration 30
    // if this process is too slow to get there first).
    let killedAt = -1;
    // No clock: the test's timeout is the guard if the child never reaches the checkpoint.
    while (child.exitCode === null) {
      const iteration = await checkpointIteration(dir);
      if (iteration !== undefined && iteration >= 4 * CHECKPOINT_EVERY) {
        child.kill('SIGKILL');
        killedAt = iteration;
        break;
      }
      await sleep(5);
    }
    expect(await exited, output).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(4 * CHECKPOINT_EVERY);
    const atKill = (await checkpointIteration(dir)) as number;
    expect(atKill).toBeLessThan(ITERATIONS);
    expect(atKill % CHECKPOINT_EVERY).toBe(0);

    await useBackend(backend);
    const resumed = killedRun(dir);
    const events: string[] = [];
    const rest = await metaTrain(resumed.learner, resumed.tasks, {
      ...resumed.options,
      onProgress: (event) => events.push(event.type),
    });
    const straight = killedRun();
    const full = await metaTrain(straight.learner, straight.tasks, straight.options);
    expect(events[0]).toBe('resumed');
    expect(rest.iteration).toBe(ITERATIONS);
    expect(rest.history).toEqual(full.history);
    expect(
      new Set(full.history.flatMap((r) => r.architectures?.map((a) => JSON.stringify(a)) ?? [])).size,
    ).toBeGreaterThan(2);
    expect(variableValues(resumed.supernet)).toEqual(variableValues(straight.supernet));
    for (const run of [resumed, straight]) {
      run.learner.dispose();
      run.supernet.dispose();
    }
  }, 240_000);
});

test('a checkpoint written with per-task architectures refuses to resume without them; archFor must be a function', async () => {
  await useBackend('cpu');
  const dir = await mkdtemp(join(tmpdir(), 'automl-ts-meta-kill-'));
  dirs.push(dir);
  const first = killedRun(dir);
  await metaTrain(first.learner, first.tasks, { ...first.options, iterations: 2 });
  const second = killedRun(dir);
  const { architectures: _architectures, ...without } = second.options;
  await expect(metaTrain(second.learner, second.tasks, without)).rejects.toThrow(
    /^@automl-ts\/meta-learning\/metaTrain: the checkpoint in ".*" was written with per-task architectures/,
  );
  await expect(
    metaTrain(second.learner, second.tasks, {
      ...second.options,
      architectures: { archFor: 'uniform' } as never,
    }),
  ).rejects.toThrow(/architectures\.archFor must be a function .* got "uniform"/);
  for (const run of [first, second]) {
    run.learner.dispose();
    run.supernet.dispose();
  }
});
