// Image folders in torchvision's ImageFolder layout: root/<class>/<image>, classes sorted by name,
// images found recursively under each class folder, sorted by path.
import type { Dirent } from 'node:fs';
import { createImageDataset, type ImageDataset } from '../dataset.js';
import { decodeImageWith } from '../image/decode-image.js';
import type { ColorMode, Interpolation } from '../image/transform.js';
import { ImageCollector } from '../internal/collector.js';
import { describeValue, errorFactory, type Fail, reasonOf } from '../internal/errors.js';
import { nodeModules, readFilesAhead } from '../internal/node.js';
import { checkInteger, checkOneOf } from '../internal/validate.js';

/** Options of {@link loadImageFolder} and {@link decodeImageFolder}. */
export interface ImageFolderOptions {
  /**
   * Resize every image to this size: a side length or `[height, width]`. Without it, every image
   * must already have the same size (a mismatch is an error naming both files).
   * @default undefined (keep the decoded size)
   */
  size?: number | readonly [number, number];
  /**
   * Colour of the stored images: `rgb` (3 channels) or `grayscale` (1, ITU-R 601-2 luma).
   * @default 'rgb'
   */
  colorMode?: ColorMode;
  /**
   * Resampling filter used by `size`.
   * @default 'bilinear'
   */
  interpolation?: Interpolation;
  /**
   * File extensions (lower case, with the dot) that count as images; other files are ignored.
   * @default ['.png', '.jpg', '.jpeg']
   */
  extensions?: readonly string[];
  /**
   * Dataset name used in messages.
   * @default the root folder's name
   */
  name?: string;
}

/** Options with defaults filled in and validated. */
export interface ResolvedImageFolderOptions {
  readonly size: { readonly height: number; readonly width: number } | undefined;
  readonly colorMode: ColorMode;
  readonly interpolation: Interpolation;
  readonly extensions: readonly string[];
}

const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'box', 'bilinear', 'lanczos'];

/** Parses a `size` option (a side or `[height, width]`). */
export function resolveSize(
  fail: Fail,
  size: number | readonly [number, number] | undefined,
): { height: number; width: number } | undefined {
  if (size === undefined) return undefined;
  if (typeof size === 'number') {
    const side = checkInteger(fail, 'size', size, 1);
    return { height: side, width: side };
  }
  if (!Array.isArray(size) || size.length !== 2) {
    throw fail(`size must be an integer or [height, width], got ${describeValue(size)}`);
  }
  return {
    height: checkInteger(fail, 'size[0] (height)', size[0], 1),
    width: checkInteger(fail, 'size[1] (width)', size[1], 1),
  };
}

/** Fills in the defaults of {@link ImageFolderOptions} and validates them. */
export function resolveImageFolderOptions(
  fail: Fail,
  options: ImageFolderOptions,
): ResolvedImageFolderOptions {
  const extensions = options.extensions ?? ['.png', '.jpg', '.jpeg'];
  if (
    !Array.isArray(extensions) ||
    extensions.length === 0 ||
    extensions.some((e) => typeof e !== 'string' || !e.startsWith('.'))
  ) {
    throw fail(`extensions must be a non-empty list like ['.png', '.jpg'], got ${describeValue(extensions)}`);
  }
  return {
    size: resolveSize(fail, options.size),
    colorMode: checkOneOf(fail, 'colorMode', options.colorMode ?? 'rgb', ['rgb', 'grayscale']),
    interpolation: checkOneOf(fail, 'interpolation', options.interpolation ?? 'bilinear', INTERPOLATIONS),
    extensions: extensions.map((e) => e.toLowerCase()),
  };
}

function hasExtension(name: string, extensions: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return extensions.some((extension) => lower.endsWith(extension));
}

/** Code-point order, as Python's `sorted` (and so torchvision) orders class names. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const failDecode = errorFactory('decodeImageFolder');

/**
 * Builds a dataset from encoded images keyed by their path relative to the root,
 * `<class>/<image>` (deeper paths belong to their first folder's class). Pure: usable in browsers,
 * e.g. on the output of fflate's `unzipSync`.
 *
 * @example
 * const dataset = decodeImageFolder({ 'cat/1.png': catBytes, 'dog/1.jpg': dogBytes }, { size: 32 });
 */
