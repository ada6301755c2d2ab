// Zhang, Yu, Rong et al., "Graph Pruning for Model Compression", 2019, §3.2–3.3 (a GCN graph
// aggregator over the network graph, trained jointly with a PruningNet that generates each layer's
// weights); Liu et al., "MetaPruning", ICCV 2019, §3.1 (per-layer generator FC → ReLU → FC from
// the network's width encoding to the full weight tensor, cropped to the sampled widths).
import {
  Activation,
  type Architecture,
  Dense,
  DynamicConv2d,
  errorFactory,
  GraphConv,
  graphTensors,
  Module,
  NetworkGraph,
  type ParamOverrides,
  Sequential,
  type Supernet,
  toRng,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { type WidthChoice, widthChoices, widthVector } from './internal/width-vector.js';

/** Options of {@link PruningNet}. */
export interface PruningNetOptions {
  /** Input shape of the supernet without the batch axis (NHWC), to build its graph. */
  inputShape: readonly number[];
  /**
   * Output sizes of the graph aggregator's GCN layers (ReLU between them); the last is the node
   * embedding size. Two layers as Kipf & Welling's GCN (the paper's aggregator is a GCN over the
   * layer graph; it gives no sizes we could confirm, so this is our default).
   * @default [64, 32]
   */
  gcnSizes?: readonly number[];
  /** Hidden units of each layer's generator (MetaPruning's FC(→ 32) → ReLU → FC). @default 32 */
  generatorHidden?: number;
  /** Seed of the initial weights. @default 0 */
  seed?: number;
}

/** The resolved {@link PruningNetOptions}. */
export interface ResolvedPruningNetOptions {
  readonly inputShape: readonly number[];
  readonly gcnSizes: readonly number[];
  readonly generatorHidden: number;
  readonly seed: number;
}

const SOURCE = '@automl-ts/graph-pruning/PruningNet';

/** Fills the defaults of {@link PruningNetOptions} and validates them. */
export function resolvePruningNetOptions(options: PruningNetOptions): ResolvedPruningNetOptions {
  const fail = errorFactory(SOURCE);
  const inputShape = options?.inputShape;
  if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw fail(`options.inputShape must be positive integers, got ${JSON.stringify(inputShape)}`);
  }
  const gcnSizes = options.gcnSizes ?? [64, 32];
  if (gcnSizes.length === 0 || !gcnSizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw fail(
      `options.gcnSizes must be a non-empty list of positive integers, got ${JSON.stringify(gcnSizes)}`,
    );
  }
  const generatorHidden = options.generatorHidden ?? 32;
  if (!Number.isInteger(generatorHidden) || generatorHidden < 1) {
    throw fail(`options.generatorHidden must be an integer >= 1, got ${generatorHidden}`);
  }
  return { inputShape, gcnSizes, generatorHidden, seed: options.seed ?? 0 };
}

/** One generated layer: the supernet conv, its graph node and its generator. */
interface GeneratedLayer {
  readonly conv: DynamicConv2d;
  readonly node: number;
  readonly generator: Sequential;
  readonly paramName: string;
  readonly shape: readonly number[];
  /**
   * `sqrt(1 / fanIn)` of the largest kernel: a He-initialised generator's outputs have variance
   * about 2·E[h²], so the generated kernel starts near He's scale (a BN follows every conv anyway).
   */
  readonly scale: number;
}

/**
 * GraphPruning's weight generator for a channel supernet (e.g. `toChannelSupernet(teacher)` or
 * `createSupernet('resnet20-slim')`). Children: `supernet` (the network that runs), `aggregator`
 * (GCN layers over `graphTensors` of the supernet's graph at full width, one embedding per layer)
 * and `generators` (per `DynamicConv2d`: Dense(embedding ⊕ width vector → hidden) → ReLU →
 * Dense(→ k·k·maxIn·maxOut)). {@link PruningNet.generate} returns the generated kernels at their
 * full (largest) shape, so `supernet.apply(x, { arch, params })` takes them as overrides and each
 * DynamicConv2d crops them to the sampled widths, as MetaPruning crops its generated weights.
 * Batch-norm affine parameters and the classifier stay the supernet's own and train jointly.
 *
 * @example
 * const supernet = toChannelSupernet(teacher, { inputShape: [32, 32, 3] });
 * const net = new PruningNet(supernet, { inputShape: [32, 32, 3] });
 * const logits = net.applySubnet(x, supernet.sample(rng), { training: true });
 */
export class PruningNet extends Module {
  static override readonly className: string = 'PruningNet';

  readonly options: ResolvedPruningNetOptions;
  readonly supernet: Supernet;
  readonly choices: readonly WidthChoice[];
  /** Graph node names, row order of the GCN's features. */
  readonly nodes: readonly string[];
  readonly #layers: readonly GeneratedLayer[];
  readonly #aggregator: Sequential;

