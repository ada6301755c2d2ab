// Yu & Huang, "Universally Slimmable Networks and Improved Training Techniques", ICCV 2019, §3.3–3.4
// (the sandwich rule: the largest, the smallest and n random widths in every iteration, gradients
// summed before one update; in-place distillation: the largest network's soft labels teach the others).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { ArchValues, Module } from '../nn/module.js';
import type { Batch } from './batch.js';
import { clipByGlobalNorm } from './clip-grad-norm.js';
import { crossEntropy } from './cross-entropy.js';
import { distillationLoss } from './distillation.js';
import { namedGradients } from './named-gradients.js';
import type { Optimizer } from './optimizer.js';
import { NonFiniteLossError } from './train-step.js';

/** Options of {@link multiArchitectureStep}. */
export interface MultiArchitectureStepOptions {
  /** Clip the summed gradients to this global L2 norm. @default no clipping */
  clipNorm?: number;
}

/** What {@link multiArchitectureStep} and {@link sandwichStep} measured. */
export interface MultiArchitectureStepResult {
  /** Each architecture's loss before the update, in order. */
  readonly losses: readonly number[];
  /** Global norm of the summed gradients before clipping (only computed when `clipNorm` is set). */
  readonly gradNorm: number | undefined;
}

/**
 * One optimiser step over several architectures: for each, `lossOf(arch, index)` is
 * differentiated with respect to the optimizer's parameters, the gradients are summed by
 * parameter name (a weight shared by several sub-networks gets the sum of their gradients), and
 * the optimizer takes a single step. A NaN or infinite loss throws {@link NonFiniteLossError}
 * before any update. Tensors that `lossOf` keeps across calls (a teacher's output) are the caller's.
 *
 * @example
 * const archs = [net.largestArchitecture(), net.smallestArchitecture(), net.sample(rng)];
 * multiArchitectureStep(optimizer, archs, (arch) => crossEntropy(net.apply(x, { arch, training: true }), y));
 */
export function multiArchitectureStep(
  optimizer: Optimizer,
  architectures: readonly ArchValues[],
  lossOf: (arch: ArchValues, index: number) => tf.Scalar,
  options: MultiArchitectureStepOptions = {},
): MultiArchitectureStepResult {
  const source = '@automl-ts/core/multiArchitectureStep';
  if (!Array.isArray(architectures) || architectures.length === 0) {
    throw new AutomlError(
      source,
      `architectures must be a non-empty array, got ${describeValue(architectures)}`,
    );
  }
  if (options.clipNorm !== undefined && !(typeof options.clipNorm === 'number' && options.clipNorm > 0)) {
    throw new AutomlError(source, `clipNorm must be a number > 0, got ${describeValue(options.clipNorm)}`);
  }
  const summed = new Map<string, tf.Tensor>();
  const losses: number[] = [];
  try {
    architectures.forEach((arch, index) => {
      const { value, gradients } = namedGradients(() => lossOf(arch, index), optimizer.parameters);
      const loss = value.dataSync()[0] as number;
      value.dispose();
      for (const [name, gradient] of gradients) {
        const previous = summed.get(name);
        if (previous === undefined) {
          summed.set(name, gradient);
        } else {
          summed.set(name, tf.add(previous, gradient));
          tf.dispose([previous, gradient]);
        }
      }
      if (!Number.isFinite(loss)) {
        throw new NonFiniteLossError(source, optimizer.iterations, loss, `architecture ${index}`);
      }
      losses.push(loss);
    });
    if (options.clipNorm === undefined) {
      optimizer.step(summed);
      return { losses, gradNorm: undefined };
    }
    const clipped = clipByGlobalNorm(summed, options.clipNorm);
    try {
      optimizer.step(clipped.gradients);
    } finally {
      tf.dispose([...clipped.gradients.values()]);
    }
    return { losses, gradNorm: clipped.norm };
  } finally {
    tf.dispose([...summed.values()]);
  }
}

/** Options of {@link sandwichStep}. */
export interface SandwichStepOptions extends MultiArchitectureStepOptions {
  /**
   * The architectures of this step, the teacher first (usually `largestArchitecture()`, then
   * `smallestArchitecture()` and n random ones: the sandwich rule).
   */
  architectures: readonly ArchValues[];
  /**
   * In-place distillation: the first architecture learns from the labels, the others from its
   * soft labels (its output, as a constant). With `false` every architecture learns from the labels.
   * @default true (US-Nets)
   */
  inplaceDistillation?: boolean;
  /** Softmax temperature of the distillation loss. @default 1 (US-Nets' soft labels) */
  temperature?: number;
  /** Label smoothing of the cross-entropy on labels. @default 0 */
  labelSmoothing?: number;
}

/**
 * The sandwich rule with in-place distillation on a supernet: one forward/backward per
 * architecture of `options.architectures` (teacher first), gradients summed by parameter name,
 * one optimiser step ({@link multiArchitectureStep}). Batch norm updates its running statistics
 * in every forward, as in US-Nets; re-estimate them per architecture before evaluating.
 *
 * @example
 * const architectures = [net.largestArchitecture(), net.smallestArchitecture(), net.sample(rng), net.sample(rng)];
 * const { losses } = sandwichStep(net, optimizer, { x, y }, { architectures });
 */
export function sandwichStep(
  module: Module,
  optimizer: Optimizer,
  batch: Batch,
  options: SandwichStepOptions,
): MultiArchitectureStepResult {
  const inplace = options?.inplaceDistillation ?? true;
  const temperature = options.temperature ?? 1;
  const labelSmoothing = options.labelSmoothing ?? 0;
  let teacher: tf.Tensor | undefined;
  try {
    return multiArchitectureStep(
      optimizer,
      options.architectures,
      (arch, index) => {
        const output = module.apply(batch.x, { training: true, arch });
        if (index === 0 || !inplace) {
          if (index === 0 && inplace) teacher = tf.keep(tf.clone(output));
          return crossEntropy(output, batch.y, { labelSmoothing });
        }
        return distillationLoss(output, teacher as tf.Tensor, { temperature });
      },
      options.clipNorm === undefined ? {} : { clipNorm: options.clipNorm },
    );
  } finally {
    teacher?.dispose();
  }
}