export function decodeImageFolder(
  files: Readonly<Record<string, Uint8Array>> | ReadonlyMap<string, Uint8Array>,
  options: ImageFolderOptions = {},
): ImageDataset {
  const resolved = resolveImageFolderOptions(failDecode, options);
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const byClass = new Map<string, { path: string; bytes: Uint8Array }[]>();
  for (const [path, bytes] of entries) {
    const slash = path.indexOf('/');
    if (slash <= 0 || path.endsWith('/')) continue;
    const className = path.slice(0, slash);
    const list = byClass.get(className) ?? [];
    byClass.set(className, list);
    if (hasExtension(path, resolved.extensions)) list.push({ path, bytes });
  }
  const classNames = [...byClass.keys()].sort(compareCodePoints);
  if (classNames.length === 0) throw failDecode('no <class>/<image> paths among the files given');
  const collector = new ImageCollector(failDecode, { ...resolved, expectedCount: entries.length });
  classNames.forEach((className, label) => {
    const list = byClass.get(className)!.sort((a, b) => compareCodePoints(a.path, b.path));
    if (list.length === 0) {
      throw failDecode(
        `class folder "${className}" has no images (extensions ${resolved.extensions.join(', ')})`,
      );
    }
    for (const { path, bytes } of list) {
      collector.add(decodeImageWith(failDecode, bytes, `"${path}"`), label, `"${path}"`);
    }
  });
  const { images, labels, shape } = collector.finish();
  return createImageDataset({ name: options.name ?? 'image-folder', images, labels, shape, classNames });
}

async function listImages(fail: Fail, directory: string, extensions: readonly string[]): Promise<string[]> {
  const { fsp, path } = await nodeModules(fail);
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(directory, { withFileTypes: true });
  } catch (error) {
    throw fail(`cannot list "${directory}": ${reasonOf(error)}`, error);
  }
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => compareCodePoints(a.name, b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) out.push(...(await listImages(fail, full, extensions)));
    else if (entry.isFile() && hasExtension(entry.name, extensions)) out.push(full);
  }
  return out;
}

/**
 * The class folders of `root` (sorted) and their image files (sorted, found recursively); a class
 * folder without images is an error that names it.
 */
export async function listImageFolder(
  fail: Fail,
  root: string,
  extensions: readonly string[],
): Promise<{ classNames: string[]; files: string[][] }> {
  const { fsp, path } = await nodeModules(fail);
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(root, { withFileTypes: true });
  } catch (error) {
    throw fail(`cannot list "${root}": ${reasonOf(error)}`, error);
  }
  const classNames = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort(compareCodePoints);
  if (classNames.length === 0) throw fail(`no class folders in "${root}" (expected ${root}/<class>/<image>)`);
  const files: string[][] = [];
  for (const className of classNames) {
    const folder = path.join(root, className);
    const images = await listImages(fail, folder, extensions);
    if (images.length === 0) {
      throw fail(`class folder "${folder}" has no images (extensions ${extensions.join(', ')})`);
    }
    files.push(images);
  }
  return { classNames, files };
}

const failLoad = errorFactory('loadImageFolder');

/**
 * Loads PNG and JPEG images from `root/<class>/<image>` (torchvision's ImageFolder layout): class
 * folders sorted by name give labels 0..C-1. Images can be resized and converted to gray or RGB.
 * Node only.
 *
 * @example
 * const pets = await loadImageFolder('data/pets', { size: [64, 64], colorMode: 'rgb' });
 * pets.classNames; // ['cat', 'dog']
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions = {}): Promise<ImageDataset> {
  const resolved = resolveImageFolderOptions(failLoad, options);
  const { classNames, files } = await listImageFolder(failLoad, root, resolved.extensions);
  const collector = new ImageCollector(failLoad, {
    ...resolved,
    expectedCount: files.reduce((sum, list) => sum + list.length, 0),
  });
  const labelled = files.flatMap((list, label) => list.map((file) => ({ file, label })));
  let index = 0;
  for await (const { file, bytes } of readFilesAhead(
    failLoad,
    labelled.map((entry) => entry.file),
  )) {
    collector.add(decodeImageWith(failLoad, bytes, `"${file}"`), labelled[index++]!.label, `"${file}"`);
  }
  const { images, labels, shape } = collector.finish();
  const name =
    options.name ??
    root
      .split(/[\\/]/)
      .filter((part) => part.length > 0)
      .pop() ??
    'image-folder';
  return createImageDataset({ name, images, labels, shape, classNames });
}
