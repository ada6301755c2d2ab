import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AtNasResult, adaptToTask, atNasSearch, queryAccuracy } from '@automl-ts/at-nas';
import {
  type Architecture,
  type ArchValues,
  createModel,
  createRng,
  createSupernet,
  DARTS_OPS,
  type Module,
  profileModel,
  type Supernet,
} from '@automl-ts/core';
import { createEpisodeSampler, type ImageDataset } from '@automl-ts/datasets';
import {
  createMetaLearner,
  type MetaLearner,
  metaTrain,
  type TaskSourceFactory,
} from '@automl-ts/meta-learning';
import {
  buildResults,
  collectProvenance,
  createProgress,
  createRunClock,
  formatTable,
  lineChart,
  summarize,
  writeChart,
  writeResults,
} from '@automl-ts/report';
import * as tf from '@tensorflow/tfjs';
import { type AtNasData, loadAtNasData } from './data.js';

/** What one pipeline run compares, at equal meta-training iterations. */
export const METHODS = ['at-nas', 'uniform', 'maml-conv4'] as const;
export type Method = (typeof METHODS)[number];

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  readonly dataDir: string | undefined;
  readonly metaTest: 'auto' | 'evaluation' | 'background';
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  readonly iterations: number;
  readonly metaBatchSize: number;
  readonly innerSteps: number;
  readonly channels: number;
  readonly conv4Channels: number;
  readonly populationSize: number;
  readonly evolveEvery: number;
  readonly children: number;
  readonly fitnessTasks: number;
  readonly testTasks: number;
  readonly adaptGenerations: number;
  readonly seed: number;
  readonly methods: readonly Method[];
  /** Checkpoints (resumed when present). */
  readonly runsDirectory: string;
  /** JSON, table and SVGs. */
  readonly resultsDirectory: string;
  readonly log: (line: string) => void;
  /** Injected into the results' provenance (the command line). */
  readonly argv?: readonly string[];
  /** Size of the images (28 for Omniglot; tests shrink it). */
  readonly imageSize?: number;
}

interface MethodOutcome {
  readonly label: string;
  readonly accuracies: number[];
  readonly macs: number;
  readonly architecture: Architecture | null;
}

