import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../internal/errors.js';
import { isNode, messageOf, nodeFs, nodePath, readText } from './io-util.js';
import { readManifestShards, removeStaleShards, writeShard } from './weights.js';
import { writeFileAtomic } from './write-file-atomic.js';

const SCHEME = 'file://';
const MODEL_JSON = 'model.json';

type Router = Parameters<typeof tf.io.registerSaveRouter>[0];

let registered = false;
// Set while this router asks the registry whether another router serves the same URL.
let consulting = false;

/**
 * Lets stock TF.js save and load `file://` URLs in Node without `@tensorflow/tfjs-node`:
 * `model.save('file://out/model')` writes `out/model/model.json` and a weights shard, and
 * `tf.loadLayersModel('file://out/model/model.json')` (or the directory) reads them back.
 * Files are written with {@link writeFileAtomic}; the shard's name carries a hash of its
 * contents and `model.json` is written last, so a crash mid-save leaves the previous model
 * loadable.
 *
 * The router steps aside whenever another `file://` router is registered (tfjs-node brings
 * its own), also one registered later, so `model.save` never sees two handlers. Calling it
 * again is a no-op. Returns whether this call registered the router (false outside Node).
 *
 * @example
 * registerFileSystemRouter();
 * await model.save('file:///tmp/my-model');
 * const again = await tf.loadLayersModel('file:///tmp/my-model/model.json');
 */
export function registerFileSystemRouter(): boolean {
  if (registered || !isNode()) return false;
  registered = true;
  tf.io.registerSaveRouter(
    routerFor(tf.io.getSaveHandlers, (path) => ({
      save: (artifacts) => saveModelArtifacts(path, artifacts),
    })),
  );
  tf.io.registerLoadRouter(
    routerFor(tf.io.getLoadHandlers, (path) => ({ load: () => loadModelArtifacts(path) })),
  );
  return true;
}

function routerFor(
  registeredHandlers: (url: string) => tf.io.IOHandler[],
  makeHandler: (path: string) => tf.io.IOHandler,
): Router {
  const route = (url: string | string[]): tf.io.IOHandler | null => {
    if (consulting || typeof url !== 'string' || !url.startsWith(SCHEME)) return null;
    consulting = true;
    try {
      if (registeredHandlers(url).length > 0) return null;
    } finally {
      consulting = false;
    }
    return makeHandler(url.slice(SCHEME.length));
  };
  return route as Router;
}

async function saveModelArtifacts(path: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const source = '@automl-ts/core/fileSystemRouter.save';
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new AutomlError(source, `saving a binary (GraphDef) model topology to "${path}" is not supported`);
  }
  const fs = await nodeFs();
  const { join, dirname } = await nodePath();
  const isJsonPath = path.endsWith('.json');
  const directory = isJsonPath ? dirname(path) : path;
  const modelJsonPath = isJsonPath ? path : join(directory, MODEL_JSON);
  try {
    await fs.mkdir(directory, { recursive: true });
    const paths: string[] = [];
    if (artifacts.weightData !== undefined) {
      paths.push(await writeShard(directory, 'weights', tf.io.concatenateArrayBuffers(artifacts.weightData)));
    }
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology ?? {},
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
    };
    if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
    if (artifacts.signature !== undefined) modelJson.signature = artifacts.signature;
    if (artifacts.userDefinedMetadata !== undefined)
      modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
    if (artifacts.modelInitializer !== undefined) modelJson.modelInitializer = artifacts.modelInitializer;
    if (artifacts.initializerSignature !== undefined)
      modelJson.initializerSignature = artifacts.initializerSignature;
    await writeFileAtomic(modelJsonPath, JSON.stringify(modelJson));
    await removeStaleShards(directory, 'weights', new Set(paths));
  } catch (error) {
    if (error instanceof AutomlError) throw error;
    throw new AutomlError(source, `could not save the model to "${path}": ${messageOf(error)}`, {
      cause: error,
    });
  }
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

async function loadModelArtifacts(path: string): Promise<tf.io.ModelArtifacts> {
  const source = '@automl-ts/core/fileSystemRouter.load';
  const fs = await nodeFs();
  const { join } = await nodePath();
  const stat = await fs.stat(path).catch((error: unknown) => {
    throw new AutomlError(source, `cannot read "${path}": ${messageOf(error)}`, { cause: error });
  });
  const modelJsonPath = stat.isDirectory() ? join(path, MODEL_JSON) : path;
  const text = await readText(modelJsonPath, source);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(text) as tf.io.ModelJSON;
  } catch (error) {
    throw new AutomlError(source, `"${modelJsonPath}" is not JSON: ${messageOf(error)}`, { cause: error });
  }
  if (typeof modelJson !== 'object' || modelJson === null || modelJson.modelTopology == null) {
    throw new AutomlError(source, `"${modelJsonPath}" has no modelTopology; is it a TF.js model.json?`);
  }
  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const { specs, data } = await readManifestShards(manifest ?? [], modelJsonPath, source);
    return [[...specs], data];
  });
}
