// Wang et al. (Zhang, Yu, Rong et al.), "Effective Model Compression via Stage-wise Pruning", 2020,
// §3.2–3.3: each stage supernet learns to reproduce the full (teacher) network's stage output from
// the teacher's stage input (in-place distillation), with the full, the tiny and n random subnets
// in every iteration (fair sampling). The loss of the last stage is the logit distillation of
// Hinton et al. 2015; the others are per-stage feature MSE (FitNets' hint loss).
import {
  type Architecture,
  type Batch,
  type BatchIterable,
  cosineSchedule,
  createRng,
  describeValue,
  distillationLoss,
  featureDistillationLoss,
  loadCheckpoint,
  type Module,
  multiArchitectureStep,
  type Rng,
  SGD,
  type Supernet,
  saveCheckpoint,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { sandwichArchitectures } from './fair-sampling.js';
import { failFor } from './internal/errors.js';
import { layerOutputShapes, type Stage, type StageSplit, splitStages } from './stage-split.js';

/** Options of {@link trainStagewise}. */
export interface StagewiseTrainingOptions {
  /** Optimiser steps (one batch each). @default 1000 */
  iterations?: number;
  /** How the network is split: `'single'` is the one-stage supernet baseline. @default 'resolution' */
  split?: StageSplit;
  /** Random subnets per iteration besides the full and the tiny one. @default 2 (US-Nets / AutoSlim; the paper does not state n) */
  randomSubnets?: number;
  /** Peak learning rate of SGD with momentum 0.9, cosine-decayed to 0 over `iterations`. @default 0.01 (our choice: the stages start from trained weights) */
  learningRate?: number;
  /** @default 0.9 */
  momentum?: number;
  /** L2 weight decay on kernels. @default 5e-4 */
  weightDecay?: number;
  /** Softmax temperature of the last stage's logit distillation. @default 1 */
  temperature?: number;
  /** Seed of the subnet sampling. @default 0 */
  seed?: number | string;
  /** Directory of a core checkpoint (weights, optimiser, rng, position); resumed when present. @default none */
  checkpointDir?: string;
  /** Write the checkpoint every so many iterations (and at the end). @default 100 */
  checkpointEvery?: number;
  /** Called after every iteration. */
  onProgress?: (event: StagewiseProgress) => void;
  /** Dispose each batch after its iteration (for batches made on the fly). @default false */
  disposeBatches?: boolean;
}

/** {@link StagewiseTrainingOptions} with every default filled. */
export interface ResolvedStagewiseTrainingOptions {
  readonly iterations: number;
  readonly split: StageSplit;
  readonly randomSubnets: number;
  readonly learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly temperature: number;
  readonly seed: number | string;
  readonly checkpointDir: string | undefined;
  readonly checkpointEvery: number;
  readonly disposeBatches: boolean;
}

/** One iteration of {@link trainStagewise}. */
export interface StagewiseProgress {
  /** Iterations done, from 1. */
  readonly iteration: number;
  readonly iterations: number;
  readonly epoch: number;
  /** Loss of each sampled architecture (summed over stages), full network first. */
  readonly losses: readonly number[];
  readonly learningRate: number;
}

/** What {@link trainStagewise} returns. */
export interface StagewiseTrainingResult {
  readonly stages: readonly Stage[];
  /** Iterations done in total (across resumes). */
  readonly iterations: number;
  /** Mean loss of each iteration (over its architectures) of this run. */
  readonly losses: readonly number[];
  /** True when training continued from a checkpoint. */
  readonly resumed: boolean;
}

const fail = failFor('trainStagewise');

const positiveInteger = (name: string, value: unknown): number => {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw fail(`${name} must be an integer >= 1, got ${describeValue(value)}`);
  }
  return value as number;
};

const nonNegative = (name: string, value: unknown): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw fail(`${name} must be a finite number >= 0, got ${describeValue(value)}`);
  }
  return value;
};

