import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { JsonValue } from '../nn/layers/layer-utils.js';
import type { Module } from '../nn/module.js';
import { type Rng, type RngState, restoreRng } from '../random/rng.js';
import type { OptimizerState } from '../train/optimizer.js';
import { messageOf, nodeFs, nodePath, readText } from './io-util.js';
import {
  assignNamedWeights,
  encodeModuleWeights,
  isWeightsManifest,
  readManifestShards,
  removeStaleShards,
  writeShard,
} from './weights.js';
import { TEMP_FILE_PATTERN, writeFileAtomic } from './write-file-atomic.js';

/**
 * An optimizer whose state is named by parameter (automl-ts's `SGD`, `Adam`, `AdamW`): the
 * checkpoint stores `getState()` and restores it with `setState()`.
 */
export interface NamedStateOptimizer {
  readonly className: string;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
}

/** The optimizers a checkpoint can hold: automl-ts's (named state) or TF.js's (`getWeights()` in order). */
export type CheckpointOptimizer = NamedStateOptimizer | tf.Optimizer;

/** What {@link saveCheckpoint} stores. */
export interface CheckpointContents {
  /** The module (or supernet) whose parameters and buffers are saved by hierarchical name. */
  module: Module;
  /**
   * The optimizer's state: for automl-ts optimizers the step count and every slot by parameter
   * name; for TF.js optimizers `getWeights()` in order (restore into one built for the same
   * variables in the same order).
   */
  optimizer?: CheckpointOptimizer;
  /** The training generator (or its state), restored by {@link loadCheckpoint} as an `Rng`. */
  rng?: Rng | RngState;
  /**
   * Training step reached.
   * @default 0
   */
  step?: number;
  /** Anything else the run needs to resume (epoch, best score, search history), as JSON. */
  state?: JsonValue;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Receives the saved weights (names and shapes must match). */
  module: Module;
  /** Receives the saved optimizer state; required when the checkpoint has one, unless `ignoreOptimizer`. */
  optimizer?: CheckpointOptimizer;
  /**
   * Skip the optimizer state (e.g. to fine-tune with a fresh optimizer).
   * @default false
   */
  ignoreOptimizer?: boolean;
}

/** What {@link loadCheckpoint} returns besides filling the module and optimizer. */
export interface LoadedCheckpoint {
  readonly step: number;
  /** The restored generator, continuing exactly where the saved one was; `undefined` if none was saved. */
  readonly rng: Rng | undefined;
  readonly state: JsonValue;
}

/** The manifest file of a checkpoint directory; written last, so its presence means the checkpoint is complete. */
export const CHECKPOINT_MANIFEST_FILE = 'checkpoint.json';

const FORMAT = 'automl-ts-checkpoint';
const VERSION = 1;

type OptimizerRecord =
  | {
      /** automl-ts optimizer: slot tensors named `<slot>/<parameter>`. */
      readonly kind: 'named';
      readonly className: string;
      readonly iterations: number;
      /** Steps per parameter (Adam's bias correction); absent in checkpoints written before them. */
      readonly parameterSteps?: Readonly<Record<string, number>>;
      readonly weightsManifest: tf.io.WeightsManifestConfig;
    }
  | {
      /** TF.js optimizer: `getWeights()` in order, stored as `slot<i>`, with their original names. */
      readonly kind: 'tfjs';
      readonly className: string;
      readonly names: readonly string[];
      readonly weightsManifest: tf.io.WeightsManifestConfig;
    };

interface CheckpointManifest {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly step: number;
  readonly rng: RngState | null;
  readonly state: JsonValue;
  readonly weightsManifest: tf.io.WeightsManifestConfig;
  readonly optimizer: OptimizerRecord | null;
}

/**
 * Saves a training checkpoint into `directory` as one unit: the module's weights and the
 * optimizer's state go to content-named binary shards (TF.js weights format), then
 * `checkpoint.json` (step, rng state, your JSON state, and the weights manifests) replaces the
 * previous one atomically with {@link writeFileAtomic}. Until that rename the previous
 * checkpoint stays complete and loadable; a save that fails or crashes midway leaves it intact.
 * Shards no longer referenced are removed afterwards. Node only; one writer per directory.
 *
 * @example
 * await saveCheckpoint('runs/exp1/ckpt', { module: net, optimizer, rng, step, state: { epoch } });
 * // later, after a restart:
 * const { step, rng, state } = await loadCheckpoint('runs/exp1/ckpt', { module: net, optimizer });
 */
