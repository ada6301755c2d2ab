// Few-shot learning from the command line: meta-train one of @automl-ts/meta-learning's algorithms
// on Omniglot (or the embedded dataset), checkpoint, resume, select on meta-val, report on
// meta-test, and adapt to a user's task. See `--help` and examples/few-shot/README.md.
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createModel,
  createRng,
  initBackend,
  registerFileSystemRouter,
  toLayersModel,
  writeFileAtomic,
} from '@automl-ts/core';
import { createEpisodeSampler } from '@automl-ts/datasets';
import {
  createMetaLearner,
  evaluate,
  hasMetaCheckpoint,
  loadMetaCheckpoint,
  type MetaLearner,
  metaTrain,
} from '@automl-ts/meta-learning';
import {
  buildResults,
  collectProvenance,
  createRunClock,
  formatDuration,
  resolveResultsDirectory,
} from '@automl-ts/report';
import * as tf from '@tensorflow/tfjs';
import { type FewShotArgs, parseCommandLine, usage } from './args.js';
import { type FewShotData, loadFewShotData, loadUserTask, resolveMetaTest, SPLIT_SEED } from './data.js';
import { PROTOCOL_ID, rebuildReports, trainingCurve, writeReport } from './report.js';

/** The example's folder (results/, runs/). */
export const EXAMPLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGE_SIZE = 28;
/** Written into every checkpoint directory: what `--adapt` needs to rebuild the model. */
const RUN_FILE = 'few-shot-run.json';

interface RunFile {
  readonly algorithm: string;
  readonly ways: number;
  readonly shots: number;
  readonly channels: number;
  readonly dataset: string;
}

/** The run's name without the seed (runs that differ only in the seed share it). */
export function runGroup(args: FewShotArgs, data: Pick<FewShotData, 'name' | 'metaTest'>): string {
  const training = args.trainWays === args.ways ? '' : `-train${args.trainWays}w`;
  const test = data.metaTest === 'evaluation' ? '-evalset' : data.metaTest === 'background' ? '-bgtest' : '';
  return `${args.algorithm}-${args.ways}w${args.shots}s${training}-${data.name}${test}`;
}

/** The run's name: results/<run>.json and the default checkpoint runs/<run>. */
export const runName = (args: FewShotArgs, data: Pick<FewShotData, 'name' | 'metaTest'>): string =>
  `${runGroup(args, data)}-seed${args.seed}`;

function buildLearner(
  args: Pick<FewShotArgs, 'algorithm' | 'channels' | 'seed' | 'innerLr' | 'innerSteps' | 'innerBatch'>,
  ways: number,
): MetaLearner {
  const module = createModel('conv4', {
    inputSize: IMAGE_SIZE,
    inChannels: 1,
    numClasses: ways,
    channels: args.channels,
    seed: args.seed,
  });
  if (args.algorithm === 'protonet') return createMetaLearner('protonet', module);
  if (args.algorithm === 'reptile') {
    return createMetaLearner('reptile', module, {
      innerLr: args.innerLr,
      innerSteps: args.innerSteps,
      ...(args.innerBatch === undefined ? {} : { innerBatchSize: args.innerBatch }),
    });
  }
  return createMetaLearner(args.algorithm, module, { innerLr: args.innerLr, innerSteps: args.innerSteps });
}

const percent = (value: number | undefined) => (value === undefined ? '—' : `${(100 * value).toFixed(1)}%`);

/**
 * Seconds left of a run: the remaining iterations at this session's rate, capped by what is left
 * of the time budget (`--max-minutes`, on the budget's clock): a time-limited run ends when its
 * budget does, whatever `--meta-iterations` says.
 */
export function etaSeconds(progress: {
  iteration: number;
  iterations: number;
  secondsPerIteration: number;
  budgetSecondsLeft: number;
}): number {
  const byRate = progress.secondsPerIteration * Math.max(0, progress.iterations - progress.iteration);
  return Math.max(0, Math.min(byRate, progress.budgetSecondsLeft));
}

