import type { ImageDataset } from '../dataset.js';
import { describeValue, errorFactory, type Fail } from '../internal/errors.js';

/**
 * Per-channel mean and standard deviation of pixel values scaled to [0, 1] (the convention of
 * torchvision's `Normalize`, e.g. CIFAR-10's mean ≈ [0.491, 0.482, 0.447]).
 */
export interface ChannelStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * How batches and episodes turn uint8 pixels into float32: `none` scales to [0, 1]; `compute`
 * standardises with the statistics of the dataset being batched; a {@link ChannelStats} standardises
 * with given statistics (use the training set's for validation and test).
 */
export type Normalization = 'none' | 'compute' | ChannelStats;

const failStats = errorFactory('computeChannelStats');

/**
 * Mean and standard deviation (population) of each channel over every pixel of the dataset,
 * in [0, 1] units.
 *
 * @example
 * const stats = computeChannelStats(train); // { mean: [0.1307], std: [0.3081] } for MNIST
 */
export function computeChannelStats(dataset: ImageDataset): ChannelStats {
  const { channels } = dataset.shape;
  const pixels = dataset.images.length / channels;
  if (pixels === 0) throw failStats(`dataset "${dataset.name}" has no images`);
  const sum = new Float64Array(channels);
  const sumSquares = new Float64Array(channels);
  const images = dataset.images;
  for (let i = 0; i < images.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = images[i + c]!;
      sum[c]! += v;
      sumSquares[c]! += v * v;
    }
  }
  const mean = Array.from(sum, (s) => s / pixels / 255);
  const std = Array.from(sumSquares, (s, c) => Math.sqrt(Math.max(0, s / pixels / 65025 - mean[c]! ** 2)));
  return { mean, std };
}

/** `x = pixel * scale[c] + shift[c]` for each channel `c`. */
export interface PixelTransform {
  readonly stats: ChannelStats;
  readonly scale: Float32Array;
  readonly shift: Float32Array;
}

/** Resolves a {@link Normalization} option for `dataset` into per-channel scale and shift. */
export function resolveNormalization(
  fail: Fail,
  dataset: ImageDataset,
  normalization: Normalization,
): PixelTransform {
  const { channels } = dataset.shape;
  let stats: ChannelStats;
  if (normalization === 'none') stats = { mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  else if (normalization === 'compute') stats = computeChannelStats(dataset);
  else if (normalization !== null && typeof normalization === 'object') stats = normalization;
  else {
    throw fail(`normalize must be 'none', 'compute' or { mean, std }, got ${describeValue(normalization)}`);
  }
  const expand = (name: 'mean' | 'std', values: readonly number[]): number[] => {
    if (!Array.isArray(values) || (values.length !== 1 && values.length !== channels)) {
      const allowed = channels === 1 ? '1 value' : `1 or ${channels} values`;
      throw fail(`normalize.${name} must have ${allowed} (one per channel), got ${describeValue(values)}`);
    }
    return values.length === 1 ? Array(channels).fill(values[0]) : values.slice();
  };
  const mean = expand('mean', stats.mean);
  const std = expand('std', stats.std);
  mean.forEach((m, c) => {
    if (!Number.isFinite(m)) throw fail(`normalize.mean[${c}] must be finite, got ${describeValue(m)}`);
    const s = std[c]!;
    if (!Number.isFinite(s) || s <= 0)
      throw fail(`normalize.std[${c}] must be finite and > 0, got ${describeValue(s)}`);
  });
  return {
    stats: { mean, std },
    scale: Float32Array.from(std, (s) => 1 / (255 * s)),
    shift: Float32Array.from(mean, (m, c) => -m / std[c]!),
  };
}

/** Writes `pixels` (uint8, channels last) into `out` at `offset` as normalised float32. */
export function writeNormalized(
  pixels: Uint8Array,
  transform: PixelTransform,
  out: Float32Array,
  offset: number,
): void {
  const { scale, shift } = transform;
  const channels = scale.length;
  if (channels === 1) {
    const s = scale[0]!;
    const t = shift[0]!;
    for (let i = 0; i < pixels.length; i++) out[offset + i] = pixels[i]! * s + t;
    return;
  }
  for (let i = 0; i < pixels.length; i++) {
    const c = i % channels;
    out[offset + i] = pixels[i]! * scale[c]! + shift[c]!;
  }
}