export async function saveCheckpoint(directory: string, contents: CheckpointContents): Promise<void> {
  const source = '@automl-ts/core/saveCheckpoint';
  const step = contents.step ?? 0;
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new AutomlError(source, `step must be a non-negative integer, got ${describeValue(step)}`);
  }
  const fs = await nodeFs();
  const { join } = await nodePath();
  await fs.mkdir(directory, { recursive: true });

  const written: string[] = [];
  try {
    const weights = await encodeModuleWeights(contents.module);
    const weightsShard = await writeShard(directory, 'weights', weights.data);
    written.push(weightsShard);
    let optimizer: OptimizerRecord | null = null;
    if (contents.optimizer !== undefined) {
      const encoded = await encodeOptimizer(contents.optimizer);
      const optimizerShard = await writeShard(directory, 'optimizer', encoded.data);
      written.push(optimizerShard);
      optimizer = {
        ...encoded.record,
        weightsManifest: [{ paths: [optimizerShard], weights: encoded.specs }],
      };
    }
    const rng = contents.rng === undefined ? null : isRng(contents.rng) ? contents.rng.state() : contents.rng;
    const manifest: CheckpointManifest = {
      format: FORMAT,
      version: VERSION,
      step,
      rng,
      state: contents.state ?? null,
      weightsManifest: [{ paths: [weightsShard], weights: [...weights.specs] }],
      optimizer,
    };
    // Serialise before touching the manifest: a state that cannot be written must not cost the old checkpoint.
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFileAtomic(join(directory, CHECKPOINT_MANIFEST_FILE), text);
  } catch (error) {
    await removeUnreferenced(directory, written);
    if (error instanceof AutomlError) throw error;
    throw new AutomlError(source, `could not save the checkpoint in "${directory}": ${messageOf(error)}`, {
      cause: error,
    });
  }
  await removeStaleShards(directory, 'weights', new Set(written));
  await removeStaleShards(directory, 'optimizer', new Set(written));
  await removeTemporaryFiles(directory);
}

/**
 * Loads a checkpoint written by {@link saveCheckpoint}: assigns the weights to `module`
 * (checking every name and shape first), restores the optimizer's state, and returns the step,
 * the generator and the JSON state. Node only.
 */
export async function loadCheckpoint(
  directory: string,
  options: LoadCheckpointOptions,
): Promise<LoadedCheckpoint> {
  const source = '@automl-ts/core/loadCheckpoint';
  const { join } = await nodePath();
  const manifestPath = join(directory, CHECKPOINT_MANIFEST_FILE);
  const manifest = parseCheckpointManifest(await readText(manifestPath, source), manifestPath, source);

  const saved = manifest.optimizer;
  const optimizer = saved === null || options.ignoreOptimizer === true ? undefined : options.optimizer;
  if (saved !== null && options.ignoreOptimizer !== true) {
    if (optimizer === undefined) {
      throw new AutomlError(
        source,
        `the checkpoint in "${directory}" has ${saved.className} optimizer state; pass { optimizer } ` +
          'to restore it or { ignoreOptimizer: true } to skip it',
      );
    }
    const given = optimizerClassName(optimizer);
    if (saved.className !== given || saved.kind !== optimizerKind(optimizer)) {
      throw new AutomlError(
        source,
        `the checkpoint has ${saved.className} optimizer state but the optimizer given is ${given}`,
      );
    }
  }

  const weights = await readManifestShards(manifest.weightsManifest, manifestPath, source);
  assignNamedWeights(options.module.namedVariables(), weights, true, source);

  if (saved !== null && optimizer !== undefined) {
    const slots = await readManifestShards(saved.weightsManifest, manifestPath, source);
    const decoded = tf.io.decodeWeights(slots.data, [...slots.specs]);
    try {
      if (saved.kind === 'named') {
        restoreNamedState(optimizer as NamedStateOptimizer, saved, decoded);
      } else {
        await restoreTfjsWeights(optimizer as tf.Optimizer, saved, decoded, source);
      }
    } finally {
      tf.dispose(decoded);
    }
  }

  return {
    step: manifest.step,
    rng: manifest.rng === null ? undefined : restoreRng(manifest.rng),
    state: manifest.state,
  };
}

function isRng(value: Rng | RngState): value is Rng {
  return typeof (value as Partial<Rng>).state === 'function';
}

function isNamedStateOptimizer(optimizer: CheckpointOptimizer): optimizer is NamedStateOptimizer {
  const candidate = optimizer as Partial<NamedStateOptimizer>;
  return typeof candidate.getState === 'function' && typeof candidate.setState === 'function';
}

function optimizerKind(optimizer: CheckpointOptimizer): OptimizerRecord['kind'] {
  return isNamedStateOptimizer(optimizer) ? 'named' : 'tfjs';
}

function optimizerClassName(optimizer: CheckpointOptimizer): string {
  return isNamedStateOptimizer(optimizer) ? optimizer.className : optimizer.getClassName();
}

function slotName(index: number): string {
  return `slot${index}`;
}

type EncodedOptimizer = {
  record:
    | Omit<Extract<OptimizerRecord, { kind: 'named' }>, 'weightsManifest'>
    | Omit<Extract<OptimizerRecord, { kind: 'tfjs' }>, 'weightsManifest'>;
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
};

