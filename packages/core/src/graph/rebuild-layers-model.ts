import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../internal/errors.js';
import { type ChannelAxis, type ChannelTransform, expandChannels, transformWeight } from './channel-ops.js';
import { type KerasLayer, kerasConfig, walkLayersModel } from './from-layers-model.js';
import { keptInput, type PrunePlan } from './prune-plan.js';
import type { LayerNode } from './types.js';

type Config = Record<string, unknown>;

interface LayerClass {
  fromConfig(cls: LayerClass, config: Config): KerasLayer;
}

/** The suffix of a Keras weight name: `conv1/kernel` → `kernel`. */
export function weightRole(weight: { originalName: string }): string {
  return weight.originalName.slice(weight.originalName.lastIndexOf('/') + 1);
}

/** How each weight of a Keras layer follows the plan's channels. */
function weightAxes(node: LayerNode, plan: PrunePlan, role: string): readonly ChannelAxis[] {
  const own = plan.kept.get(node.name) as readonly number[];
  const input = keptInput(plan, node.name);
  switch (node.className) {
    case 'Conv2D':
      return role === 'kernel'
        ? [
            { axis: 2, role: 'in', kept: input },
            { axis: 3, role: 'out', kept: own },
          ]
        : [{ axis: 0, role: 'out', kept: own }];
    case 'DepthwiseConv2D':
      return role === 'depthwise_kernel'
        ? [{ axis: 2, role: 'channel', kept: input }]
        : [{ axis: 0, role: 'out', kept: own }];
    case 'SeparableConv2D':
      if (role === 'depthwise_kernel') return [{ axis: 2, role: 'in', kept: input }];
      if (role === 'pointwise_kernel') {
        return [
          { axis: 2, role: 'channel', kept: expandChannels(input, node.depthMultiplier ?? 1) },
          { axis: 3, role: 'out', kept: own },
        ];
      }
      return [{ axis: 0, role: 'out', kept: own }];
    case 'Dense':
      return role === 'kernel'
        ? [
            { axis: 0, role: 'in', kept: input },
            { axis: 1, role: 'out', kept: own },
          ]
        : [{ axis: 0, role: 'out', kept: own }];
    case 'BatchNormalization':
      return [{ axis: 0, role: 'channel', kept: own }];
    default:
      return [];
  }
}

/** Config changes that follow the plan (slicing only; masking keeps every shape). */
function configChanges(node: LayerNode, plan: PrunePlan): Config {
  const outChannels = (plan.kept.get(node.name) as readonly number[]).length;
  switch (node.className) {
    case 'Conv2D':
    case 'SeparableConv2D':
      return { filters: outChannels };
    case 'Dense':
      return { units: outChannels };
    default:
      return {};
  }
}

/**
 * Builds a new `tf.LayersModel` of the same kind (`Sequential` stays sequential) whose layers
 * follow `plan`: sliced for real pruning, or with the dropped inputs zeroed (`mask`). Layer names
 * are kept; the original model is untouched.
 */
export function rebuildLayersModel(
  source: string,
  model: tf.LayersModel,
  plan: PrunePlan,
  transform: ChannelTransform,
): tf.LayersModel {
  const walked = walkLayersModel(model);
  const callCount = new Map<KerasLayer, number>();
  for (const layer of walked.layers.values()) callCount.set(layer, (callCount.get(layer) ?? 0) + 1);
  for (const [name, layer] of walked.layers) {
    if ((callCount.get(layer) ?? 0) > 1 && layer.weights.length > 0) {
      throw new AutomlError(
        source,
        `layer "${layer.name}" (${layer.getClassName()}) is shared by several calls (${name}); pruning shared layers is not supported`,
      );
    }
  }

  const built: Array<{ node: LayerNode; old: KerasLayer; fresh: KerasLayer }> = [];
  const makeLayer = (node: LayerNode, old: KerasLayer): KerasLayer => {
    const cls = old.constructor as unknown as LayerClass;
    const config = { ...kerasConfig(old), ...(transform === 'slice' ? configChanges(node, plan) : {}) };
    const fresh = cls.fromConfig(cls, config);
    built.push({ node, old, fresh });
    return fresh;
  };

  let result: tf.LayersModel;
  if (model.getClassName() === 'Sequential') {
    const sequential = tf.sequential({ name: model.name });
    for (const node of plan.graph.layers()) {
      if (node.op === 'input') continue;
      const layer = makeLayer(node, walked.layers.get(node.name) as KerasLayer);
      if (sequential.layers.length === 0 && (layer.getConfig() as Config)['batchInputShape'] === undefined) {
        // The model began with an explicit InputLayer: give the copy one too.
        sequential.add(tf.layers.inputLayer({ inputShape: [...(node.inputShapes[0] ?? [])] }));
      }
      sequential.add(layer);
    }
    result = sequential;
  } else {
    const tensors = new Map<string, tf.SymbolicTensor>();
    for (const node of plan.graph.layers()) {
      const old = walked.layers.get(node.name) as KerasLayer;
      if (node.op === 'input') {
        const dtype = (old.getConfig() as Config)['dtype'];
        tensors.set(
          node.name,
          tf.input({
            shape: [...node.outputShape],
            name: old.name,
            ...(dtype === 'int32' || dtype === 'float32' ? { dtype } : {}),
          }),
        );
        continue;
      }
      const inputs = node.inputs.map((input) => tensors.get(input) as tf.SymbolicTensor);
      const output = makeLayer(node, old).apply(
        inputs.length === 1 ? (inputs[0] as tf.SymbolicTensor) : inputs,
      );
      tensors.set(node.name, output as tf.SymbolicTensor);
    }
    result = tf.model({
      name: model.name,
      inputs: walked.inputs.map((name) => tensors.get(name) as tf.SymbolicTensor),
      outputs: walked.outputs.map((name) => tensors.get(name) as tf.SymbolicTensor),
    });
  }

  for (const { node, old, fresh } of built) {
    if (old.weights.length === 0) continue;
    const values = fresh.weights.map((weight) => {
      const role = weightRole(weight);
      const original = old.weights.find((w) => weightRole(w) === role);
      if (original === undefined) {
        throw new AutomlError(
          source,
          `layer "${node.name}" (${node.className}) has no weight "${role}" to copy`,
        );
      }
      return transformWeight(original.read(), weightAxes(node, plan, role), transform);
    });
    try {
      fresh.setWeights(values);
    } finally {
      tf.dispose(values);
    }
  }
  return result;
}
