import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { ArchValues, Module } from '../nn/module.js';
import { hasArchitectureDependentParts, standaloneSubnet } from '../supernet/extraction.js';
import type { LayerConversionContext } from './layer-converters.js';
import { layerConverters } from './layer-converters.js';

/** Options of {@link toLayersModel}. */
export interface ToLayersModelOptions {
  /** Input shape without the batch axis (`[32, 32, 3]`). @default the supernet's `inputShape` */
  inputShape?: readonly number[];
  /**
   * Architecture of a supernet (or of any module with dynamic parts): the sub-network is
   * extracted first, and only it is exported.
   */
  arch?: ArchValues;
  /** Name of the TF.js model. @default 'automl_ts_model' */
  name?: string;
}

const SOURCE = '@automl-ts/core/toLayersModel';

/**
 * A stock TF.js `LayersModel` (functional) computing what `module` computes in inference mode,
 * built only from TF.js's own layer classes, so `model.save(…)` writes a model that
 * `tf.loadLayersModel` loads anywhere TF.js runs, without automl-ts. Layer names follow the
 * modules' hierarchical names (`stage1.block0.conv1`). Each module class converts through
 * {@link layerConverters}; a class without a converter throws naming it and its path.
 *
 * Notes: grouped convolutions (1 < groups < channels) become a standard conv with a
 * block-diagonal kernel (exact, but `groups` times the parameters); hard-swish becomes
 * Rescaling → ReLU(6) → Rescaling → Multiply; batch norm uses its running statistics.
 *
 * @example
 * const model = toLayersModel(supernet, { arch: best }); // extracts, then converts
 * await model.save('file://exported/best'); // or 'indexeddb://best' in a browser
 */
export function toLayersModel(module: Module, options: ToLayersModelOptions = {}): tf.LayersModel {
  const inputShape = options.inputShape ?? (module as Partial<{ inputShape: readonly number[] }>).inputShape;
  if (
    !Array.isArray(inputShape) ||
    inputShape.length === 0 ||
    !inputShape.every((d) => Number.isInteger(d) && d >= 1)
  ) {
    throw new AutomlError(
      SOURCE,
      `inputShape must be positive integers without the batch axis, got ${describeValue(inputShape)}`,
    );
  }
  if (hasArchitectureDependentParts(module) && options.arch === undefined) {
    throw new AutomlError(
      SOURCE,
      `${module.className} "${module.path || 'root'}" has architecture-dependent parts; pass { arch } to export that sub-network`,
    );
  }
  const standalone = options.arch === undefined ? module : standaloneSubnet(module, options.arch, inputShape);
  try {
    return convert(standalone, inputShape, options.name ?? 'automl_ts_model');
  } finally {
    if (standalone !== module) standalone.dispose();
  }
}

function convert(module: Module, inputShape: readonly number[], modelName: string): tf.LayersModel {
  const used = new Set<string>(['input']);
  const pending: Array<{ owner: Module; layer: tf.layers.Layer; weights: tf.Tensor[] }> = [];
  const owned: tf.Tensor[] = [];
  const made: tf.layers.Layer[] = [];
  const uniqueName = (module: Module, suffix: string | undefined): string => {
    const base = [module.path === '' ? module.className.toLowerCase() : module.path, suffix]
      .filter((part) => part !== undefined)
      .join('_')
      .replace(/[^-A-Za-z0-9._/]/g, '_');
    const start = /^[A-Za-z0-9]/.test(base) ? base : `layer_${base}`;
    let name = start;
    for (let i = 1; used.has(name); i++) name = `${start}_${i}`;
    used.add(name);
    return name;
  };
  const ctx: LayerConversionContext = {
    convert(child, input) {
      if (!layerConverters.has(child.className)) {
        throw new AutomlError(
          SOURCE,
          `no converter for ${child.className} "${child.path || 'root'}"; register one with registerLayerConverter('${child.className}', …). ` +
            `Converters exist for: ${layerConverters.list().join(', ')}`,
        );
      }
      return layerConverters.get(child.className)(child, input, ctx);
    },
    apply(owner, make, inputs, options = {}) {
      if (options.weights !== undefined) owned.push(...options.weights);
      const layer = make(uniqueName(owner, options.suffix));
      made.push(layer);
      if (options.weights !== undefined) pending.push({ owner, layer, weights: options.weights });
      return layer.apply(inputs) as tf.SymbolicTensor;
    },
  };
  try {
    const input = tf.input({ shape: [...inputShape], name: 'input' });
    const output = ctx.convert(module, input);
    const model = tf.model({ inputs: input, outputs: output, name: modelName });
    for (const entry of pending) setWeightsChecked(entry, inputShape);
    return model;
  } catch (error) {
    // The layers built so far own variables: free them before reporting.
    for (const layer of made) if (layer.built) layer.dispose();
    throw error;
  } finally {
    tf.dispose(owned);
  }
}

/**
 * `layer.setWeights(weights)`, after checking that TF.js built the layer with the weights' shapes:
 * an `inputShape` the module was not built for (3 channels where it has 1) gives weights of one
 * shape and a layer of another, which TF.js reports without naming the module.
 */
function setWeightsChecked(
  entry: { owner: Module; layer: tf.layers.Layer; weights: tf.Tensor[] },
  inputShape: readonly number[],
): void {
  const { owner, layer, weights } = entry;
  const built = layer.weights.map((w) => w.shape);
  const index = weights.findIndex(
    (w, i) => w.shape.length !== built[i]?.length || w.shape.some((d, k) => d !== built[i]?.[k]),
  );
  if (index >= 0 || built.length !== weights.length) {
    const at = Math.max(index, 0);
    const input = layer.input;
    const seen = Array.isArray(input) ? '' : ` (its input there has shape [${input.shape.slice(1)}])`;
    throw new AutomlError(
      SOURCE,
      `${owner.className} "${owner.path || 'root'}" does not fit inputShape [${inputShape}]: its weight ` +
        `${layer.weights[at]?.name.split('/').at(-1) ?? at} has shape [${weights[at]?.shape}] but the TF.js layer ` +
        `"${layer.name}" built for this input needs [${built[at]}]${seen}; is inputShape the one the module was built for?`,
    );
  }
  layer.setWeights(weights);
}
