import { threadId, workerData } from 'node:worker_threads';
import type { Architecture } from '@automl-ts/core';
import type { JsonValue } from '../strategies/strategy.js';
import type { EvaluationContext, Metrics } from '../types.js';
import type { Evaluator } from './evaluator.js';
import { loadEvaluator } from './load-evaluator.js';

/** What a {@link WorkerPool} gives each worker thread. */
export type PoolWorkerData = { readonly module: string; readonly options: JsonValue };

/** One evaluation task sent to a worker thread. */
export type PoolTask = { readonly arch: Architecture; readonly context: EvaluationContext };

const data = workerData as PoolWorkerData;
// Built as soon as the thread starts, so all workers load TF.js and their data in parallel, before
// the first task; a failure is reported by every task instead of crashing the thread.
const evaluator: Promise<Evaluator> = loadEvaluator(data.module, data.options, {
  workerId: `thread-${threadId}`,
});
evaluator.catch(() => undefined);

/** Piscina task: evaluates with this thread's evaluator. */
export default async function evaluateInWorker(task: PoolTask): Promise<Metrics> {
  return (await evaluator).evaluate(task.arch, task.context);
}
