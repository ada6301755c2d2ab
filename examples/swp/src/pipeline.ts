// The SWP comparison on CIFAR-10 (Wang et al., "Effective Model Compression via Stage-wise Pruning",
// 2020, §4): SWP against uniform width, L1-norm filter pruning and the one-stage supernet at the same
// MACs and the same fine-tuning budget, and the paper's central measurement, proxy accuracy from
// the supernet (after BN recalibration) against actual accuracy after fine-tuning (Kendall τ,
// Spearman ρ). Every run is resumable: finished runs are skipped, unfinished phases resume from
// their checkpoints.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Architecture,
  architectureCost,
  type Batch,
  createRng,
  type Module,
  measureLatency,
  profileModel,
  type Supernet,
  toChannelSupernet,
  toLayersModel,
} from '@automl-ts/core';
import {
  buildResults,
  collectProvenance,
  createProgress,
  createRunClock,
  formatTable,
  type Results,
  scatterChart,
  searchProgress,
  writeChart,
  writeResults,
} from '@automl-ts/report';
import {
  createWidthEvaluator,
  evaluateAccuracy,
  kendallTau,
  l1PruneAtBudget,
  searchWidths,
  spearmanRho,
  trainStagewise,
  uniformAtBudget,
} from '@automl-ts/stagewise-pruning';
import * as tf from '@tensorflow/tfjs';
import { type CifarSplits, epochBatches, fixedBatches } from './data.js';
import { CIFAR_INPUT_SHAPE, loadTeacher } from './teachers.js';
import { exists, trainClassifier } from './train.js';

/** The compared methods. */
export const METHODS = ['swp', 'one-stage', 'uniform', 'l1'] as const;
export type Method = (typeof METHODS)[number];

/** Options of {@link runSwpPipeline}. */
export interface SwpPipelineOptions {
  /** A teacher saved by `trainTeacher`. */
  teacherDir: string;
  data: CifarSplits;
  /** Checkpoints and saved models (git-ignored). */
  runsDir: string;
  /** Results JSON, table and charts. */
  resultsDir: string;
  methods: readonly Method[];
  seeds: readonly number[];
  /** Target MACs as a fraction of the teacher's. */
  macsRatio: number;
  supernetIterations: number;
  batchSize: number;
  searchEvaluations: number;
  populationSize: number;
  /** Training batches (of `batchSize`, no augmentation) for the BN recalibration of each candidate. */
  calibrationBatches: number;
  fineTuneEpochs: number;
  fineTuneLearningRate: number;
  maxBatchesPerEpoch?: number;
  /** Architectures of the proxy-vs-actual study (0: skip it). */
  correlationArchs: number;
  correlationEpochs: number;
  /** The example directory (provenance: git commit, package versions). */
  from: string;
  log: (line: string) => void;
}

interface RunContext {
  readonly teacher: Module;
  readonly teacherName: string;
  readonly fullMacs: number;
  readonly budget: number;
  readonly calibration: Batch[];
  readonly validation: Batch[];
  readonly test: Batch[];
}

/** Runs every (method, seed), then the correlation study, then writes the table and charts. */
export async function runSwpPipeline(options: SwpPipelineOptions): Promise<Results[]> {
  const { model: teacher, record } = await loadTeacher(options.teacherDir);
  const teacherName = (record.config as { name: string }).name;
  const fullMacs = profileModel(teacher, { inputShape: CIFAR_INPUT_SHAPE }).macs;
  const ctx: RunContext = {
    teacher,
    teacherName,
    fullMacs,
    budget: options.macsRatio * fullMacs,
    calibration: await calibrationBatches(options),
    validation: await fixedBatches(options.data.val, options.data.normalization, 250),
    test: await fixedBatches(options.data.test, options.data.normalization, 250),
  };
  await mkdir(options.resultsDir, { recursive: true });
  const all: Results[] = [];
  try {
    for (const seed of options.seeds) {
      for (const method of options.methods) all.push(await runMethod(ctx, method, seed, options));
    }
    const correlations: Results[] = [];
    if (options.correlationArchs > 0) {
      for (const method of ['swp', 'one-stage'] as const) {
        if (options.methods.includes(method)) correlations.push(await runCorrelation(ctx, method, options));
      }
    }
    await writeReport(ctx, all, correlations, options);
    return [...all, ...correlations];
  } finally {
    teacher.dispose();
    for (const b of [...ctx.calibration, ...ctx.validation, ...ctx.test]) tf.dispose([b.x, b.y]);
  }
}

