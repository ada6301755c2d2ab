// Few-shot learning from the command line: meta-train one of @automl-ts/meta-learning's algorithms
// on Omniglot (or the embedded dataset), checkpoint, resume, evaluate, and adapt to a user's task.
// See `--help` and examples/few-shot/README.md.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createModel,
  createRng,
  initBackend,
  registerFileSystemRouter,
  toLayersModel,
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
import * as tf from '@tensorflow/tfjs';
import { type FewShotArgs, parseCommandLine, USAGE } from './args.js';
import { type FewShotData, loadFewShotData, loadUserTask } from './data.js';
import { type RunReport, rebuildReports, trainingCurve, writeReport } from './report.js';

const EXAMPLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGE_SIZE = 28;

function runName(args: FewShotArgs, dataset: string): string {
  const training = args.trainWays === args.ways ? '' : `-train${args.trainWays}w`;
  return `${args.algorithm}-${args.ways}w${args.shots}s${training}-${dataset}`;
}

function buildLearner(args: FewShotArgs): MetaLearner {
  const module = createModel('conv4', {
    inputSize: IMAGE_SIZE,
    inChannels: 1,
    numClasses: args.ways,
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

async function train(args: FewShotArgs, data: FewShotData): Promise<void> {
  const run = runName(args, data.name);
  const checkpoint = resolve(args.checkpoint ?? join(EXAMPLE_DIR, 'runs', run));
  const learner = buildLearner(args);
  const optimizer = learner.createOptimizer();
  if (args.outerLr !== undefined) optimizer.learningRate = args.outerLr;
  const baseLr = optimizer.learningRate;
  const episodes =
    (set: typeof data.train, queries: number, ways = args.ways, shots = args.shots) =>
    (rng: ReturnType<typeof createRng>) =>
      createEpisodeSampler(set, { ways, shots, queries, seed: rng });
  if (!args.resume && (await hasMetaCheckpoint(checkpoint))) {
    throw new Error(
      `"${checkpoint}" already holds a checkpoint: pass --resume to continue it, or another --checkpoint`,
    );
  }
  console.log(`${run}: ${data.description}`);
  console.log(
    `conv4-${args.channels}, ${learner.module.countParameters().toLocaleString('en')} parameters; ` +
      `${args.metaIterations} meta-iterations × ${args.metaBatch} ${args.trainWays}-way ${args.trainShots}-shot tasks, ` +
      `${args.algorithm === 'protonet' ? 'no inner loop' : `inner steps ${args.innerSteps} (α ${args.innerLr})`}, ` +
      `outer ${optimizer.className} ${baseLr}${args.algorithm === 'reptile' ? ' annealed linearly to 0' : ''}; checkpoint ${checkpoint}`,
  );
  const started = performance.now();
  let resumedAt = 0;
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
    timeLimitSeconds: args.maxMinutes * 60,
    onProgress: (event) => {
      if (event.type === 'resumed') {
        resumedAt = event.iteration;
        console.log(`resumed at meta-iteration ${event.iteration}`);
      }
      if (event.type === 'evaluation') {
        const { accuracy } = event.result;
        console.log(
          `  meta-val @ ${event.iteration}: ${percent(accuracy?.mean)} ± ${percent(accuracy?.ci95)} (${event.result.tasks} tasks, ${args.evalSteps} steps)`,
        );
      }
      if (event.type !== 'iteration' || event.iteration % args.logEvery !== 0) return;
      const spent = (performance.now() - started) / 1000;
      const eta = (spent / Math.max(1, event.iteration - resumedAt)) * (event.iterations - event.iteration);
      console.log(
        `iter ${event.iteration}/${event.iterations} | loss ${event.loss.toFixed(3)} | acc ${percent(event.accuracy)} | lr ${event.learningRate.toExponential(1)} | ${(event.seconds / 60).toFixed(1)} min | eta ${(eta / 60).toFixed(1)} min`,
      );
    },
  });
  if (result.stopped === 'timeLimit')
    console.log(
      `time limit (${args.maxMinutes} min) reached at meta-iteration ${result.iteration}; checkpointed`,
    );
  const final = evaluate(learner, episodes(data.val, args.queries)(createRng(args.seed + 2)), {
    tasks: args.evalTasks,
    steps: args.evalSteps,
  });
  console.log(
    `${run}: meta-val accuracy ${percent(final.accuracy?.mean)} ± ${percent(final.accuracy?.ci95)} over ${final.tasks} tasks ` +
      `(${args.evalSteps} adaptation steps) after ${result.iteration} meta-iterations, ${(result.seconds / 60).toFixed(1)} min`,
  );
  const backend = tf.getBackend();
  const report: RunReport = {
    run,
    algorithm: args.algorithm,
    dataset: data.name,
    datasetDescription: data.description,
    ways: args.ways,
    shots: args.shots,
    queries: args.queries,
    backend,
    config: {
      trainWays: args.trainWays,
      trainShots: args.trainShots,
      trainQueries: args.trainQueries,
      innerBatch: args.innerBatch ?? null,
      evalEveryTasks: args.evalEveryTasks,
      metaBatch: args.metaBatch,
      innerSteps: args.innerSteps,
      evalSteps: args.evalSteps,
      innerLr: args.innerLr,
      outerLr: baseLr,
      channels: args.channels,
      rotations: args.rotations,
      seed: args.seed,
    },
    metaIterations: result.iteration,
    stopped: result.stopped,
    trainingMinutes: result.seconds / 60,
    final: {
      accuracy: final.accuracy?.mean ?? Number.NaN,
      ci95: final.accuracy?.ci95 ?? Number.NaN,
      tasks: final.tasks,
      steps: args.evalSteps,
    },
    evaluations: result.evaluations,
    trainingCurve: trainingCurve(result.history),
    finishedAt: new Date().toISOString(),
  };
  const resultsDir = resolve(args.resultsDir ?? join(EXAMPLE_DIR, 'results'));
  await writeReport(resultsDir, report);
  console.log(
    `report: ${join(resultsDir, `${run}.json`)}, ${join(resultsDir, `${run}.svg`)}, ${join(resultsDir, 'README.md')}`,
  );
  learner.dispose();
  optimizer.dispose();
}

async function adaptToUserTask(args: FewShotArgs, dataset: string): Promise<void> {
  const run = runName(args, dataset);
  const checkpoint = resolve(args.checkpoint ?? join(EXAMPLE_DIR, 'runs', run));
  if (!(await hasMetaCheckpoint(checkpoint))) {
    throw new Error(
      `no checkpoint in "${checkpoint}": meta-train first (same --algorithm, --ways, --shots), or pass --checkpoint`,
    );
  }
  const learner = buildLearner(args);
  const { iteration } = await loadMetaCheckpoint(checkpoint, {
    learner,
    optimizer: learner.createOptimizer(),
  });
  const directory = resolve(args.adapt as string);
  const user = await loadUserTask(directory, IMAGE_SIZE, args.shots, args.invert);
  if (user.classNames.length > args.ways) {
    throw new Error(
      `the task in "${directory}" has ${user.classNames.length} classes; the model was meta-trained for ${args.ways}-way tasks`,
    );
  }
  console.log(
    `adapting the ${args.algorithm} model of "${checkpoint}" (meta-iteration ${iteration}) to ${user.classNames.length} classes ` +
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
        `  query ${i + 1}: true ${user.classNames[truth]}, predicted ${user.classNames[p] ?? `class ${p}`}`,
      );
    });
    console.log(`query accuracy ${correct}/${queryCount}`);
    logits.dispose();
  }
  registerFileSystemRouter();
  const exported = await adapted.toModule();
  const model = toLayersModel(exported, { inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: `${run}_adapted` });
  const output = resolve(
    args.output ?? join(checkpoint, `adapted-${directory.split(/[\\/]/).pop() ?? 'task'}`),
  );
  await model.save(`file://${output}`);
  console.log(
    `adapted model saved to ${output} (tf.loadLayersModel('file://${output}/model.json'); classes ${user.classNames.join(', ')})`,
  );
  model.dispose();
  exported.dispose();
  adapted.dispose();
  user.dispose();
  learner.dispose();
}

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2).filter((arg) => arg !== '--'));
  if (args === undefined) {
    console.log(USAGE);
    return;
  }
  if (args.rebuildReport) {
    const resultsDir = resolve(args.resultsDir ?? join(EXAMPLE_DIR, 'results'));
    const count = await rebuildReports(resultsDir);
    console.log(`rebuilt ${join(resultsDir, 'README.md')} and ${count} plot(s) from ${count} report(s)`);
    return;
  }
  const backend = await initBackend({ prefer: args.backend });
  console.log(`backend ${backend.name}${backend.simd ? ' (SIMD)' : ''}, TF.js ${backend.tfjsVersion}`);
  if (args.adapt !== undefined) {
    await adaptToUserTask(args, args.dataDir === undefined ? 'mnist' : 'omniglot');
    return;
  }
  const data = await loadFewShotData(args.dataDir, args.rotations);
  await train(args, data);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
