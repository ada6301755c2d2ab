import type * as tf from '@tensorflow/tfjs';
import { DirectedGraph } from 'graphology';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { ArchValues, Module } from '../nn/module.js';
import { type WalkedLayersModel, walkLayersModel } from './from-layers-model.js';
import { MODULE_INPUT_NAME, type TracedModule, traceModule } from './from-module.js';
import { inferLayer } from './layer-math.js';
import type { GraphSource, LayerNode, LayerShape, NetworkAttributes, TensorEdge } from './types.js';

/** Options of {@link NetworkGraph.fromModule}. */
export interface FromModuleOptions {
  /** The architecture to trace a supernet (or any module with choices) with. */
  arch?: ArchValues;
  /**
   * Trace at this (smaller) input shape, then infer the shapes at `inputShape` symbolically with
   * {@link NetworkGraph.atInputShape}: profiling an ImageNet model at 224×224 then costs one
   * forward pass at, say, 32×32. Only valid for networks whose structure does not depend on the
   * input size (true for global-pooling CNNs; a flatten → dense head fails with a clear error).
   * @default inputShape (trace at the real size)
   */
  traceInputShape?: LayerShape;
}

/**
 * A network as a directed graph (graphology): nodes are layers ({@link LayerNode}: op, shapes,
 * kernel, strides, groups, multiply-adds, parameters), edges are tensors ({@link TensorEdge}).
 *
 * It is a simple `DirectedGraph`, not a multi-graph: every layer produces exactly one tensor, so
 * a (producer, consumer) pair identifies the tensor on an edge. The one case a multi-graph would
 * add, a layer consuming the same tensor twice (`add(x, x)`), is kept in the consumer's ordered
 * `inputs` list, which is also what input order (concatenation) needs; edges stay unique and
 * `graph.edge(a, b)` stays an O(1) lookup.
 *
 * @example
 * const graph = NetworkGraph.fromLayersModel(model);
 * for (const name of graph.topologicalOrder()) console.log(name, graph.layer(name).macs);
 * const atImageNet = NetworkGraph.fromModule(net, [224, 224, 3], { traceInputShape: [32, 32, 3] });
 */
export class NetworkGraph extends DirectedGraph<LayerNode, TensorEdge, NetworkAttributes> {
  readonly #order: readonly string[];

  /**
   * Builds a graph from layer nodes listed in topological order (every node after its inputs).
   * Prefer {@link NetworkGraph.fromModule} and {@link NetworkGraph.fromLayersModel}.
   */
  constructor(
    nodes: readonly LayerNode[],
    attributes: {
      source: GraphSource;
      inputs: readonly string[];
      outputs: readonly string[];
      arch?: ArchValues;
    },
  ) {
    super({ allowSelfLoops: false });
    const source = '@automl-ts/core/NetworkGraph';
    for (const node of nodes) {
      if (this.hasNode(node.name)) throw new AutomlError(source, `duplicate layer name "${node.name}"`);
      for (const input of node.inputs) {
        if (!this.hasNode(input)) {
          throw new AutomlError(
            source,
            `layer "${node.name}" reads "${input}", which is not listed before it (nodes must be in topological order)`,
          );
        }
      }
      this.addNode(node.name, node);
      node.inputs.forEach((input, i) => {
        if (!this.hasEdge(input, node.name)) {
          this.addEdge(input, node.name, { shape: node.inputShapes[i] ?? [] });
        }
      });
    }
    for (const name of [...attributes.inputs, ...attributes.outputs]) {
      if (!this.hasNode(name)) throw new AutomlError(source, `model input/output "${name}" is not a layer`);
    }
    this.replaceAttributes({
      source: attributes.source,
      inputs: [...attributes.inputs],
      outputs: [...attributes.outputs],
      ...(attributes.arch === undefined ? {} : { arch: { ...attributes.arch } }),
    });
    this.#order = nodes.map((node) => node.name);
  }

  /**
   * Traces one `apply` of `module` on zeros of shape `[1, ...inputShape]` (`ctx.trace`): every
   * layer reports its op, inputs, output and settings, and tensor ids link producers to consumers.
   * Node names are module paths (`stage1.block0.conv1`); the input node is `input`.
   *
   * @example
   * const graph = NetworkGraph.fromModule(createModel('resnet20'), [32, 32, 3]);
   * graph.layer('stem.conv').macs; // 442368
   */
  static fromModule(module: Module, inputShape: LayerShape, options: FromModuleOptions = {}): NetworkGraph {
    checkShape('@automl-ts/core/NetworkGraph.fromModule', 'inputShape', inputShape);
    const traceShape = options.traceInputShape ?? inputShape;
    checkShape('@automl-ts/core/NetworkGraph.fromModule', 'traceInputShape', traceShape);
    const graph = graphOfTrace(traceModule(module, traceShape, options.arch), options.arch);
    return options.traceInputShape === undefined ? graph : graph.atInputShape(inputShape);
  }