async function calibrationBatches(options: SwpPipelineOptions): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of epochBatches(options.data.train, options.data.normalization, 0, {
    batchSize: options.batchSize,
    augment: false,
    seed: 12345,
  })) {
    if (out.length >= options.calibrationBatches) {
      batch.dispose();
      break;
    }
    out.push({ x: batch.x, y: batch.y });
  }
  return out;
}

function runName(ctx: RunContext, method: Method, seed: number): string {
  return `${ctx.teacherName}-${method}-macs${Math.round(100 * (ctx.budget / ctx.fullMacs))}-seed${seed}`;
}

/** Trains (or resumes) the stage-wise or one-stage supernet of `seed`. */
async function trainedSupernet(
  ctx: RunContext,
  method: 'swp' | 'one-stage',
  seed: number,
  options: SwpPipelineOptions,
): Promise<Supernet> {
  const supernet = toChannelSupernet(ctx.teacher, { inputShape: CIFAR_INPUT_SHAPE });
  const progress = createProgress({
    total: options.supernetIterations,
    label: `${method} supernet seed ${seed}`,
  });
  await trainStagewise(
    supernet,
    ctx.teacher,
    (epoch) =>
      limited(
        epochBatches(options.data.train, options.data.normalization, epoch, {
          batchSize: options.batchSize,
          seed,
        }),
        options.maxBatchesPerEpoch,
      ),
    {
      iterations: options.supernetIterations,
      split: method === 'swp' ? 'resolution' : 'single',
      seed,
      checkpointDir: join(options.runsDir, `${ctx.teacherName}-${method}-seed${seed}`, 'supernet'),
      disposeBatches: true,
      onProgress: (event) =>
        progress.update(event.iteration, {
          info: `loss full ${event.losses[0]?.toFixed(3)} tiny ${event.losses[1]?.toFixed(3)}`,
        }),
    },
  );
  progress.stop();
  return supernet;
}

async function* limited<T>(
  batches: AsyncIterable<T & { dispose(): void }>,
  max: number | undefined,
): AsyncGenerator<T & { dispose(): void }> {
  let count = 0;
  for await (const batch of batches) {
    if (max !== undefined && count >= max) {
      batch.dispose();
      break;
    }
    count += 1;
    yield batch;
  }
}

