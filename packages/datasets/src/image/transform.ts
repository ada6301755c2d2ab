import type { RawImage } from './decode-image.js';

/**
 * Resampling filter of {@link resizeImage}. `bilinear`, `box` and `lanczos` are antialiased when
 * shrinking (the filter widens with the scale, as in PIL and torchvision's `Resize`); `nearest`
 * picks one source pixel.
 */
export type Interpolation = 'nearest' | 'box' | 'bilinear' | 'lanczos';

/** Colour conversion target: 1 channel (ITU-R 601-2 luma, as PIL's `convert('L')`) or 3 (RGB). */
export type ColorMode = 'grayscale' | 'rgb';

interface Filter {
  readonly support: number;
  weight(x: number): number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

const FILTERS: Record<Exclude<Interpolation, 'nearest'>, Filter> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/**
 * The filter weights of a 1-D resampling, indexed by *input* position: input `i` contributes
 * `weights[j]` to output `outputs[j]` for `j` in `[offsets[i], offsets[i + 1])`. Walking inputs
 * (scatter) rather than outputs lets the resampler skip zero pixels and blank rows, which are most
 * of a stroke image such as an inverted Omniglot drawing.
 */
interface Coefficients {
  readonly offsets: Int32Array;
  readonly outputs: Int32Array;
  readonly weights: Float32Array;
}

const coefficientCache = new Map<string, Coefficients>();
const COEFFICIENT_CACHE_LIMIT = 64;

// PIL's separable resampling (ImagingResample): sample centres at (x + 0.5) * scale, the filter
// stretched by the scale when shrinking so that every input pixel contributes (antialiasing),
// weights normalised per output.
function coefficients(inSize: number, outSize: number, interpolation: Exclude<Interpolation, 'nearest'>) {
  const key = `${inSize}:${outSize}:${interpolation}`;
  const hit = coefficientCache.get(key);
  if (hit !== undefined) return hit;
  const filter = FILTERS[interpolation];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const perOutput: { start: number; weights: number[] }[] = [];
  const counts = new Int32Array(inSize + 1);
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    const start = Math.max(0, Math.trunc(center - support + 0.5));
    const end = Math.min(inSize, Math.trunc(center + support + 0.5));
    const weights: number[] = [];
    for (let i = start; i < end; i++) weights.push(filter.weight((i - center + 0.5) / filterScale));
    const total = weights.reduce((a, w) => a + w, 0);
    perOutput.push({ start, weights: total === 0 ? weights : weights.map((w) => w / total) });
    for (let i = start; i < end; i++) counts[i + 1]!++;
  }
  const offsets = new Int32Array(inSize + 1);
  for (let i = 0; i < inSize; i++) offsets[i + 1] = offsets[i]! + counts[i + 1]!;
  const outputs = new Int32Array(offsets[inSize]!);
  const weights = new Float32Array(offsets[inSize]!);
  const fill = offsets.slice(0, inSize);
  perOutput.forEach(({ start, weights: w }, out) => {
    w.forEach((weight, k) => {
      const j = fill[start + k]!++;
      outputs[j] = out;
      weights[j] = weight;
    });
  });
  const result = { offsets, outputs, weights };
  if (coefficientCache.size >= COEFFICIENT_CACHE_LIMIT) coefficientCache.clear();
  coefficientCache.set(key, result);
  return result;
}

function resizeNearest(image: RawImage, height: number, width: number): RawImage {
  const { channels } = image;
  const out = new Uint8Array(height * width * channels);
  const xScale = image.width / width;
  const yScale = image.height / height;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor((y + 0.5) * yScale));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor((x + 0.5) * xScale));
      const from = (sy * image.width + sx) * channels;
      const to = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = image.data[from + c]!;
    }
  }
  return { width, height, channels, data: out };
}

/** Options of {@link resizeImage}. */
export interface ResizeOptions {
  /**
   * Resampling filter.
   * @default 'bilinear'
   */
  interpolation?: Interpolation;
}

/**
 * Resizes an 8-bit image to `height` × `width` (no aspect-ratio preservation), with PIL's
 * antialiased separable resampling. Returns the input itself when the size already matches.
 *
 * @example
 * const small = resizeImage(decodeImage(bytes), 28, 28, { interpolation: 'lanczos' });
 */
export function resizeImage(
  image: RawImage,
  height: number,
  width: number,
  options: ResizeOptions = {},
): RawImage {
  return resizeWith(image, height, width, options.interpolation ?? 'bilinear', undefined);
}

/** Buffers {@link resizeWith} may reuse across calls of the same sizes. */
export interface ResizeBuffers {
  horizontal?: Float32Array;
  sums?: Float32Array;
  out?: Uint8Array;
}

/**
 * {@link resizeImage} that reuses `buffers` (when given and big enough) instead of allocating: the
 * result's data then lives in `buffers.out` until the next call.
 */
