import * as tf from '@tensorflow/tfjs';
import { disposeParams, type ParamMap, tidyMaps } from './params.js';

/** Step size of an inner update: one number, or one tensor per adapted parameter (Meta-SGD). */
export type StepSize = number | ParamMap;

/** A loss of the adapted parameters (the support loss of one task). */
export type InnerLoss = (adapted: ParamMap) => tf.Scalar;

/**
 * Gradients of `loss` at `params`, by name. Parameters the loss does not depend on (a supernet's
 * inactive weights) get none. Records on the active tape when called inside a gradient.
 */
export function gradientsAt(
  loss: InnerLoss,
  params: ParamMap,
): { value: tf.Scalar; gradients: Map<string, tf.Tensor> } {
  const names = [...params.keys()];
  const { value, grads } = tf.engine().gradients(() => loss(params), [...params.values()], undefined, true);
  const gradients = new Map<string, tf.Tensor>();
  names.forEach((name, i) => {
    const gradient = grads[i];
    if (gradient != null) gradients.set(name, gradient);
  });
  return { value, gradients };
}

function stepOf(stepSize: StepSize, name: string): number | tf.Tensor {
  return typeof stepSize === 'number' ? stepSize : (stepSize.get(name) as tf.Tensor);
}

/** φ − step ⊙ g for every parameter with a gradient; the others are carried over. */
function descend(params: ParamMap, gradients: ParamMap, stepSize: StepSize): Map<string, tf.Tensor> {
  const next = new Map<string, tf.Tensor>();
  for (const [name, value] of params) {
    const gradient = gradients.get(name);
    next.set(name, gradient === undefined ? value : tf.sub(value, tf.mul(gradient, stepOf(stepSize, name))));
  }
  return next;
}

/**
 * `steps` plain gradient steps φ ← φ − α ⊙ ∇L(φ) from `start`, differentiable end to end: every
 * step is recorded on the active tape, so the caller's outer gradient flows through the inner
 * gradients (second-order MAML). Call it inside a gradient computation and a `tf.tidy`.
 */
export function differentiableInnerLoop(
  loss: InnerLoss,
  start: ParamMap,
  stepSize: StepSize,
  steps: number,
): ParamMap {
  let current: ParamMap = start;
  for (let step = 0; step < steps; step++)
    current = descend(current, gradientsAt(loss, current).gradients, stepSize);
  return current;
}

/** What {@link innerLoop} returns; the caller owns the tensors. */
export interface InnerLoopResult {
  /** φ after the last step (new tensors; parameters without a gradient are copies of `start`). */
  readonly params: Map<string, tf.Tensor>;
  /** Σ over steps of ∇L(φ_s), for first-order meta-gradients (when asked for). */
  readonly gradientSum: Map<string, tf.Tensor> | undefined;
}

/**
 * `steps` plain gradient steps from `start` (not recorded for an outer gradient), freeing each
 * step's intermediates. `start` is left untouched and stays the caller's.
 */
export function innerLoop(
  loss: InnerLoss,
  start: ParamMap,
  stepSize: StepSize,
  steps: number,
  options: { accumulateGradients?: boolean } = {},
): InnerLoopResult {
  const accumulating = options.accumulateGradients === true;
  let current: Map<string, tf.Tensor> = new Map([...start].map(([name, value]) => [name, tf.clone(value)]));
  let sum = new Map<string, tf.Tensor>();
  for (let step = 0; step < steps; step++) {
    const previous = current;
    const previousSum = sum;
    const result = tidyMaps(() => {
      const { gradients } = gradientsAt(loss, previous);
      const nextSum = new Map(previousSum);
      if (accumulating) {
        for (const [name, gradient] of gradients) {
          const before = nextSum.get(name);
          nextSum.set(name, before === undefined ? gradient : tf.add(before, gradient));
        }
      }
      return { next: descend(previous, gradients, stepSize), nextSum };
    });
    current = result.next;
    sum = result.nextSum;
    disposeParams(previous, current);
    disposeParams(previousSum, sum);
  }
  return { params: current, gradientSum: accumulating ? sum : undefined };
}