/** Fills the defaults of {@link StagewiseTrainingOptions} and validates them. */
export function resolveStagewiseTrainingOptions(
  options: StagewiseTrainingOptions = {},
): ResolvedStagewiseTrainingOptions {
  const randomSubnets = options.randomSubnets ?? 2;
  if (!Number.isInteger(randomSubnets) || randomSubnets < 0) {
    throw fail(`randomSubnets must be an integer >= 0, got ${describeValue(randomSubnets)}`);
  }
  const temperature = options.temperature ?? 1;
  if (!(typeof temperature === 'number' && temperature > 0)) {
    throw fail(`temperature must be a number > 0, got ${describeValue(temperature)}`);
  }
  return {
    iterations: positiveInteger('iterations', options.iterations ?? 1000),
    split: options.split ?? 'resolution',
    randomSubnets,
    learningRate: nonNegative('learningRate', options.learningRate ?? 0.01),
    momentum: nonNegative('momentum', options.momentum ?? 0.9),
    weightDecay: nonNegative('weightDecay', options.weightDecay ?? 5e-4),
    temperature,
    seed: options.seed ?? 0,
    checkpointDir: options.checkpointDir,
    checkpointEvery: positiveInteger('checkpointEvery', options.checkpointEvery ?? 100),
    disposeBatches: options.disposeBatches ?? false,
  };
}

/** Where training stands, saved in the checkpoint's JSON state. */
interface Position {
  readonly epoch: number;
  readonly batch: number;
}

/**
 * Stage-wise supernet training (SWP). `supernet` is a channel supernet whose largest architecture
 * is the trained `teacher` (`toChannelSupernet(teacher, …)`); `teacher` has the same top-level
 * layers (a `Sequential`, or a frozen copy of the supernet, run at its largest architecture). Every
 * iteration runs the teacher once in inference mode to get each stage's input and output, then,
 * for the full, the tiny and `randomSubnets` random architectures, feeds each stage the teacher's
 * input (its first k channels, k the architecture's width there) and matches the teacher's output
 * (its first k channels; logits for the last stage). The gradients of all architectures and stages
 * are summed and one SGD step is taken: stages share no weights, so this equals independent
 * training of every stage. With `split: 'single'` it is the one-stage supernet baseline (same
 * sandwich, distillation on the logits only).
 *
 * `data(epoch)` gives the batches of an epoch (the same ones for the same epoch, so a resumed run
 * sees the same data). With `checkpointDir` the run checkpoints atomically and resumes to the
 * same weights for the same seed.
 *
 * @example
 * const supernet = toChannelSupernet(teacher, { inputShape: [32, 32, 3] });
 * await trainStagewise(supernet, teacher, (epoch) => trainBatches(epoch), { iterations: 2000 });
 */
