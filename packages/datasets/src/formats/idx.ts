// IDX, the format of MNIST (LeCun, Bottou, Bengio, Haffner, 1998; yann.lecun.com/exdb/mnist),
// Fashion-MNIST (Xiao, Rasul, Vollgraf, 2017) and KMNIST (Clanuwat et al., 2018): a 4-byte magic
// (0, 0, data type, number of dimensions), one big-endian uint32 per dimension, then the values,
// big-endian, row-major. Files are often gzipped.
import { gunzipSync } from 'fflate';
import { createImageDataset, type ImageDataset } from '../dataset.js';
import { describeValue, errorFactory, type Fail, reasonOf } from '../internal/errors.js';
import { dataDirFrom, nodeModules, openFileChunks, statOrUndefined } from '../internal/node.js';
import { checkInteger, checkOneOf } from '../internal/validate.js';

/** Element type of an IDX file. */
export type IdxDataType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array of each {@link IdxDataType}. */
export type IdxTypedArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX file: its type, its dimensions and its values (row-major, native byte order). */
export interface IdxArray {
  readonly dtype: IdxDataType;
  readonly shape: readonly number[];
  readonly data: IdxTypedArray;
}

/** The header of an IDX file. */
export interface IdxHeader {
  readonly dtype: IdxDataType;
  readonly shape: readonly number[];
  /** Bytes taken by the magic number and the dimensions. */
  readonly headerBytes: number;
}

/** One record of an IDX file (one slice along the first dimension), from {@link streamIdxRecords}. */
export interface IdxRecord {
  readonly header: IdxHeader;
  /** Index of the record along the first dimension. */
  readonly index: number;
  /** Its values, shape `header.shape.slice(1)`. */
  readonly data: IdxTypedArray;
}

const TYPE_CODES: Readonly<Record<number, { dtype: IdxDataType; bytes: number }>> = {
  8: { dtype: 'uint8', bytes: 1 },
  9: { dtype: 'int8', bytes: 1 },
  11: { dtype: 'int16', bytes: 2 },
  12: { dtype: 'int32', bytes: 4 },
  13: { dtype: 'float32', bytes: 4 },
  14: { dtype: 'float64', bytes: 8 },
};

const BYTES_PER_ELEMENT: Readonly<Record<IdxDataType, number>> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
};

const hex = (value: number, digits: number) => `0x${value.toString(16).padStart(digits, '0')}`;

/**
 * Parses the header from the first bytes of an (uncompressed) IDX stream. Returns undefined while
 * more bytes are needed.
 */
function tryParseHeader(fail: Fail, bytes: Uint8Array, source: string): IdxHeader | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = TYPE_CODES[bytes[2]!];
  const ndim = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndim === 0) {
    throw fail(
      `${source}: bad magic number ${hex(magic, 8)} at offset 0; an IDX file starts with 0x0000, ` +
        'a type byte (0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64) and a dimension count >= 1',
    );
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) return undefined;
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  return { dtype: type.dtype, shape, headerBytes };
}

