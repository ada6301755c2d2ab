// GraphPruning (Zhang et al., 2019) against uniform width, AMC-style hand-crafted states (He et al.,
// ECCV 2018) and random search over the same PruningNet, at the same MACs budget and fine-tune
// budget, on CIFAR-10 from the stage-wise pruning pipeline's trained teachers.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Architecture,
  type Batch,
  cosineSchedule,
  fit,
  type Module,
  profileModel,
  SGD,
  toChannelSupernet,
  toLayersModel,
} from '@automl-ts/core';
import { fixedBatches, loadCifarSplits } from '@automl-ts/example-swp/data';
import { CIFAR_INPUT_SHAPE, loadTeacher } from '@automl-ts/example-swp/teachers';
import {
  evaluateSubnet,
  macsOf,
  nearestWidth,
  PruningNet,
  pruneToWidths,
  type SearchWidthsResult,
  searchWidths,
  trainPruningNet,
} from '@automl-ts/graph-pruning';
import {
  buildResults,
  collectProvenance,
  createRunClock,
  lineChart,
  type Results,
  writeChart,
  writeResults,
} from '@automl-ts/report';
import * as tf from '@tensorflow/tfjs';

/** The compared methods. */
export const METHODS = ['graphpruning', 'amc', 'random', 'uniform'] as const;
/** One of {@link METHODS}. */
export type Method = (typeof METHODS)[number];

/** MetaPruning's 31 width ratios: 0.10 to 1.00 in steps of 0.03. */
export const METAPRUNING_RATIOS: readonly number[] = Array.from(
  { length: 31 },
  (_, i) => Math.round((0.1 + 0.03 * i) * 100) / 100,
);

/** Options of {@link runGraphPruningPipeline}. */
export interface GraphPruningPipelineOptions {
  dataDir?: string;
  /** Where the SWP pipeline's teachers are (`<dir>/resnet20/teacher.json` + weights). */
  teachersDir: string;
  runsDir: string;
  resultsDir: string;
  seeds: readonly number[];
  methods: readonly Method[];
  macsRatio: number;
  pruningNetSteps: number;
  episodes: number;
  warmupEpisodes: number;
  batchSize: number;
  /** Training batches the PruningNet cycles through and BN recalibration reads (0: all). */
  trainBatches: number;
  calibrationBatches: number;
  validationBatches: number;
  fineTuneEpochs: number;
  fineTuneLearningRate: number;
  valPerClass: number;
  limit?: number;
  onProgress?: (line: string) => void;
}

const PROTOCOL = {
  id: 'cifar10-val200-test@1',
  description:
    'trained on the CIFAR-10 training images minus a class-balanced validation split (model selection only: PruningNet rewards); test = the official test images, final numbers only',
};

/** The widest uniform ratio whose architecture fits the budget. */
function uniformArch(net: PruningNet, target: number): Architecture {
  for (const ratio of [...METAPRUNING_RATIOS].reverse()) {
    const arch = Object.fromEntries(net.choices.map((c) => [c.name, nearestWidth(c, ratio)]));
    if (macsOf(net.supernet, arch) <= target) return arch;
  }
  return net.supernet.smallestArchitecture();
}

async function testOutcomes(model: Module | tf.LayersModel, batches: readonly Batch[]): Promise<number[]> {
  const out: number[] = [];
  for (const batch of batches) {
    const hits = tf.tidy(() => {
      const logits =
        model instanceof tf.LayersModel ? (model.predict(batch.x) as tf.Tensor) : model.apply(batch.x);
      return tf.equal(tf.argMax(logits, -1), tf.cast(batch.y, 'int32'));
    });
    out.push(...Array.from(await hits.data(), Number));
    hits.dispose();
  }
  return out;
}

/**
 * Runs every (seed, method): trains one PruningNet per seed (shared by the three searches),
 * searches (or takes the uniform width), prunes the teacher for real, fine-tunes, exports and
 * reloads with stock `tf.loadLayersModel`, and writes one results JSON per run plus the ablation
 * chart (reward per episode, GCN vs hand-crafted states). Finished runs are skipped; the
 * PruningNet and searches resume from their checkpoints.
 */
