// The RepNAS comparison (Zhang et al., "RepNAS", 2021, Table 3's claim: searched ODBB ≥ DBB at a
// smaller training cost): five forms of one backbone × seeds, each fused, scored, reported.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { measureLatency, profileModel, toLayersModel, writeFileAtomic } from '@automl-ts/core';
import type { RepNetForm, RepNetSize } from '@automl-ts/rep-blocks';
import {
  buildResults,
  collectProvenance,
  createProgress,
  createRunClock,
  errorBarChart,
  formatTable,
  type Results,
  readResults,
  summarize,
  writeChart,
  writeResults,
} from '@automl-ts/report';
import * as tf from '@tensorflow/tfjs';
import { correctness, type DataOptions, loadPipelineData } from './data.js';
import { trainForm } from './train.js';

/** Every form of the comparison, in table order. */
export const FORMS: readonly RepNetForm[] = ['plain', 'repvgg', 'acnet', 'dbb', 'odbb'];

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  readonly forms: readonly RepNetForm[];
  readonly seeds: readonly number[];
  readonly size: string | RepNetSize;
  readonly epochs: number;
  readonly batchSize: number;
  readonly data: DataOptions;
  /** Where results JSON, table, chart and the exported model go. */
  readonly resultsDir: string;
  /** Checkpoints of unfinished runs. */
  readonly checkpointDir: string;
  readonly checkpointEvery: number;
  /** Stop every run after this many steps (resume later with the same command). */
  readonly stopAfterStep?: number;
  /** Directory of the example, for provenance. */
  readonly exampleDir: string;
  readonly log: (line: string) => void;
  /** ODBB: retrain the searched architecture from scratch instead of fusing the searched weights. */
  readonly retrainSearched?: boolean;
  /** Timed runs of the fused-latency measurement. */
  readonly latencyRuns?: number;
}

function disposeTrained(trained: {
  net: { dispose(): void };
  unfused: { dispose(): void };
  deployed: { dispose(): void };
}): void {
  if (trained.unfused !== trained.net) trained.unfused.dispose();
  trained.net.dispose();
  trained.deployed.dispose();
}

function runName(form: RepNetForm, seed: number): string {
  return `${form}-seed${seed}`;
}

async function readIfDone(path: string): Promise<Results | undefined> {
  try {
    return await readResults(path);
  } catch {
    return undefined;
  }
}

/** Trains, fuses and scores every form × seed (skipping runs whose results exist), then writes the table, chart and best model. */
export async function runPipeline(
  options: PipelineOptions,
): Promise<{ results: Results[]; summary: Record<string, unknown> }> {
  await mkdir(options.resultsDir, { recursive: true });
  const data = await loadPipelineData(options.data);
  options.log(
    `data: ${data.train.size} train, ${data.val.size} validation (held out of the training set), ${data.test.size} test images`,
  );
  const inputShape = [data.train.shape.height, data.train.shape.width, data.train.shape.channels];
  const results: Results[] = [];
  let unfinished = 0;
  for (const form of options.forms) {
    for (const seed of options.seeds) {
      const run = runName(form, seed);
      const path = join(options.resultsDir, `${run}.json`);
      const done = await readIfDone(path);
      if (done !== undefined) {
        options.log(`${run}: done already (${path})`);
        results.push(done);
        continue;
      }
      const clock = createRunClock();
      const checkpointDir = join(options.checkpointDir, run);
      let progress: ReturnType<typeof createProgress> | undefined;
      const trained = await clock.time('training', () =>
        trainForm({
          form,
          seed,
          data,
          size: options.size,
          epochs: options.epochs,
          batchSize: options.batchSize,
          checkpointDir,
          checkpointEvery: options.checkpointEvery,
          ...(options.stopAfterStep === undefined ? {} : { stopAfterStep: options.stopAfterStep }),
          ...(options.retrainSearched === true ? { retrainSearched: true } : {}),
          onStep: (step, total, loss) => {
            progress ??= createProgress({ total, label: run });
            progress.update(step, { info: `loss ${loss.toFixed(3)}` });
          },
        }),
      );
      progress?.stop();
      if (!trained.finished) {
        options.log(
          `${run}: stopped at its step limit; checkpoint in ${checkpointDir} (run the same command to resume)`,
        );
        disposeTrained(trained);
        unfinished++;
        continue;
      }
      const scored = await clock.time('evaluation', async () => {
        const predictFused = (x: tf.Tensor4D) => trained.deployed.apply(x);
        const predictUnfused = (x: tf.Tensor4D) => trained.unfused.apply(x);
        const val = correctness(data, data.val, predictFused);
        const test = correctness(data, data.test, predictFused);
        const testUnfused = correctness(data, data.test, predictUnfused);
        const profile = profileModel(trained.deployed, { inputShape });
        const latency = await measureLatency(trained.deployed, inputShape, {
          warmup: 3,
          warmupMs: 200,
          runs: options.latencyRuns ?? 20,
        });
        return { val, test, testUnfused, profile, latency };
      });
      const result = buildResults({
        pipeline: 'repnas',
        run,
        protocol: {
          id: 'cifar10-val-select-test@1',
          description: `trained on ${data.train.size} training images; model selection on ${data.val.size} validation images held out of the training set; final numbers on the ${data.test.size} test images`,
        },
        config: {
          form,
          size: typeof options.size === 'string' ? options.size : JSON.stringify(options.size),
          epochs: options.epochs,
          batchSize: options.batchSize,
          totalSteps: trained.totalSteps,
          valFraction: options.data.valFraction,
          ...(form === 'odbb' ? { retrainSearched: options.retrainSearched === true } : {}),
          ...(trained.budget === undefined ? {} : { budget: trained.budget }),
        },
        provenance: collectProvenance({
          seeds: { weights: seed, data: seed, split: options.data.splitSeed },
          backend: { name: tf.getBackend(), threads: null },
          startedAt: clock.startedAt,
          phases: clock.phases(),
          from: options.exampleDir,
        }),
        outcomes: {
          'test/correct': scored.test,
          'val/correct': scored.val,
          'test-unfused/correct': scored.testUnfused,
        },
        data: {
          trainStepMs: trained.stepMs,
          fusedMacs: scored.profile.macs,
          fusedParams: scored.profile.params,
          fusedLatencyMs: scored.latency.median,
          trainingParams: trained.net.countParameters(),
          ...(trained.kept === undefined ? {} : { kept: trained.kept }),
        },
      });
      const exported = toLayersModel(trained.deployed, { inputShape, name: `repnas_${form}_seed${seed}` });
      await exported.save(`file://${modelDir(options, run)}`);
      exported.dispose();
      await writeResults(path, result);
      await rm(checkpointDir, { recursive: true, force: true });
      options.log(
        `${run}: test ${(100 * (result.summary['test/correct']?.mean ?? 0)).toFixed(2)}% (fused), wrote ${path}`,
      );
      results.push(result);
      disposeTrained(trained);
    }
  }
  const summary = unfinished === 0 ? await summariseAndExport(options, results, data) : { unfinished };
  return { results, summary };
}

