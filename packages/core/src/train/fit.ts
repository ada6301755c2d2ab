import { AutomlError, describeValue } from '../internal/errors.js';
import type { Module } from '../nn/module.js';
import type { Batch, BatchIterable } from './batch.js';
import type { Optimizer } from './optimizer.js';
import type { LearningRateSchedule } from './schedule.js';
import { NonFiniteLossError, type TrainStepOptions, trainStep } from './train-step.js';

/** The batches of each epoch: a re-iterable collection (an array), or a function of the epoch index. */
export type BatchSource = BatchIterable | ((epoch: number) => BatchIterable);

/** Progress reported by {@link fit}: one event per step and one per epoch. */
export type FitEvent =
  | {
      readonly type: 'step';
      /** 0-based epoch. */
      readonly epoch: number;
      /** 0-based batch within the epoch. */
      readonly batch: number;
      /** 0-based global step (the optimizer's step index). */
      readonly step: number;
      readonly loss: number;
      readonly learningRate: number;
      readonly gradNorm: number | undefined;
    }
  | {
      readonly type: 'epoch';
      readonly epoch: number;
      readonly steps: number;
      readonly meanLoss: number;
      readonly seconds: number;
    };

/** Options of {@link fit}. */
export interface FitOptions extends TrainStepOptions {
  /** @default 1 */
  epochs?: number;
  /** Sets `optimizer.learningRate = schedule(step)` before each step. @default constant */
  schedule?: LearningRateSchedule;
  /** Receives {@link FitEvent}s. */
  onProgress?: (event: FitEvent) => void;
  /** Dispose each batch's tensors after its step (for sources that create fresh tensors). @default false */
  disposeBatches?: boolean;
}

/** What {@link fit} returns. */
export interface FitHistory {
  /** Loss of every step. */
  readonly losses: number[];
  /** Mean loss of every epoch. */
  readonly epochLosses: number[];
}

/**
 * Trains `module` for some epochs with {@link trainStep}, reporting progress. A NaN or infinite
 * loss stops training with an error naming the step, epoch and batch (the bad update is not applied).
 *
 * @example
 * const history = await fit(model, new AdamW(model.namedParameters(), { learningRate: 1e-3 }), batches, {
 *   epochs: 10,
 *   schedule: cosineSchedule({ baseLearningRate: 1e-3, totalSteps: 10 * batches.length, warmupSteps: 50 }),
 *   onProgress: (e) => e.type === 'epoch' && console.log(e.epoch, e.meanLoss),
 * });
 */
export async function fit(
  module: Module,
  optimizer: Optimizer,
  data: BatchSource,
  options: FitOptions = {},
): Promise<FitHistory> {
  const source = '@automl-ts/core/fit';
  const epochs = options.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new AutomlError(source, `epochs must be an integer >= 1, got ${describeValue(epochs)}`);
  }
  const losses: number[] = [];
  const epochLosses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const started = Date.now();
    const batches = typeof data === 'function' ? data(epoch) : data;
    let index = 0;
    let sum = 0;
    for await (const batch of batches as AsyncIterable<Batch>) {
      const step = optimizer.iterations;
      if (options.schedule !== undefined) optimizer.learningRate = options.schedule(step);
      let result: ReturnType<typeof trainStep>;
      try {
        result = trainStep(module, optimizer, batch, options);
      } catch (error) {
        if (error instanceof NonFiniteLossError) {
          throw new NonFiniteLossError(source, step, error.loss, `epoch ${epoch}, batch ${index}`);
        }
        throw error;
      } finally {
        if (options.disposeBatches) {
          batch.x.dispose();
          batch.y.dispose();
        }
      }
      losses.push(result.loss);
      sum += result.loss;
      options.onProgress?.({
        type: 'step',
        epoch,
        batch: index,
        step,
        loss: result.loss,
        learningRate: optimizer.learningRate,
        gradNorm: result.gradNorm,
      });
      index += 1;
    }
    if (index === 0) {
      throw new AutomlError(
        source,
        `the data yielded no batches in epoch ${epoch}; for several epochs pass an array or a function (epoch) => batches, not a one-shot iterator`,
      );
    }
    epochLosses.push(sum / index);
    options.onProgress?.({
      type: 'epoch',
      epoch,
      steps: index,
      meanLoss: sum / index,
      seconds: (Date.now() - started) / 1000,
    });
  }
  return { losses, epochLosses };
}
