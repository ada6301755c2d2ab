import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { ArchValues, Module } from '../nn/module.js';
import type { Batch } from './batch.js';
import { clipByGlobalNorm } from './clip-grad-norm.js';
import { crossEntropy } from './cross-entropy.js';
import { namedGradients } from './named-gradients.js';
import type { Optimizer } from './optimizer.js';

/** A loss from the model's output and the batch labels. */
export type LossFunction = (output: tf.Tensor, labels: tf.Tensor) => tf.Scalar;

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** @default cross-entropy (with `labelSmoothing`) */
  loss?: LossFunction;
  /** Label smoothing of the default cross-entropy loss. @default 0 */
  labelSmoothing?: number;
  /** Architecture to train (supernets). */
  arch?: ArchValues;
  /** Clip gradients to this global L2 norm. @default no clipping */
  clipNorm?: number;
}

/** What {@link trainStep} measured. */
export interface TrainStepResult {
  /** Loss before the update. */
  readonly loss: number;
  /** Global gradient norm before clipping (only computed when `clipNorm` is set). */
  readonly gradNorm: number | undefined;
}

/**
 * Thrown when the loss is NaN or infinite; the update was not applied. `step` is the optimizer's
 * 0-based step index.
 */
export class NonFiniteLossError extends AutomlError {
  readonly step: number;
  readonly loss: number;

  /** `where` adds context such as the epoch and batch. */
  constructor(source: string, step: number, loss: number, where?: string) {
    super(
      source,
      `loss is ${loss} at step ${step}${where === undefined ? '' : ` (${where})`}; the update was not applied`,
    );
    this.step = step;
    this.loss = loss;
  }
}

/**
 * One optimisation step: forward in training mode (batch norm updates its running statistics),
 * loss, gradients of the optimizer's parameters, optional clipping, update. Parameters that did
 * not take part (a supernet's unused weights) are not updated.
 *
 * @example
 * const optimizer = new SGD(model.namedParameters(), { learningRate: 0.05, momentum: 0.9 });
 * const { loss } = trainStep(model, optimizer, { x: images, y: labels }, { labelSmoothing: 0.1 });
 */
export function trainStep(
  module: Module,
  optimizer: Optimizer,
  batch: Batch,
  options: TrainStepOptions = {},
): TrainStepResult {
  const source = '@automl-ts/core/trainStep';
  if (options.clipNorm !== undefined && !(typeof options.clipNorm === 'number' && options.clipNorm > 0)) {
    throw new AutomlError(source, `clipNorm must be a number > 0, got ${describeValue(options.clipNorm)}`);
  }
  const lossFn: LossFunction =
    options.loss ??
    ((output, labels) => crossEntropy(output, labels, { labelSmoothing: options.labelSmoothing ?? 0 }));
  const { value, gradients: named } = namedGradients(
    () => lossFn(module.apply(batch.x, { training: true, arch: options.arch }), batch.y),
    optimizer.parameters,
  );
  let toDispose: tf.Tensor[] = [value, ...named.values()];
  try {
    const loss = value.dataSync()[0] as number;
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(source, optimizer.iterations, loss);
    let gradNorm: number | undefined;
    let gradients = named;
    if (options.clipNorm !== undefined) {
      const clipped = clipByGlobalNorm(named, options.clipNorm);
      gradients = clipped.gradients;
      gradNorm = clipped.norm;
      toDispose = [...toDispose, ...gradients.values()];
    }
    optimizer.step(gradients);
    return { loss, gradNorm };
  } finally {
    tf.dispose(toDispose);
  }
}