  constructor(supernet: Supernet, options: PruningNetOptions) {
    super();
    const fail = errorFactory(SOURCE);
    this.options = resolvePruningNetOptions(options);
    if (typeof (supernet as Partial<Supernet>)?.searchSpace?.names === 'undefined') {
      throw fail(`expected a Supernet, got ${String(supernet)}`);
    }
    this.choices = widthChoices(supernet.searchSpace, fail);
    if (!this.choices.some((c) => c.widths.length > 1)) {
      throw fail(
        `the network has no prunable layer (no width choice of its supernet allows more than one width; choices: ${this.choices.length})`,
      );
    }
    const rng = toRng(this.options.seed);
    this.addModule('supernet', supernet);
    this.supernet = supernet;
    const graph = NetworkGraph.fromModule(supernet, this.options.inputShape, {
      arch: supernet.largestArchitecture(),
    });
    const tensors = graphTensors(graph);
    this.nodes = tensors.nodes;
    this.addVariable('graphFeatures', tensors.features, 'buffer');
    let width = tensors.features.shape[1];
    const layers: Array<[string, Module]> = [];
    this.options.gcnSizes.forEach((size, i) => {
      if (i > 0) layers.push([`relu${i}`, new Activation('relu')]);
      layers.push([
        `gc${i + 1}`,
        new GraphConv({ inFeatures: width, outFeatures: size, adjacency: tensors.adjacency, seed: rng }),
      ]);
      width = size;
    });
    tensors.adjacency.dispose();
    this.#aggregator = new Sequential(layers);
    this.addModule('aggregator', this.#aggregator);
    const embedding = width;
    const convs = [...supernet.modules()].filter((m): m is DynamicConv2d => m instanceof DynamicConv2d);
    if (convs.length === 0) throw fail('the network has no prunable layer (no DynamicConv2d)');
    const hidden = this.options.generatorHidden;
    const generators: Array<[string, Module]> = [];
    const generated: GeneratedLayer[] = [];
    convs.forEach((conv, i) => {
      const node = this.nodes.indexOf(conv.path);
      if (node < 0) throw fail(`layer "${conv.path}" is not a node of the supernet's graph`);
      const shape = conv.variable('kernel').shape;
      const size = shape.reduce((a, b) => a * b, 1);
      const generator = new Sequential([
        [
          'fc1',
          new Dense({
            inUnits: embedding + this.choices.length,
            outUnits: hidden,
            init: 'heNormal',
            seed: rng,
          }),
        ],
        ['relu', new Activation('relu')],
        ['fc2', new Dense({ inUnits: hidden, outUnits: size, init: 'heNormal', seed: rng })],
      ]);
      generators.push([`layer${i}`, generator]);
      const fanIn = (shape[0] as number) * (shape[1] as number) * (shape[2] as number);
      const scale = Math.sqrt(1 / fanIn);
      generated.push({ conv, node, generator, paramName: `${conv.path}.kernel`, shape, scale });
    });
    this.addModule('generators', new Sequential(generators));
    this.#layers = generated;
  }

  /** Names of the supernet kernels the generators replace (not trained directly). */
  generatedNames(): string[] {
    return this.#layers.map((l) => l.paramName);
  }

  /**
   * Parameters trained jointly: the aggregator, the generators and the supernet's own parameters
   * that are not generated (batch-norm γ/β, classifier).
   */
  trainableParameters(): Map<string, tf.Variable> {
    const generated = new Set(this.generatedNames());
    return new Map([...this.namedParameters()].filter(([name]) => !generated.has(name)));
  }

  /** The GCN node embeddings `[nodes, embedding]` (caller disposes). */
  embeddings(params?: ParamOverrides): tf.Tensor2D {
    return tf.tidy(() => {
      const features = this.variable('graphFeatures');
      return this.#aggregator.apply(features, params === undefined ? {} : { params }) as tf.Tensor2D;
    });
  }

  /**
   * The generated kernels for `arch` at their full shapes, keyed by the supernet's parameter names,
   * ready for `supernet.apply(x, { arch, params })`. The caller disposes them (or runs this in a tidy).
   */
  generate(arch: Architecture, params?: ParamOverrides): Record<string, tf.Tensor> {
    this.supernet.searchSpace.validate(arch);
    return tf.tidy(() => {
      const embeddings = this.embeddings(params);
      const code = tf.tensor2d([widthVector(this.choices, arch)]);
      const out: Record<string, tf.Tensor> = {};
      for (const layer of this.#layers) {
        const input = tf.concat([embeddings.slice([layer.node, 0], [1, -1]), code], 1);
        const flat = layer.generator.apply(input, params === undefined ? {} : { params });
        out[layer.paramName] = tf.mul(flat.reshape([...layer.shape]), layer.scale);
      }
      return out;
    });
  }

  /** Runs the sub-network `arch` with generated weights; the caller disposes the logits. */
  applySubnet(x: tf.Tensor, arch: Architecture, options: { training?: boolean } = {}): tf.Tensor {
    return tf.tidy(() =>
      this.supernet.apply(x, { arch, training: options.training ?? false, params: this.generate(arch) }),
    );
  }

  override forward(): tf.Tensor {
    throw errorFactory(`${SOURCE}.forward`)(
      'call applySubnet(x, arch) or generate(arch); a PruningNet has no single input',
    );
  }
}