export function resizeWith(
  image: RawImage,
  height: number,
  width: number,
  interpolation: Interpolation,
  buffers: ResizeBuffers | undefined,
): RawImage {
  if (image.height === height && image.width === width) return image;
  if (interpolation === 'nearest') return resizeNearest(image, height, width);
  const { channels } = image;
  const source = image.data;
  // Horizontal pass into image.height rows × width columns of floats (rounded only once, at the end).
  const h = coefficients(image.width, width, interpolation);
  const rowLength = width * channels;
  const horizontalLength = image.height * rowLength;
  let horizontal = buffers?.horizontal;
  if (horizontal === undefined || horizontal.length < horizontalLength) {
    horizontal = new Float32Array(horizontalLength);
    if (buffers !== undefined) buffers.horizontal = horizontal;
  }
  horizontal.fill(0, 0, horizontalLength);
  const rowHasInk = new Uint8Array(image.height);
  for (let y = 0; y < image.height; y++) {
    const rowIn = y * image.width * channels;
    const rowOut = y * rowLength;
    for (let x = 0; x < image.width; x++) {
      const end = h.offsets[x + 1]!;
      for (let c = 0; c < channels; c++) {
        const value = source[rowIn + x * channels + c]!;
        if (value === 0) continue;
        rowHasInk[y] = 1;
        for (let j = h.offsets[x]!; j < end; j++)
          horizontal[rowOut + h.outputs[j]! * channels + c]! += h.weights[j]! * value;
      }
    }
  }
  // Vertical pass: blank rows contribute nothing and are skipped.
  const v = coefficients(image.height, height, interpolation);
  let sums = buffers?.sums;
  if (sums === undefined || sums.length !== height * rowLength) {
    sums = new Float32Array(height * rowLength);
    if (buffers !== undefined) buffers.sums = sums;
  } else {
    sums.fill(0);
  }
  for (let y = 0; y < image.height; y++) {
    if (rowHasInk[y] === 0) continue;
    const rowIn = y * rowLength;
    const end = v.offsets[y + 1]!;
    for (let j = v.offsets[y]!; j < end; j++) {
      const weight = v.weights[j]!;
      const rowOut = v.outputs[j]! * rowLength;
      for (let i = 0; i < rowLength; i++) sums[rowOut + i]! += weight * horizontal[rowIn + i]!;
    }
  }
  const outLength = height * rowLength;
  let out = buffers?.out;
  if (out === undefined || out.length !== outLength) {
    out = new Uint8Array(outLength);
    if (buffers !== undefined) buffers.out = out;
  }
  for (let i = 0; i < outLength; i++) {
    const sum = sums[i]!;
    out[i] = sum <= 0 ? 0 : sum >= 255 ? 255 : Math.round(sum);
  }
  return { width, height, channels, data: out };
}

/**
 * Converts between gray and RGB: RGB → gray with PIL's integer ITU-R 601-2 luma
 * (`L = R·299/1000 + G·587/1000 + B·114/1000`), gray → RGB by repeating the channel.
 */
export function convertColor(image: RawImage, mode: ColorMode): RawImage {
  const target = mode === 'grayscale' ? 1 : 3;
  if (image.channels === target) return image;
  const pixels = image.width * image.height;
  const out = new Uint8Array(pixels * target);
  if (target === 1) {
    for (let p = 0; p < pixels; p++) {
      const i = p * image.channels;
      out[p] =
        (image.data[i]! * 19595 + image.data[i + 1]! * 38470 + image.data[i + 2]! * 7471 + 0x8000) >> 16;
    }
  } else {
    for (let p = 0; p < pixels; p++) {
      const v = image.data[p * image.channels]!;
      out[p * 3] = v;
      out[p * 3 + 1] = v;
      out[p * 3 + 2] = v;
    }
  }
  return { width: image.width, height: image.height, channels: target, data: out };
}

/**
 * `255 - v` for every sample (Omniglot's strokes become 255 on a 0 background), into `out` when
 * given (which may be `image.data` itself).
 */
export function invertImage(image: RawImage, out: Uint8Array = new Uint8Array(image.data.length)): RawImage {
  for (let i = 0; i < image.data.length; i++) out[i] = 255 - image.data[i]!;
  return { ...image, data: out };
}

/**
 * Rotates counter-clockwise by `quarterTurns` × 90° (as `numpy.rot90`), the convention of the
 * Omniglot rotation augmentation.
 */
export function rotateImage(image: RawImage, quarterTurns: number): RawImage {
  const turns = ((quarterTurns % 4) + 4) % 4;
  if (turns === 0) return image;
  const { width: w, height: h, channels } = image;
  const outWidth = turns === 2 ? w : h;
  const outHeight = turns === 2 ? h : w;
  const out = new Uint8Array(image.data.length);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      // Source pixel (sy, sx) of output (y, x) for a counter-clockwise rotation.
      const sy = turns === 1 ? x : turns === 2 ? h - 1 - y : h - 1 - x;
      const sx = turns === 1 ? w - 1 - y : turns === 2 ? w - 1 - x : y;
      const from = (sy * w + sx) * channels;
      const to = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = image.data[from + c]!;
    }
  }
  return { width: outWidth, height: outHeight, channels, data: out };
}
