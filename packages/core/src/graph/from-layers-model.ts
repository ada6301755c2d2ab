import type * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { inferLayer } from './layer-math.js';
import type { LayerNode, LayerSettings, LayerShape, SpatialPadding } from './types.js';

/** A Keras-style layer as TF.js exposes it through its symbolic tensors. */
export type KerasLayer = tf.SymbolicTensor['sourceLayer'];

/** A walked `tf.LayersModel`: graph nodes in topological order and the Keras layer behind each. */
export interface WalkedLayersModel {
  readonly nodes: readonly LayerNode[];
  readonly layers: ReadonlyMap<string, KerasLayer>;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

const SOURCE = '@automl-ts/core/NetworkGraph.fromLayersModel';

type Config = Readonly<Record<string, unknown>>;

/** Keras classes {@link NetworkGraph.fromLayersModel} understands. */
export const SUPPORTED_KERAS_CLASSES: readonly string[] = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'Softmax',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'ZeroPadding2D',
  'Dropout',
  'Add',
  'Multiply',
  'Concatenate',
];

function pair(value: unknown, what: string, fail: (m: string) => AutomlError): readonly [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    return [value[0] as number, value[1] as number];
  }
  throw fail(`${what} must be a number or a pair, got ${describeValue(value)}`);
}

function padding(value: unknown, fail: (m: string) => AutomlError): SpatialPadding {
  if (value === 'same' || value === 'valid') return value;
  throw fail(`padding ${describeValue(value)} is not supported (use "same" or "valid")`);
}

function fusedActivation(config: Config): { activation?: string } {
  const activation = config['activation'];
  return typeof activation === 'string' && activation !== 'linear' ? { activation } : {};
}

function checkChannelsLast(config: Config, fail: (m: string) => AutomlError): void {
  const format = config['dataFormat'];
  if (format !== undefined && format !== 'channelsLast') {
    throw fail(`dataFormat ${describeValue(format)} is not supported (use "channelsLast")`);
  }
}

function checkLastAxis(config: Config, rank: number, fail: (m: string) => AutomlError): void {
  const axis = config['axis'];
  const normalized = typeof axis === 'number' && axis < 0 ? axis + rank : axis;
  if (normalized !== rank - 1) {
    throw fail(`axis ${describeValue(axis)} is not supported: only the channel (last) axis is`);
  }
}

/**
 * A layer's config as `getConfig()` returns it, completed where TF.js leaves a field out:
 * `SeparableConv2D.getConfig()` (tfjs-layers 4.22) omits `depthMultiplier`, so a copy built from
 * it would silently get multiplier 1.
 */
export function kerasConfig(layer: KerasLayer): Record<string, unknown> {
  const config = { ...(layer.getConfig() as Record<string, unknown>) };
  const own = (layer as unknown as { depthMultiplier?: unknown }).depthMultiplier;
  if (config['depthMultiplier'] === undefined && typeof own === 'number') config['depthMultiplier'] = own;
  return config;
}

