import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Architecture } from '@automl-ts/core';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { describeValue, errorFactory } from '../internal/errors.js';
import type { JsonValue } from '../strategies/strategy.js';
import type { EvaluationContext, Metrics } from '../types.js';
import { architectureKey, type Evaluator } from './evaluator.js';
import { loadEvaluator, moduleSpecifier } from './load-evaluator.js';

/** Where Redis is: a `redis://[:password@]host:port[/db]` URL or its parts. */
export type RedisConnection =
  | string
  | { readonly host: string; readonly port: number; readonly password?: string; readonly db?: number };

/** Options of {@link createDistributedEvaluator}. */
export interface DistributedEvaluatorOptions {
  /** The Redis server the queue lives on. */
  connection: RedisConnection;
  /**
   * Queue name; workers started with the same name serve this evaluator.
   * @default 'automl-ts-evolution'
   */
  queue?: string;
  /**
   * Part of every job id: searches with the same namespace share results (the same architecture
   * and evaluation seed is one job, evaluated once, whoever asks).
   * @default the queue name
   */
  namespace?: string;
  /**
   * Tries of one job on the workers (a worker that throws or dies mid-job costs one try; a killed
   * worker's job is put back by the stalled-job check).
   * @default 3
   */
  attempts?: number;
  /**
   * Delay before a job's retry, in milliseconds (exponential backoff).
   * @default 1000
   */
  backoffMs?: number;
  /**
   * Longest wait for one job, in milliseconds.
   * @default no limit
   */
  timeoutMs?: number;
}

/** Options of {@link startDistributedWorker}. */
export interface DistributedWorkerOptions {
  /** The Redis server the queue lives on. */
  connection: RedisConnection;
  /**
   * Queue name, as given to {@link createDistributedEvaluator}.
   * @default 'automl-ts-evolution'
   */
  queue?: string;
  /** The evaluator module (path, `file:` URL or package name) exporting `createEvaluator(options, context)`. */
  module: string | URL;
  /**
   * JSON options passed to `createEvaluator`.
   * @default null
   */
  options?: JsonValue;
  /**
   * Jobs this worker runs at once.
   * @default 1
   */
  concurrency?: number;
  /**
   * How long a job stays locked to this worker without a renewal; after a crash, its job returns
   * to the queue this long after the last renewal.
   * @default 30_000
   */
  lockDurationMs?: number;
  /**
   * How often this worker looks for jobs whose worker died.
   * @default 30_000
   */
  stalledIntervalMs?: number;
  /**
   * Crashes a job survives before it is failed.
   * @default 3
   */
  maxStalledCount?: number;
  /**
   * Name passed to `createEvaluator` as `context.workerId`.
   * @default `${hostname}-${pid}`
   */
  workerId?: string;
}

type JobData = { readonly arch: Architecture; readonly context: EvaluationContext };

const DEFAULT_QUEUE = 'automl-ts-evolution';

/** BullMQ connection options for ioredis; workers need `maxRetriesPerRequest: null`. */
function connectionOptions(connection: RedisConnection, where: string) {
  const fail = errorFactory(where);
  if (typeof connection === 'string') {
    let url: URL;
    try {
      url = new URL(connection);
    } catch {
      throw fail(`connection must be a redis:// URL or { host, port }, got ${describeValue(connection)}`);
    }
    if (url.protocol !== 'redis:')
      throw fail(`connection must be a redis:// URL, got ${describeValue(connection)}`);
    const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
    return {
      host: url.hostname,
      port: url.port === '' ? 6379 : Number(url.port),
      ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
      db,
      maxRetriesPerRequest: null,
    };
  }
  if (typeof connection !== 'object' || connection === null || typeof connection.host !== 'string') {
    throw fail(`connection must be a redis:// URL or { host, port }, got ${describeValue(connection)}`);
  }
  if (!Number.isInteger(connection.port) || connection.port < 1) {
    throw fail(`connection.port must be a port number, got ${describeValue(connection.port)}`);
  }
  return { ...connection, maxRetriesPerRequest: null };
}

/**
 * Evaluates architectures on any number of machines through a Redis queue (BullMQ). Each
 * architecture is a job whose id is a hash of namespace, architecture and evaluation seed, so a
 * job is created once and its result reused (idempotent: a resumed search or a second client gets
 * the stored result). Jobs of a crashed worker return to the queue and run elsewhere.
 * Start workers with {@link startDistributedWorker} or the `automl-ts-evolution-worker` command.
 *
 * @example
 * const evaluator = await createDistributedEvaluator({ connection: 'redis://10.0.0.5:6379', queue: 'nas' });
 * const result = await runSearch({ space, evaluator, concurrency: 16, ... });
 * await evaluator.close();
 */
export class DistributedEvaluator implements Evaluator {
  readonly #queue: Queue<JobData, Metrics>;
  readonly #events: QueueEvents;
  readonly #namespace: string;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #timeoutMs: number | undefined;