/** Meta-trains, evaluates on meta-test and writes the report; returns the results file's path. */
export async function train(args: FewShotArgs, data: FewShotData): Promise<string> {
  const clock = createRunClock();
  const run = runName(args, data);
  const checkpoint = args.checkpoint ?? join(EXAMPLE_DIR, 'runs', run);
  const { directory: resultsDir } = resolveResultsDirectory({
    exampleDir: EXAMPLE_DIR,
    requested: args.resultsDir,
    commit: args.commitResults,
  });
  const learner = buildLearner(args, args.ways);
  const optimizer = learner.createOptimizer();
  if (args.outerLr !== undefined) optimizer.learningRate = args.outerLr;
  const baseLr = optimizer.learningRate;
  const episodes =
    (set: typeof data.train, queries: number, ways = args.ways, shots = args.shots) =>
    (rng: ReturnType<typeof createRng>) =>
      createEpisodeSampler(set, { ways, shots, queries, seed: rng });
  if (!args.resume && (await hasMetaCheckpoint(checkpoint))) {
    throw new Error(
      `@automl-ts/example-few-shot: "${checkpoint}" already holds a checkpoint: pass --resume to continue it, or another --checkpoint`,
    );
  }
  await mkdir(checkpoint, { recursive: true });
  const runFile: RunFile = {
    algorithm: args.algorithm,
    ways: args.ways,
    shots: args.shots,
    channels: args.channels,
    dataset: data.name,
  };
  await writeFileAtomic(join(checkpoint, RUN_FILE), `${JSON.stringify(runFile, null, 2)}\n`);
  console.log(`${run}: ${data.description}`);
  console.log(
    `conv4-${args.channels}, ${learner.module.countParameters().toLocaleString('en')} parameters; ` +
      `${args.metaIterations} meta-iterations × ${args.metaBatch} ${args.trainWays}-way ${args.trainShots}-shot tasks, ` +
      `${args.algorithm === 'protonet' ? 'no inner loop' : `inner steps ${args.innerSteps} (α ${args.innerLr})`}, ` +
      `outer ${optimizer.className} ${baseLr}${args.algorithm === 'reptile' ? ' annealed linearly to 0' : ''}; ` +
      `budget ${args.maxMinutes} ${args.budgetClock === 'cpu' ? 'CPU' : 'wall'} minutes of training; checkpoint ${checkpoint}`,
  );
  let first: { iteration: number; spent: number } | undefined;
  const budgetSeconds = args.maxMinutes * 60;
  const training = episodes(data.train, args.trainQueries, args.trainWays, args.trainShots);
  const result = await metaTrain(learner, training, {
    iterations: args.metaIterations,
    metaBatchSize: args.metaBatch,
    optimizer,
    seed: args.seed,
    ...(args.algorithm === 'reptile'
      ? { learningRateSchedule: (i: number) => baseLr * (1 - i / Math.max(1, args.metaIterations)) }
      : {}),
    checkpoint: { directory: checkpoint, every: args.checkpointEvery, resume: args.resume },
    ...(args.evalEvery > 0
      ? {
          evaluation: {
            tasks: episodes(data.val, args.queries),
            every: args.evalEvery,
            count: args.evalEveryTasks,
            steps: args.evalSteps,
            seed: args.seed + 1,
          },
        }
      : {}),
    timeLimitSeconds: budgetSeconds,
    budgetClock: args.budgetClock,
    onProgress: (event) => {
      if (event.type === 'resumed') {
        console.log(`resumed at meta-iteration ${event.iteration}`);
      }
      if (event.type === 'evaluation') {
        const { accuracy } = event.result;
        console.log(
          `  meta-val @ ${event.iteration}: ${percent(accuracy?.mean)} ± ${percent(accuracy?.ci95)} (${event.result.tasks} tasks, ${args.evalSteps} steps)`,
        );
      }
      if (event.type !== 'iteration') return;
      const spent = args.budgetClock === 'cpu' ? event.cpuSeconds : event.seconds;
      first ??= { iteration: event.iteration, spent };
      if (event.iteration % args.logEvery !== 0) return;
      const done = event.iteration - first.iteration;
      const eta = etaSeconds({
        iteration: event.iteration,
        iterations: event.iterations,
        // This session's rate (the first iteration only starts the clock).
        secondsPerIteration: done > 0 ? (spent - first.spent) / done : spent / event.iteration,
        budgetSecondsLeft: budgetSeconds - spent,
      });
      console.log(
        `iter ${event.iteration}/${event.iterations} | loss ${event.loss.toFixed(3)} | acc ${percent(event.accuracy)} | lr ${event.learningRate.toExponential(1)} | ` +
          `${(spent / 60).toFixed(1)} of ${args.maxMinutes} min | eta ${formatDuration(eta)}`,
      );
    },
  });
  if (result.stopped === 'timeLimit')
    console.log(
      `time limit (${args.maxMinutes} ${args.budgetClock === 'cpu' ? 'CPU' : 'wall'} min) reached at meta-iteration ${result.iteration}; checkpointed`,
    );
  clock.add('training', { wall: result.seconds, cpu: result.cpuSeconds });
  clock.add('selection', { wall: result.evaluationSeconds, cpu: result.evaluationCpuSeconds });
  const final = await clock.time('evaluation', () =>
    evaluate(learner, episodes(data.test, args.queries)(createRng(args.seed + 2)), {
      tasks: args.evalTasks,
      steps: args.evalSteps,
    }),
  );
  const phases = clock.phases();
  console.log(
    `${run}: meta-test accuracy ${percent(final.accuracy?.mean)} ± ${percent(final.accuracy?.ci95)} over ${final.tasks} tasks ` +
      `(${args.evalSteps} adaptation steps) after ${result.iteration} meta-iterations; training ${(result.cpuSeconds / 60).toFixed(1)} CPU min ` +
      `(${(result.seconds / 60).toFixed(1)} wall), meta-val ${(result.evaluationSeconds / 60).toFixed(1)} min, meta-test ${phases.evaluation?.wallMinutes.toFixed(1)} min`,
  );
  const results = buildResults({
    pipeline: 'few-shot',
    run,
    protocol: {
      id: PROTOCOL_ID,
      description:
        'meta-train / meta-val / meta-test classes disjoint by alphabet (meta-test: the official evaluation set, or held-out background alphabets); periodic model selection on meta-val; the final number on meta-test; training time excludes evaluations',
    },
    config: {
      algorithm: args.algorithm,
      ways: args.ways,
      shots: args.shots,
      queries: args.queries,
      trainWays: args.trainWays,
      trainShots: args.trainShots,
      trainQueries: args.trainQueries,
      innerBatch: args.innerBatch ?? null,
      metaIterations: args.metaIterations,
      metaBatch: args.metaBatch,
      innerSteps: args.innerSteps,
      evalSteps: args.evalSteps,
      innerLr: args.innerLr,
      outerLr: baseLr,
      channels: args.channels,
      rotations: args.rotations,
      evalEvery: args.evalEvery,
      evalEveryTasks: args.evalEveryTasks,
      evalTasks: args.evalTasks,
      maxMinutes: args.maxMinutes,
      budgetClock: args.budgetClock,
      metaTest: data.metaTest,
    },
    provenance: collectProvenance({
      seeds: {
        weightsAndTasks: args.seed,
        selection: args.seed + 1,
        metaTest: args.seed + 2,
        classSplit: SPLIT_SEED,
      },
      backend: { name: tf.getBackend(), threads: backendThreads },
      startedAt: clock.startedAt,
      phases,
      from: EXAMPLE_DIR,
    }),
    outcomes: {
      'meta-test/accuracy': final.perTask.accuracy ?? [],
      'meta-test/loss': final.perTask.loss,
    },
    data: {
      algorithm: args.algorithm,
      dataset: data.name,
      datasetDescription: data.description,
      ways: args.ways,
      shots: args.shots,
      queries: args.queries,
      seed: args.seed,
      group: runGroup(args, data),
      metaIterations: result.iteration,
      stopped: result.stopped,
      metaTest: data.metaTest,
      split: { train: [...data.split.train], val: [...data.split.val], test: [...data.split.test] },
      evaluations: result.evaluations.map((e) => ({ ...e })),
      trainingCurve: trainingCurve(result.history),
      final: { tasks: final.tasks, steps: args.evalSteps },
    },
  });
  await writeReport(resultsDir, results);
  const path = join(resultsDir, `${run}.json`);
  console.log(
    `report written to ${resultsDir}: ${run}.json, ${run}.svg, README.md${args.commitResults ? ' (committed results)' : ''}`,
  );
  learner.dispose();
  optimizer.dispose();
  return path;
}