async function encodeOptimizer(optimizer: CheckpointOptimizer): Promise<EncodedOptimizer> {
  if (isNamedStateOptimizer(optimizer)) {
    const state = optimizer.getState();
    const named: tf.NamedTensorMap = {};
    for (const [slot, byParameter] of Object.entries(state.slots)) {
      for (const [parameter, tensor] of Object.entries(byParameter)) named[`${slot}/${parameter}`] = tensor;
    }
    try {
      const { data, specs } = await tf.io.encodeWeights(named);
      return {
        record: {
          kind: 'named',
          className: state.className,
          iterations: state.iterations,
          ...(state.parameterSteps === undefined ? {} : { parameterSteps: state.parameterSteps }),
        },
        specs,
        data,
      };
    } finally {
      tf.dispose(Object.values(named));
    }
  }
  const slots = await optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(
      slots.map((slot, i) => ({ name: slotName(i), tensor: slot.tensor })),
    );
    return {
      record: { kind: 'tfjs', className: optimizer.getClassName(), names: slots.map((slot) => slot.name) },
      specs,
      data,
    };
  } finally {
    // getWeights returns the slot variables themselves plus fresh tensors (the iteration count): free only the latter.
    for (const slot of slots) if (!(slot.tensor instanceof tf.Variable)) slot.tensor.dispose();
  }
}

function restoreNamedState(
  optimizer: NamedStateOptimizer,
  saved: Extract<OptimizerRecord, { kind: 'named' }>,
  decoded: tf.NamedTensorMap,
): void {
  const slots: Record<string, Record<string, tf.Tensor>> = {};
  for (const [key, tensor] of Object.entries(decoded)) {
    const cut = key.indexOf('/');
    const slot = key.slice(0, cut);
    const parameter = key.slice(cut + 1);
    slots[slot] ??= {};
    (slots[slot] as Record<string, tf.Tensor>)[parameter] = tensor;
  }
  optimizer.setState({
    className: saved.className,
    iterations: saved.iterations,
    slots,
    ...(saved.parameterSteps === undefined ? {} : { parameterSteps: saved.parameterSteps }),
  });
}

async function restoreTfjsWeights(
  optimizer: tf.Optimizer,
  saved: Extract<OptimizerRecord, { kind: 'tfjs' }>,
  decoded: tf.NamedTensorMap,
  source: string,
): Promise<void> {
  const namedSlots = saved.names.map((name, i) => {
    const tensor = decoded[slotName(i)];
    if (tensor === undefined)
      throw new AutomlError(source, `optimizer slot ${i} ("${name}") is missing from its shard`);
    return { name, tensor };
  });
  // TF.js optimizers replace their slot variables in setWeights without freeing the old ones.
  const previous = await optimizer.getWeights();
  for (const slot of previous) if (!(slot.tensor instanceof tf.Variable)) slot.tensor.dispose();
  await optimizer.setWeights(namedSlots);
  for (const slot of previous) if (slot.tensor instanceof tf.Variable) slot.tensor.dispose();
}

function parseCheckpointManifest(text: string, where: string, source: string): CheckpointManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AutomlError(source, `"${where}" is not JSON: ${messageOf(error)}`, { cause: error });
  }
  const record = (json ?? {}) as Partial<Record<keyof CheckpointManifest, unknown>>;
  if (record.format !== FORMAT) {
    throw new AutomlError(
      source,
      `"${where}" is not an automl-ts checkpoint (format ${describeValue(record.format)})`,
    );
  }
  if (record.version !== VERSION) {
    throw new AutomlError(
      source,
      `"${where}" has checkpoint version ${describeValue(record.version)}; this build reads ${VERSION}`,
    );
  }
  const optimizer = record.optimizer as Partial<Record<string, unknown>> | null | undefined;
  const optimizerOk =
    optimizer === null ||
    (typeof optimizer === 'object' &&
      typeof optimizer['className'] === 'string' &&
      isWeightsManifest(optimizer['weightsManifest']) &&
      ((optimizer['kind'] === 'named' && Number.isSafeInteger(optimizer['iterations'])) ||
        (optimizer['kind'] === 'tfjs' && Array.isArray(optimizer['names']))));
  if (!Number.isSafeInteger(record.step) || !isWeightsManifest(record.weightsManifest) || !optimizerOk) {
    throw new AutomlError(source, `"${where}" is a malformed checkpoint manifest`);
  }
  return json as CheckpointManifest;
}

async function removeUnreferenced(directory: string, written: readonly string[]): Promise<void> {
  if (written.length === 0) return;
  const fs = await nodeFs();
  const { join } = await nodePath();
  let referenced = new Set<string>();
  try {
    const current = JSON.parse(
      await fs.readFile(join(directory, CHECKPOINT_MANIFEST_FILE), 'utf8'),
    ) as CheckpointManifest;
    referenced = new Set([
      ...current.weightsManifest.flatMap((group) => group.paths),
      ...(current.optimizer?.weightsManifest.flatMap((group) => group.paths) ?? []),
    ]);
  } catch {
    // No previous checkpoint (or an unreadable one): nothing written now is referenced.
  }
  await Promise.all(
    written
      .filter((name) => !referenced.has(name))
      .map((name) => fs.rm(join(directory, name), { force: true })),
  );
}

async function removeTemporaryFiles(directory: string): Promise<void> {
  const fs = await nodeFs();
  const { join } = await nodePath();
  const entries = await fs.readdir(directory);
  await Promise.all(
    entries
      .filter((entry) => TEMP_FILE_PATTERN.test(entry))
      .map((entry) => fs.rm(join(directory, entry), { force: true })),
  );
}
