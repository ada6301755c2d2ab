import { join } from 'node:path';
import { decodeOmniglotZip, imageAt, loadOmniglot, rotateImage } from '@automl-ts/datasets';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { omniglotEntries, png1Bit, tempDir, writeBytes, zip } from './helpers/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

const ALPHABETS = ['Latin', 'Greek', 'Bengali'];
const entries = omniglotEntries({ alphabets: ALPHABETS, characters: 2, drawings: 4 });
const zipBytes = zip(entries);

/** Writes entries as extracted files under `root`. */
async function extract(root: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const [name, bytes] of Object.entries(files)) await writeBytes(join(root, name), bytes);
}

/** Makes the deflate data of entry `name` invalid (block type 3) inside a zip holding only it. */
function zipWithCorruptEntry(name: string): Uint8Array {
  const bytes = zipSync({ [name]: new Uint8Array(4000) }, { level: 9 });
  const nameBytes = new TextEncoder().encode(name);
  const at = bytes.findIndex((_, i) => nameBytes.every((b, k) => bytes[i + k] === b));
  const header = at - 30;
  const extra = bytes[header + 28]! | (bytes[header + 29]! << 8);
  bytes[at + nameBytes.length + extra] = 0xff;
  return bytes;
}

describe('decodeOmniglotZip', () => {
  test('reads the official layout into sorted classes with alphabet and character metadata', async () => {
    const omniglot = await decodeOmniglotZip(zipBytes, { size: 7 });
    expect(omniglot.name).toBe('omniglot-background');
    expect(omniglot.size).toBe(3 * 2 * 4);
    expect(omniglot.shape).toEqual({ height: 7, width: 7, channels: 1 });
    expect(omniglot.alphabets).toEqual(['Bengali', 'Greek', 'Latin']);
    expect(omniglot.classNames).toEqual([
      'Bengali/character01',
      'Bengali/character02',
      'Greek/character01',
      'Greek/character02',
      'Latin/character01',
      'Latin/character02',
    ]);
    expect(omniglot.classInfo[2]).toEqual({ alphabet: 'Greek', character: 'character01', rotation: 0 });
    expect(Array.from(omniglot.labels)).toEqual([
      0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5,
    ]);
  });

  test('inverts so strokes are bright on a dark background (or not)', async () => {
    const inverted = await decodeOmniglotZip(zipBytes, { size: 21 });
    const plain = await decodeOmniglotZip(zipBytes, { size: 21, invert: false });
    // Bengali is alphabet index 2 in the fixture: its character01 stroke is column (2 * 3 + 1) % 21 = 7.
    const first = imageAt(inverted, 0);
    expect(first[7]).toBe(255);
    expect(first[8]).toBe(0);
    expect(imageAt(plain, 0)[7]).toBe(0);
    expect(imageAt(plain, 0)[8]).toBe(255);
  });

  test('adds rotations as new classes', async () => {
    const base = await decodeOmniglotZip(zipBytes, { size: 9 });
    const rotated = await decodeOmniglotZip(zipBytes, { size: 9, rotations: [0, 90, 180, 270] });
    expect(rotated.classNames).toHaveLength(4 * base.classNames.length);
    expect(rotated.size).toBe(4 * base.size);
    expect(rotated.classNames.slice(0, 4)).toEqual([
      'Bengali/character01',
      'Bengali/character01/rot90',
      'Bengali/character01/rot180',
      'Bengali/character01/rot270',
    ]);
    expect(rotated.classInfo[1]).toEqual({ alphabet: 'Bengali', character: 'character01', rotation: 90 });
    const original = imageAt(rotated, 0);
    const quarter = imageAt(rotated, 1);
    expect(rotated.labels[1]).toBe(1);
    const expected = rotateImage({ width: 9, height: 9, channels: 1, data: original }, 1).data;
    expect(Array.from(quarter)).toEqual(Array.from(expected));
  });

  test('reads images_evaluation.zip with set: evaluation', async () => {
    const evaluation = zip(
      omniglotEntries({ set: 'evaluation', alphabets: ['Atlantean'], characters: 3, drawings: 2 }),
    );
    const loaded = await decodeOmniglotZip(evaluation, { set: 'evaluation' });
    expect(loaded.name).toBe('omniglot-evaluation');
    expect(loaded.classNames).toHaveLength(3);
    await expect(decodeOmniglotZip(evaluation)).rejects.toThrowError(
      'has no images_background/ root folder (top-level entries: images_evaluation/); expected the official layout ' +
        "images_background/<alphabet>/<character>/<drawing>.png; it looks like images_evaluation.zip: pass set: 'evaluation'",
    );
  });

  test.each([
    [
      'a zip without the expected root folder',
      () => zip({ 'omniglot/Latin/character01/1.png': png1Bit(5, 5, () => false) }),
      '"Omniglot zip" has no images_background/ root folder (top-level entries: omniglot/)',
    ],
    [
      'a truncated zip',
      () => zipBytes.subarray(0, zipBytes.length - 40),
      /"Omniglot zip" is not a readable zip archive \(.*\); it may be truncated \(\d+ bytes\) or not a zip/,
    ],
    [
      'a file that is not a zip',
      () => new TextEncoder().encode('definitely not a zip archive'),
      /"Omniglot zip" is not a readable zip archive/,
    ],
    [
      'an entry whose deflate data is corrupt',
      () => zipWithCorruptEntry('images_background/Latin/character01/0001_01.png'),
      /"Omniglot zip": entry "images_background\/Latin\/character01\/0001_01\.png" is corrupt \(/,
    ],
    [
      'an entry that is not a PNG',
      () => zip({ ...entries, 'images_background/Latin/character01/0301_09.png': Uint8Array.of(1, 2, 3) }),
      /"Omniglot zip": entry "images_background\/Latin\/character01\/0301_09\.png" is not a valid PNG \(/,
    ],
    [
      'a character folder without drawings',
      () =>
        zipSync({
          'images_background/': new Uint8Array(0),
          'images_background/Latin/': new Uint8Array(0),
          'images_background/Latin/character07/': new Uint8Array(0),
        }),
      '"Omniglot zip": entry "images_background/Latin/character07/" has no PNG drawings',
    ],
  ])('rejects %s with an error naming the archive and entry', async (_, make, message) => {
    const promise = decodeOmniglotZip(make());
    await expect(promise).rejects.toThrowError(message);
    await expect(decodeOmniglotZip(make())).rejects.toThrowError(
      /^@automl-ts\/datasets\/decodeOmniglotZip: /,
    );
  });

  test.each([
    [{ rotations: [45] }, 'rotations[0] must be one of 0, 90, 180, 270; got 45'],
    [{ rotations: [] }, 'rotations must be a non-empty list of 0, 90, 180, 270; got []'],
    [{ rotations: [0, 0] }, 'rotations must not repeat, got [0,0]'],
    [{ size: 0 }, 'size must be an integer in [1, 4096], got 0'],
    [{ set: 'train' }, 'set must be one of "background", "evaluation"; got "train"'],
  ])('validates options %j', async (options, message) => {
    await expect(decodeOmniglotZip(zipBytes, options as never)).rejects.toThrowError(message);
  });
});

describe('loadOmniglot', () => {
  test('reads the zip or the extracted folder, found by path or in dataDir, identically', async () => {
    const dataDir = join(dir, 'data');
    const zipPath = await writeBytes(join(dataDir, 'omniglot', 'images_background.zip'), zipBytes);
    await extract(join(dir, 'extracted'), entries);
    await extract(join(dir, 'data2', 'omniglot'), entries);
    const fromZip = await loadOmniglot({ path: zipPath, size: 7 });
    const fromDataDir = await loadOmniglot({ dataDir, size: 7 });
    const fromParent = await loadOmniglot({ path: join(dir, 'extracted'), size: 7 });
    const fromFolder = await loadOmniglot({ path: join(dir, 'extracted', 'images_background'), size: 7 });
    const fromDataDirFolder = await loadOmniglot({ dataDir: join(dir, 'data2'), size: 7 });
    for (const other of [fromDataDir, fromParent, fromFolder, fromDataDirFolder]) {
      expect(other.classNames).toEqual(fromZip.classNames);
      expect(other.classInfo).toEqual(fromZip.classInfo);
      expect(Array.from(other.labels)).toEqual(Array.from(fromZip.labels));
      expect(Buffer.from(other.images).equals(Buffer.from(fromZip.images))).toBe(true);
    }
  });

  test('errors name the file or folder', async () => {
    const missing = join(dir, 'nothing-here');
    await expect(loadOmniglot({ dataDir: missing })).rejects.toThrowError(
      `@automl-ts/datasets/loadOmniglot: Omniglot background set not found; looked for "${join(missing, 'omniglot', 'images_background.zip')}"`,
    );
    const badZip = await writeBytes(join(dir, 'bad', 'images_background.zip'), zipBytes.subarray(0, 100));
    await expect(loadOmniglot({ path: badZip })).rejects.toThrowError(
      `"${badZip}" is not a readable zip archive`,
    );
    const emptyCharacter = join(dir, 'empty-character', 'images_background', 'Latin', 'character01');
    await writeBytes(join(emptyCharacter, 'notes.txt'), 'no drawings');
    await expect(loadOmniglot({ path: join(dir, 'empty-character') })).rejects.toThrowError(
      `character folder "${emptyCharacter}" has no PNG drawings`,
    );
    await expect(
      loadOmniglot({ path: join(dir, 'extracted', 'images_background', 'Latin') }),
    ).rejects.toThrowError('is neither an Omniglot zip nor a folder holding images_background/');
  });
});