export async function runGraphPruningPipeline(options: GraphPruningPipelineOptions): Promise<Results[]> {
  const log = options.onProgress ?? (() => undefined);
  const data = await loadCifarSplits({
    valPerClass: options.valPerClass,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  });
  const limitBatches = (n: number) => (n > 0 ? n : Number.POSITIVE_INFINITY);
  const train = await fixedBatches(
    data.train,
    data.normalization,
    options.batchSize,
    limitBatches(options.trainBatches),
  );
  const validation = await fixedBatches(
    data.val,
    data.normalization,
    options.batchSize,
    limitBatches(options.validationBatches),
  );
  const test = await fixedBatches(data.test, data.normalization, options.batchSize);
  const calibration = train.slice(0, Math.max(1, options.calibrationBatches));
  const inputShape = [...CIFAR_INPUT_SHAPE];
  const all: Results[] = [];
  const curves: Record<string, Array<{ x: number; y: number }>> = {};
  for (const seed of options.seeds) {
    const { model: teacher } = await loadTeacher(join(options.teachersDir, 'resnet20'));
    const clock = createRunClock();
    const net = new PruningNet(toChannelSupernet(teacher, { inputShape, widthRatios: METAPRUNING_RATIOS }), {
      inputShape,
      seed,
    });
    const seedDir = join(options.runsDir, `seed-${seed}`);
    await clock.time('training', () =>
      trainPruningNet(net, (step) => train[step % train.length] as Batch, {
        steps: options.pruningNetSteps,
        seed,
        checkpointDir: join(seedDir, 'pruningnet'),
        onStep: ({ step, loss }) => {
          if (step % 50 === 0 || step === options.pruningNetSteps)
            log(`seed ${seed} PruningNet step ${step}/${options.pruningNetSteps} loss ${loss.toFixed(3)}`);
        },
      }),
    );
    const fullMacs = macsOf(net.supernet, net.supernet.largestArchitecture());
    const target = options.macsRatio * fullMacs;
    for (const method of options.methods) {
      const run = `resnet20-${method}-seed${seed}`;
      const resultsPath = join(options.resultsDir, `${run}.json`);
      if (existsSync(resultsPath)) {
        log(`${run}: done before, skipped`);
        continue;
      }
      let search: SearchWidthsResult | undefined;
      let arch: Architecture;
      if (method === 'uniform') {
        arch = uniformArch(net, target);
      } else {
        search = await clock.time('evaluation', () =>
          searchWidths(net, {
            evaluate: async (a) => (await evaluateSubnet(net, a, { calibration, validation })).accuracy,
            macsRatio: options.macsRatio,
            strategy: method === 'random' ? 'random' : 'ddpg',
            state: method === 'amc' ? 'handcrafted' : 'gcn',
            episodes: options.episodes,
            warmupEpisodes: options.warmupEpisodes,
            seed,
            checkpointDir: join(seedDir, method),
            onEpisode: (r) =>
              log(`${run} episode ${r.episode + 1}/${options.episodes} reward ${r.reward.toFixed(4)}`),
          }),
        );
        arch = search.best.arch;
        curves[`${method} seed ${seed}`] = search.history.map((r) => ({ x: r.episode + 1, y: r.reward }));
      }
      const pruned = pruneToWidths(teacher, arch, { inputShape });
      const optimizer = new SGD(pruned.namedParameters(), {
        learningRate: options.fineTuneLearningRate,
        momentum: 0.9,
        nesterov: true,
        weightDecay: 5e-4,
      });
      const totalSteps = Math.max(1, options.fineTuneEpochs * train.length);
      await clock.time('training', () =>
        fit(pruned, optimizer, train, {
          epochs: options.fineTuneEpochs,
          schedule: cosineSchedule({ baseLearningRate: options.fineTuneLearningRate, totalSteps }),
        }),
      );
      optimizer.dispose();
      const outcomes = await clock.time('evaluation', () => testOutcomes(pruned, test));
      const modelDir = join(options.runsDir, run, 'model');
      await mkdir(modelDir, { recursive: true });
      await toLayersModel(pruned, { inputShape }).save(`file://${modelDir}`);
      const reloaded = await tf.loadLayersModel(`file://${join(modelDir, 'model.json')}`);
      const reloadedOutcomes = await testOutcomes(reloaded, test);
      const profile = profileModel(pruned, { inputShape });
      const results = buildResults({
        pipeline: 'graph-pruning',
        run,
        protocol: PROTOCOL,
        config: {
          method,
          seed,
          macsRatio: options.macsRatio,
          pruningNetSteps: options.pruningNetSteps,
          episodes: options.episodes,
          warmupEpisodes: options.warmupEpisodes,
          batchSize: options.batchSize,
          fineTuneEpochs: options.fineTuneEpochs,
          fineTuneLearningRate: options.fineTuneLearningRate,
        },
        provenance: collectProvenance({
          seeds: { pruningNet: seed, search: seed, data: 0 },
          backend: { name: tf.getBackend(), threads: null },
          startedAt: clock.startedAt,
          phases: clock.phases(),
        }),
        outcomes: { 'test/correct': outcomes, 'test/correct-reloaded': reloadedOutcomes },
        data: {
          arch: arch as Record<string, number>,
          macs: profile.macs,
          params: profile.params,
          fullMacs,
          targetMacs: target,
          rewards: search?.history.map((r) => r.reward) ?? [],
          bestReward: search?.best.reward ?? null,
        },
      });
      await writeResults(resultsPath, results);
      all.push(results);
      log(
        `${run}: test accuracy ${(outcomes.reduce((s, v) => s + v, 0) / Math.max(1, outcomes.length)).toFixed(4)}, MACs ${profile.macs}`,
      );
    }
    net.dispose();
  }
  const ablation = Object.entries(curves).filter(([name]) => !name.startsWith('random'));
  if (ablation.length > 0) {
    await writeChart(
      join(options.resultsDir, 'reward-per-episode.svg'),
      lineChart({
        title: 'Reward per episode: GCN states vs hand-crafted states (ResNet-20, 50% MACs)',
        x: { title: 'episode' },
        y: { title: 'validation accuracy of the generated sub-network' },
        series: ablation.map(([name, points]) => ({ name, points })),
      }),
    );
  }
  tf.dispose(train.flatMap((b) => [b.x, b.y]));
  tf.dispose(validation.flatMap((b) => [b.x, b.y]));
  tf.dispose(test.flatMap((b) => [b.x, b.y]));
  return all;
}
