import { convertIndexedToRgb, type DecodedPng, decode as decodePngData } from 'fast-png';
import { decode as decodeJpegData } from 'jpeg-js';
import { errorFactory, type Fail, reasonOf } from '../internal/errors.js';

/**
 * A decoded image: 8-bit pixels, rows first, channels last. Decoders return 1 channel (gray) or
 * 3 (RGB); an alpha channel is dropped, as PIL's `convert('RGB')` and torchvision's ImageFolder do.
 */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

/** Image formats {@link decodeImage} recognises by their leading bytes. */
export type ImageFormat = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format of an encoded image from its signature, or undefined when it is neither PNG nor JPEG. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Expands 1/2/4-bit samples (packed, each row padded to a byte) to 0..255, into `out` when big enough. */
function unpackLowDepth(
  data: ArrayLike<number>,
  width: number,
  height: number,
  depth: number,
  channels: number,
  reuse: Uint8Array | undefined,
): Uint8Array {
  const samplesPerRow = width * channels;
  const bytesPerRow = Math.ceil((samplesPerRow * depth) / 8);
  const max = (1 << depth) - 1;
  const length = samplesPerRow * height;
  const out =
    reuse !== undefined && reuse.length >= length ? reuse.subarray(0, length) : new Uint8Array(length);
  if (depth === 1) {
    // Omniglot's case (20,000 images): one bit per sample, no scaling arithmetic.
    for (let y = 0; y < height; y++) {
      const rowStart = y * bytesPerRow;
      const outStart = y * samplesPerRow;
      for (let s = 0; s < samplesPerRow; s++) {
        out[outStart + s] = (data[rowStart + (s >> 3)]! >> (7 - (s & 7))) & 1 ? 255 : 0;
      }
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    const rowStart = y * bytesPerRow;
    for (let s = 0; s < samplesPerRow; s++) {
      const bit = s * depth;
      const byte = data[rowStart + (bit >> 3)]!;
      const value = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * samplesPerRow + s] = Math.round((value * 255) / max);
    }
  }
  return out;
}

/** Keeps the colour channels (gray or RGB) of interleaved samples, dropping alpha. */
function dropAlpha(
  data: Uint8Array,
  pixels: number,
  channels: number,
): { data: Uint8Array; channels: number } {
  if (channels === 1 || channels === 3) return { data, channels };
  const kept = channels === 2 ? 1 : 3;
  const out = new Uint8Array(pixels * kept);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < kept; c++) out[p * kept + c] = data[p * channels + c]!;
  }
  return { data: out, channels: kept };
}

function pngToRaw(png: DecodedPng, reuse: Uint8Array | undefined): RawImage {
  const { width, height, depth } = png;
  const pixels = width * height;
  let data: Uint8Array;
  let channels = png.channels;
  if (png.palette !== undefined) {
    data = convertIndexedToRgb(png);
    channels = png.palette[0]?.length ?? 3;
  } else if (depth < 8) {
    data = unpackLowDepth(png.data, width, height, depth, channels, reuse);
  } else if (depth === 16) {
    data = new Uint8Array(png.data.length);
    for (let i = 0; i < data.length; i++) data[i] = png.data[i]! >> 8;
  } else {
    data = png.data instanceof Uint8Array ? png.data : Uint8Array.from(png.data);
  }
  const opaque = dropAlpha(data, pixels, channels);
  return { width, height, channels: opaque.channels, data: opaque.data };
}

/**
 * PNG decoding with errors from `fail`, naming `source`. Low-bit-depth images are unpacked into
 * `reuse` when it is big enough (the caller then consumes the result before the next call).
 */
export function decodePngWith(fail: Fail, bytes: Uint8Array, source: string, reuse?: Uint8Array): RawImage {
  let png: DecodedPng;
  try {
    png = decodePngData(bytes, { checkCrc: true });
  } catch (error) {
    throw fail(`${source} is not a valid PNG (${reasonOf(error)})`, error);
  }
  const expected = png.width * png.height;
  if (png.width < 1 || png.height < 1 || png.data.length === 0) {
    throw fail(`${source} is not a valid PNG (empty ${png.width}×${png.height} image)`);
  }
  const raw = pngToRaw(png, reuse);
  if (raw.data.length !== expected * raw.channels) {
    throw fail(
      `${source} is not a valid PNG (image data is truncated: ${raw.data.length} of ${expected * raw.channels} samples)`,
    );
  }
  return raw;
}

/** JPEG decoding with errors from `fail`, naming `source`. */
export function decodeJpegWith(fail: Fail, bytes: Uint8Array, source: string): RawImage {
  try {
    // Strict decoding: a truncated file is an error, not an image with a grey bottom.
    const jpeg = decodeJpegData(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
    if (jpeg.width < 1 || jpeg.height < 1 || jpeg.data.length !== jpeg.width * jpeg.height * 3) {
      throw new Error(`decoded ${jpeg.data.length} samples for a ${jpeg.width}×${jpeg.height} image`);
    }
    return { width: jpeg.width, height: jpeg.height, channels: 3, data: jpeg.data };
  } catch (error) {
    throw fail(`${source} is not a valid JPEG (${reasonOf(error)})`, error);
  }
}

/** Decodes a PNG or JPEG (detected from its signature) with errors from `fail`, naming `source`. */
export function decodeImageWith(fail: Fail, bytes: Uint8Array, source: string): RawImage {
  const format = detectImageFormat(bytes);
  if (format === 'png') return decodePngWith(fail, bytes, source);
  if (format === 'jpeg') return decodeJpegWith(fail, bytes, source);
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw fail(`${source} is neither PNG nor JPEG (it starts with bytes ${head || '(none: empty file)'})`);
}

const failDecode = errorFactory('decodeImage');

/**
 * Decodes a PNG (any bit depth, palette, alpha) or a JPEG from its bytes into 8-bit gray or RGB
 * pixels. Pure (no file system): usable in browsers.
 *
 * @param source how to name the image in errors (a path, a zip entry, a URL).
 * @example
 * const image = decodeImage(new Uint8Array(await (await fetch('cat.png')).arrayBuffer()), 'cat.png');
 */
export function decodeImage(bytes: Uint8Array, source = 'image'): RawImage {
  return decodeImageWith(failDecode, bytes, `"${source}"`);
}