/** Adapts the meta-trained model to the user's task in `--adapt` and saves it; returns the model folder. */
export async function adaptToUserTask(
  args: FewShotArgs,
  data: Pick<FewShotData, 'name' | 'metaTest'>,
): Promise<string> {
  const run = runName(args, data);
  const checkpoint = args.checkpoint ?? join(EXAMPLE_DIR, 'runs', run);
  if (!(await hasMetaCheckpoint(checkpoint))) {
    throw new Error(
      `@automl-ts/example-few-shot: no checkpoint in "${checkpoint}": meta-train first (same --algorithm, --ways, --shots, --seed), or pass --checkpoint`,
    );
  }
  // The checkpoint says what it was trained as; older checkpoints without it: the command line.
  let saved: RunFile | undefined;
  try {
    saved = JSON.parse(await readFile(join(checkpoint, RUN_FILE), 'utf8')) as RunFile;
  } catch {
    saved = undefined;
  }
  const ways = saved?.ways ?? args.ways;
  const learner = buildLearner({ ...args, channels: saved?.channels ?? args.channels }, ways);
  const { iteration } = await loadMetaCheckpoint(checkpoint, {
    learner,
    optimizer: learner.createOptimizer(),
  });
  const directory = args.adapt as string;
  const user = await loadUserTask(directory, IMAGE_SIZE, args.shots, args.invert);
  if (user.classNames.length > ways) {
    throw new Error(
      `@automl-ts/example-few-shot: the task in "${directory}" has ${user.classNames.length} classes; the model in "${checkpoint}" was meta-trained for ${ways}-way tasks`,
    );
  }
  console.log(
    `adapting the ${args.algorithm} model of "${checkpoint}" (meta-iteration ${iteration}, ${ways}-way) to ${user.classNames.length} classes ` +
      `(${user.classNames.join(', ')}), ${user.task.support.x.shape[0]} support images, ${args.evalSteps} steps`,
  );
  const adapted = learner.adapt(user.task.support, { steps: args.evalSteps });
  const queryCount = user.task.query.x.shape[0] as number;
  if (queryCount > 0) {
    const logits = adapted.predict(user.task.query.x);
    const predicted = Array.from(tf.tidy(() => tf.argMax(logits, 1)).dataSync());
    let correct = 0;
    predicted.forEach((p, i) => {
      const truth = user.queryLabels[i] as number;
      if (p === truth) correct += 1;
      console.log(
        `  query ${i + 1} ${user.queryFiles[i]}: true ${user.classNames[truth]}, predicted ${user.classNames[p] ?? `class ${p}`}`,
      );
    });
    console.log(`query accuracy ${correct}/${queryCount}`);
    logits.dispose();
  }
  registerFileSystemRouter();
  const exported = await adapted.toModule();
  const model = toLayersModel(exported, { inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: `${run}_adapted` });
  // What a user of the saved model needs to feed it and read its outputs.
  model.setUserDefinedMetadata({
    classNames: [...user.classNames],
    outputs: `logits over ${ways} units; unit i is classNames[i] (units past classNames.length are unused)`,
    preprocessing: {
      size: [IMAGE_SIZE, IMAGE_SIZE],
      channels: 1,
      colorMode: 'grayscale',
      resize: 'bilinear to 28×28',
      scale: 'pixel / 255 → [0, 1]',
      invert: args.invert,
      expects: 'strokes near 1 on a background near 0 (as Omniglot after inversion)',
    },
    algorithm: args.algorithm,
    metaTrainedWays: ways,
    checkpoint,
    metaIteration: iteration,
    adaptationSteps: args.evalSteps,
    supportFiles: [...user.supportFiles],
  });
  const output = args.output ?? join(checkpoint, `adapted-${basename(directory) || 'task'}`);
  await model.save(`file://${output}`);
  console.log(
    `adapted model saved to ${output} (tf.loadLayersModel('file://${output}/model.json'); classes ${user.classNames.join(', ')} and preprocessing in its userDefinedMetadata)`,
  );
  model.dispose();
  exported.dispose();
  adapted.dispose();
  user.dispose();
  learner.dispose();
  return output;
}

