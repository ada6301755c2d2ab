// Episodic N-way K-shot sampling for few-shot learning (Vinyals et al., "Matching Networks for One
// Shot Learning", 2016), with per-task label remapping as learn2learn's NWays + KShots + RemapLabels.
import { type Rng, toRng } from '@automl-ts/core';
import type * as tf from '@tensorflow/tfjs';
import { type ImageDataset, indicesByClass } from '../dataset.js';
import { describeValue, errorFactory } from '../internal/errors.js';
import { checkInteger, checkOneOf } from '../internal/validate.js';
import { buildImageTensor, buildLabelTensor, type LabelEncoding } from './batches.js';
import {
  type ChannelStats,
  type Normalization,
  type PixelTransform,
  resolveNormalization,
} from './normalize.js';

/** Options of {@link createEpisodeSampler}. */
export interface EpisodeSamplerOptions {
  /**
   * N: classes per episode.
   * @default 5
   */
  ways?: number;
  /**
   * K: support images per class.
   * @default 1
   */
  shots?: number;
  /**
   * Q: query images per class.
   * @default 15
   */
  queries?: number;
  /**
   * The classes (labels of `dataset`) episodes draw from. Pass one part of a class-disjoint split
   * (see `splitByClass`) as the dataset, or restrict a dataset here.
   * @default every class of the dataset
   */
  classes?: readonly number[];
  /**
   * Seed or generator.
   * @default 0
   */
  seed?: number | string | Rng;
  /**
   * Label encoding of `y`: remapped labels 0..N-1 as int32 `[n]` or one-hot float32 `[n, N]`.
   * @default 'int'
   */
  labels?: LabelEncoding;
  /**
   * Pixel normalisation (see `createBatchLoader`).
   * @default 'none'
   */
  normalize?: Normalization;
}

/** An episode as dataset indices (no tensors): what to gather for your own batching. */
export interface EpisodeIndices {
  /** The N original classes (labels of the dataset); class `classes[i]` is relabelled `i`. */
  readonly classes: readonly number[];
  /** Dataset indices of the N×K support images, class by class. */
  readonly support: Int32Array;
  /** Remapped labels (0..N-1) of the support images. */
  readonly supportLabels: Int32Array;
  /** Dataset indices of the N×Q query images, class by class. */
  readonly query: Int32Array;
  /** Remapped labels (0..N-1) of the query images. */
  readonly queryLabels: Int32Array;
}

/** The support or the query set of an episode. */
export interface EpisodeSet {
  /** `[n, height, width, channels]` float32, normalised. */
  readonly x: tf.Tensor4D;
  /** Remapped labels 0..N-1: int32 `[n]` or one-hot float32 `[n, N]`. */
  readonly y: tf.Tensor1D | tf.Tensor2D;
  /** Dataset indices of the images. */
  readonly indices: Int32Array;
}

/**
 * One N-way K-shot task: support `{x, y}` (N×K images) and query `{x, y}` (N×Q images), with the
 * original class ids. It owns four tensors: call `dispose()` (or use `withEpisode`/`episodes`).
 */
export interface Episode {
  readonly support: EpisodeSet;
  readonly query: EpisodeSet;
  /** Original class ids (labels of the dataset); `classes[i]` is the class relabelled `i`. */
  readonly classes: readonly number[];
  /** Names of `classes`. */
  readonly classNames: readonly string[];
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  /** Releases the four tensors. Safe to call more than once. */
  dispose(): void;
}

/** Draws seeded N-way K-shot Q-query episodes from a labelled dataset. */
export interface EpisodeSampler {
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  /** The classes episodes draw from. */
  readonly classes: readonly number[];
  /** The statistics used to normalise. */
  readonly normalization: ChannelStats;
  /** Draws the next episode as indices only (no tensors). */
  sampleIndices(): EpisodeIndices;
  /** Draws the next episode as tensors; the caller disposes it. */
  sample(): Episode;
  /**
   * Draws an episode, passes it to `fn` and disposes it when `fn` returns (or its promise settles).
   * Return plain values (e.g. `await loss.data()`), not tensors of the episode.
   */
  withEpisode<T>(fn: (episode: Episode) => Promise<T>): Promise<T>;
  withEpisode<T>(fn: (episode: Episode) => T): T;
  /**
   * `count` episodes for a `for … of` loop; each is disposed when the loop moves on (or stops).
   * Clone any tensor you want to keep.
   */
  episodes(count: number): Generator<Episode, void, undefined>;
}

const fail = errorFactory('createEpisodeSampler');

