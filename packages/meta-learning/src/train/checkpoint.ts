import {
  AutomlError,
  type Optimizer,
  type OptimizerState,
  type Rng,
  type RngState,
  restoreRng,
  writeFileAtomic,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { describeValue, errorFactory, messageOf } from '../internal/errors.js';
import type { MetaLearner } from '../learner.js';

/** A JSON value: the free-form state a checkpoint carries (training curves, elapsed time). */
export type CheckpointJson =
  | string
  | number
  | boolean
  | null
  | readonly CheckpointJson[]
  | { readonly [key: string]: CheckpointJson };

/** What {@link saveMetaCheckpoint} stores. */
export interface MetaCheckpointContents {
  /** Its meta-variables (module parameters and buffers, Meta-SGD's learning rates) are saved by name. */
  learner: MetaLearner;
  /** The outer optimizer: step count and slots (momentum, Adam moments) by parameter name. */
  optimizer: Optimizer;
  /** The generator of the task stream, to continue it exactly. */
  rng: Rng;
  /** Meta-iterations done. */
  iteration: number;
  /** Anything else to resume (history, elapsed time), as JSON. */
  state?: CheckpointJson;
}

/** What {@link loadMetaCheckpoint} returns besides filling the learner and optimizer. */
export interface LoadedMetaCheckpoint {
  readonly iteration: number;
  /** The task generator, continuing where the saved one stopped. */
  readonly rng: Rng;
  readonly state: CheckpointJson;
}

/** Manifest of a meta-learning checkpoint directory; written last, so its presence means the checkpoint is complete. */
export const META_CHECKPOINT_FILE = 'meta-checkpoint.json';

const FORMAT = 'automl-ts-meta-checkpoint';
const VERSION = 1;
const LEARNER_PREFIX = 'learner/';
const OPTIMIZER_PREFIX = 'optimizer/';
const SHARD_PATTERN = /^tensors\.[0-9a-f]{16}\.bin$/;

interface Manifest {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly algorithm: string;
  readonly iteration: number;
  readonly rng: RngState;
  readonly optimizer: {
    readonly className: string;
    readonly iterations: number;
    /** Steps each parameter took part in (Adam's per-parameter bias correction); absent in older checkpoints. */
    readonly parameterSteps?: Readonly<Record<string, number>>;
  };
  readonly state: CheckpointJson;
  readonly shard: string;
  readonly specs: tf.io.WeightsManifestEntry[];
}

type NodeModules = {
  fs: typeof import('node:fs/promises');
  path: typeof import('node:path');
  crypto: typeof import('node:crypto');
};

async function node(): Promise<NodeModules> {
  const [fs, path, crypto] = await Promise.all([
    import('node:fs/promises'),
    import('node:path'),
    import('node:crypto'),
  ]);
  return { fs, path, crypto };
}

/**
 * Saves meta-training state into `directory` so that a run resumes exactly: the learner's
 * meta-variables and the optimizer's slots go to one content-named binary shard, then the manifest
 * (iteration, generator state, optimizer step count, your JSON state) replaces the previous one
 * with core's atomic `writeFileAtomic`. Until that rename the previous checkpoint stays complete;
 * a crash midway leaves it loadable. Stale shards are removed afterwards. Node only.
 *
 * @example
 * await saveMetaCheckpoint('runs/maml/ckpt', { learner: maml, optimizer, rng, iteration: 1000, state: { history } });
 */
export async function saveMetaCheckpoint(directory: string, contents: MetaCheckpointContents): Promise<void> {
  const fail = errorFactory('saveMetaCheckpoint');
  const { iteration, learner, optimizer, rng } = contents;
  if (!Number.isSafeInteger(iteration) || iteration < 0) {
    throw fail(`iteration must be an integer >= 0, got ${describeValue(iteration)}`);
  }
  const { fs, path, crypto } = await node();
  const named: tf.NamedTensorMap = {};
  for (const [name, variable] of learner.metaVariables()) named[`${LEARNER_PREFIX}${name}`] = variable;
  const optimizerState = optimizer.getState();
  try {
    for (const [slot, byName] of Object.entries(optimizerState.slots)) {
      for (const [name, tensor] of Object.entries(byName))
        named[`${OPTIMIZER_PREFIX}${slot}/${name}`] = tensor;
    }
    const { data, specs } = await tf.io.encodeWeights(named);
    const bytes = new Uint8Array(data);
    const shard = `tensors.${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`;
    const manifest: Manifest = {
      format: FORMAT,
      version: VERSION,
      algorithm: learner.algorithm,
      iteration,
      rng: rng.state(),
      optimizer: {
        className: optimizerState.className,
        iterations: optimizerState.iterations,
        ...(optimizerState.parameterSteps === undefined
          ? {}
          : { parameterSteps: optimizerState.parameterSteps }),
      },
      state: contents.state ?? null,
      shard,
      specs,
    };
    const text = `${JSON.stringify(manifest)}\n`;
    await fs.mkdir(directory, { recursive: true });
    await writeFileAtomic(path.join(directory, shard), bytes);
    await writeFileAtomic(path.join(directory, META_CHECKPOINT_FILE), text);
    const stale = (await fs.readdir(directory)).filter(
      (entry) => SHARD_PATTERN.test(entry) && entry !== shard,
    );
    await Promise.all(stale.map((entry) => fs.rm(path.join(directory, entry), { force: true })));
  } catch (error) {
    if (error instanceof AutomlError) throw error;
    throw fail(`could not save the checkpoint in "${directory}": ${messageOf(error)}`, error);
  } finally {
    for (const byName of Object.values(optimizerState.slots)) tf.dispose(Object.values(byName));
  }
}

/** True when `directory` holds a complete checkpoint written by {@link saveMetaCheckpoint}. Node only. */
export async function hasMetaCheckpoint(directory: string): Promise<boolean> {
  const { fs, path } = await node();
  return fs
    .stat(path.join(directory, META_CHECKPOINT_FILE))
    .then((stat) => stat.isFile())
    .catch(() => false);
}

function parseManifest(fail: (message: string) => Error, text: string, where: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`"${where}" is not JSON: ${messageOf(error)}`);
  }
  const manifest = json as Partial<Manifest> | null;
  if (manifest?.format !== FORMAT) throw fail(`"${where}" is not an automl-ts meta-learning checkpoint`);
  if (manifest.version !== VERSION) {
    throw fail(`"${where}" has version ${describeValue(manifest.version)}; this build reads ${VERSION}`);
  }
  const wellFormed =
    Number.isSafeInteger(manifest.iteration) &&
    typeof manifest.algorithm === 'string' &&
    typeof manifest.shard === 'string' &&
    SHARD_PATTERN.test(manifest.shard) &&
    Array.isArray(manifest.specs) &&
    typeof manifest.optimizer?.className === 'string' &&
    manifest.rng != null;
  if (!wellFormed) throw fail(`"${where}" is a malformed meta-learning checkpoint manifest`);
  return manifest as Manifest;
}

