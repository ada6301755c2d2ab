import type * as tf from '@tensorflow/tfjs';
import type { Module } from './module.js';

/**
 * The operations a traced module reports. Layers report what they compute; composition
 * modules report the joins (`add`, `concat`) so that the traced graph has every edge.
 */
export type TracedOp =
  | 'conv2d'
  | 'dense'
  | 'batchNorm'
  | 'activation'
  | 'maxPool'
  | 'avgPool'
  | 'globalAvgPool'
  | 'flatten'
  | 'add'
  | 'concat'
  | 'mul'
  | 'identity'
  | 'dropout'
  | 'pad';

/** One computation seen during a trace: which module ran, on which tensors, with what settings. */
export interface TraceEvent {
  /** The module that ran (a leaf layer, or a composition module for joins). */
  readonly module: Module;
  readonly op: TracedOp;
  /** Input tensors in order (tensor `id`s identify the edges). */
  readonly inputs: readonly tf.Tensor[];
  readonly output: tf.Tensor;
  /**
   * Op settings, plain JSON: conv2d has `kernelSize`, `strides`, `padding`, `dilation`, `groups`,
   * `inChannels`, `outChannels`, `useBias`; dense has `inUnits`, `outUnits`, `useBias`;
   * activation has `kind`; pools have `poolSize`, `strides`, `padding`; concat has `axis`;
   * batchNorm has `channels`, `epsilon`, `momentum`; dropout has `rate`; pad (the zero-pad
   * residual shortcut) has `strides` and `channelPadding: [before, after]`; add, globalAvgPool
   * and flatten have none.
   */
  readonly attrs: Readonly<Record<string, unknown>>;
}

/** Receives {@link TraceEvent}s when passed as `apply(x, { trace })`. */
export interface TraceRecorder {
  record(event: TraceEvent): void;
}
