// Omniglot (Lake, Salakhutdinov, Tenenbaum, "Human-level concept learning through probabilistic
// program induction", Science 2015): 1,623 handwritten characters from 50 alphabets, 20 drawings
// each, as the official images_background.zip (30 alphabets, 964 characters) and
// images_evaluation.zip (20 alphabets, 659 characters): images_<set>/<alphabet>/<character>/<id>_<drawer>.png,
// 105×105, 1-bit. Preprocessing follows the few-shot literature (Vinyals et al. 2016; Finn et al.,
// MAML, 2017): resize to 28×28 (MAML resizes with Lanczos), invert so strokes are 1, and optionally
// add 90°/180°/270° rotations as new classes (Santoro et al. 2016).
import type { Dirent } from 'node:fs';
import { unzipSync } from 'fflate';
import { createImageDataset, type ImageDataset } from '../dataset.js';
import { decodePngWith } from '../image/decode-image.js';
import {
  convertColor,
  type Interpolation,
  invertImage,
  type ResizeBuffers,
  resizeWith,
  rotateImage,
} from '../image/transform.js';
import { ImageCollector } from '../internal/collector.js';
import { describeValue, errorFactory, type Fail, reasonOf } from '../internal/errors.js';
import {
  dataDirFrom,
  dataRootCandidates,
  nodeModules,
  readFileBytes,
  readFilesAhead,
  statOrUndefined,
} from '../internal/node.js';
import { checkInteger, checkOneOf } from '../internal/validate.js';
import { compareCodePoints } from './image-folder.js';

/** The two official Omniglot archives. */
export type OmniglotSet = 'background' | 'evaluation';

/** A rotation (degrees, counter-clockwise) applied to make a new class. */
export type OmniglotRotation = 0 | 90 | 180 | 270;

/** Metadata of one Omniglot class: a character of an alphabet, possibly rotated. */
export interface OmniglotCharacter {
  /** Alphabet folder name, e.g. `Latin`, `Japanese_(katakana)`. */
  readonly alphabet: string;
  /** Character folder name, e.g. `character01`. */
  readonly character: string;
  /** 0 for the original drawings; 90/180/270 for a rotated copy that counts as a new class. */
  readonly rotation: OmniglotRotation;
}

/** Omniglot as loaded: one class per (character, rotation), with alphabet and character metadata. */
export interface OmniglotDataset extends ImageDataset<OmniglotCharacter> {
  readonly classInfo: readonly OmniglotCharacter[];
  /** Alphabets present, sorted. */
  readonly alphabets: readonly string[];
}

/** Preprocessing options shared by {@link loadOmniglot} and {@link decodeOmniglotZip}. */
export interface OmniglotDecodeOptions {
  /**
   * Which archive: its entries live under `images_<set>/`.
   * @default 'background'
   */
  set?: OmniglotSet;
  /**
   * Side of the square images after resizing (105 keeps the original size).
   * @default 28
   */
  size?: number;
  /**
   * Invert so that strokes are 255 on a 0 background (the standard preprocessing).
   * @default true
   */
  invert?: boolean;
  /**
   * Rotations to include; each non-zero rotation of every character is a new class (the class
   * count is multiplied by the number of rotations).
   * @default [0]
   */
  rotations?: readonly OmniglotRotation[];
  /**
   * Resampling filter for the resize (MAML's preprocessing uses Lanczos).
   * @default 'lanczos'
   */
  interpolation?: Interpolation;
}

/** Options of {@link loadOmniglot}. */
export interface OmniglotOptions extends OmniglotDecodeOptions {
  /**
   * The archive (`images_background.zip`) or the extracted folder (`images_background/`, or a folder
   * that contains it). Overrides `dataDir`.
   * @default found in `dataDir`
   */
  path?: string;
  /**
   * Data directory searched for `omniglot/images_<set>.zip`, `omniglot/images_<set>/`,
   * `images_<set>.zip` and `images_<set>/`, in that order.
   * @default process.env.AUTOML_DATA_DIR
   */
  dataDir?: string;
}

