import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterGradConfig } from './conv2d-backprop-filter-grad.js';
import {
  depthwiseConv2dNativeBackpropFilterGradConfig,
  depthwiseConv2dNativeBackpropInputGradConfig,
} from './depthwise-conv2d-backprop-grads.js';
import { piecewiseConstantGradConfigs } from './piecewise-constant-grads.js';
import { avgPoolGradGradConfig, maxPoolGradGradConfig } from './pool-grad-grads.js';
import { savedInputGradConfigs } from './saved-output-grads.js';

/** Gradients TF.js 4.22 does not have. */
const MISSING: readonly tf.GradConfig[] = [
  conv2dBackpropFilterGradConfig,
  depthwiseConv2dNativeBackpropInputGradConfig,
  depthwiseConv2dNativeBackpropFilterGradConfig,
  maxPoolGradGradConfig,
  avgPoolGradGradConfig,
  ...piecewiseConstantGradConfigs,
];

/**
 * The kernels whose gradients {@link registerSecondOrderGradients} adds (TF.js has none) or
 * replaces (TF.js's saves the op's output, which a nested gradient cannot differentiate).
 */
export const SECOND_ORDER_GRADIENT_KERNELS: readonly string[] = [...MISSING, ...savedInputGradConfigs].map(
  (config) => config.kernelName,
);

/** True for a gradient that keeps a copy of its op's output (TF.js's built-ins for the replaced kernels). */
function savesOutputs(config: tf.GradConfig): boolean {
  return config.outputsToSave?.some((saved) => saved) === true;
}

/**
 * Makes gradients of gradients work through conv nets in TF.js 4.22 (second-order MAML,
 * Meta-SGD and ANIL; Hessian-vector products):
 *
 * - adds the gradients TF.js lacks: `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropInput`,
 *   `DepthwiseConv2dNativeBackpropFilter`, `MaxPoolGrad`, `AvgPoolGrad` (the backward kernels of
 *   convolutions and pooling), and zero gradients for the comparisons and logical ops that TF.js's
 *   own gradients use as masks (`Equal`, `NotEqual`, `Greater`, `Less`, `LessEqual`, `Logical*`);
 * - replaces TF.js's gradients of `Exp`, `Sigmoid`, `Tanh`, `Softmax` and `Elu`, which save the
 *   op's output: the tape records that saved copy before the op, so a nested gradient silently
 *   drops the second derivative through it. The replacements save the input and recompute the
 *   output (first derivatives are unchanged). `tf.logSoftmax` (a `customGrad` op) has the same
 *   defect and cannot be fixed by registration: this package's losses do not use it.
 *
 * The gradients are TF.js ops, so they work on every backend; on `wasm` the backward kernels
 * themselves come from core's training-kernel pack (`initBackend({ prefer: 'wasm' })`).
 * Idempotent; it never replaces a gradient registered by someone else. Returns the kernel names
 * changed by this call (empty on later calls). Second-order learners call it themselves;
 * `import '@automl-ts/meta-learning/register'` calls it on import.
 *
 * @example
 * registerSecondOrderGradients();
 * const hvp = tf.grad((w) => tf.sum(tf.mul(tf.grad(loss)(w), v)))(w); // Hessian·v through conv2d
 */
export function registerSecondOrderGradients(): string[] {
  const changed: string[] = [];
  for (const config of MISSING) {
    if (tf.getGradient(config.kernelName) !== undefined) continue;
    tf.registerGradient(config);
    changed.push(config.kernelName);
  }
  for (const config of savedInputGradConfigs) {
    const current = tf.getGradient(config.kernelName);
    if (current !== undefined && !savesOutputs(current)) continue;
    tf.registerGradient(config);
    changed.push(config.kernelName);
  }
  return changed;
}
