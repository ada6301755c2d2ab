import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { Module } from '../nn/module.js';
import { messageOf, nodeCrypto, nodeFs, nodePath, readText, toArrayBuffer } from './io-util.js';
import { syncDirectory, writeFileAtomic } from './write-file-atomic.js';

/**
 * A module's weights in the TF.js weights format, in memory: the manifest entries (name, shape,
 * dtype per tensor, in order) and one binary buffer with all values concatenated. This is what
 * `tf.io.encodeWeights` produces; a browser can keep it in IndexedDB or send it over the network.
 */
export interface WeightsArtifacts {
  readonly specs: readonly tf.io.WeightsManifestEntry[];
  readonly data: ArrayBuffer;
}

/** Options of {@link restoreModuleWeights} and {@link loadModuleWeights}. */
export interface RestoreWeightsOptions {
  /**
   * Require the saved names to be exactly the module's variables. With `false`, variables the
   * file lacks keep their values and saved tensors the module lacks are ignored (e.g. a new
   * classifier head); shapes of the names both have must still match.
   * @default true
   */
  strict?: boolean;
}

/** File name of the weights manifest written by {@link saveModuleWeights}. */
export const WEIGHTS_MANIFEST_FILE = 'weights.json';

/**
 * Encodes every variable of a module (parameters and buffers such as batch-norm running
 * statistics), keyed by hierarchical name, in the TF.js weights format.
 *
 * @example
 * const { specs, data } = await encodeModuleWeights(net); // specs[0].name === 'stem.conv.kernel'
 * restoreModuleWeights(otherNet, { specs, data });
 */
export async function encodeModuleWeights(module: Module): Promise<WeightsArtifacts> {
  const named: tf.NamedTensorMap = {};
  for (const [name, variable] of module.namedVariables()) named[name] = variable;
  const { data, specs } = await tf.io.encodeWeights(named);
  return { specs, data };
}

/**
 * Assigns encoded weights to a module's variables, by hierarchical name. Everything is
 * checked before anything is assigned, so a mismatch leaves the module unchanged; the error
 * names every missing, unexpected and mis-shaped tensor.
 */
export function restoreModuleWeights(
  module: Module,
  artifacts: WeightsArtifacts,
  options: RestoreWeightsOptions = {},
): void {
  const source = '@automl-ts/core/restoreModuleWeights';
  assignNamedWeights(module.namedVariables(), artifacts, options.strict ?? true, source);
}

/**
 * Saves a module's weights into `directory` as `weights.json` (a TF.js weights manifest,
 * loadable with `tf.io.loadWeights`) and one binary shard. The shard's name carries a hash of
 * its contents and the manifest is written last, both atomically, so a crash while saving
 * leaves the previous weights readable. Node only.
 *
 * @example
 * await saveModuleWeights(net, 'runs/exp1/weights');
 * await loadModuleWeights(sameArchitectureNet, 'runs/exp1/weights');
 */
export async function saveModuleWeights(module: Module, directory: string): Promise<void> {
  const fs = await nodeFs();
  await fs.mkdir(directory, { recursive: true });
  const artifacts = await encodeModuleWeights(module);
  const shard = await writeShard(directory, 'weights', artifacts.data);
  const manifest: tf.io.WeightsManifestConfig = [{ paths: [shard], weights: [...artifacts.specs] }];
  const { join } = await nodePath();
  await writeFileAtomic(join(directory, WEIGHTS_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await removeStaleShards(directory, 'weights', new Set([shard]));
}

/**
 * Loads weights saved by {@link saveModuleWeights} (or any TF.js weights manifest with its
 * shards: pass the manifest file instead of a directory) into a module. Node only.
 */
export async function loadModuleWeights(
  module: Module,
  location: string,
  options: RestoreWeightsOptions = {},
): Promise<void> {
  const source = '@automl-ts/core/loadModuleWeights';
  const fs = await nodeFs();
  const { join } = await nodePath();
  const stat = await fs.stat(location).catch((error: unknown) => {
    throw new AutomlError(source, `cannot read "${location}": ${messageOf(error)}`, { cause: error });
  });
  const manifestPath = stat.isDirectory() ? join(location, WEIGHTS_MANIFEST_FILE) : location;
  const manifest = parseManifest(await readText(manifestPath, source), manifestPath, source);
  const artifacts = await readManifestShards(manifest, manifestPath, source);
  assignNamedWeights(module.namedVariables(), artifacts, options.strict ?? true, source);
}

/** Parses and checks the shape of a TF.js weights manifest read from `where`. */
export function parseManifest(text: string, where: string, source: string): tf.io.WeightsManifestConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AutomlError(source, `"${where}" is not JSON: ${messageOf(error)}`, { cause: error });
  }
  if (!isWeightsManifest(json)) {
    throw new AutomlError(source, `"${where}" is not a TF.js weights manifest: ${describeValue(json)}`);
  }
  return json;
}

/** Whether `value` has the structure of a TF.js `WeightsManifestConfig`. */
export function isWeightsManifest(value: unknown): value is tf.io.WeightsManifestConfig {
  return (
    Array.isArray(value) &&
    value.every(
      (group: unknown) =>
        typeof group === 'object' &&
        group !== null &&
        Array.isArray((group as { paths?: unknown }).paths) &&
        (group as { paths: unknown[] }).paths.every((p) => typeof p === 'string') &&
        Array.isArray((group as { weights?: unknown }).weights) &&
        (group as { weights: unknown[] }).weights.every(isManifestEntry),
    )
  );
}

