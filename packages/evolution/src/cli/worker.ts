#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDistributedWorker } from '../eval/distributed.js';
import type { JsonValue } from '../strategies/strategy.js';

const usage = `usage: automl-ts-evolution-worker --redis redis://host:port --module ./evaluate.js [options]

Serves a distributed evaluation queue (see createDistributedEvaluator).
  --redis URL              Redis server (required)
  --module PATH            evaluator module exporting createEvaluator(options, context) (required)
  --queue NAME             queue name (default automl-ts-evolution)
  --options JSON           options for createEvaluator (default null)
  --concurrency N          jobs at once (default 1)
  --lock-duration-ms N     job lock; a crashed worker's job returns after it (default 30000)
  --stalled-interval-ms N  how often to look for crashed workers' jobs (default 30000)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      redis: { type: 'string' },
      module: { type: 'string' },
      queue: { type: 'string' },
      options: { type: 'string' },
      concurrency: { type: 'string' },
      'lock-duration-ms': { type: 'string' },
      'stalled-interval-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true || values.redis === undefined || values.module === undefined) {
    console.error(usage);
    process.exit(values.help === true ? 0 : 2);
  }
  const integer = (text: string | undefined): number | undefined =>
    text === undefined ? undefined : Number(text);
  const worker = await startDistributedWorker({
    connection: values.redis,
    module: resolve(values.module),
    ...(values.queue === undefined ? {} : { queue: values.queue }),
    options: values.options === undefined ? null : (JSON.parse(values.options) as JsonValue),
    ...optional('concurrency', integer(values.concurrency)),
    ...optional('lockDurationMs', integer(values['lock-duration-ms'])),
    ...optional('stalledIntervalMs', integer(values['stalled-interval-ms'])),
  });
  console.error(
    `automl-ts-evolution-worker ${process.pid}: serving queue ${values.queue ?? 'automl-ts-evolution'}`,
  );
  const stop = (): void => {
    worker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