  /**
   * Describes a sequential or functional `tf.LayersModel`. Supported layers: Conv2D,
   * DepthwiseConv2D, SeparableConv2D, Dense, BatchNormalization, Activation, ReLU, LeakyReLU, ELU,
   * Softmax, Max/AveragePooling2D, Global{Average,Max}Pooling2D, Flatten, ZeroPadding2D, Dropout,
   * Add, Multiply, Concatenate (channel axis). Any other layer throws with its name and class.
   * Node names are the Keras layer names (`name@k` for the k-th call of a shared layer).
   *
   * @example
   * const graph = NetworkGraph.fromLayersModel(tf.sequential({ layers: [...] }));
   */
  static fromLayersModel(model: tf.LayersModel): NetworkGraph {
    return graphOfWalk(walkLayersModel(model));
  }

  /** The layer named `name`; throws naming it when there is none. */
  layer(name: string): LayerNode {
    if (!this.hasNode(name)) {
      throw new AutomlError('@automl-ts/core/NetworkGraph.layer', `no layer named ${describeValue(name)}`);
    }
    return this.getNodeAttributes(name);
  }

  /** Layer names in execution order (every layer after its inputs). */
  topologicalOrder(): readonly string[] {
    return this.#order;
  }

  /** Layers in execution order. */
  layers(): LayerNode[] {
    return this.#order.map((name) => this.getNodeAttributes(name));
  }

  /**
   * The same network at another input shape: every layer's shapes, multiply-adds and parameters
   * are re-inferred symbolically (no tensor is created). Throws naming the first layer whose
   * settings do not fit, e.g. a dense layer after a flatten whose size changed.
   */
  atInputShape(inputShape: LayerShape): NetworkGraph {
    const source = '@automl-ts/core/NetworkGraph.atInputShape';
    checkShape(source, 'inputShape', inputShape);
    const { inputs } = this.getAttributes();
    if (inputs.length !== 1) {
      throw new AutomlError(source, `the graph has ${inputs.length} inputs; atInputShape needs exactly one`);
    }
    const shapes = new Map<string, LayerShape>();
    const nodes = this.layers().map((node): LayerNode => {
      const inputShapes =
        node.op === 'input' ? [inputShape] : node.inputs.map((input) => shapes.get(input) as LayerShape);
      const cost = inferLayer(source, node.name, node, inputShapes);
      shapes.set(node.name, cost.outputShape);
      return {
        ...node,
        inputShapes: node.op === 'input' ? [] : inputShapes,
        outputShape: cost.outputShape,
        macs: cost.macs,
        params: cost.params,
      };
    });
    const attributes = this.getAttributes();
    return new NetworkGraph(nodes, {
      source: attributes.source,
      inputs: attributes.inputs,
      outputs: attributes.outputs,
      ...(attributes.arch === undefined ? {} : { arch: attributes.arch }),
    });
  }
}

function checkShape(source: string, what: string, shape: LayerShape): void {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new AutomlError(
      source,
      `${what} must be a non-empty array of positive integers without the batch dimension, got ${describeValue(shape)}`,
    );
  }
}

/**
 * The graph of a traced module: the one place a trace becomes a `NetworkGraph` (`fromModule`,
 * pruning, latency tables), so that every graph of a module carries its inputs, output and `arch`.
 */
export function graphOfTrace(traced: TracedModule, arch: ArchValues | undefined): NetworkGraph {
  return new NetworkGraph(traced.nodes, {
    source: 'module',
    inputs: [traced.nodes[0]?.name ?? MODULE_INPUT_NAME],
    outputs: [traced.output],
    ...(arch === undefined ? {} : { arch }),
  });
}

/** The graph of a walked `tf.LayersModel` (`fromLayersModel`, pruning, latency tables). */
export function graphOfWalk(walked: WalkedLayersModel): NetworkGraph {
  return new NetworkGraph(walked.nodes, {
    source: 'layers-model',
    inputs: walked.inputs,
    outputs: walked.outputs,
  });
}
