import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@automl-ts/core';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { temporaryDirectory } from './fixtures.js';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await temporaryDirectory();
});
afterEach(async () => {
  await dir.remove();
});

describe('writeFileAtomic', () => {
  test.each([
    ['a string', 'héllo', 'héllo'],
    ['an ArrayBuffer', new TextEncoder().encode('bytes').buffer, 'bytes'],
    ['a typed-array view', new TextEncoder().encode('xxviewxx').subarray(2, 6), 'view'],
    ['chunks', [new TextEncoder().encode('ab'), new TextEncoder().encode('cd')], 'abcd'],
  ])('writes %s', async (_, data, expected) => {
    const path = join(dir.path, 'out.txt');
    await writeFileAtomic(path, data);
    expect(await readFile(path, 'utf8')).toBe(expected);
    expect(await readdir(dir.path)).toEqual(['out.txt']);
  });

  test('replaces an existing file', async () => {
    const path = join(dir.path, 'out.txt');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
  });

  test('a failure midway leaves the previous file intact and no temporary file behind', async () => {
    const path = join(dir.path, 'state.json');
    await writeFileAtomic(path, '{"step":1}');
    async function* crashing(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('{"step":');
      throw new Error('simulated crash');
    }
    await expect(writeFileAtomic(path, crashing())).rejects.toThrow(
      /^@automl-ts\/core\/writeFileAtomic: could not write ".*state\.json": simulated crash$/,
    );
    expect(await readFile(path, 'utf8')).toBe('{"step":1}');
    expect(await readdir(dir.path)).toEqual(['state.json']);
  });

  test('names the path when the directory does not exist', async () => {
    const path = join(dir.path, 'missing', 'out.txt');
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(
      /writeFileAtomic: could not write ".*missing\/out\.txt"/,
    );
  });

  test('rejects chunks that are not bytes', async () => {
    const path = join(dir.path, 'out.txt');
    await expect(writeFileAtomic(path, ['text' as unknown as Uint8Array])).rejects.toThrow(
      /chunks must be Uint8Arrays, got \[object String\]/,
    );
  });
});
