import { join } from 'node:path';
import { decodeImageFolder, imageAt, loadImageFolder } from '@automl-ts/datasets';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jpeg, png, solidRgb, tempDir, writeBytes, zip } from './helpers/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

const red = () => png(4, 4, 3, solidRgb(4, 4, 255, 0, 0));
const blue = () => png(4, 4, 3, solidRgb(4, 4, 0, 0, 255));

describe('loadImageFolder', () => {
  let root: string;
  beforeAll(async () => {
    root = join(dir, 'pets');
    await writeBytes(join(root, 'dog', 'b.png'), blue());
    await writeBytes(join(root, 'dog', 'a.jpg'), jpeg(4, 4, solidRgb(4, 4, 0, 0, 255)));
    await writeBytes(join(root, 'cat', '2.png'), red());
    await writeBytes(join(root, 'cat', 'nested', '1.PNG'), red());
    await writeBytes(join(root, 'cat', 'notes.txt'), 'not an image');
    await writeBytes(join(root, '.hidden', 'x.png'), red());
    await writeBytes(join(root, 'README.md'), 'files in the root are ignored');
  });

  test('labels sorted class folders 0..C-1 and keeps RGB uint8 NHWC', async () => {
    const pets = await loadImageFolder(root);
    expect(pets.name).toBe('pets');
    expect(pets.classNames).toEqual(['cat', 'dog']);
    expect(pets.size).toBe(4);
    expect(pets.shape).toEqual({ height: 4, width: 4, channels: 3 });
    expect(Array.from(pets.labels)).toEqual([0, 0, 1, 1]);
    expect(Array.from(imageAt(pets, 0).subarray(0, 3))).toEqual([255, 0, 0]);
    const jpegPixel = Array.from(imageAt(pets, 2).subarray(0, 3));
    expect(jpegPixel[2]).toBeGreaterThan(240);
  });

  test('resizes and converts to grayscale', async () => {
    const small = await loadImageFolder(root, { size: [2, 3], colorMode: 'grayscale' });
    expect(small.shape).toEqual({ height: 2, width: 3, channels: 1 });
    expect(Array.from(imageAt(small, 0))).toEqual(Array(6).fill(76));
  });

  test('mixed image sizes without a target size name both files', async () => {
    const mixed = join(dir, 'mixed');
    await writeBytes(join(mixed, 'a', '1.png'), red());
    await writeBytes(join(mixed, 'b', '1.png'), png(5, 3, 1, Array(15).fill(0)));
    await expect(loadImageFolder(mixed)).rejects.toThrowError(
      `@automl-ts/datasets/loadImageFolder: mixed image sizes: "${join(mixed, 'b', '1.png')}" is 5×3 but ` +
        `"${join(mixed, 'a', '1.png')}" is 4×4; pass size to resize every image`,
    );
    const resized = await loadImageFolder(mixed, { size: 4 });
    expect(resized.size).toBe(2);
  });

  test('a class folder with no images is named', async () => {
    const empty = join(dir, 'empty-class');
    await writeBytes(join(empty, 'a', '1.png'), red());
    await writeBytes(join(empty, 'b', 'readme.txt'), 'no images here');
    await expect(loadImageFolder(empty)).rejects.toThrowError(
      `@automl-ts/datasets/loadImageFolder: class folder "${join(empty, 'b')}" has no images (extensions .png, .jpg, .jpeg)`,
    );
  });

  test('a corrupt image is named', async () => {
    const corrupt = join(dir, 'corrupt');
    await writeBytes(join(corrupt, 'a', '1.png'), red());
    const bad = red().subarray(0, 30);
    await writeBytes(join(corrupt, 'a', '2.png'), bad);
    await expect(loadImageFolder(corrupt)).rejects.toThrowError(
      new RegExp(
        `^@automl-ts/datasets/loadImageFolder: "${join(corrupt, 'a', '2.png')}" is not a valid PNG \\(`,
      ),
    );
  });

  test('a root without class folders, or missing, is an error', async () => {
    const flat = join(dir, 'flat');
    await writeBytes(join(flat, '1.png'), red());
    await expect(loadImageFolder(flat)).rejects.toThrowError(`no class folders in "${flat}"`);
    await expect(loadImageFolder(join(dir, 'missing'))).rejects.toThrowError(
      `cannot list "${join(dir, 'missing')}"`,
    );
  });

  test('options are validated', async () => {
    await expect(loadImageFolder(root, { size: 0 })).rejects.toThrowError(
      'size must be an integer >= 1, got 0',
    );
    await expect(loadImageFolder(root, { colorMode: 'cmyk' as 'rgb' })).rejects.toThrowError(
      'colorMode must be one of "rgb", "grayscale"; got "cmyk"',
    );
  });
});

describe('decodeImageFolder', () => {
  test('builds a dataset from in-memory files, e.g. an unzipped archive', () => {
    const files = unzipSync(zip({ 'dog/1.png': blue(), 'cat/1.png': red(), 'cat/2.png': red() }));
    const dataset = decodeImageFolder(files, { colorMode: 'grayscale' });
    expect(dataset.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(dataset.labels)).toEqual([0, 0, 1]);
    expect(imageAt(dataset, 2)[0]).toBe(29);
  });

  test('errors name the entry', () => {
    expect(() => decodeImageFolder({ 'cat/1.png': Uint8Array.of(1, 2, 3) })).toThrowError(
      '@automl-ts/datasets/decodeImageFolder: "cat/1.png" is neither PNG nor JPEG',
    );
    expect(() => decodeImageFolder({ 'cat/1.png': red(), 'dog/notes.txt': Uint8Array.of(1) })).toThrowError(
      'class folder "dog" has no images',
    );
  });
});
