import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  createDistributedEvaluator,
  type DistributedEvaluator,
  evaluationSeed,
  maximize,
  randomSearch,
  runSearch,
} from '@automl-ts/evolution';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectedMetrics, space } from './fixtures/slow-evaluator.js';
import { TSX_SOURCE_ENV } from './helpers.js';

// These tests need a real Redis. CI installs it (`apt-get install -y redis-server`); a machine
// without it fails here on purpose rather than skipping.
const REDIS_MISSING =
  'redis-server is not installed: the distributed-evaluation tests start a real local Redis. ' +
  'Install it with `apt-get install -y redis-server` (CI does this in .ci/run).';

const workerCli = fileURLToPath(new URL('../src/cli/worker.ts', import.meta.url));
const evaluatorModule = fileURLToPath(new URL('./fixtures/slow-evaluator.ts', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves when `process` prints a line matching `pattern` (on stdout or stderr). */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; output:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.split('\n').find((line) => pattern.test(line));
      if (match !== undefined) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${signal ?? code}) before printing ${pattern}; output:\n${seen}`));
    });
  });
}

describe('distributed evaluation on Redis (BullMQ)', () => {
  const children: ChildProcess[] = [];
  let redisUrl = '';

  beforeAll(async () => {
    const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    if (probe.error !== undefined || probe.status !== 0) throw new Error(REDIS_MISSING);
    const port = await freePort();
    const redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(redis);
    await waitForLine(redis, /Ready to accept connections/);
    redisUrl = `redis://127.0.0.1:${port}`;
  });

  afterAll(() => {
    for (const child of children.reverse())
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  function startWorker(queue: string): ChildProcess {
    const worker = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        workerCli,
        '--redis',
        redisUrl,
        '--queue',
        queue,
        '--module',
        evaluatorModule,
        '--options',
        '{"delayMs":150}',
        '--lock-duration-ms',
        '1000',
        '--stalled-interval-ms',
        '500',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...TSX_SOURCE_ENV } },
    );
    children.push(worker);
    return worker;
  }

  test('two worker processes, one killed mid-job: the search completes with every architecture evaluated', async () => {
    const queue = `nas-${process.pid}`;
    const doomed = startWorker(queue);
    const survivor = startWorker(queue);
    await Promise.all([waitForLine(doomed, /serving queue/), waitForLine(survivor, /serving queue/)]);
    const evaluator: DistributedEvaluator = await createDistributedEvaluator({
      connection: redisUrl,
      queue,
      attempts: 3,
      backoffMs: 50,
    });
    try {
      // Kill the first worker with SIGKILL as soon as it starts its second job.
      let started = 0;
      let killed = false;
      const killed$ = new Promise<void>((resolve) => {
        doomed.stderr?.on('data', (chunk: Buffer) => {
          started += chunk
            .toString()
            .split('\n')
            .filter((line) => line.startsWith('evaluating')).length;
          if (started >= 2 && !killed) {
            killed = true;
            doomed.kill('SIGKILL');
            resolve();
          }
        });
      });
      const seed = 21;
      const result = await runSearch({
        space,
        evaluator,
        objectives: [maximize('fitness')],
        strategy: randomSearch({ batchSize: 6 }),
        budget: { evaluations: 18 },
        concurrency: 6,
        retries: 0,
        seed,
      });
      await killed$;
      expect(doomed.signalCode).toBe('SIGKILL');
      expect(result.failed).toBe(0);
      expect(result.evaluations).toBe(18);
      for (const record of result.history) {
        expect(record.status).toBe('ok');
        expect(record.metrics).toEqual(
          expectedMetrics(record.architecture, evaluationSeed(seed, space.key(record.architecture))),
        );
      }
      // Idempotent: asking again returns the stored results without queueing new work.
      const again = await runSearch({
        space,
        evaluator,
        objectives: [maximize('fitness')],
        strategy: randomSearch({ batchSize: 6 }),
        budget: { evaluations: 18 },
        concurrency: 6,
        seed,
      });
      expect(again.history.map((r) => r.metrics)).toEqual(result.history.map((r) => r.metrics));
      expect(again.elapsedMs).toBeLessThan(result.elapsedMs);
    } finally {
      await evaluator.close();
      survivor.kill('SIGTERM');
    }
  });

  test('an evaluation that keeps failing on the workers rejects with the worker error (a search records it as failed)', async () => {
    const queue = `failing-${process.pid}`;
    const worker = startWorker(queue);
    await waitForLine(worker, /serving queue/);
    const evaluator = await createDistributedEvaluator({
      connection: redisUrl,
      queue,
      attempts: 2,
      backoffMs: 10,
    });
    try {
      const record = await evaluator.evaluate({ layer0: 'op9' }, { seed: 1, attempt: 1 }).then(
        () => 'resolved',
        (error: Error) => error.message,
      );
      expect(record).toMatch(/@automl-ts\/core\/SearchSpace\.encode: choice "layer0" has value "op9"/);
    } finally {
      await evaluator.close();
      worker.kill('SIGTERM');
    }
  });

  test('bad connection options', async () => {
    await expect(createDistributedEvaluator({ connection: 'http://x' })).rejects.toThrow(
      '@automl-ts/evolution/createDistributedEvaluator: connection must be a redis:// URL, got "http://x"',
    );
    await expect(createDistributedEvaluator({ connection: redisUrl, queue: 'a:b' })).rejects.toThrow(
      'queue must be a non-empty name without ":"',
    );
  });
});