interface ResolvedOptions {
  readonly set: OmniglotSet;
  readonly size: number;
  readonly invert: boolean;
  readonly rotations: readonly OmniglotRotation[];
  readonly interpolation: Interpolation;
}

const ROTATIONS: readonly OmniglotRotation[] = [0, 90, 180, 270];

function resolveOptions(fail: Fail, options: OmniglotDecodeOptions): ResolvedOptions {
  const rotations = options.rotations ?? [0];
  if (!Array.isArray(rotations) || rotations.length === 0) {
    throw fail(`rotations must be a non-empty list of 0, 90, 180, 270; got ${describeValue(rotations)}`);
  }
  rotations.forEach((rotation, i) => {
    checkOneOf(fail, `rotations[${i}]`, rotation, ROTATIONS);
  });
  if (new Set(rotations).size !== rotations.length) {
    throw fail(`rotations must not repeat, got ${describeValue(rotations)}`);
  }
  return {
    set: checkOneOf(fail, 'set', options.set ?? 'background', ['background', 'evaluation']),
    size: checkInteger(fail, 'size', options.size ?? 28, 1, 4096),
    invert: options.invert ?? true,
    rotations: rotations.slice(),
    interpolation: checkOneOf(fail, 'interpolation', options.interpolation ?? 'lanczos', [
      'nearest',
      'box',
      'bilinear',
      'lanczos',
    ]),
  };
}

/** The drawings of each character, in the sorted order that fixes class ids. */
interface CharacterFiles {
  readonly alphabet: string;
  readonly character: string;
  /** Keys (zip entry names or file paths) of its drawings, sorted. */
  readonly drawings: readonly string[];
}

function sortCharacters(characters: CharacterFiles[]): CharacterFiles[] {
  return characters.sort(
    (a, b) => compareCodePoints(a.alphabet, b.alphabet) || compareCodePoints(a.character, b.character),
  );
}

/**
 * Decodes and preprocesses every drawing and builds the dataset. `readBytes` gives the PNG bytes of
 * a drawing key, in the order of the characters' sorted drawings.
 */
async function buildDataset(
  fail: Fail,
  characters: readonly CharacterFiles[],
  options: ResolvedOptions,
  drawingBytes: (keys: readonly string[]) => AsyncIterable<{ key: string; bytes: Uint8Array }>,
  describe: (key: string) => string,
): Promise<OmniglotDataset> {
  const { size, rotations } = options;
  const classInfo: OmniglotCharacter[] = [];
  const classNames: string[] = [];
  for (const { alphabet, character } of characters) {
    for (const rotation of rotations) {
      classInfo.push({ alphabet, character, rotation });
      classNames.push(
        rotation === 0 ? `${alphabet}/${character}` : `${alphabet}/${character}/rot${rotation}`,
      );
    }
  }
  const keys = characters.flatMap((c) => c.drawings);
  const characterOfKey = characters.flatMap((c, index) => c.drawings.map(() => index));
  const collector = new ImageCollector(fail, {
    size: { height: size, width: size },
    colorMode: 'grayscale',
    interpolation: options.interpolation,
    expectedCount: keys.length * rotations.length,
  });
  // Reused across drawings: with ~20,000 small images, per-image buffers would be most of the
  // transient memory. Each image is copied into the collector before the next is decoded.
  const unpacked = new Uint8Array(105 * 105);
  const buffers: ResizeBuffers = {};
  let i = 0;
  for await (const { key, bytes } of drawingBytes(keys)) {
    const source = describe(key);
    const decoded = convertColor(decodePngWith(fail, bytes, source, unpacked), 'grayscale');
    // Resample the stroke-positive image (the buffers are ours, so in place): strokes are the few
    // non-zero pixels and the resampler skips zeros. Inverting commutes with resampling (weights
    // sum to 1, clamping to [0, 255] is symmetric), so `invert: false` inverts back afterwards.
    let image = resizeWith(invertImage(decoded, decoded.data), size, size, options.interpolation, buffers);
    if (!options.invert) image = invertImage(image, image.data);
    const firstClass = characterOfKey[i++]! * rotations.length;
    rotations.forEach((rotation, r) => {
      collector.addConverted(rotateImage(image, rotation / 90), firstClass + r, source);
    });
  }
  const { images, labels, shape } = collector.finish();
  const dataset = createImageDataset({
    name: `omniglot-${options.set}`,
    images,
    labels,
    shape,
    classNames,
    classInfo,
  });
  return {
    ...dataset,
    classInfo,
    alphabets: [...new Set(characters.map((c) => c.alphabet))],
  };
}

