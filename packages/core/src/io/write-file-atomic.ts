import { AutomlError } from '../internal/errors.js';
import { messageOf, nodeCrypto, nodeFs, nodePath } from './io-util.js';

/** Data {@link writeFileAtomic} accepts: text (written as UTF-8), bytes, or chunks of bytes produced one by one. */
export type AtomicWriteData =
  | string
  | ArrayBuffer
  | ArrayBufferView
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>;

const SOURCE = '@automl-ts/core/writeFileAtomic';

/** Prefix and suffix of the temporary files {@link writeFileAtomic} creates beside their target. */
export const TEMP_FILE_PATTERN = /^\..+\.[0-9a-f]{12}\.tmp$/;

/**
 * Writes a file so that readers see either the old contents or the new ones, never a mix,
 * even when the process crashes: the data goes to a temporary file in the same directory,
 * which is flushed to disk (`fsync`) and then renamed over `path` (rename is atomic on
 * POSIX file systems and on NTFS); the directory is flushed afterwards so the rename is
 * durable. If writing fails (including a chunk iterator that throws), the temporary file is
 * removed and `path` is left untouched.
 *
 * Node only (it loads `node:fs` on first use, so importing it in a browser bundle is harmless).
 *
 * @example
 * await writeFileAtomic('runs/exp1/history.json', JSON.stringify(history));
 */
export async function writeFileAtomic(path: string, data: AtomicWriteData): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new AutomlError(SOURCE, `path must be a non-empty string, got ${String(path)}`);
  }
  const fs = await nodeFs();
  const { dirname, basename, join } = await nodePath();
  const { randomBytes } = await nodeCrypto();
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);

  let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    handle = await fs.open(temporary, 'wx');
    for await (const chunk of chunksOf(data)) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    throw new AutomlError(SOURCE, `could not write "${path}": ${messageOf(error)}`, { cause: error });
  }
  await syncDirectory(directory);
}

/**
 * Flushes a directory entry list to disk, so that renames and new files in it survive a power
 * loss. A no-op where directories cannot be opened for syncing (Windows).
 */
export async function syncDirectory(directory: string): Promise<void> {
  const fs = await nodeFs();
  let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    handle = await fs.open(directory, 'r');
    await handle.sync();
  } catch {
    // Directory fsync is unsupported on some platforms (EISDIR/EPERM on Windows): best effort.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function* chunksOf(data: AtomicWriteData): AsyncGenerator<Uint8Array> {
  if (typeof data === 'string') {
    yield new TextEncoder().encode(data);
  } else if (data instanceof ArrayBuffer) {
    yield new Uint8Array(data);
  } else if (ArrayBuffer.isView(data)) {
    yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else {
    for await (const chunk of data) {
      if (!(chunk instanceof Uint8Array)) {
        throw new AutomlError(
          SOURCE,
          `chunks must be Uint8Arrays, got ${Object.prototype.toString.call(chunk)}`,
        );
      }
      yield chunk;
    }
  }
}
