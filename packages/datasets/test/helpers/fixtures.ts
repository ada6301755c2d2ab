// Small fixtures built by the tests themselves: IDX, CIFAR binary, PNG/JPEG files, zips.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { gzipSync, zipSync } from 'fflate';
import { encode as encodeJpeg } from 'jpeg-js';

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'automl-datasets-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `bytes` to `path`, creating parent folders. */
export async function writeBytes(path: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

const IDX_TYPES = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
} as const;

/** An IDX file (big-endian) of `dtype` with `shape` and `values`. */
export function idxBytes(
  dtype: keyof typeof IDX_TYPES,
  shape: readonly number[],
  values: ArrayLike<number>,
): Uint8Array {
  const size = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 }[dtype];
  const header = 4 + 4 * shape.length;
  const bytes = new Uint8Array(header + values.length * size);
  const view = new DataView(bytes.buffer);
  bytes[2] = IDX_TYPES[dtype];
  bytes[3] = shape.length;
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  for (let i = 0; i < values.length; i++) {
    const at = header + i * size;
    const v = values[i]!;
    if (dtype === 'uint8') view.setUint8(at, v);
    else if (dtype === 'int8') view.setInt8(at, v);
    else if (dtype === 'int16') view.setInt16(at, v, false);
    else if (dtype === 'int32') view.setInt32(at, v, false);
    else if (dtype === 'float32') view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return bytes;
}

/** gzip, as the MNIST mirrors ship IDX files. */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes);
}

/** Deterministic pixel values: image `i`, position `p`. */
export function pixel(i: number, p: number): number {
  return (i * 31 + p * 7) % 256;
}

/** `count` MNIST-like images `[count, h, w]` and labels `i % classes`. */
export function mnistLike(count: number, h: number, w: number, classes = 10) {
  const images = Array.from({ length: count * h * w }, (_, k) => pixel(Math.floor(k / (h * w)), k % (h * w)));
  const labels = Array.from({ length: count }, (_, i) => i % classes);
  return {
    images: idxBytes('uint8', [count, h, w], images),
    labels: idxBytes('uint8', [count], labels),
    imageValues: images,
    labelValues: labels,
  };
}

/** A CIFAR binary batch: records of [coarse?] label + 3072 channel-planar pixels. */
export function cifarBytes(
  records: readonly { label: number; coarse?: number; seed: number }[],
  variant: 'cifar10' | 'cifar100' = 'cifar10',
): Uint8Array {
  const labelBytes = variant === 'cifar10' ? 1 : 2;
  const size = labelBytes + 3072;
  const out = new Uint8Array(records.length * size);
  records.forEach((record, r) => {
    const base = r * size;
    if (variant === 'cifar100') out[base] = record.coarse ?? 0;
    out[base + labelBytes - 1] = record.label;
    for (let p = 0; p < 3072; p++) out[base + labelBytes + p] = pixel(record.seed, p);
  });
  return out;
}

/** A PNG of 8-bit gray (1 channel), gray+alpha (2), RGB (3) or RGBA (4) pixels. */
export function png(
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  data: ArrayLike<number>,
): Uint8Array {
  return encodePng({ width, height, channels, depth: 8, data: Uint8Array.from(data) });
}

/** A 1-bit grayscale PNG, as Omniglot's: `on(x, y)` true draws a black (0) pixel on white. */
export function png1Bit(width: number, height: number, on: (x: number, y: number) => boolean): Uint8Array {
  const bytesPerRow = Math.ceil(width / 8);
  const data = new Uint8Array(bytesPerRow * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!on(x, y)) data[y * bytesPerRow + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return encodePng({ width, height, channels: 1, depth: 1, data });
}

/** A JPEG (quality 95) of RGB pixels. */
export function jpeg(width: number, height: number, rgb: ArrayLike<number>): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[p * 4] = rgb[p * 3]!;
    rgba[p * 4 + 1] = rgb[p * 3 + 1]!;
    rgba[p * 4 + 2] = rgb[p * 3 + 2]!;
    rgba[p * 4 + 3] = 255;
  }
  return new Uint8Array(encodeJpeg({ width, height, data: rgba }, 95).data);
}

/** A uniform RGB image. */
export function solidRgb(width: number, height: number, r: number, g: number, b: number): number[] {
  return Array.from({ length: width * height }, () => [r, g, b]).flat();
}

/** Entries of an Omniglot-like zip: `alphabets` × `characters` × `drawings` 1-bit PNGs. */
export function omniglotEntries(options: {
  set?: 'background' | 'evaluation';
  alphabets: readonly string[];
  characters: number;
  drawings: number;
  side?: number;
}): Record<string, Uint8Array> {
  const side = options.side ?? 21;
  const root = `images_${options.set ?? 'background'}`;
  const entries: Record<string, Uint8Array> = {};
  options.alphabets.forEach((alphabet, a) => {
    for (let c = 1; c <= options.characters; c++) {
      const character = `character${String(c).padStart(2, '0')}`;
      for (let d = 1; d <= options.drawings; d++) {
        // A vertical bar whose column encodes the alphabet and character: distinct classes look different.
        const column = (a * 3 + c) % side;
        entries[
          `${root}/${alphabet}/${character}/${String(a * 100 + c).padStart(4, '0')}_${String(d).padStart(2, '0')}.png`
        ] = png1Bit(side, side, (x) => x === column);
      }
    }
  });
  return entries;
}

/** A zip of `entries`, with directory entries for every folder, as the official archives have. */
export function zip(entries: Record<string, Uint8Array>): Uint8Array {
  const withFolders: Record<string, Uint8Array> = {};
  for (const name of Object.keys(entries)) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) withFolders[`${parts.slice(0, i).join('/')}/`] = new Uint8Array(0);
  }
  return zipSync({ ...withFolders, ...entries }, { level: 6 });
}