function isManifestEntry(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const { name, shape, dtype } = entry as { name?: unknown; shape?: unknown; dtype?: unknown };
  return (
    typeof name === 'string' &&
    Array.isArray(shape) &&
    shape.every((d) => Number.isInteger(d) && d >= 0) &&
    typeof dtype === 'string'
  );
}

/**
 * Reads the shards of a manifest (paths relative to the manifest's directory, which they may not
 * leave) and concatenates them in manifest order with their specs.
 */
export async function readManifestShards(
  manifest: tf.io.WeightsManifestConfig,
  manifestPath: string,
  source: string,
): Promise<WeightsArtifacts> {
  const fs = await nodeFs();
  const { dirname, resolve, relative, isAbsolute } = await nodePath();
  const directory = dirname(manifestPath);
  const buffers: ArrayBuffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of manifest) {
    for (const shardPath of group.paths) {
      const full = resolve(directory, shardPath);
      const rel = relative(directory, full);
      if (isAbsolute(shardPath) || rel.startsWith('..')) {
        throw new AutomlError(source, `shard path "${shardPath}" in "${manifestPath}" leaves its directory`);
      }
      const bytes = await fs.readFile(full).catch((error: unknown) => {
        throw new AutomlError(
          source,
          `cannot read shard "${full}" listed in "${manifestPath}": ${messageOf(error)}`,
          {
            cause: error,
          },
        );
      });
      buffers.push(toArrayBuffer(bytes));
    }
    specs.push(...group.weights);
  }
  return { specs, data: tf.io.concatenateArrayBuffers(buffers) };
}

/**
 * Writes a binary shard named `<prefix>.<content hash>.bin` atomically and returns its name. Equal
 * contents give an equal name, so rewriting unchanged weights is harmless.
 */
export async function writeShard(directory: string, prefix: string, data: ArrayBuffer): Promise<string> {
  const { createHash } = await nodeCrypto();
  const { join } = await nodePath();
  const bytes = new Uint8Array(data);
  const name = `${prefix}.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`;
  await writeFileAtomic(join(directory, name), bytes);
  return name;
}

/** Removes `<prefix>.<hash>.bin` shards of `directory` that are not in `keep`. */
export async function removeStaleShards(
  directory: string,
  prefix: string,
  keep: ReadonlySet<string>,
): Promise<void> {
  const fs = await nodeFs();
  const { join } = await nodePath();
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[0-9a-f]{16}\\.bin$`);
  const entries = await fs.readdir(directory);
  const stale = entries.filter((entry) => pattern.test(entry) && !keep.has(entry));
  await Promise.all(stale.map((entry) => fs.rm(join(directory, entry), { force: true })));
  if (stale.length > 0) await syncDirectory(directory);
}

/**
 * Checks saved specs against the target variables, then decodes and assigns. Throws before
 * assigning anything when names, shapes, dtypes or the data length disagree.
 */
export function assignNamedWeights(
  variables: ReadonlyMap<string, tf.Variable>,
  artifacts: WeightsArtifacts,
  strict: boolean,
  source: string,
): void {
  const specs = artifacts.specs;
  const saved = new Map<string, tf.io.WeightsManifestEntry>();
  const duplicates: string[] = [];
  for (const spec of specs) {
    if (saved.has(spec.name)) duplicates.push(spec.name);
    saved.set(spec.name, spec);
  }
  const problems: string[] = [];
  if (duplicates.length > 0) problems.push(`saved twice: ${listNames(duplicates)}`);
  const missing = [...variables.keys()].filter((name) => !saved.has(name));
  const unexpected = [...saved.keys()].filter((name) => !variables.has(name));
  if (strict && missing.length > 0) problems.push(`missing from the saved weights: ${listNames(missing)}`);
  if (strict && unexpected.length > 0) problems.push(`not in the module: ${listNames(unexpected)}`);
  const mismatched: string[] = [];
  for (const [name, variable] of variables) {
    const spec = saved.get(name);
    if (spec === undefined) continue;
    if (!sameShape(spec.shape, variable.shape) || spec.dtype !== variable.dtype) {
      mismatched.push(
        `"${name}" is ${spec.dtype} [${spec.shape.join(', ')}] in the saved weights, ` +
          `${variable.dtype} [${variable.shape.join(', ')}] in the module`,
      );
    }
  }
  if (mismatched.length > 0) problems.push(listNames(mismatched, false));
  const expectedBytes = byteLengthOf(specs);
  if (expectedBytes !== undefined && expectedBytes !== artifacts.data.byteLength) {
    problems.push(
      `the manifest describes ${expectedBytes} bytes but the data has ${artifacts.data.byteLength}`,
    );
  }
  if (problems.length > 0) {
    throw new AutomlError(source, `weights do not match the module: ${problems.join('; ')}`);
  }
  const decoded = tf.io.decodeWeights(artifacts.data, [...specs]);
  try {
    for (const [name, variable] of variables) {
      const tensor = decoded[name];
      if (tensor !== undefined) variable.assign(tensor);
    }
  } finally {
    tf.dispose(decoded);
  }
}

const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** Total bytes of unquantized numeric specs; `undefined` when a spec is quantized or a string. */
function byteLengthOf(specs: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const bytes = BYTES_PER_ELEMENT[spec.dtype];
    if (bytes === undefined || spec.quantization !== undefined) return undefined;
    total += bytes * spec.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

function listNames(names: readonly string[], quote = true, limit = 8): string {
  const shown = names.slice(0, limit).map((name) => (quote ? `"${name}"` : name));
  const more = names.length > limit ? ` and ${names.length - limit} more` : '';
  return `${shown.join(', ')}${more}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