/**
 * Restores a checkpoint written by {@link saveMetaCheckpoint} into `learner` (same algorithm, same
 * variable names and shapes: everything is checked before anything is assigned) and `optimizer`
 * (same class, built over `learner.metaParameters()`), and returns the iteration, the task
 * generator and the JSON state. Node only.
 */
export async function loadMetaCheckpoint(
  directory: string,
  target: { learner: MetaLearner; optimizer: Optimizer },
): Promise<LoadedMetaCheckpoint> {
  const fail = errorFactory('loadMetaCheckpoint');
  const { fs, path } = await node();
  const manifestPath = path.join(directory, META_CHECKPOINT_FILE);
  const text = await fs.readFile(manifestPath, 'utf8').catch((error: unknown) => {
    throw fail(`cannot read "${manifestPath}": ${messageOf(error)}`, error);
  });
  const manifest = parseManifest(fail, text, manifestPath);
  const { learner, optimizer } = target;
  if (manifest.algorithm !== learner.algorithm) {
    throw fail(
      `the checkpoint in "${directory}" is from ${manifest.algorithm}, the learner is ${learner.algorithm}`,
    );
  }
  if (manifest.optimizer.className !== optimizer.className) {
    throw fail(
      `the checkpoint has ${manifest.optimizer.className} state, the optimizer is ${optimizer.className}`,
    );
  }
  const shardPath = path.join(directory, manifest.shard);
  const bytes = await fs.readFile(shardPath).catch((error: unknown) => {
    throw fail(`cannot read "${shardPath}": ${messageOf(error)}`, error);
  });
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let decoded: tf.NamedTensorMap;
  try {
    decoded = tf.io.decodeWeights(buffer, manifest.specs);
  } catch (error) {
    throw fail(`"${shardPath}" does not match its manifest: ${messageOf(error)}`, error);
  }
  try {
    const variables = learner.metaVariables();
    const problems: string[] = [];
    for (const [name, variable] of variables) {
      const saved = decoded[`${LEARNER_PREFIX}${name}`];
      if (saved === undefined) problems.push(`missing "${name}"`);
      else if (!tf.util.arraysEqual(saved.shape, variable.shape)) {
        problems.push(`"${name}" has shape [${saved.shape}], expected [${variable.shape}]`);
      }
    }
    for (const key of Object.keys(decoded)) {
      if (key.startsWith(LEARNER_PREFIX) && !variables.has(key.slice(LEARNER_PREFIX.length))) {
        problems.push(`unexpected "${key.slice(LEARNER_PREFIX.length)}"`);
      }
    }
    if (problems.length > 0) {
      throw fail(
        `the checkpoint in "${directory}" does not fit the learner: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? '; …' : ''}`,
      );
    }
    const slots: Record<string, Record<string, tf.Tensor>> = {};
    for (const [key, tensor] of Object.entries(decoded)) {
      if (!key.startsWith(OPTIMIZER_PREFIX)) continue;
      const rest = key.slice(OPTIMIZER_PREFIX.length);
      const slash = rest.indexOf('/');
      const slot = rest.slice(0, slash);
      slots[slot] = { ...(slots[slot] ?? {}), [rest.slice(slash + 1)]: tensor };
    }
    const state: OptimizerState = {
      className: manifest.optimizer.className,
      iterations: manifest.optimizer.iterations,
      slots,
      ...(manifest.optimizer.parameterSteps === undefined
        ? {}
        : { parameterSteps: manifest.optimizer.parameterSteps }),
    };
    optimizer.setState(state);
    for (const [name, variable] of variables)
      variable.assign(decoded[`${LEARNER_PREFIX}${name}`] as tf.Tensor);
  } finally {
    tf.dispose(Object.values(decoded));
  }
  return { iteration: manifest.iteration, rng: restoreRng(manifest.rng), state: manifest.state };
}