/** The graph settings of one Keras layer, or an error naming it when its class or config is unsupported. */
function kerasSettings(layer: KerasLayer, inputShapes: readonly LayerShape[]): LayerSettings {
  const className = layer.getClassName();
  const fail = (message: string): AutomlError =>
    new AutomlError(SOURCE, `layer "${layer.name}" (${className}): ${message}`);
  const config = kerasConfig(layer);
  const inShape = inputShapes[0] ?? [];
  const inChannels = inShape[inShape.length - 1] ?? 0;
  switch (className) {
    case 'Conv2D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      checkChannelsLast(config, fail);
      const common = {
        kernelSize: pair(config['kernelSize'], 'kernelSize', fail),
        strides: pair(config['strides'], 'strides', fail),
        padding: padding(config['padding'], fail),
        dilation: pair(config['dilationRate'], 'dilationRate', fail),
        inChannels,
        useBias: config['useBias'] === true,
        ...fusedActivation(config),
      };
      if (className === 'Conv2D') {
        return { op: 'conv2d', ...common, groups: 1, outChannels: config['filters'] as number };
      }
      const depthMultiplier = (config['depthMultiplier'] as number | undefined) ?? 1;
      if (className === 'DepthwiseConv2D') {
        return {
          op: 'conv2d',
          ...common,
          groups: inChannels,
          depthMultiplier,
          outChannels: inChannels * depthMultiplier,
        };
      }
      return { op: 'separableConv2d', ...common, depthMultiplier, outChannels: config['filters'] as number };
    }
    case 'Dense':
      return {
        op: 'dense',
        inChannels,
        outChannels: config['units'] as number,
        useBias: config['useBias'] === true,
        ...fusedActivation(config),
      };
    case 'BatchNormalization':
      checkLastAxis(config, inShape.length + 1, fail);
      return {
        op: 'batchNorm',
        epsilon: config['epsilon'] as number,
        center: config['center'] !== false,
        scale: config['scale'] !== false,
      };
    case 'Activation':
      return { op: 'activation', activation: String(config['activation']) };
    case 'ReLU': {
      const max = config['maxValue'];
      if (max === null || max === undefined) return { op: 'activation', activation: 'relu' };
      if (max === 6) return { op: 'activation', activation: 'relu6' };
      throw fail(`maxValue ${describeValue(max)} is not supported (only none or 6)`);
    }
    case 'LeakyReLU':
      return { op: 'activation', activation: 'leakyRelu', alpha: config['alpha'] as number };
    case 'ELU':
      return { op: 'activation', activation: 'elu', alpha: config['alpha'] as number };
    case 'Softmax':
      checkLastAxis(config, inShape.length + 1, fail);
      return { op: 'activation', activation: 'softmax' };
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      checkChannelsLast(config, fail);
      const kernelSize = pair(config['poolSize'], 'poolSize', fail);
      const strides = config['strides'] == null ? kernelSize : pair(config['strides'], 'strides', fail);
      return {
        op: className === 'MaxPooling2D' ? 'maxPool' : 'avgPool',
        kernelSize,
        strides,
        padding: padding(config['padding'], fail),
      };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      checkChannelsLast(config, fail);
      return { op: className === 'GlobalAveragePooling2D' ? 'globalAvgPool' : 'globalMaxPool' };
    case 'Flatten':
      return { op: 'flatten' };
    case 'ZeroPadding2D': {
      checkChannelsLast(config, fail);
      const raw = config['padding'];
      const rows = Array.isArray(raw) ? pair(raw[0], 'padding[0]', fail) : pair(raw, 'padding', fail);
      const cols = Array.isArray(raw) ? pair(raw[1], 'padding[1]', fail) : rows;
      return { op: 'pad', paddings: [rows, cols, [0, 0]] };
    }
    case 'Dropout':
      return { op: 'dropout', rate: config['rate'] as number };
    case 'Add':
      return { op: 'add' };
    case 'Multiply':
      return { op: 'mul' };
    case 'Concatenate':
      checkLastAxis(config, inShape.length + 1, fail);
      return { op: 'concat' };
    default:
      throw fail(
        `layer class "${className}" is not supported by the network graph; supported: ${SUPPORTED_KERAS_CLASSES.join(', ')}`,
      );
  }
}

const keyOf = (layer: KerasLayer, nodeIndex: number): string => `${layer.name}\u0000${nodeIndex}`;

/**
 * Walks a functional or sequential `tf.LayersModel` from its outputs back to its inputs and
 * describes every layer call as a graph node, in topological order.
 */