async function runMethod(
  ctx: RunContext,
  method: Method,
  seed: number,
  options: SwpPipelineOptions,
): Promise<Results> {
  const run = runName(ctx, method, seed);
  const resultsPath = join(options.resultsDir, `${run}.json`);
  if (await exists(resultsPath)) {
    options.log(`${run}: done earlier (${resultsPath})`);
    return JSON.parse(await readFile(resultsPath, 'utf8')) as Results;
  }
  options.log(`${run}: start`);
  const clock = createRunClock();
  const runDir = join(options.runsDir, run);
  let pruned: Module;
  let arch: Architecture | undefined;
  let proxyAccuracy: number | undefined;
  let searchData: Record<string, number> = {};
  if (method === 'swp' || method === 'one-stage') {
    const supernet = await clock.time('training', () => trainedSupernet(ctx, method, seed, options));
    try {
      const evaluate = createWidthEvaluator(supernet, {
        calibration: ctx.calibration,
        validation: ctx.validation,
      });
      const result = await clock.time('search', () =>
        searchWidths(supernet, evaluate, {
          budget: { macs: ctx.budget },
          evaluations: options.searchEvaluations,
          populationSize: options.populationSize,
          seed,
          checkpointDir: join(runDir, 'search'),
          onProgress: searchProgress(),
        }),
      );
      if (result.best === undefined) throw new Error(`${run}: the search found no architecture`);
      arch = result.best.architecture;
      proxyAccuracy = result.best.metrics['accuracy'];
      searchData = { evaluations: result.evaluations, uniqueEvaluations: result.uniqueEvaluations };
      pruned = supernet.extract(arch);
    } finally {
      supernet.dispose();
    }
  } else if (method === 'uniform') {
    const supernet = toChannelSupernet(ctx.teacher, { inputShape: CIFAR_INPUT_SHAPE });
    try {
      const uniform = uniformAtBudget(supernet, ctx.budget);
      arch = uniform.arch;
      searchData = { ratio: uniform.ratio };
      pruned = supernet.extract(arch);
    } finally {
      supernet.dispose();
    }
  } else {
    const l1 = l1PruneAtBudget(ctx.teacher, ctx.budget, CIFAR_INPUT_SHAPE);
    pruned = l1.model;
    searchData = { ratio: l1.ratio };
  }
  try {
    const fineTune = await clock.time('training', () =>
      trainClassifier(pruned, options.data.train, options.data.normalization, {
        epochs: options.fineTuneEpochs,
        batchSize: options.batchSize,
        learningRate: options.fineTuneLearningRate,
        seed,
        checkpointDir: join(runDir, 'fine-tune'),
        ...(options.maxBatchesPerEpoch === undefined
          ? {}
          : { maxBatchesPerEpoch: options.maxBatchesPerEpoch }),
        onEpoch: (e) =>
          options.log(
            `${run}: fine-tune epoch ${e.epoch}/${e.epochs} loss ${e.meanLoss.toFixed(3)} (${e.seconds.toFixed(0)} s)`,
          ),
      }),
    );
    const { test, reloaded, latency } = await clock.time('evaluation', async () => {
      const test = evaluateAccuracy(pruned, ctx.test);
      const modelDir = join(runDir, 'model');
      await toLayersModel(pruned, { inputShape: CIFAR_INPUT_SHAPE }).save(`file://${modelDir}`);
      const layers = await tf.loadLayersModel(`file://${join(modelDir, 'model.json')}`);
      const reloadedOutcomes: number[] = [];
      for (const { x, y } of ctx.test) {
        const correct = tf.tidy(() =>
          tf
            .cast(tf.equal(tf.argMax(layers.predict(x) as tf.Tensor, 1), tf.cast(y, 'int32')), 'int32')
            .dataSync(),
        );
        reloadedOutcomes.push(...correct);
      }
      layers.dispose();
      const latency = await measureLatency(pruned, CIFAR_INPUT_SHAPE, { runs: 20 });
      return {
        test,
        reloaded: reloadedOutcomes.reduce((a, b) => a + b, 0) / reloadedOutcomes.length,
        latency,
      };
    });
    const { macs, params } = profileModel(pruned, { inputShape: CIFAR_INPUT_SHAPE });
    const results = buildResults({
      pipeline: 'swp',
      run,
      protocol: {
        id: 'cifar10-val200-test@1',
        description:
          'trained and searched on the CIFAR-10 training images minus 200 per class; the search scores on those 2,000 held-out images; test = the 10k official test images, seen only for the final number',
      },
      config: {
        teacher: ctx.teacherName,
        method,
        seed,
        macsRatio: options.macsRatio,
        supernetIterations: options.supernetIterations,
        batchSize: options.batchSize,
        searchEvaluations: options.searchEvaluations,
        populationSize: options.populationSize,
        calibrationBatches: options.calibrationBatches,
        fineTuneEpochs: options.fineTuneEpochs,
        fineTuneLearningRate: options.fineTuneLearningRate,
        maxBatchesPerEpoch: options.maxBatchesPerEpoch ?? null,
      },
      provenance: collectProvenance({
        seeds: { search: seed, data: seed, fineTune: seed },
        backend: { name: tf.getBackend(), threads: null },
        startedAt: clock.startedAt,
        phases: clock.phases(),
        from: options.from,
      }),
      outcomes: { 'test/correct': test.outcomes },
      data: {
        architecture: arch === undefined ? null : { ...arch },
        macs,
        params,
        teacherMacs: ctx.fullMacs,
        macsFraction: macs / ctx.fullMacs,
        latencyMs: latency.median,
        proxyAccuracy: proxyAccuracy ?? null,
        reloadedTestAccuracy: reloaded,
        fineTuneEpochSeconds: [...fineTune.epochSeconds],
        ...searchData,
      },
    });
    await writeResults(resultsPath, results);
    options.log(
      `${run}: test accuracy ${(100 * test.accuracy).toFixed(2)}% at ${(macs / 1e6).toFixed(2)} M MACs (${((100 * macs) / ctx.fullMacs).toFixed(1)}% of the teacher)`,
    );
    return results;
  } finally {
    pruned.dispose();
  }
}

/** Feasible architectures near the budget (within [0.85, 1] of it), the same for every supernet. */
function studyArchitectures(ctx: RunContext, count: number): Architecture[] {
  const reference = toChannelSupernet(ctx.teacher, { inputShape: CIFAR_INPUT_SHAPE });
  try {
    const rng = createRng('correlation');
    const out: Architecture[] = [];
    const seen = new Set<string>();
    for (let tries = 0; out.length < count && tries < 200_000; tries++) {
      const arch = reference.sample(rng);
      const { macs } = architectureCost(reference, arch);
      const key = reference.searchSpace.key(arch);
      if (macs <= ctx.budget && macs >= 0.85 * ctx.budget && !seen.has(key)) {
        seen.add(key);
        out.push(arch);
      }
    }
    return out;
  } finally {
    reference.dispose();
  }
}