async function summariseAndExport(
  options: PipelineOptions,
  results: Results[],
  data: Awaited<ReturnType<typeof loadPipelineData>>,
): Promise<Record<string, unknown>> {
  const mean = (r: Results, key: string) => r.summary[key]?.mean ?? Number.NaN;
  const rows = options.forms.map((form) => {
    const runs = results.filter((r) => r.config['form'] === form);
    const accuracy = summarize(runs.map((r) => mean(r, 'test/correct')));
    const d = (k: string) => runs.map((r) => (r.data as Record<string, number>)[k] as number);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    return {
      form,
      seeds: runs.length,
      accuracy: accuracy.mean,
      std: accuracy.std,
      stepMs: avg(d('trainStepMs')),
      macs: avg(d('fusedMacs')),
      params: avg(d('fusedParams')),
      latencyMs: avg(d('fusedLatencyMs')),
    };
  });
  const table = formatTable(
    [
      { title: 'form', value: (r: (typeof rows)[number]) => r.form },
      { title: 'seeds', value: (r) => String(r.seeds) },
      {
        title: 'test accuracy % (mean ± std)',
        value: (r) => `${(100 * r.accuracy).toFixed(2)} ± ${(100 * r.std).toFixed(2)}`,
      },
      { title: 'train step ms', value: (r) => r.stepMs.toFixed(1) },
      { title: 'fused MMACs', value: (r) => (r.macs / 1e6).toFixed(2) },
      { title: 'fused params', value: (r) => String(Math.round(r.params)) },
      { title: 'fused latency ms', value: (r) => r.latencyMs.toFixed(2) },
    ],
    rows,
    'markdown',
  );
  await writeChart(
    join(options.resultsDir, 'accuracy.svg'),
    errorBarChart({
      title: 'CIFAR-10 test accuracy of the fused nets',
      subtitle: `${options.seeds.length} seed(s), mean ± std; every fused net is the same plain net`,
      xTitle: 'training form',
      y: { title: 'test accuracy', format: '.1%' },
      items: rows.map((r) => ({
        label: r.form,
        mean: r.accuracy,
        lower: r.accuracy - r.std,
        upper: r.accuracy + r.std,
      })),
    }),
  );
  // Model selection on the validation split only.
  const best = [...results].sort((a, b) => mean(b, 'val/correct') - mean(a, 'val/correct'))[0] as Results;
  const exported = await exportBest(options, best, data);
  const summary = { table, rows, best: best.run, exported };
  await writeFileAtomic(
    join(options.resultsDir, 'summary.md'),
    `${table}\n\nBest on validation: ${best.run}. ${JSON.stringify(exported)}\n`,
  );
  options.log(table);
  return summary;
}

/** Directory of a finished run's exported fused model (git-ignored runs area). */
function modelDir(options: PipelineOptions, run: string): string {
  return join(options.checkpointDir, '..', 'models', run);
}

/**
 * The best run (by validation accuracy): its fused model, exported with toLayersModel when the run
 * finished, is reloaded with stock tf.loadLayersModel, scored on the test set and copied into the
 * results folder.
 */
async function exportBest(
  options: PipelineOptions,
  best: Results,
  data: Awaited<ReturnType<typeof loadPipelineData>>,
): Promise<Record<string, number | string>> {
  const source = modelDir(options, best.run);
  const reloaded = await tf.loadLayersModel(`file://${join(source, 'model.json')}`);
  const stock = correctness(data, data.test, (x) => reloaded.predict(x) as tf.Tensor);
  const dir = join(options.resultsDir, 'best-model');
  await reloaded.save(`file://${dir}`);
  reloaded.dispose();
  const accuracy = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    run: best.run,
    directory: dir,
    reloadedTestAccuracy: accuracy(stock),
    recordedFusedTestAccuracy: best.summary['test/correct']?.mean ?? Number.NaN,
    recordedUnfusedTestAccuracy: best.summary['test-unfused/correct']?.mean ?? Number.NaN,
  };
}