/** Omniglot entries of a zip's file list, grouped by character; errors name the zip and entries. */
function charactersInZip(
  fail: Fail,
  names: readonly string[],
  set: OmniglotSet,
  zipName: string,
): CharacterFiles[] {
  const root = `images_${set}/`;
  const visible = names.filter(
    (name) => !name.startsWith('__MACOSX/') && !name.split('/').some((p) => p.startsWith('.')),
  );
  if (!visible.some((name) => name.startsWith(root))) {
    const topLevel = [
      ...new Set(visible.map((name) => name.split('/')[0]! + (name.includes('/') ? '/' : ''))),
    ];
    const other = set === 'background' ? 'evaluation' : 'background';
    const hint = topLevel.includes(`images_${other}/`)
      ? `; it looks like images_${other}.zip: pass set: '${other}'`
      : '';
    throw fail(
      `${zipName} has no ${root} root folder (top-level entries: ${topLevel.slice(0, 8).join(', ') || 'none'}${topLevel.length > 8 ? ', …' : ''})` +
        `; expected the official layout ${root}<alphabet>/<character>/<drawing>.png${hint}`,
    );
  }
  const byCharacter = new Map<string, { alphabet: string; character: string; drawings: string[] }>();
  for (const name of visible) {
    if (!name.startsWith(root)) continue;
    const parts = name.slice(root.length).split('/');
    const isDirectory = name.endsWith('/');
    if (isDirectory && parts.length === 3) {
      const key = `${parts[0]}/${parts[1]}`;
      if (!byCharacter.has(key))
        byCharacter.set(key, { alphabet: parts[0]!, character: parts[1]!, drawings: [] });
      continue;
    }
    if (isDirectory || parts.length !== 3 || !name.toLowerCase().endsWith('.png')) continue;
    const key = `${parts[0]}/${parts[1]}`;
    const entry = byCharacter.get(key) ?? { alphabet: parts[0]!, character: parts[1]!, drawings: [] };
    byCharacter.set(key, entry);
    entry.drawings.push(name);
  }
  if (byCharacter.size === 0) {
    throw fail(`${zipName} has no ${root}<alphabet>/<character>/<drawing>.png entries`);
  }
  for (const [key, entry] of byCharacter) {
    if (entry.drawings.length === 0) throw fail(`${zipName}: entry "${root}${key}/" has no PNG drawings`);
    entry.drawings.sort(compareCodePoints);
  }
  return sortCharacters([...byCharacter.values()]);
}

/** Finds the entry whose decompression fails (bisection over the entry list). */
function findCorruptEntry(
  zip: Uint8Array,
  names: readonly string[],
): { name: string; error: unknown } | undefined {
  let candidates = names;
  while (candidates.length > 1) {
    const half = new Set(candidates.slice(0, Math.ceil(candidates.length / 2)));
    try {
      unzipSync(zip, { filter: (file) => half.has(file.name) });
      candidates = candidates.slice(half.size);
    } catch {
      candidates = [...half];
    }
  }
  const [name] = candidates;
  if (name === undefined) return undefined;
  try {
    unzipSync(zip, { filter: (file) => file.name === name });
    return undefined;
  } catch (error) {
    return { name, error };
  }
}