/**
 * Proxy vs actual: for the same architectures, the supernet's proxy accuracy (after BN
 * recalibration, on the validation split) and the actual accuracy of the architecture cut from the
 * teacher (L1-ordered channels) and fine-tuned, on the test set. The actual accuracies do not
 * depend on the supernet, so both supernets are ranked against the same truth.
 */
async function runCorrelation(
  ctx: RunContext,
  method: 'swp' | 'one-stage',
  options: SwpPipelineOptions,
): Promise<Results> {
  const run = `${ctx.teacherName}-correlation-${method}-macs${Math.round(100 * options.macsRatio)}`;
  const resultsPath = join(options.resultsDir, `${run}.json`);
  if (await exists(resultsPath)) return JSON.parse(await readFile(resultsPath, 'utf8')) as Results;
  const clock = createRunClock();
  const archs = studyArchitectures(ctx, options.correlationArchs);
  const seed = options.seeds[0] ?? 0;
  const supernet = await clock.time('training', () => trainedSupernet(ctx, method, seed, options));
  const proxy: number[] = [];
  try {
    const evaluate = createWidthEvaluator(supernet, {
      calibration: ctx.calibration,
      validation: ctx.validation,
    });
    for (const arch of archs) proxy.push((await clock.time('evaluation', () => evaluate(arch))).accuracy);
  } finally {
    supernet.dispose();
  }
  const actual: number[] = [];
  for (const [i, arch] of archs.entries()) actual.push(await actualAccuracy(ctx, arch, i, options, clock));
  const tau = kendallTau(proxy, actual);
  const rho = spearmanRho(proxy, actual);
  const results = buildResults({
    pipeline: 'swp',
    run,
    protocol: {
      id: 'cifar10-proxy-vs-actual@1',
      description:
        'proxy: supernet accuracy after BN recalibration on the 2,000 held-out training images; actual: the same architecture cut from the teacher and fine-tuned, on the 10k test images',
    },
    config: {
      teacher: ctx.teacherName,
      method,
      archs: archs.length,
      correlationEpochs: options.correlationEpochs,
      macsRatio: options.macsRatio,
      seed,
    },
    provenance: collectProvenance({
      seeds: { supernet: seed, archs: 0 },
      backend: { name: tf.getBackend(), threads: null },
      startedAt: clock.startedAt,
      phases: clock.phases(),
      from: options.from,
    }),
    outcomes: { proxy, actual },
    data: { kendallTau: tau, spearmanRho: rho, architectures: archs.map((a) => ({ ...a })) },
  });
  await writeResults(resultsPath, results);
  options.log(
    `${run}: Kendall τ ${tau.toFixed(3)}, Spearman ρ ${rho.toFixed(3)} over ${archs.length} architectures`,
  );
  return results;
}

async function actualAccuracy(
  ctx: RunContext,
  arch: Architecture,
  index: number,
  options: SwpPipelineOptions,
  clock: ReturnType<typeof createRunClock>,
): Promise<number> {
  const cutDir = join(options.runsDir, `${ctx.teacherName}-correlation-actual`, `arch${index}`);
  const donePath = join(cutDir, 'accuracy.json');
  if (await exists(donePath))
    return (JSON.parse(await readFile(donePath, 'utf8')) as { accuracy: number }).accuracy;
  const reference = toChannelSupernet(ctx.teacher, { inputShape: CIFAR_INPUT_SHAPE });
  const model = reference.extract(arch);
  reference.dispose();
  try {
    await clock.time('training', () =>
      trainClassifier(model, options.data.train, options.data.normalization, {
        epochs: options.correlationEpochs,
        batchSize: options.batchSize,
        learningRate: options.fineTuneLearningRate,
        seed: index,
        checkpointDir: join(cutDir, 'fine-tune'),
        ...(options.maxBatchesPerEpoch === undefined
          ? {}
          : { maxBatchesPerEpoch: options.maxBatchesPerEpoch }),
      }),
    );
    const { accuracy } = await clock.time('evaluation', async () => evaluateAccuracy(model, ctx.test));
    const { writeFileAtomic } = await import('@automl-ts/core');
    await writeFileAtomic(donePath, JSON.stringify({ accuracy }));
    return accuracy;
  } finally {
    model.dispose();
  }
}

