import type { ParamOverrides } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

/** Tensors by full parameter name: fast weights, gradients, learning rates. */
export type ParamMap = ReadonlyMap<string, tf.Tensor>;

/** The `params` record `Module.apply` takes. */
export function toOverrides(params: ParamMap | undefined): ParamOverrides | undefined {
  return params === undefined ? undefined : Object.fromEntries(params);
}

/** Disposes every tensor of `map` that is not in `keep` (tensors shared with another map). */
export function disposeParams(map: ParamMap, keep?: ParamMap): void {
  const kept = new Set(keep === undefined ? [] : [...keep.values()].map((t) => t.id));
  for (const tensor of map.values()) if (!kept.has(tensor.id) && !tensor.isDisposed) tensor.dispose();
}

/** `params` restricted to `names` (same tensors). */
export function pick(params: ParamMap, names: Iterable<string>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const name of names) {
    const tensor = params.get(name);
    if (tensor !== undefined) out.set(name, tensor);
  }
  return out;
}

/** Adds `values` into the running sums `into` (allocating on first use), freeing replaced sums. */
export function accumulate(into: Map<string, tf.Tensor>, values: ParamMap): void {
  for (const [name, value] of values) {
    const previous = into.get(name);
    into.set(name, previous === undefined ? tf.clone(value) : tf.add(previous, value));
    previous?.dispose();
  }
}

/**
 * Runs `fn` in a `tf.tidy` and keeps the tensors of the maps it returns (a tidy does not look
 * inside a `Map`); everything else created inside is freed.
 */
export function tidyMaps<K extends string>(fn: () => Record<K, ParamMap>): Record<K, Map<string, tf.Tensor>> {
  const layout: Array<[K, string[]]> = [];
  const tensors = tf.tidy(() => {
    const maps = fn();
    const flat: tf.Tensor[] = [];
    for (const key of Object.keys(maps) as K[]) {
      const map = maps[key];
      layout.push([key, [...map.keys()]]);
      flat.push(...map.values());
    }
    return flat;
  });
  const out = {} as Record<K, Map<string, tf.Tensor>>;
  let index = 0;
  for (const [key, names] of layout) {
    out[key] = new Map(names.map((name) => [name, tensors[index++] as tf.Tensor]));
  }
  return out;
}
