// Node built-ins, loaded on first use so that the io module can sit in a browser bundle: only
// the file functions need them, and those say so in their docs.
import { AutomlError } from '../internal/errors.js';

type FsPromises = typeof import('node:fs/promises');
type Path = typeof import('node:path');
type Crypto = typeof import('node:crypto');

let fs: Promise<FsPromises> | undefined;
let path: Promise<Path> | undefined;
let crypto: Promise<Crypto> | undefined;

/** `node:fs/promises`. */
export function nodeFs(): Promise<FsPromises> {
  fs ??= import('node:fs/promises');
  return fs;
}

/** `node:path`. */
export function nodePath(): Promise<Path> {
  path ??= import('node:path');
  return path;
}

/** `node:crypto`. */
export function nodeCrypto(): Promise<Crypto> {
  crypto ??= import('node:crypto');
  return crypto;
}

/** True when running in Node (or a runtime with Node's built-ins). */
export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** The message of a thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads a UTF-8 file, naming it and `source` when it cannot be read. */
export async function readText(path: string, source: string): Promise<string> {
  const fs = await nodeFs();
  return fs.readFile(path, 'utf8').catch((error: unknown) => {
    throw new AutomlError(source, `cannot read "${path}": ${messageOf(error)}`, { cause: error });
  });
}

/** Copies bytes into a standalone ArrayBuffer (a Node Buffer may be a view of a larger pool). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}