let backendThreads: number | null = null;

/** The CLI: parses `argv`, then rebuilds the report, adapts, or trains. */
export async function main(argv: readonly string[]): Promise<void> {
  const args = parseCommandLine(argv);
  if (args === undefined) {
    console.log(usage());
    return;
  }
  if (args.rebuildReport) {
    const { directory } = resolveResultsDirectory({
      exampleDir: EXAMPLE_DIR,
      requested: args.resultsDir,
      commit: args.commitResults,
    });
    const count = await rebuildReports(directory);
    console.log(
      `rebuilt ${join(directory, 'README.md')} and the plots from ${count} results file(s) in ${directory}`,
    );
    return;
  }
  const backend = await initBackend({ prefer: args.backend });
  backendThreads = backend.threads ?? null;
  console.log(`backend ${backend.name}${backend.simd ? ' (SIMD)' : ''}, TF.js ${backend.tfjsVersion}`);
  if (args.adapt !== undefined) {
    await adaptToUserTask(args, {
      name: args.dataDir === undefined ? 'mnist' : 'omniglot',
      metaTest: await resolveMetaTest(args.dataDir, args.metaTest),
    });
    return;
  }
  const data = await loadFewShotData(args.dataDir, args.rotations, args.metaTest);
  await train(args, data);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    })
    // The threaded wasm backend's worker threads keep Node alive after the work is done.
    .finally(() => process.exit());
}