export function walkLayersModel(model: tf.LayersModel): WalkedLayersModel {
  const visited = new Map<string, { layer: KerasLayer; nodeIndex: number }>();
  const order: Array<{ layer: KerasLayer; nodeIndex: number }> = [];
  const onStack = new Set<string>();
  const callsPerLayer = new Map<KerasLayer, Set<number>>();

  const visit = (tensor: tf.SymbolicTensor): void => {
    const layer = tensor.sourceLayer;
    const key = keyOf(layer, tensor.nodeIndex);
    if (visited.has(key)) return;
    if (tensor.tensorIndex !== 0) {
      throw new AutomlError(
        SOURCE,
        `layer "${layer.name}" (${layer.getClassName()}) has several outputs; only single-output layers are supported`,
      );
    }
    if (onStack.has(key)) throw new AutomlError(SOURCE, `layer "${layer.name}" is part of a cycle`);
    onStack.add(key);
    const node = layer.inboundNodes[tensor.nodeIndex];
    if (layer.getClassName() !== 'InputLayer') for (const input of node?.inputTensors ?? []) visit(input);
    onStack.delete(key);
    const entry = { layer, nodeIndex: tensor.nodeIndex };
    visited.set(key, entry);
    order.push(entry);
    const calls = callsPerLayer.get(layer) ?? new Set<number>();
    calls.add(tensor.nodeIndex);
    callsPerLayer.set(layer, calls);
  };
  for (const output of model.outputs) visit(output);

  const names = new Map<string, string>();
  for (const { layer, nodeIndex } of order) {
    const shared = (callsPerLayer.get(layer)?.size ?? 1) > 1;
    names.set(keyOf(layer, nodeIndex), shared ? `${layer.name}@${nodeIndex}` : layer.name);
  }
  const nameOf = (tensor: tf.SymbolicTensor): string =>
    names.get(keyOf(tensor.sourceLayer, tensor.nodeIndex)) as string;

  const nodes: LayerNode[] = [];
  const layers = new Map<string, KerasLayer>();
  const shapes = new Map<string, LayerShape>();
  for (const { layer, nodeIndex } of order) {
    const name = names.get(keyOf(layer, nodeIndex)) as string;
    const kerasNode = layer.inboundNodes[nodeIndex];
    const outputTensor = kerasNode?.outputTensors[0];
    if (kerasNode === undefined || outputTensor === undefined) {
      throw new AutomlError(SOURCE, `layer "${layer.name}" has no call node ${nodeIndex}`);
    }
    const kerasShape = outputTensor.shape.slice(1);
    if (kerasShape.some((d) => d === null)) {
      throw new AutomlError(
        SOURCE,
        `layer "${layer.name}" (${layer.getClassName()}) has an unknown output dimension [${outputTensor.shape}]; give the model a fixed input shape`,
      );
    }
    const isInput = layer.getClassName() === 'InputLayer';
    const inputs = isInput ? [] : kerasNode.inputTensors.map(nameOf);
    const inputShapes = isInput
      ? [kerasShape as number[]]
      : inputs.map((input) => shapes.get(input) as LayerShape);
    const settings: LayerSettings = isInput ? { op: 'input' } : kerasSettings(layer, inputShapes);
    const cost = inferLayer(SOURCE, name, settings, inputShapes);
    if (!sameShape(cost.outputShape, kerasShape as number[])) {
      throw new AutomlError(
        SOURCE,
        `layer "${layer.name}" (${layer.getClassName()}): computed output shape [${cost.outputShape}] differs from TF.js's [${kerasShape}]`,
      );
    }
    nodes.push({
      ...settings,
      name,
      className: layer.getClassName(),
      inputs,
      inputShapes: isInput ? [] : inputShapes,
      outputShape: cost.outputShape,
      macs: cost.macs,
      params: cost.params,
    });
    layers.set(name, layer);
    shapes.set(name, cost.outputShape);
  }
  return {
    nodes,
    layers,
    inputs: model.inputs.map(nameOf),
    outputs: model.outputs.map(nameOf),
  };
}

/** True when two shapes have the same dimensions. */
export function sameShape(a: LayerShape, b: LayerShape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