function recordLength(header: IdxHeader): number {
  return header.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Big-endian bytes → native typed array (a view, no copy, for one-byte types). */
function toTypedArray(dtype: IdxDataType, bytes: Uint8Array): IdxTypedArray {
  const length = bytes.length / BYTES_PER_ELEMENT[dtype];
  if (dtype === 'uint8') return bytes;
  if (dtype === 'int8') return new Int8Array(bytes.buffer, bytes.byteOffset, length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'int16': {
      const out = new Int16Array(length);
      for (let i = 0; i < length; i++) out[i] = view.getInt16(2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(length);
      for (let i = 0; i < length; i++) out[i] = view.getInt32(4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(length);
      for (let i = 0; i < length; i++) out[i] = view.getFloat32(4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(length);
      for (let i = 0; i < length; i++) out[i] = view.getFloat64(8 * i, false);
      return out;
    }
  }
}

function describeHeader(header: IdxHeader): string {
  return `${header.dtype} [${header.shape.join(', ')}]`;
}

function truncationMessage(
  source: string,
  header: IdxHeader,
  bodyBytesRead: number,
  decompressed: boolean,
): string {
  const recordBytes = recordLength(header) * BYTES_PER_ELEMENT[header.dtype];
  const offset = header.headerBytes + bodyBytesRead;
  const expected = header.headerBytes + (header.shape[0] ?? 0) * recordBytes;
  const record = recordBytes === 0 ? 0 : Math.floor(bodyBytesRead / recordBytes);
  return (
    `${source} is truncated: it ends at ${decompressed ? 'decompressed ' : ''}offset ${offset}, inside record ${record} ` +
    `of ${header.shape[0]} (${describeHeader(header)} needs ${expected} bytes)`
  );
}

/** Decodes complete IDX bytes (already gunzipped). */
function decodeIdxBytes(fail: Fail, bytes: Uint8Array, source: string, decompressed: boolean): IdxArray {
  const header = tryParseHeader(fail, bytes, source);
  if (header === undefined) {
    throw fail(`${source} is truncated: ${bytes.length} bytes is shorter than the IDX header`);
  }
  const count = header.shape[0]!;
  const bodyBytes = count * recordLength(header) * BYTES_PER_ELEMENT[header.dtype];
  const available = bytes.length - header.headerBytes;
  if (available < bodyBytes) throw fail(truncationMessage(source, header, available, decompressed));
  if (available > bodyBytes) {
    throw fail(
      `${source} has ${available - bodyBytes} unexpected bytes after the data at ${decompressed ? 'decompressed ' : ''}` +
        `offset ${header.headerBytes + bodyBytes} (${describeHeader(header)})`,
    );
  }
  const body = bytes.subarray(header.headerBytes, header.headerBytes + bodyBytes);
  // Copy one-byte data so that the result does not keep a larger input buffer alive.
  const data = toTypedArray(
    header.dtype,
    header.dtype === 'uint8' || header.dtype === 'int8' ? body.slice() : body,
  );
  return { dtype: header.dtype, shape: header.shape, data };
}

const failDecode = errorFactory('decodeIdx');

/**
 * Decodes an IDX file from its bytes, gzipped or raw (detected from the gzip magic bytes). Pure:
 * usable in browsers.
 *
 * @param source how to name the data in errors.
 * @example
 * const labels = decodeIdx(bytes, 'train-labels-idx1-ubyte.gz'); // { dtype: 'uint8', shape: [60000], data }
 */
export function decodeIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  const name = `"${source}"`;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    let raw: Uint8Array;
    try {
      raw = gunzipSync(bytes);
    } catch (error) {
      throw failDecode(`${name}: the gzip stream is corrupt or truncated (${reasonOf(error)})`, error);
    }
    return decodeIdxBytes(failDecode, raw, name, true);
  }
  return decodeIdxBytes(failDecode, bytes, name, false);
}

/** Options of {@link readIdxFile} and {@link streamIdxRecords}. */
export interface IdxReadOptions {
  /**
   * Read only the first `limit` records (the file is not read further).
   * @default all records
   */
  limit?: number;
}

type BodyEvent = { header: IdxHeader; gzipped: boolean } | Uint8Array;

/**
 * The IDX header, then the body bytes of the first `limit` records, streamed from the file and
 * checked for truncation and trailing bytes.
 */
async function* idxBody(fail: Fail, filePath: string, limit: number | undefined): AsyncGenerator<BodyEvent> {
  const source = `"${filePath}"`;
  const { gzipped, chunks } = await openFileChunks(fail, filePath);
  let headerBuffer = new Uint8Array(0);
  let header: IdxHeader | undefined;
  let wanted = 0;
  let total = 0;
  let delivered = 0;
  let seen = 0;
  for await (const chunk of chunks) {
    let body = chunk;
    if (header === undefined) {
      const joined = new Uint8Array(headerBuffer.length + chunk.length);
      joined.set(headerBuffer);
      joined.set(chunk, headerBuffer.length);
      header = tryParseHeader(fail, joined, source);
      if (header === undefined) {
        headerBuffer = joined;
        continue;
      }
      const recordBytes = recordLength(header) * BYTES_PER_ELEMENT[header.dtype];
      total = header.shape[0]! * recordBytes;
      wanted = Math.min(header.shape[0]!, limit ?? Infinity) * recordBytes;
      yield { header, gzipped };
      body = joined.subarray(header.headerBytes);
    }
    seen += body.length;
    if (delivered < wanted) {
      const part = body.subarray(0, wanted - delivered);
      delivered += part.length;
      yield part;
    }
    if (limit !== undefined && delivered >= wanted) return;
  }
  if (header === undefined) {
    throw fail(`${source} is truncated: ${headerBuffer.length} bytes is shorter than the IDX header`);
  }
  if (seen < total) throw fail(truncationMessage(source, header, seen, gzipped));
  if (seen > total) {
    throw fail(
      `${source} has ${seen - total} unexpected bytes after the data at ${gzipped ? 'decompressed ' : ''}offset ` +
        `${header.headerBytes + total} (${describeHeader(header)})`,
    );
  }
}

function resolveLimit(fail: Fail, options: IdxReadOptions): number | undefined {
  return options.limit === undefined ? undefined : checkInteger(fail, 'limit', options.limit, 0);
}

/** {@link readIdxFile} with errors from `fail` (for loaders built on it). */
export async function readIdxWith(fail: Fail, filePath: string, options: IdxReadOptions): Promise<IdxArray> {
  const limit = resolveLimit(fail, options);
  let header: IdxHeader | undefined;
  let body = new Uint8Array(0);
  let filled = 0;
  for await (const event of idxBody(fail, filePath, limit)) {
    if (event instanceof Uint8Array) {
      body.set(event, filled);
      filled += event.length;
    } else {
      header = event.header;
      const count = Math.min(header.shape[0]!, limit ?? Infinity);
      body = new Uint8Array(count * recordLength(header) * BYTES_PER_ELEMENT[header.dtype]);
    }
  }
  if (header === undefined) throw fail(`"${filePath}" is empty`);
  const count = Math.min(header.shape[0]!, limit ?? Infinity);
  return {
    dtype: header.dtype,
    shape: [count, ...header.shape.slice(1)],
    data: toTypedArray(header.dtype, body),
  };
}

const failRead = errorFactory('readIdxFile');

/**
 * Reads an IDX file (gzipped or raw) from disk, streaming it into one typed array: memory is the
 * decoded data, never the whole compressed file plus a copy. Node only.
 *
 * @example
 * const images = await readIdxFile('data/mnist/train-images-idx3-ubyte.gz'); // uint8 [60000, 28, 28]
 * const first = await readIdxFile('data/mnist/train-images-idx3-ubyte.gz', { limit: 1000 });
 */
export function readIdxFile(filePath: string, options: IdxReadOptions = {}): Promise<IdxArray> {
  return readIdxWith(failRead, filePath, options);
}

const failStream = errorFactory('streamIdxRecords');

/**
 * Streams the records of an IDX file (gzipped or raw) one by one, so that files larger than memory
 * can be processed. Breaking out of the loop closes the file. Node only.
 *
 * @example
 * for await (const record of streamIdxRecords('train-images-idx3-ubyte.gz')) {
 *   if (record.index === 0) console.log(record.header.shape, record.data.length); // [60000, 28, 28] 784
 * }
 */
export async function* streamIdxRecords(
  filePath: string,
  options: IdxReadOptions = {},
): AsyncGenerator<IdxRecord, void, undefined> {
  const limit = resolveLimit(failStream, options);
  let header: IdxHeader | undefined;
  let record = new Uint8Array(0);
  let filled = 0;
  let index = 0;
  for await (const event of idxBody(failStream, filePath, limit)) {
    if (!(event instanceof Uint8Array)) {
      header = event.header;
      record = new Uint8Array(recordLength(header) * BYTES_PER_ELEMENT[header.dtype]);
      if (record.length === 0) return;
      continue;
    }
    let offset = 0;
    while (offset < event.length) {
      const take = Math.min(record.length - filled, event.length - offset);
      record.set(event.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === record.length) {
        yield { header: header!, index, data: toTypedArray(header!.dtype, record.slice()) };
        index++;
        filled = 0;
      }
    }
  }
}

/** Options of {@link loadIdxDataset}. */
export interface IdxDatasetOptions {
  /** Path of the images file: uint8, shape [N, H, W] or [N, H, W, C]. */
  images: string;
  /** Path of the labels file: uint8 or int32, shape [N]. */
  labels: string;
  /**
   * Class names; the label is the index.
   * @default `'0'`, `'1'`, … up to the largest label
   */
  classNames?: readonly string[];
  /**
   * Read only the first `limit` images and labels.
   * @default all
   */
  limit?: number;
  /**
   * Dataset name used in messages.
   * @default the images file name
   */
  name?: string;
}

function toDataset(fail: Fail, images: IdxArray, labels: IdxArray, options: IdxDatasetOptions): ImageDataset {
  const imageSource = `"${options.images}"`;
  const labelSource = `"${options.labels}"`;
  if (images.dtype !== 'uint8' || (images.shape.length !== 3 && images.shape.length !== 4)) {
    throw fail(
      `${imageSource} must hold uint8 images of shape [N, H, W] or [N, H, W, C], got ${images.dtype} [${images.shape.join(', ')}]`,
    );
  }
  if ((labels.dtype !== 'uint8' && labels.dtype !== 'int32') || labels.shape.length !== 1) {
    throw fail(
      `${labelSource} must hold uint8 or int32 labels of shape [N], got ${labels.dtype} [${labels.shape.join(', ')}]`,
    );
  }
  if (images.shape[0] !== labels.shape[0]) {
    throw fail(
      `${imageSource} has ${images.shape[0]} images but ${labelSource} has ${labels.shape[0]} labels`,
    );
  }
  const labelArray = Int32Array.from(labels.data);
  let maxLabel = -1;
  for (let i = 0; i < labelArray.length; i++) {
    const label = labelArray[i]!;
    if (label < 0) throw fail(`${labelSource}: label ${i} is negative (${label})`);
    if (label > maxLabel) maxLabel = label;
  }
  const classNames = options.classNames ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  if (maxLabel >= classNames.length) {
    const at = labelArray.indexOf(maxLabel);
    throw fail(
      `${labelSource}: label ${at} is ${maxLabel}, outside the ${classNames.length} classes given (0..${classNames.length - 1})`,
    );
  }
  return createImageDataset({
    name: options.name ?? options.images.split(/[\\/]/).pop() ?? 'idx',
    images: images.data as Uint8Array,
    labels: labelArray,
    shape: { height: images.shape[1]!, width: images.shape[2]!, channels: images.shape[3] ?? 1 },
    classNames,
  });
}

const failLoad = errorFactory('loadIdxDataset');

/**
 * Loads a pair of IDX files (images and labels, gzipped or raw) as an {@link ImageDataset}. Node only.
 *
 * @example
 * const train = await loadIdxDataset({
 *   images: 'data/mnist/train-images-idx3-ubyte.gz',
 *   labels: 'data/mnist/train-labels-idx1-ubyte.gz',
 * });
 */
export async function loadIdxDataset(options: IdxDatasetOptions): Promise<ImageDataset> {
  return loadIdxDatasetWith(failLoad, options);
}

async function loadIdxDatasetWith(fail: Fail, options: IdxDatasetOptions): Promise<ImageDataset> {
  const read = { ...(options.limit !== undefined ? { limit: options.limit } : {}) };
  const [images, labels] = await Promise.all([
    readIdxWith(fail, options.images, read),
    readIdxWith(fail, options.labels, read),
  ]);
  return toDataset(fail, images, labels, options);
}

/** The MNIST-format datasets {@link loadMnist} knows. */
export type MnistVariant = 'mnist' | 'fashion-mnist' | 'kmnist';

/** Class names of each {@link MnistVariant}, label order. */
export const MNIST_CLASS_NAMES: Readonly<Record<MnistVariant, readonly string[]>> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ],
  kmnist: ['お', 'き', 'す', 'つ', 'な', 'は', 'ま', 'や', 'れ', 'を'],
};

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /**
   * Which dataset; its files are looked for in `<dataDir>/<variant>/`.
   * @default 'mnist'
   */
  variant?: MnistVariant;
  /**
   * `train` (60,000 images) or `test` (10,000; the `t10k-*` files).
   * @default 'train'
   */
  split?: 'train' | 'test';
  /**
   * Folder that holds the four IDX files; overrides `dataDir`.
   * @default `<dataDir>/<variant>`
   */
  directory?: string;
  /**
   * Data directory.
   * @default process.env.AUTOML_DATA_DIR
   */
  dataDir?: string;
  /**
   * Read only the first `limit` images.
   * @default all
   */
  limit?: number;
}

