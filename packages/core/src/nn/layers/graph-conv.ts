// Kipf & Welling, "Semi-Supervised Classification with Graph Convolutional Networks", ICLR 2017,
// eq. 2: H' = Â · H · W (+ b), with Â the normalised adjacency with self-loops (see graphTensors).
import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../../internal/errors.js';
import type { Rng } from '../../random/rng.js';
import type { ApplyContext } from '../module.js';
import { Module } from '../module.js';
import type { WeightInit } from './initializers.js';
import { initWeight } from './initializers.js';
import { checkInput, checkInteger, copyVariable } from './layer-utils.js';

/** Options of {@link GraphConv}. */
export interface GraphConvOptions {
  /** Features per input node. */
  inFeatures: number;
  /** Features per output node. */
  outFeatures: number;
  /**
   * The graph: `[nodes, nodes]` (one graph, shared by a batch) or `[graphs, nodes, nodes]` (one
   * per batch item), normally `graphTensors(graph).adjacency`. Copied into the `adjacency` buffer,
   * which `params` may replace. @default the identity of `nodes` (no edges)
   */
  adjacency?: tf.Tensor;
  /** Node count when `adjacency` is omitted. */
  nodes?: number;
  /** @default true */
  useBias?: boolean;
  /** @default 'glorotUniform' */
  init?: WeightInit;
  /** Seed or rng for the initial kernel. @default TF.js's global (unseeded) generator */
  seed?: number | string | Rng;
}

/** The JSON form of a {@link GraphConv} (the adjacency is a buffer, saved with the weights). */
export type GraphConvConfig = {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly nodes: number;
  readonly graphs: number;
  readonly useBias: boolean;
};

const SOURCE = '@automl-ts/core/GraphConv';

/**
 * A graph convolution (GCN layer): `Â · X · W + b` over node features `X` of shape
 * `[nodes, inFeatures]` or `[batch, nodes, inFeatures]`. Variables: `kernel`
 * `[inFeatures, outFeatures]`, `bias` `[outFeatures]`; buffer `adjacency`. With one graph for a batch,
 * the product runs as one `[nodes, nodes] · [nodes, batch·outFeatures]` matrix product (TF.js's
 * gradient of a broadcast batched product does not reduce the broadcast axis); with one graph per
 * item it is a batched product. Follow it with an {@link Activation} for `σ(Â X W)`.
 *
 * @example
 * const { features, adjacency } = graphTensors(NetworkGraph.fromModule(net, [32, 32, 3]));
 * const gcn = new GraphConv({ inFeatures: features.shape[1], outFeatures: 64, adjacency, seed: 0 });
 * const h = gcn.apply(features); // [nodes, 64]
 */
export class GraphConv extends Module {
  static override readonly className: string = 'GraphConv';

  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly nodes: number;
  /** 0 for one graph shared by every batch item, else the number of graphs. */
  readonly graphs: number;
  readonly useBias: boolean;

  constructor(options: GraphConvOptions, initial?: { kernel: tf.Tensor; bias?: tf.Tensor }) {
    super();
    this.inFeatures = checkInteger(SOURCE, 'inFeatures', options?.inFeatures);
    this.outFeatures = checkInteger(SOURCE, 'outFeatures', options.outFeatures);
    this.useBias = options.useBias ?? true;
    const adjacency = options.adjacency;
    if (adjacency === undefined) {
      this.nodes = checkInteger(SOURCE, 'nodes', options.nodes);
      this.graphs = 0;
      this.addVariable('adjacency', tf.eye(this.nodes), 'buffer');
    } else {
      const shape = adjacency.shape;
      const square = shape.length >= 2 && shape[shape.length - 1] === shape[shape.length - 2];
      if (!(square && (shape.length === 2 || shape.length === 3))) {
        throw new AutomlError(
          SOURCE,
          `adjacency must be [nodes, nodes] or [graphs, nodes, nodes], got shape ${describeValue(shape)}`,
        );
      }
      if (options.nodes !== undefined && options.nodes !== shape[shape.length - 1]) {
        throw new AutomlError(
          SOURCE,
          `nodes ${options.nodes} differs from the adjacency's ${shape[shape.length - 1]}`,
        );
      }
      this.nodes = shape[shape.length - 1] as number;
      this.graphs = shape.length === 3 ? (shape[0] as number) : 0;
      this.addVariable('adjacency', tf.cast(adjacency, 'float32'), 'buffer');
    }
    const kernelShape = [this.inFeatures, this.outFeatures];
    this.addVariable(
      'kernel',
      initial?.kernel === undefined
        ? initWeight(
            kernelShape,
            options.init ?? 'glorotUniform',
            this.inFeatures,
            this.outFeatures,
            options.seed,
          )
        : tf.clone(initial.kernel),
    );
    if (this.useBias) {
      this.addVariable(
        'bias',
        initial?.bias === undefined ? tf.zeros([this.outFeatures]) : tf.clone(initial.bias),
      );
    }
  }