/** A correlation for display: NaN (a constant sample) is stored as null in JSON. */
const formatCorrelation = (value: unknown): string =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(3) : 'n/a (constant sample)';

async function writeReport(
  ctx: RunContext,
  runs: readonly Results[],
  correlations: readonly Results[],
  options: SwpPipelineOptions,
): Promise<void> {
  type Row = {
    method: string;
    n: number;
    mean: number;
    std: number;
    macs: number;
    params: number;
    latency: number;
  };
  const byMethod = new Map<string, Results[]>();
  for (const r of runs) {
    const method = (r.config as { method: string }).method;
    byMethod.set(method, [...(byMethod.get(method) ?? []), r]);
  }
  const rows: Row[] = [...byMethod].map(([method, list]) => {
    const accs = list.map((r) => r.summary['test/correct']?.mean ?? Number.NaN);
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    const std =
      accs.length > 1 ? Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / (accs.length - 1)) : 0;
    const avg = (key: string) =>
      list.reduce((a, r) => a + ((r.data as Record<string, number>)[key] ?? 0), 0) / list.length;
    return {
      method,
      n: list.length,
      mean,
      std,
      macs: avg('macs'),
      params: avg('params'),
      latency: avg('latencyMs'),
    };
  });
  const columns = [
    { title: 'method', value: (r: Row) => r.method },
    { title: 'seeds', value: (r: Row) => String(r.n) },
    {
      title: 'test accuracy %',
      value: (r: Row) => `${(100 * r.mean).toFixed(2)} ± ${(100 * r.std).toFixed(2)}`,
    },
    { title: 'MACs (M)', value: (r: Row) => (r.macs / 1e6).toFixed(2) },
    { title: '% of teacher', value: (r: Row) => ((100 * r.macs) / ctx.fullMacs).toFixed(1) },
    { title: 'params (k)', value: (r: Row) => (r.params / 1e3).toFixed(1) },
    { title: 'latency ms', value: (r: Row) => r.latency.toFixed(2) },
  ];
  options.log(`\n${formatTable(columns, rows, 'terminal')}`);
  const corrLines = correlations.map((c) => {
    const d = c.data as { kendallTau: unknown; spearmanRho: unknown };
    return `| ${(c.config as { method: string }).method} | ${(c.outcomes['proxy'] ?? []).length} | ${formatCorrelation(d.kendallTau)} | ${formatCorrelation(d.spearmanRho)} |`;
  });
  const { writeFileAtomic } = await import('@automl-ts/core');
  await writeFileAtomic(
    join(options.resultsDir, `${ctx.teacherName}-summary.md`),
    [
      `# ${ctx.teacherName} at ${Math.round(100 * options.macsRatio)} % of the teacher's MACs`,
      '',
      formatTable(columns, rows, 'markdown'),
      '',
      ...(corrLines.length === 0
        ? []
        : ['| supernet | architectures | Kendall τ | Spearman ρ |', '|---|---|---|---|', ...corrLines, '']),
    ].join('\n'),
  );
  if (runs.length > 0) {
    await writeChart(
      join(options.resultsDir, `${ctx.teacherName}-accuracy-vs-macs.svg`),
      scatterChart({
        title: `${ctx.teacherName}: test accuracy vs MACs`,
        subtitle: `every method and seed at ${Math.round(100 * options.macsRatio)} % of the teacher's MACs`,
        x: { title: 'MACs (M)' },
        y: { title: 'test accuracy', format: '.1%' },
        points: runs.map((r) => ({
          x: ((r.data as { macs: number }).macs ?? 0) / 1e6,
          y: r.summary['test/correct']?.mean ?? 0,
          group: (r.config as { method: string }).method,
        })),
      }),
    );
  }
  for (const c of correlations) {
    const d = c.data as { kendallTau: unknown; spearmanRho: unknown };
    const proxy = c.outcomes['proxy'] ?? [];
    const actual = c.outcomes['actual'] ?? [];
    await writeChart(
      join(options.resultsDir, `${c.run}.svg`),
      scatterChart({
        title: `${(c.config as { method: string }).method} supernet: proxy vs actual`,
        subtitle: `Kendall τ = ${formatCorrelation(d.kendallTau)}, Spearman ρ = ${formatCorrelation(d.spearmanRho)}`,
        x: { title: 'proxy accuracy (supernet, BN recalibrated)', format: '.1%' },
        y: { title: 'actual accuracy (fine-tuned)', format: '.1%' },
        points: proxy.map((p, i) => ({ x: p, y: actual[i] ?? 0, label: `${i}` })),
      }),
    );
  }
}
