import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { Module } from '../nn/module.js';

/** Throws unless `order` is a permutation of `0 … size − 1`. */
export function checkPermutation(source: string, order: readonly number[], size: number): void {
  const seen = new Set(order);
  if (
    !Array.isArray(order) ||
    order.length !== size ||
    seen.size !== size ||
    !order.every((i) => Number.isInteger(i) && i >= 0 && i < size)
  ) {
    throw new AutomlError(source, `expected a permutation of 0…${size - 1}, got ${describeValue(order)}`);
  }
}

/** Reorders a variable along `axis` in place. */
export function permuteVariable(variable: tf.Variable, order: readonly number[], axis: number): void {
  tf.tidy(() => variable.assign(tf.gather(variable, tf.tensor1d(order as number[], 'int32'), axis)));
}

/** Copies every variable of `from` into the variable with the same relative name in `to` (same structure). */
export function copyVariablesInto(from: Module, to: Module): void {
  const target = relativeVariables(to);
  for (const [name, variable] of relativeVariables(from)) {
    const destination = target.get(name);
    if (destination === undefined) {
      throw new AutomlError('@automl-ts/core/copyVariablesInto', `the copy has no variable "${name}"`);
    }
    destination.assign(variable);
  }
}

/** Variables by name relative to the module (without its own path). */
function relativeVariables(module: Module): Map<string, tf.Variable> {
  const prefix = module.path === '' ? '' : `${module.path}.`;
  const out = new Map<string, tf.Variable>();
  for (const [name, variable] of module.namedVariables()) out.set(name.slice(prefix.length), variable);
  return out;
}

/** Indices sorted by decreasing importance (ties keep the lower index first); frees `importance`. */
export function orderByImportance(importance: tf.Tensor1D): number[] {
  const values = importance.dataSync();
  importance.dispose();
  return Array.from(values, (value, index) => ({ value, index }))
    .sort((a, b) => b.value - a.value || a.index - b.index)
    .map(({ index }) => index);
}