  override forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const where = `${SOURCE}.forward (${this.path || 'root'})`;
    checkInput(where, x, this.graphs > 0 ? [3] : [2, 3], this.inFeatures, '[batch?, nodes, features]');
    const nodes = x.shape[x.rank - 2] as number;
    const batch = x.rank === 3 ? (x.shape[0] as number) : 1;
    if (nodes !== this.nodes || (this.graphs > 0 && batch !== this.graphs)) {
      throw new AutomlError(
        where,
        `input shape ${describeValue(x.shape)} does not fit the adjacency of ${this.graphs > 0 ? `${this.graphs} graphs of ` : ''}${this.nodes} nodes`,
      );
    }
    const adjacency = this.param('adjacency', ctx);
    const kernel = this.param('kernel', ctx) as tf.Tensor2D;
    const projected = tf.matMul(x.reshape([batch * nodes, this.inFeatures]) as tf.Tensor2D, kernel);
    let y: tf.Tensor;
    if (this.graphs > 0) {
      y = tf.matMul(
        adjacency as tf.Tensor3D,
        projected.reshape([batch, nodes, this.outFeatures]) as tf.Tensor3D,
      );
    } else if (x.rank === 2) {
      y = tf.matMul(adjacency as tf.Tensor2D, projected);
    } else {
      // [b·n, f] → [n, b·f]: every graph's nodes side by side, so one product serves the batch.
      const columns = tf.transpose(projected.reshape([batch, nodes, this.outFeatures]), [1, 0, 2]);
      const mixed = tf.matMul(
        adjacency as tf.Tensor2D,
        columns.reshape([nodes, batch * this.outFeatures]) as tf.Tensor2D,
      );
      y = tf.transpose(mixed.reshape([nodes, batch, this.outFeatures]), [1, 0, 2]);
    }
    return this.useBias ? tf.add(y, this.param('bias', ctx)) : y;
  }

  /** Plain JSON enough to rebuild the layer (weights and adjacency are separate). */
  getConfig(): GraphConvConfig {
    return {
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      nodes: this.nodes,
      graphs: this.graphs,
      useBias: this.useBias,
    };
  }

  /** Rebuilds a layer from {@link GraphConv.getConfig}: fresh weights, an identity adjacency. */
  static fromConfig(config: GraphConvConfig): GraphConv {
    const { inFeatures, outFeatures, nodes, graphs, useBias } = config;
    if (graphs === 0) return new GraphConv({ inFeatures, outFeatures, nodes, useBias });
    const adjacency = tf.tidy(() => tf.tile(tf.eye(nodes).expandDims(0), [graphs, 1, 1]));
    try {
      return new GraphConv({ inFeatures, outFeatures, adjacency, useBias });
    } finally {
      adjacency.dispose();
    }
  }

  /** A deep copy: same config, new variables holding the same values. */
  clone(): GraphConv {
    const adjacency = copyVariable(this, 'adjacency');
    const kernel = copyVariable(this, 'kernel');
    const bias = this.useBias ? copyVariable(this, 'bias') : undefined;
    try {
      const options = {
        inFeatures: this.inFeatures,
        outFeatures: this.outFeatures,
        adjacency,
        useBias: this.useBias,
      };
      return new GraphConv(options, bias === undefined ? { kernel } : { kernel, bias });
    } finally {
      adjacency.dispose();
      kernel.dispose();
      bias?.dispose();
    }
  }
}