const failMnist = errorFactory('loadMnist');

/**
 * Loads MNIST, Fashion-MNIST or KMNIST from the standard IDX files (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-…`, each gzipped or raw). Node only.
 *
 * @example
 * const fashion = await loadMnist({ variant: 'fashion-mnist', split: 'test', dataDir: '/data' });
 */
export async function loadMnist(options: MnistOptions = {}): Promise<ImageDataset> {
  const variant = checkOneOf(failMnist, 'variant', options.variant ?? 'mnist', [
    'mnist',
    'fashion-mnist',
    'kmnist',
  ]);
  const split = checkOneOf(failMnist, 'split', options.split ?? 'train', ['train', 'test']);
  const { path } = await nodeModules(failMnist);
  let directory = options.directory;
  if (directory === undefined) {
    const dataDir = dataDirFrom(options.dataDir);
    if (dataDir === undefined) {
      throw failMnist(
        `no data directory: pass directory or dataDir, or set AUTOML_DATA_DIR (looked for ${describeValue(variant)})`,
      );
    }
    directory = path.join(dataDir, variant);
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const find = async (stem: string): Promise<string> => {
    for (const candidate of [`${stem}.gz`, stem]) {
      const full = path.join(directory, candidate);
      if ((await statOrUndefined(failMnist, full))?.isFile() === true) return full;
    }
    throw failMnist(
      `"${path.join(directory, stem)}" (or .gz) not found; ${variant} needs the ${split} IDX files there`,
    );
  };
  const images = await find(`${prefix}-images-idx3-ubyte`);
  const labels = await find(`${prefix}-labels-idx1-ubyte`);
  return loadIdxDatasetWith(failMnist, {
    images,
    labels,
    classNames: MNIST_CLASS_NAMES[variant],
    name: `${variant}-${split}`,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
}