/** The pipeline's one command: meta-train every method, meta-test them on the same tasks, write the report. */
export async function runPipeline(options: PipelineOptions): Promise<{ resultsPath: string; table: string }> {
  const clock = createRunClock();
  const data: AtNasData = await loadAtNasData(options.dataDir, options.metaTest);
  const size = options.imageSize ?? 28;
  const run = `at-nas-${options.ways}w${options.shots}s-${data.name}-seed${options.seed}`;
  options.log(`${run}: ${data.description}`);
  const episodes =
    (dataset: ImageDataset, queries: number): TaskSourceFactory =>
    (rng) => {
      const sampler = createEpisodeSampler(dataset, {
        ways: options.ways,
        shots: options.shots,
        queries,
        seed: rng,
      });
      if (size === 28) return sampler;
      return {
        sample: () => {
          const task = sampler.sample();
          const shrink = (x: tf.Tensor) => tf.image.resizeBilinear(x as tf.Tensor4D, [size, size]);
          const support = { x: shrink(task.support.x), y: tf.clone(task.support.y) };
          const query = { x: shrink(task.query.x), y: tf.clone(task.query.y) };
          task.dispose();
          return { support, query, dispose: () => tf.dispose([support.x, support.y, query.x, query.y]) };
        },
      };
    };
  const trainTasks = episodes(data.train, options.queries);
  const valTasks = episodes(data.val, options.queries);
  const testTasks = episodes(data.test, options.queries);
  const inputShape = [size, size, 1];
  const macsOf = (module: Module) => profileModel(module, { inputShape }).macs;
  const subnetMacs = (supernet: Supernet, arch: Architecture) => {
    const subnet = supernet.extract(arch);
    try {
      return macsOf(subnet);
    } finally {
      subnet.dispose();
    }
  };
  const newSupernet = () =>
    createSupernet('conv4-cells', {
      inputSize: size,
      numClasses: options.ways,
      channels: options.channels,
      ops: DARTS_OPS,
      seed: options.seed,
    });
  const progressFor = (label: string) => createProgress({ total: options.iterations, label });

  const trained: Partial<
    Record<Method, { supernet?: Supernet; module?: Module; search?: AtNasResult; learner: MetaLearner }>
  > = {};
  const curves: Record<string, { iteration: number; accuracy: number }[]> = {};
  const timing: Record<string, { wallSeconds: number; cpuSeconds: number }> = {};
  await clock.time('training', async () => {
    for (const method of options.methods) {
      const progress = progressFor(method);
      const cpuStart = process.cpuUsage();
      const wallStart = performance.now();
      if (method === 'maml-conv4') {
        const module = createModel('conv4', {
          inputSize: size,
          inChannels: 1,
          numClasses: options.ways,
          channels: options.conv4Channels,
          seed: options.seed,
        });
        const learner = createMetaLearner('fomaml', module, { innerLr: 0.1, innerSteps: options.innerSteps });
        const result = await metaTrain(learner, trainTasks, {
          iterations: options.iterations,
          metaBatchSize: options.metaBatchSize,
          seed: options.seed,
          checkpoint: { directory: join(options.runsDirectory, run, method), every: 50 },
          onProgress: (event) => {
            if (event.type === 'iteration')
              progress.update(event.iteration, { info: `query acc ${(event.accuracy ?? 0).toFixed(3)}` });
          },
        });
        curves[method] = smooth(
          result.history.map((r) => ({ iteration: r.iteration, accuracy: r.accuracy ?? 0 })),
        );
        trained[method] = { module, learner };
      } else {
        const supernet = newSupernet();
        const search = await atNasSearch({
          supernet,
          tasks: trainTasks,
          validationTasks: valTasks,
          iterations: options.iterations,
          metaBatchSize: options.metaBatchSize,
          innerSteps: options.innerSteps,
          populationSize: options.populationSize,
          evolveEvery: options.evolveEvery,
          children: options.children,
          fitnessTasks: options.fitnessTasks,
          sampling: method === 'at-nas' ? 'population' : 'uniform',
          seed: options.seed,
          checkpoint: { directory: join(options.runsDirectory, run, method), every: 50 },
          onProgress: (event) => {
            if (event.type === 'meta-train' && event.event.type === 'iteration')
              progress.update(event.event.iteration, {
                info: `query acc ${(event.event.accuracy ?? 0).toFixed(3)}`,
              });
            if (event.type === 'generation')
              options.log(
                `${method} generation ${event.record.generation}: mean fitness ${event.record.meanFitness.toFixed(3)}, best ${event.record.bestFitness.toFixed(3)}`,
              );
          },
        });
        curves[method] = smooth(
          search.metaTraining.history.map((r) => ({ iteration: r.iteration, accuracy: r.accuracy ?? 0 })),
        );
        trained[method] = { supernet, search, learner: search.learner };
      }
      progress.stop();
      const cpu = process.cpuUsage(cpuStart);
      timing[method] = {
        wallSeconds: (performance.now() - wallStart) / 1000,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      };
      options.log(
        `${method}: ${options.iterations} meta-iterations in ${timing[method].wallSeconds.toFixed(0)} s wall, ${timing[method].cpuSeconds.toFixed(0)} s CPU`,
      );
    }
  });

  // Meta-test: the same tasks for every method; the query set is seen only for the final score.
  const outcomes: MethodOutcome[] = [];
  const adaptationSeconds: number[] = [];
  await clock.time('evaluation', async () => {
    const accuracyOf = (
      learner: MetaLearner,
      arch: ArchValues | undefined,
      task: { support: { x: tf.Tensor; y: tf.Tensor }; query: { x: tf.Tensor; y: tf.Tensor } },
    ) =>
      arch === undefined
        ? queryAccuracyPlain(learner, task, options.innerSteps)
        : queryAccuracy(learner, arch, [task], options.innerSteps);
    const forEachTestTask = async (
      fn: (task: ReturnType<ReturnType<TaskSourceFactory>['sample']>) => Promise<number> | number,
    ) => {
      const source = testTasks(createRng(`${options.seed}/meta-test`));
      const values: number[] = [];
      for (let i = 0; i < options.testTasks; i++) {
        const task = source.sample();
        try {
          values.push(await fn(task));
        } finally {
          task.dispose();
        }
      }
      return values;
    };
    const search = trained['at-nas']?.search;
    if (search !== undefined && trained['at-nas']?.supernet !== undefined) {
      const supernet = trained['at-nas'].supernet;
      outcomes.push({
        label: 'AT-NAS (per-task architecture adaptation)',
        macs: Number.NaN,
        architecture: null,
        accuracies: await forEachTestTask(async (task) => {
          const adaptation = await adaptToTask(search, task.support, {
            generations: options.adaptGenerations,
            children: options.children,
          });
          adaptationSeconds.push(adaptation.seconds.total);
          try {
            return tf.tidy(() => accuracyOfLogits(adaptation.model.predict(task.query.x), task.query.y));
          } finally {
            adaptation.dispose();
          }
        }),
      });
      outcomes.push({
        label: 'AT-NAS best architecture, no per-task adaptation',
        macs: subnetMacs(supernet, search.best),
        architecture: search.best,
        accuracies: await forEachTestTask((task) =>
          accuracyOf(search.learner, search.best as ArchValues, task),
        ),
      });
      const random = supernet.sample(createRng(`${options.seed}/random-architecture`));
      outcomes.push({
        label: 'random architecture, same meta-trained supernet',
        macs: subnetMacs(supernet, random),
        architecture: random,
        accuracies: await forEachTestTask((task) => accuracyOf(search.learner, random as ArchValues, task)),
      });
    }
    const uniform = trained.uniform;
    if (uniform?.supernet !== undefined) {
      // One-shot selection after uniform training: the best of P random architectures on meta-val.
      const rng = createRng(`${options.seed}/uniform-selection`);
      const fitnessSource = valTasks(createRng(`${options.seed}/uniform-fitness`));
      const fitnessTasks = Array.from({ length: options.fitnessTasks }, () => fitnessSource.sample());
      let best: Architecture | undefined;
      let bestFitness = -1;
      for (let i = 0; i < options.populationSize; i++) {
        const arch = uniform.supernet.sample(rng);
        const fitness = queryAccuracy(uniform.learner, arch as ArchValues, fitnessTasks, options.innerSteps);
        if (fitness > bestFitness) [best, bestFitness] = [arch, fitness];
      }
      for (const task of fitnessTasks) task.dispose();
      const chosen = best as Architecture;
      outcomes.push({
        label: 'uniform sampling (no EA in the loop), best of P on meta-val',
        macs: subnetMacs(uniform.supernet, chosen),
        architecture: chosen,
        accuracies: await forEachTestTask((task) => accuracyOf(uniform.learner, chosen as ArchValues, task)),
      });
    }
    const maml = trained['maml-conv4'];
    if (maml?.module !== undefined) {
      outcomes.push({
        label: `first-order MAML, fixed conv4-${options.conv4Channels}`,
        macs: macsOf(maml.module),
        architecture: null,
        accuracies: await forEachTestTask((task) => accuracyOf(maml.learner, undefined, task)),
      });
    }
  });

  const rows = outcomes.map((o) => ({ ...o, summary: summarize(o.accuracies) }));
  const table = formatTable(
    [
      { title: 'method', value: (r: (typeof rows)[number]) => r.label },
      {
        title: 'meta-test accuracy %',
        value: (r: (typeof rows)[number]) =>
          `${(100 * r.summary.mean).toFixed(2)} ± ${(100 * r.summary.ci95).toFixed(2)}`,
      },
      {
        title: 'MMACs',
        value: (r: (typeof rows)[number]) => (Number.isNaN(r.macs) ? 'per task' : (r.macs / 1e6).toFixed(2)),
      },
    ],
    rows,
    'markdown',
  );
  await mkdir(options.resultsDirectory, { recursive: true });
  const results = buildResults({
    pipeline: 'at-nas',
    run,
    protocol: {
      id: `omniglot-${data.metaTest}@1`,
      description: `${data.description}; ${options.testTasks} meta-test tasks, the same for every method; fitness and model selection on meta-val only`,
    },
    config: { ...options, log: undefined, argv: undefined } as never,
    provenance: collectProvenance({
      seeds: { run: options.seed },
      backend: { name: tf.getBackend(), threads: null },
      startedAt: clock.startedAt,
      phases: clock.phases(),
      from: options.resultsDirectory,
      ...(options.argv === undefined ? {} : { argv: options.argv }),
    }),
    outcomes: {
      ...Object.fromEntries(rows.map((r) => [`meta-test/${r.label}/accuracy`, r.accuracies])),
      ...(adaptationSeconds.length === 0 ? {} : { 'meta-test/adaptation-seconds': adaptationSeconds }),
    },
    data: {
      curves,
      trainingSecondsByMethod: timing,
      macs: Object.fromEntries(rows.map((r) => [r.label, Number.isNaN(r.macs) ? null : r.macs])),
      architectures: Object.fromEntries(rows.map((r) => [r.label, r.architecture])),
      generations: (trained['at-nas']?.search?.generations ?? []) as never,
    },
  });
  const resultsPath = join(options.resultsDirectory, `${run}.json`);
  await writeResults(resultsPath, results);
  await writeFile(join(options.resultsDirectory, `${run}.md`), `${table}\n`);
  await writeChart(
    join(options.resultsDirectory, `${run}-curves.svg`),
    lineChart({
      title: `Omniglot ${options.ways}-way ${options.shots}-shot: training query accuracy`,
      subtitle: 'moving average over meta-iterations, equal budgets',
      x: { title: 'meta-iteration' },
      y: { title: 'query accuracy after adaptation', format: '.0%' },
      series: Object.entries(curves).map(([name, points]) => ({
        name,
        points: points.map((p) => ({ x: p.iteration, y: p.accuracy })),
      })),
    }),
  );
  const generations = trained['at-nas']?.search?.generations ?? [];
  if (generations.length > 0) {
    await writeChart(
      join(options.resultsDirectory, `${run}-population.svg`),
      lineChart({
        title: 'AT-NAS population fitness (meta-val query accuracy)',
        x: { title: 'generation' },
        y: { title: 'fitness', format: '.0%' },
        series: [
          { name: 'mean', points: generations.map((g) => ({ x: g.generation, y: g.meanFitness })) },
          { name: 'best', points: generations.map((g) => ({ x: g.generation, y: g.bestFitness })) },
        ],
      }),
    );
  }
  for (const entry of Object.values(trained)) {
    entry?.supernet?.dispose();
    entry?.module?.dispose();
    entry?.learner.dispose();
  }
  options.log(table);
  options.log(`results: ${resultsPath}`);
  return { resultsPath, table };
}

function accuracyOfLogits(logits: tf.Tensor, labels: tf.Tensor): number {
  return tf.tidy(
    () =>
      tf
        .mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'float32'))
        .dataSync()[0] as number,
  );
}

function queryAccuracyPlain(
  learner: MetaLearner,
  task: { support: { x: tf.Tensor; y: tf.Tensor }; query: { x: tf.Tensor; y: tf.Tensor } },
  steps: number,
): number {
  const adapted = learner.adapt(task.support, { steps });
  try {
    return tf.tidy(() => accuracyOfLogits(adapted.predict(task.query.x), task.query.y));
  } finally {
    adapted.dispose();
  }
}

/** A trailing moving average over 50 meta-iterations, one point per 10. */
function smooth(
  points: { iteration: number; accuracy: number }[],
): { iteration: number; accuracy: number }[] {
  const out: { iteration: number; accuracy: number }[] = [];
  for (let i = 0; i < points.length; i++) {
    if ((i + 1) % 10 !== 0 && i !== points.length - 1) continue;
    const window = points.slice(Math.max(0, i - 49), i + 1);
    out.push({
      iteration: points[i]?.iteration as number,
      accuracy: window.reduce((s, p) => s + p.accuracy, 0) / window.length,
    });
  }
  return out;
}