function unzipOmniglot(
  fail: Fail,
  zip: Uint8Array,
  set: OmniglotSet,
  zipName: string,
): { characters: CharacterFiles[]; files: Record<string, Uint8Array> } {
  const names: string[] = [];
  try {
    unzipSync(zip, {
      filter: (file) => {
        names.push(file.name);
        return false;
      },
    });
  } catch (error) {
    throw fail(
      `${zipName} is not a readable zip archive (${reasonOf(error)}); it may be truncated (${zip.length} bytes) or not a zip`,
      error,
    );
  }
  const characters = charactersInZip(fail, names, set, zipName);
  const wanted = new Set(characters.flatMap((c) => c.drawings));
  try {
    return { characters, files: unzipSync(zip, { filter: (file) => wanted.has(file.name) }) };
  } catch (error) {
    const corrupt = findCorruptEntry(zip, [...wanted]);
    if (corrupt !== undefined) {
      throw fail(
        `${zipName}: entry "${corrupt.name}" is corrupt (${reasonOf(corrupt.error)})`,
        corrupt.error,
      );
    }
    throw fail(`${zipName} could not be extracted (${reasonOf(error)})`, error);
  }
}

const RELEASED = new Uint8Array(0);

/** Decodes unzipped entries, releasing each entry's bytes once it is decoded. */
function decodeUnzipped(
  fail: Fail,
  unzipped: { characters: CharacterFiles[]; files: Record<string, Uint8Array> },
  zipName: string,
  options: ResolvedOptions,
): Promise<OmniglotDataset> {
  const { characters, files } = unzipped;
  return buildDataset(
    fail,
    characters,
    options,
    async function* (keys) {
      for (const key of keys) {
        const bytes = files[key]!;
        files[key] = RELEASED;
        yield { key, bytes };
      }
    },
    (key) => `${zipName}: entry "${key}"`,
  );
}

const failDecode = errorFactory('decodeOmniglotZip');

/**
 * Decodes an official Omniglot zip (`images_background.zip` or `images_evaluation.zip`) from its
 * bytes and preprocesses it. Pure (no file system): usable in browsers.
 *
 * @param source how to name the archive in errors.
 * @example
 * const omniglot = await decodeOmniglotZip(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 */
export async function decodeOmniglotZip(
  bytes: Uint8Array,
  options: OmniglotDecodeOptions = {},
  source = 'Omniglot zip',
): Promise<OmniglotDataset> {
  const resolved = resolveOptions(failDecode, options);
  const zipName = `"${source}"`;
  return decodeUnzipped(
    failDecode,
    unzipOmniglot(failDecode, bytes, resolved.set, zipName),
    zipName,
    resolved,
  );
}

async function listDirectories(fail: Fail, directory: string): Promise<Dirent[]> {
  const { fsp } = await nodeModules(fail);
  try {
    const entries = await fsp.readdir(directory, { withFileTypes: true });
    return entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => compareCodePoints(a.name, b.name));
  } catch (error) {
    throw fail(`cannot list "${directory}": ${reasonOf(error)}`, error);
  }
}

async function charactersInFolder(fail: Fail, root: string): Promise<CharacterFiles[]> {
  const { path } = await nodeModules(fail);
  const characters: CharacterFiles[] = [];
  for (const alphabet of await listDirectories(fail, root)) {
    if (!alphabet.isDirectory()) continue;
    const alphabetPath = path.join(root, alphabet.name);
    for (const character of await listDirectories(fail, alphabetPath)) {
      if (!character.isDirectory()) continue;
      const characterPath = path.join(alphabetPath, character.name);
      const drawings = (await listDirectories(fail, characterPath))
        .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.png'))
        .map((e) => path.join(characterPath, e.name));
      if (drawings.length === 0) throw fail(`character folder "${characterPath}" has no PNG drawings`);
      characters.push({ alphabet: alphabet.name, character: character.name, drawings });
    }
  }
  if (characters.length === 0) {
    throw fail(`"${root}" has no <alphabet>/<character>/<drawing>.png folders`);
  }
  return sortCharacters(characters);
}

