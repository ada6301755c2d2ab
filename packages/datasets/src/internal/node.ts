// Node built-ins are imported lazily so that loading this package in a browser (native ESM or a
// bundler that leaves `node:` imports external) only fails if a file reader is actually called.
import type * as FsModule from 'node:fs';
import type * as FsPromisesModule from 'node:fs/promises';
import type * as PathModule from 'node:path';
import type * as StreamModule from 'node:stream';
import type * as ZlibModule from 'node:zlib';
import { type Fail, reasonOf } from './errors.js';

/** The Node built-ins the file readers use. */
export interface NodeModules {
  readonly fs: typeof FsModule;
  readonly fsp: typeof FsPromisesModule;
  readonly path: typeof PathModule;
  readonly stream: typeof StreamModule;
  readonly zlib: typeof ZlibModule;
}

let cached: Promise<NodeModules> | undefined;

/** Loads (once) the Node built-ins; fails with a clear message outside Node. */
export function nodeModules(fail: Fail): Promise<NodeModules> {
  cached ??= Promise.all([
    import('node:fs'),
    import('node:fs/promises'),
    import('node:path'),
    import('node:stream'),
    import('node:zlib'),
  ]).then(([fs, fsp, path, stream, zlib]) => ({ fs, fsp, path, stream, zlib }));
  return cached.catch((error: unknown) => {
    cached = undefined;
    throw fail(
      `file readers need Node.js (${reasonOf(error)}); in a browser, fetch the bytes yourself and use the decode… functions`,
      error,
    );
  });
}

/** Reads a whole file; a missing or unreadable file gets an error that names it. */
export async function readFileBytes(fail: Fail, filePath: string): Promise<Uint8Array> {
  const { fsp } = await nodeModules(fail);
  try {
    const buffer = await fsp.readFile(filePath);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw fail(`cannot read "${filePath}": ${reasonOf(error)}`, error);
  }
}

/**
 * Reads files in order, reading the next one while the caller processes the current one. Errors
 * name the file.
 */
export async function* readFilesAhead(
  fail: Fail,
  filePaths: readonly string[],
): AsyncGenerator<{ file: string; bytes: Uint8Array }, void, undefined> {
  const start = (i: number) => {
    const promise = readFileBytes(fail, filePaths[i]!);
    // Marked handled here; the rejection is rethrown when awaited below.
    promise.catch(() => {});
    return promise;
  };
  let next = filePaths.length > 0 ? start(0) : undefined;
  for (let i = 0; i < filePaths.length; i++) {
    const bytes = await next!;
    next = i + 1 < filePaths.length ? start(i + 1) : undefined;
    yield { file: filePaths[i]!, bytes };
  }
}

/** `stat` that returns undefined for a path that does not exist. */
export async function statOrUndefined(fail: Fail, filePath: string): Promise<FsModule.Stats | undefined> {
  const { fsp } = await nodeModules(fail);
  try {
    return await fsp.stat(filePath);
  } catch {
    return undefined;
  }
}

/** True when the file starts with the gzip magic bytes (1f 8b); errors name the file. */
export async function isGzipFile(fail: Fail, filePath: string): Promise<boolean> {
  const { fsp } = await nodeModules(fail);
  try {
    const handle = await fsp.open(filePath, 'r');
    try {
      const head = new Uint8Array(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fail(`cannot read "${filePath}": ${reasonOf(error)}`, error);
  }
}

/** An opened file: whether it is gzipped, and its (gunzipped) bytes as a stream of chunks. */
export interface FileChunks {
  readonly gzipped: boolean;
  /** Breaking out of the loop closes the file. */
  readonly chunks: AsyncGenerator<Uint8Array, void, undefined>;
}

/**
 * Opens a file for streaming, gunzipping on the fly when it starts with the gzip magic bytes.
 * Errors name the file.
 */
export async function openFileChunks(fail: Fail, filePath: string): Promise<FileChunks> {
  const { fs, stream, zlib } = await nodeModules(fail);
  const gzipped = await isGzipFile(fail, filePath);
  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    const file = fs.createReadStream(filePath, { highWaterMark: 1 << 20 });
    const source = gzipped ? stream.pipeline(file, zlib.createGunzip(), () => {}) : file;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
    } catch (error) {
      const what = gzipped ? 'the gzip stream is corrupt or truncated' : 'reading failed';
      throw fail(`"${filePath}": ${what} (${reasonOf(error)})`, error);
    } finally {
      file.destroy();
      source.destroy();
    }
  }
  return { gzipped, chunks: chunks() };
}

/** The data directory: the option, else `AUTOML_DATA_DIR`; undefined when neither is set. */
export function dataDirFrom(option: string | undefined): string | undefined {
  if (option !== undefined) return option;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const fromEnv = env?.['AUTOML_DATA_DIR'];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/**
 * Where a loader looks for `names` under a data root, in order: first in the dataset's own
 * folder (`<root>/cifar10/cifar-10-batches-bin`, `<root>/omniglot/images_background.zip`), then
 * at the root itself (`<root>/cifar-10-batches-bin`). Every loader finds its data this one way.
 */
export function dataRootCandidates(
  join: (...parts: string[]) => string,
  root: string,
  datasetFolder: string,
  names: readonly string[],
): string[] {
  return [...names.map((name) => join(root, datasetFolder, name)), ...names.map((name) => join(root, name))];
}
