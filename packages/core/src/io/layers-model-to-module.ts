import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { Activation, type ActivationKind } from '../nn/layers/activation.js';
import { AvgPool2d } from '../nn/layers/avg-pool2d.js';
import { BatchNorm } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Dense } from '../nn/layers/dense.js';
import { Dropout } from '../nn/layers/dropout.js';
import { Flatten } from '../nn/layers/flatten.js';
import { GlobalAvgPool } from '../nn/layers/global-avg-pool.js';
import { MaxPool2d } from '../nn/layers/max-pool2d.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';

const SOURCE = '@automl-ts/core/layersModelToModule';

const ACTIVATIONS: Readonly<Record<string, ActivationKind>> = {
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  linear: 'identity',
};

type KerasLayer = tf.layers.Layer;

function fail(layer: KerasLayer, message: string): AutomlError {
  return new AutomlError(SOURCE, `layer "${layer.name}" (${layer.getClassName()}): ${message}`);
}

function activationOf(layer: KerasLayer, name: unknown): ActivationKind | undefined {
  if (name === undefined || name === null || name === 'linear') return undefined;
  const kind = ACTIVATIONS[String(name)];
  if (kind === undefined) {
    throw fail(
      layer,
      `activation ${describeValue(name)} has no core equivalent; supported: ${Object.keys(ACTIVATIONS).join(', ')}`,
    );
  }
  return kind;
}

function pair(value: unknown): [number, number] {
  return Array.isArray(value) ? [value[0] as number, value[1] as number] : [value as number, value as number];
}

/** The core modules computing one Keras layer (a fused activation becomes its own module). */
function convertLayer(layer: KerasLayer): Array<[string, Module]> {
  const config = layer.getConfig() as Record<string, unknown>;
  const weights = layer.getWeights();
  const name = layer.name.replace(/[.#]/g, '_');
  const withActivation = (module: Module): Array<[string, Module]> => {
    const kind = activationOf(layer, config['activation']);
    return kind === undefined
      ? [[name, module]]
      : [
          [name, module],
          [`${name}_act`, new Activation(kind)],
        ];
  };
  switch (layer.getClassName()) {
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      if (config['dataFormat'] === 'channelsFirst')
        throw fail(layer, 'channelsFirst is not supported (NHWC only)');
      const depthwise = layer.getClassName() === 'DepthwiseConv2D';
      const [kernel, bias] = weights as [tf.Tensor4D, tf.Tensor | undefined];
      const [kh, kw, inOrPerGroup, outOrMultiplier] = kernel.shape;
      const inChannels = depthwise ? inOrPerGroup : inOrPerGroup;
      const outChannels = depthwise ? inOrPerGroup * outOrMultiplier : outOrMultiplier;
      const reshaped = depthwise ? tf.reshape(kernel, [kh, kw, 1, outChannels]) : kernel;
      try {
        return withActivation(
          new Conv2d(
            {
              inChannels,
              outChannels,
              kernelSize: [kh, kw],
              strides: pair(config['strides']),
              padding: config['padding'] === 'same' ? 'same' : 'valid',
              dilation: pair(config['dilationRate'] ?? 1),
              groups: depthwise ? inChannels : 1,
              useBias: bias !== undefined,
            },
            { kernel: reshaped, ...(bias === undefined ? {} : { bias }) },
          ),
        );
      } finally {
        if (depthwise) reshaped.dispose();
      }
    }
    case 'Dense': {
      const [kernel, bias] = weights as [tf.Tensor2D, tf.Tensor | undefined];
      return withActivation(
        new Dense(
          { inUnits: kernel.shape[0], outUnits: kernel.shape[1], useBias: bias !== undefined },
          { kernel, ...(bias === undefined ? {} : { bias }) },
        ),
      );
    }
    case 'BatchNormalization': {
      const center = config['center'] !== false;
      const scale = config['scale'] !== false;
      if (!center || !scale) throw fail(layer, 'needs center and scale (core BatchNorm learns both)');
      const [gamma, beta, runningMean, runningVar] = weights as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      // Keras keeps `momentum` of the old statistics; core (PyTorch) weighs the new batch.
      const momentum = 1 - Number(config['momentum'] ?? 0.99);
      return [
        [
          name,
          new BatchNorm(
            { channels: gamma.shape[0] as number, momentum, epsilon: Number(config['epsilon'] ?? 1e-3) },
            { gamma, beta, runningMean, runningVar },
          ),
        ],
      ];
    }
    case 'Activation':
      return [[name, new Activation(activationOf(layer, config['activation']) ?? 'identity')]];
    case 'ReLU':
      if (config['maxValue'] !== undefined && config['maxValue'] !== null && config['maxValue'] !== 6) {
        throw fail(layer, `maxValue ${describeValue(config['maxValue'])} is not supported (only none or 6)`);
      }
      return [[name, new Activation(config['maxValue'] === 6 ? 'relu6' : 'relu')]];
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const options = {
        poolSize: pair(config['poolSize']),
        strides: pair(config['strides'] ?? config['poolSize']),
        padding: config['padding'] === 'same' ? ('same' as const) : ('valid' as const),
      };
      return [
        [name, layer.getClassName() === 'MaxPooling2D' ? new MaxPool2d(options) : new AvgPool2d(options)],
      ];
    }
    case 'GlobalAveragePooling2D':
      return [[name, new GlobalAvgPool()]];
    case 'Flatten':
      return [[name, new Flatten()]];
    case 'Dropout':
      return [[name, new Dropout({ rate: Number(config['rate'] ?? 0) })]];
    default:
      throw fail(
        layer,
        'has no core equivalent; supported: Conv2D, DepthwiseConv2D, Dense, BatchNormalization, Activation, ReLU, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dropout',
      );
  }
}

/**
 * A core `Sequential` computing what a chain-shaped `tf.LayersModel` computes (every layer takes
 * the previous one's output: `tf.sequential` models and functional chains), with copies of its
 * weights; child names are the Keras layer names. It lets core's module tools (`toChannelSupernet`,
 * the trainers) work on a Keras model. Models with branches (residual adds, concatenations) throw
 * naming the layer: build them as core Modules.
 *
 * @example
 * const module = layersModelToModule(await tf.loadLayersModel('file://vgg/model.json'));
 */
export function layersModelToModule(model: tf.LayersModel): Sequential {
  if (typeof (model as Partial<tf.LayersModel>)?.predict !== 'function' || !Array.isArray(model.layers)) {
    throw new AutomlError(SOURCE, `expected a tf.LayersModel, got ${describeValue(model)}`);
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new AutomlError(
      SOURCE,
      `needs one input and one output, got ${model.inputs.length} and ${model.outputs.length}`,
    );
  }
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  const children: Array<[string, Module]> = [];
  let previous: string | undefined;
  for (const layer of layers) {
    const inboundLayers = layer.inboundNodes.flatMap((node) => node.inboundLayers);
    const inbound = inboundLayers.map((l) => l.name);
    const fromInput = inboundLayers.every((l) => l.getClassName() === 'InputLayer');
    if (inbound.length !== 1 || (previous === undefined ? !fromInput : inbound[0] !== previous)) {
      throw fail(
        layer,
        `takes ${inbound.length === 0 ? 'no input' : inbound.join(' + ')}; only chains of layers convert (build models with branches as core Modules)`,
      );
    }
    children.push(...convertLayer(layer));
    previous = layer.name;
  }
  if (children.length === 0) throw new AutomlError(SOURCE, 'the model has no layers');
  return new Sequential(children);
}
