// Supervised training of a classifier (the teachers, and the fine-tuning of every pruned network):
// SGD with Nesterov momentum 0.9, weight decay 5e-4, cosine learning rate (He et al. 2016's CIFAR
// recipe with a cosine schedule), checkpointed after every epoch so that a killed run resumes to
// the same weights.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Batch,
  cosineSchedule,
  createRng,
  loadCheckpoint,
  type Module,
  SGD,
  saveCheckpoint,
  trainStep,
} from '@automl-ts/core';
import type { ChannelStats, ImageDataset } from '@automl-ts/datasets';
import { epochBatches } from './data.js';

/** Options of {@link trainClassifier}. */
export interface TrainClassifierOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** @default 5e-4 */
  weightDecay?: number;
  seed: number;
  /** Stop each epoch after this many batches (tests and sizing). @default all */
  maxBatchesPerEpoch?: number;
  /** Checkpoint after every epoch and resume from it. */
  checkpointDir?: string;
  onEpoch?: (event: {
    epoch: number;
    epochs: number;
    meanLoss: number;
    seconds: number;
    steps: number;
  }) => void;
  onStep?: (event: { epoch: number; step: number; loss: number }) => void;
}

/** Per-epoch figures of a {@link trainClassifier} run (this process's epochs only). */
export interface TrainClassifierResult {
  readonly epochLosses: readonly number[];
  readonly epochSeconds: readonly number[];
  readonly steps: number;
  readonly resumedAtEpoch: number;
}

/** Trains `model` on `train` with the CIFAR recipe; see the file comment. */
export async function trainClassifier(
  model: Module,
  train: ImageDataset,
  normalization: ChannelStats,
  options: TrainClassifierOptions,
): Promise<TrainClassifierResult> {
  const optimizer = new SGD(model.namedParameters(), {
    learningRate: options.learningRate,
    momentum: 0.9,
    nesterov: true,
    weightDecay: options.weightDecay ?? 5e-4,
  });
  const perEpoch = Math.min(
    Math.ceil(train.labels.length / options.batchSize),
    options.maxBatchesPerEpoch ?? Number.POSITIVE_INFINITY,
  );
  const schedule = cosineSchedule({
    baseLearningRate: options.learningRate,
    totalSteps: options.epochs * perEpoch,
  });
  let startEpoch = 0;
  if (options.checkpointDir !== undefined && (await exists(join(options.checkpointDir, 'checkpoint.json')))) {
    const loaded = await loadCheckpoint(options.checkpointDir, { module: model, optimizer });
    startEpoch = (loaded.state as { epoch: number }).epoch;
  }
  const epochLosses: number[] = [];
  const epochSeconds: number[] = [];
  let steps = 0;
  try {
    for (let epoch = startEpoch; epoch < options.epochs; epoch++) {
      const started = performance.now();
      let total = 0;
      let count = 0;
      for await (const batch of epochBatches(train, normalization, epoch, {
        batchSize: options.batchSize,
        seed: options.seed,
      })) {
        try {
          if (count >= perEpoch) break;
          optimizer.learningRate = schedule(optimizer.iterations);
          const { loss } = trainStep(model, optimizer, batch as Batch);
          total += loss;
          count += 1;
          steps += 1;
          options.onStep?.({ epoch, step: count, loss });
        } finally {
          batch.dispose();
        }
      }
      const seconds = (performance.now() - started) / 1000;
      epochLosses.push(total / Math.max(count, 1));
      epochSeconds.push(seconds);
      if (options.checkpointDir !== undefined) {
        await saveCheckpoint(options.checkpointDir, {
          module: model,
          optimizer,
          rng: createRng(options.seed),
          step: optimizer.iterations,
          state: { epoch: epoch + 1 },
        });
      }
      options.onEpoch?.({
        epoch: epoch + 1,
        epochs: options.epochs,
        meanLoss: total / Math.max(count, 1),
        seconds,
        steps: count,
      });
    }
  } finally {
    optimizer.dispose();
  }
  return { epochLosses, epochSeconds, steps, resumedAtEpoch: startEpoch };
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