/**
 * Creates a sampler of N-way K-shot Q-query episodes: each draws N classes, then K + Q distinct
 * images of each, relabels the classes 0..N-1 in draw order (the mapping changes every episode),
 * and builds support and query tensors. Seeded: the same seed gives the same episodes.
 *
 * @example
 * const sampler = createEpisodeSampler(metaTrain, { ways: 5, shots: 1, queries: 15, seed: 0 });
 * for (const episode of sampler.episodes(1000)) {
 *   adapt(model, episode.support.x, episode.support.y); // 5 × 28×28×1, labels 0..4
 *   evaluate(model, episode.query.x, episode.query.y);  // 75 images
 * } // every episode is disposed when the loop moves on
 */
export function createEpisodeSampler(
  dataset: ImageDataset,
  options: EpisodeSamplerOptions = {},
): EpisodeSampler {
  const byClass = indicesByClass(dataset);
  const numClasses = dataset.classNames.length;
  const pool = options.classes === undefined ? byClass.map((_, c) => c) : options.classes.slice();
  pool.forEach((c, i) => {
    checkInteger(fail, `classes[${i}]`, c, 0, numClasses - 1);
  });
  if (new Set(pool).size !== pool.length) throw fail(`classes must not repeat, got ${describeValue(pool)}`);
  if (pool.length === 0)
    throw fail(`no classes to draw from (dataset "${dataset.name}" or classes is empty)`);
  const ways = checkInteger(fail, 'ways', options.ways ?? 5, 1, pool.length);
  const shots = checkInteger(fail, 'shots', options.shots ?? 1, 1);
  const queries = checkInteger(fail, 'queries', options.queries ?? 15, 0);
  const encoding = checkOneOf(fail, 'labels', options.labels ?? 'int', ['int', 'one-hot']);
  let smallest = pool[0]!;
  for (const c of pool) if (byClass[c]!.length < byClass[smallest]!.length) smallest = c;
  const fewest = byClass[smallest]!.length;
  if (shots + queries > fewest) {
    throw fail(
      `shots + queries = ${shots} + ${queries} = ${shots + queries} exceeds the images of class ${smallest} ` +
        `("${dataset.classNames[smallest]}", ${fewest} images); shots + queries must be in [1, ${fewest}] ` +
        '(or leave that class out with the classes option)',
    );
  }
  const transform: PixelTransform = resolveNormalization(fail, dataset, options.normalize ?? 'none');
  const rng = toRng(options.seed ?? 0);
  const perClass = shots + queries;
  const poolIndices = byClass.map((indices) => Array.from(indices));

  const sampleIndices = (): EpisodeIndices => {
    const classes = rng.sample(pool, ways);
    const support = new Int32Array(ways * shots);
    const query = new Int32Array(ways * queries);
    const supportLabels = new Int32Array(ways * shots);
    const queryLabels = new Int32Array(ways * queries);
    classes.forEach((c, label) => {
      const picked = rng.sample(poolIndices[c]!, perClass);
      for (let k = 0; k < shots; k++) {
        support[label * shots + k] = picked[k]!;
        supportLabels[label * shots + k] = label;
      }
      for (let q = 0; q < queries; q++) {
        query[label * queries + q] = picked[shots + q]!;
        queryLabels[label * queries + q] = label;
      }
    });
    return { classes, support, supportLabels, query, queryLabels };
  };

  const sample = (): Episode => {
    const drawn = sampleIndices();
    const tensors: tf.Tensor[] = [];
    const part = (indices: Int32Array, labels: Int32Array): EpisodeSet => {
      const x = buildImageTensor(dataset, indices, transform, undefined, undefined);
      tensors.push(x);
      const y = buildLabelTensor(labels, ways, encoding);
      tensors.push(y);
      return { x, y, indices };
    };
    const support = part(drawn.support, drawn.supportLabels);
    const query = part(drawn.query, drawn.queryLabels);
    return {
      support,
      query,
      classes: drawn.classes,
      classNames: drawn.classes.map((c) => dataset.classNames[c]!),
      ways,
      shots,
      queries,
      dispose() {
        for (const tensor of tensors) if (!tensor.isDisposed) tensor.dispose();
      },
    };
  };

  function withEpisode<T>(fn: (episode: Episode) => T | Promise<T>): T | Promise<T> {
    const episode = sample();
    let result: T | Promise<T>;
    try {
      result = fn(episode);
    } catch (error) {
      episode.dispose();
      throw error;
    }
    if (result instanceof Promise) return result.finally(() => episode.dispose());
    episode.dispose();
    return result;
  }

  function* generateEpisodes(count: number): Generator<Episode, void, undefined> {
    for (let i = 0; i < count; i++) {
      const episode = sample();
      try {
        yield episode;
      } finally {
        episode.dispose();
      }
    }
  }

  const episodes = (count: number) => generateEpisodes(checkInteger(fail, 'count', count, 0));

  return {
    ways,
    shots,
    queries,
    classes: pool,
    normalization: transform.stats,
    sampleIndices,
    sample,
    withEpisode: withEpisode as EpisodeSampler['withEpisode'],
    episodes,
  };
}