/** Where the archive or folder is: a zip file, or the `images_<set>` folder itself. */
async function locate(
  fail: Fail,
  options: OmniglotOptions,
  set: OmniglotSet,
): Promise<{ kind: 'zip' | 'folder'; path: string }> {
  const { path } = await nodeModules(fail);
  const folderName = `images_${set}`;
  const classify = async (
    candidate: string,
  ): Promise<{ kind: 'zip' | 'folder'; path: string } | undefined> => {
    const stat = await statOrUndefined(fail, candidate);
    if (stat === undefined) return undefined;
    if (stat.isFile()) return { kind: 'zip', path: candidate };
    if (!stat.isDirectory()) return undefined;
    const inner = path.join(candidate, folderName);
    if ((await statOrUndefined(fail, inner))?.isDirectory() === true) return { kind: 'folder', path: inner };
    if (path.basename(candidate) === folderName) return { kind: 'folder', path: candidate };
    return undefined;
  };
  if (options.path !== undefined) {
    const found = await classify(options.path);
    if (found === undefined) {
      throw fail(`path "${options.path}" is neither an Omniglot zip nor a folder holding ${folderName}/`);
    }
    return found;
  }
  const dataDir = dataDirFrom(options.dataDir);
  if (dataDir === undefined) {
    throw fail(
      `no data directory: pass path or dataDir, or set AUTOML_DATA_DIR (looked for ${folderName}.zip)`,
    );
  }
  const candidates = dataRootCandidates(path.join, dataDir, 'omniglot', [`${folderName}.zip`, folderName]);
  for (const candidate of candidates) {
    const stat = await statOrUndefined(fail, candidate);
    if (stat === undefined) continue;
    if (stat.isFile()) return { kind: 'zip', path: candidate };
    if (stat.isDirectory()) return { kind: 'folder', path: candidate };
  }
  throw fail(`Omniglot ${set} set not found; looked for ${candidates.map((c) => `"${c}"`).join(', ')}`);
}

const failLoad = errorFactory('loadOmniglot');

/**
 * Loads Omniglot from the official zip (read directly, no extraction) or from the extracted
 * folders, with the standard few-shot preprocessing (28×28, inverted, optional rotations as new
 * classes). Each class keeps its alphabet, character and rotation in `classInfo`. Node only.
 *
 * @example
 * const omniglot = await loadOmniglot({ dataDir: '../shared/data' }); // 964 classes × 20, 28×28×1
 * const augmented = await loadOmniglot({ rotations: [0, 90, 180, 270] }); // 3856 classes
 */
export async function loadOmniglot(options: OmniglotOptions = {}): Promise<OmniglotDataset> {
  const resolved = resolveOptions(failLoad, options);
  const where = await locate(failLoad, options, resolved.set);
  if (where.kind === 'zip') {
    // The archive's bytes are only needed to unzip: they are not kept while the drawings decode.
    const zipName = `"${where.path}"`;
    const unzipped = unzipOmniglot(
      failLoad,
      await readFileBytes(failLoad, where.path),
      resolved.set,
      zipName,
    );
    return decodeUnzipped(failLoad, unzipped, zipName, resolved);
  }
  const characters = await charactersInFolder(failLoad, where.path);
  return buildDataset(
    failLoad,
    characters,
    resolved,
    async function* (keys) {
      for await (const { file, bytes } of readFilesAhead(failLoad, keys)) yield { key: file, bytes };
    },
    (key) => `"${key}"`,
  );
}