  private constructor(
    queue: Queue<JobData, Metrics>,
    events: QueueEvents,
    options: Required<Omit<DistributedEvaluatorOptions, 'timeoutMs'>> & { timeoutMs: number | undefined },
  ) {
    this.#queue = queue;
    this.#events = events;
    this.#namespace = options.namespace;
    this.#attempts = options.attempts;
    this.#backoffMs = options.backoffMs;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Connects to the queue; see {@link createDistributedEvaluator}. */
  static async connect(options: DistributedEvaluatorOptions): Promise<DistributedEvaluator> {
    const fail = errorFactory('createDistributedEvaluator');
    const queueName = options.queue ?? DEFAULT_QUEUE;
    const { attempts = 3, backoffMs = 1000, timeoutMs } = options;
    if (typeof queueName !== 'string' || queueName.length === 0 || queueName.includes(':')) {
      throw fail(`queue must be a non-empty name without ":", got ${describeValue(queueName)}`);
    }
    if (!Number.isInteger(attempts) || attempts < 1)
      throw fail(`attempts must be a positive integer, got ${describeValue(attempts)}`);
    if (!(backoffMs >= 0)) throw fail(`backoffMs must be >= 0, got ${describeValue(backoffMs)}`);
    if (timeoutMs !== undefined && !(timeoutMs > 0))
      throw fail(`timeoutMs must be > 0, got ${describeValue(timeoutMs)}`);
    const connection = connectionOptions(options.connection, 'createDistributedEvaluator');
    const queue = new Queue<JobData, Metrics>(queueName, { connection });
    const events = new QueueEvents(queueName, { connection });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    return new DistributedEvaluator(queue, events, {
      connection: options.connection,
      queue: queueName,
      namespace: options.namespace ?? queueName,
      attempts,
      backoffMs,
      timeoutMs,
    });
  }

  /** The job id of an architecture evaluated with an evaluation seed. */
  jobId(arch: Architecture, context: EvaluationContext): string {
    return createHash('sha256')
      .update(JSON.stringify([this.#namespace, architectureKey(arch), context.seed]))
      .digest('hex');
  }

  /** Queues `arch` (or finds its job) and waits for its result. */
  async evaluate(arch: Architecture, context: EvaluationContext): Promise<Metrics> {
    const jobId = this.jobId(arch, context);
    let job: Job<JobData, Metrics> = await this.#queue.add(
      'evaluate',
      { arch, context: { seed: context.seed, attempt: 1 } },
      {
        jobId,
        attempts: this.#attempts,
        backoff: { type: 'exponential', delay: this.#backoffMs },
        removeOnComplete: false,
        removeOnFail: false,
      },
    );
    // A job that already failed for good (an earlier run) is retried when asked for again.
    if ((await job.getState()) === 'failed') {
      await job.retry('failed');
      job = (await this.#queue.getJob(jobId)) ?? job;
    }
    return job.waitUntilFinished(this.#events, this.#timeoutMs);
  }

  /** Closes the connections (the queue and its jobs stay in Redis). */
  async close(): Promise<void> {
    await Promise.all([this.#events.close(), this.#queue.close()]);
  }
}

/** Connects a {@link DistributedEvaluator}. */
export function createDistributedEvaluator(
  options: DistributedEvaluatorOptions,
): Promise<DistributedEvaluator> {
  return DistributedEvaluator.connect(options);
}

/** A running distributed worker. */
export interface DistributedWorker {
  /** Finishes the jobs in progress and disconnects. */
  close(): Promise<void>;
}

/**
 * Serves a distributed evaluator's queue on this machine: builds the evaluator from `module` once,
 * then evaluates jobs, `concurrency` at a time. Run as many as you like, anywhere Redis is reachable.
 *
 * @example
 * const worker = await startDistributedWorker({ connection: 'redis://10.0.0.5:6379', queue: 'nas',
 *   module: '/srv/nas/evaluate.js', options: { epochs: 5 } });
 * process.on('SIGTERM', () => worker.close());
 */
export async function startDistributedWorker(options: DistributedWorkerOptions): Promise<DistributedWorker> {
  const fail = errorFactory('startDistributedWorker');
  const queueName = options.queue ?? DEFAULT_QUEUE;
  const {
    concurrency = 1,
    lockDurationMs = 30_000,
    stalledIntervalMs = 30_000,
    maxStalledCount = 3,
    workerId = `${hostname()}-${process.pid}`,
  } = options;
  if (
    !(options.module instanceof URL) &&
    (typeof options.module !== 'string' || options.module.length === 0)
  ) {
    throw fail(`module must be a path or URL of an evaluator module, got ${describeValue(options.module)}`);
  }
  for (const [name, value] of Object.entries({
    concurrency,
    lockDurationMs,
    stalledIntervalMs,
    maxStalledCount,
  })) {
    if (!Number.isInteger(value) || value < 1)
      throw fail(`${name} must be a positive integer, got ${describeValue(value)}`);
  }
  const connection = connectionOptions(options.connection, 'startDistributedWorker');
  const evaluator = await loadEvaluator(moduleSpecifier(options.module), options.options ?? null, {
    workerId,
  });
  const worker = new Worker<JobData, Metrics>(
    queueName,
    async (job) =>
      evaluator.evaluate(job.data.arch, { seed: job.data.context.seed, attempt: job.attemptsMade + 1 }),
    {
      connection,
      concurrency,
      lockDuration: lockDurationMs,
      stalledInterval: stalledIntervalMs,
      maxStalledCount,
    },
  );
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      await evaluator.close?.();
    },
  };
}
