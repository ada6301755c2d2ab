import type * as tf from '@tensorflow/tfjs';

/** One mini-batch: inputs and labels (class indices `[n]` or targets `[n, k]`). */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/** Batches for one pass: an array, a (sync or async) iterable. */
export type BatchIterable<T = Batch> = Iterable<T> | AsyncIterable<T>;