export async function trainStagewise(
  supernet: Supernet,
  teacher: Module,
  data: (epoch: number) => BatchIterable<Batch>,
  options: StagewiseTrainingOptions = {},
): Promise<StagewiseTrainingResult> {
  const o = resolveStagewiseTrainingOptions(options);
  if (typeof data !== 'function')
    throw fail(`data must be a function (epoch) => batches, got ${describeValue(data)}`);
  const stages = splitStages(supernet, o.split);
  const teacherLayers = supernet.layers().map(([name]) => {
    const layer = teacher?.children?.().get(name);
    if (layer === undefined) {
      throw fail(
        `the teacher has no top-level layer "${name}"; it must have the supernet's layers (${supernet
          .layers()
          .map(([n]) => n)
          .join(', ')})`,
      );
    }
    return [name, layer] as const;
  });
  const teacherArch =
    typeof (teacher as Partial<Supernet>).largestArchitecture === 'function'
      ? (teacher as Supernet).largestArchitecture()
      : undefined;
  const optimizer = new SGD(supernet.namedParameters(), {
    learningRate: o.learningRate,
    momentum: o.momentum,
    weightDecay: o.weightDecay,
  });
  const schedule = cosineSchedule({ baseLearningRate: o.learningRate, totalSteps: o.iterations });
  let rng: Rng = createRng(o.seed);
  let iteration = 0;
  let position: Position = { epoch: 0, batch: 0 };
  let resumed = false;
  if (o.checkpointDir !== undefined && (await hasCheckpoint(o.checkpointDir))) {
    const loaded = await loadCheckpoint(o.checkpointDir, { module: supernet, optimizer });
    if (loaded.rng === undefined) throw fail(`checkpoint "${o.checkpointDir}" has no rng state`);
    rng = loaded.rng;
    iteration = loaded.step;
    position = loaded.state as unknown as Position;
    resumed = true;
  }
  const save = async () => {
    if (o.checkpointDir === undefined) return;
    await saveCheckpoint(o.checkpointDir, {
      module: supernet,
      optimizer,
      rng,
      step: iteration,
      state: { epoch: position.epoch, batch: position.batch },
    });
  };

  const losses: number[] = [];
  const boundaryWidth = (arch: Architecture, stage: Stage): number | undefined => {
    if (stage.index === 0) return undefined;
    const previous = stages[stage.index - 1] as Stage;
    const shape = layerOutputShapes(supernet, arch).get(
      previous.layers[previous.layers.length - 1] as string,
    );
    return shape?.[shape.length - 1];
  };
  const firstChannels = (x: tf.Tensor, k: number | undefined): tf.Tensor =>
    k === undefined || k === x.shape[x.rank - 1]
      ? x
      : tf.slice(x, new Array(x.rank).fill(0), [...x.shape.slice(0, -1), k]);

  try {
    while (iteration < o.iterations) {
      let batchIndex = 0;
      let ranBatch = false;
      for await (const batch of data(position.epoch)) {
        if (batchIndex < position.batch) {
          batchIndex += 1;
          if (o.disposeBatches) tf.dispose([batch.x, batch.y]);
          continue;
        }
        ranBatch = true;
        try {
          // The teacher's features at every stage boundary: [input, stage 0 output, …, logits].
          const features = tf.tidy(() => {
            const out: tf.Tensor[] = [batch.x];
            let y = batch.x;
            let layer = 0;
            for (const stage of stages) {
              for (const _ of stage.layers) {
                const [, module] = teacherLayers[layer] as readonly [string, Module];
                y = module.apply(y, teacherArch === undefined ? {} : { arch: teacherArch });
                layer += 1;
              }
              out.push(y);
            }
            return out.slice(1).map((t) => tf.keep(t));
          });
          try {
            const learningRate = schedule(iteration);
            optimizer.learningRate = learningRate;
            const archs = sandwichArchitectures(supernet, rng, o.randomSubnets);
            const { losses: archLosses } = multiArchitectureStep(optimizer, archs, (arch) =>
              tf.tidy(() => {
                let total: tf.Tensor = tf.scalar(0);
                for (const stage of stages) {
                  const source = stage.index === 0 ? batch.x : (features[stage.index - 1] as tf.Tensor);
                  let y = firstChannels(source, boundaryWidth(arch, stage));
                  for (const name of stage.layers) {
                    y = (supernet.children().get(name) as Module).apply(y, { arch, training: true });
                  }
                  const target = features[stage.index] as tf.Tensor;
                  const loss = stage.last
                    ? distillationLoss(y, target, { temperature: o.temperature })
                    : featureDistillationLoss(y, firstChannels(target, y.shape[y.rank - 1]));
                  total = tf.add(total, loss);
                }
                return total as tf.Scalar;
              }),
            );
            iteration += 1;
            batchIndex += 1;
            position = { epoch: position.epoch, batch: batchIndex };
            losses.push(archLosses.reduce((a, b) => a + b, 0) / archLosses.length);
            options.onProgress?.({
              iteration,
              iterations: o.iterations,
              epoch: position.epoch,
              losses: archLosses,
              learningRate,
            });
            if (iteration % o.checkpointEvery === 0 || iteration === o.iterations) await save();
          } finally {
            tf.dispose(features);
          }
        } finally {
          if (o.disposeBatches) tf.dispose([batch.x, batch.y]);
        }
        if (iteration >= o.iterations) break;
      }
      if (iteration >= o.iterations) break;
      if (!ranBatch && batchIndex === 0) throw fail(`data(${position.epoch}) gave no batches`);
      position = { epoch: position.epoch + 1, batch: 0 };
    }
  } finally {
    optimizer.dispose();
  }
  return { stages, iterations: iteration, losses, resumed };
}

async function hasCheckpoint(directory: string): Promise<boolean> {
  const { access } = await import('node:fs/promises');
  const { join } = await import('node:path');
  try {
    await access(join(directory, 'checkpoint.json'));
    return true;
  } catch {
    return false;
  }
}
