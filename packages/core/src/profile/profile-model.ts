import type * as tf from '@tensorflow/tfjs';
import { NetworkGraph } from '../graph/network-graph.js';
import type { GraphOp, LayerShape } from '../graph/types.js';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { ArchValues, Module } from '../nn/module.js';

/** What can be profiled: a Module (traced), a `tf.LayersModel`, or a graph built already. */
export type ProfileTarget = Module | tf.LayersModel | NetworkGraph;

/** Options of {@link profileModel} (and of graph building in the latency tools). */
export interface ProfileOptions {
  /** Input shape without the batch dimension. Required for a Module; for a graph or `tf.LayersModel`, re-infers shapes at this size. */
  inputShape?: LayerShape;
  /** The architecture to trace a module with choices. */
  arch?: ArchValues;
  /**
   * Trace a Module at this smaller shape and infer `inputShape` symbolically (see
   * {@link NetworkGraph.atInputShape}), so that profiling at 224×224 costs one small forward pass.
   * @default inputShape
   */
  traceInputShape?: LayerShape;
}

/** Cost of one layer. */
export interface LayerProfile {
  readonly name: string;
  readonly op: GraphOp;
  readonly className: string;
  readonly outputShape: LayerShape;
  /** Multiply-accumulates (conv and dense layers; 0 elsewhere). */
  readonly macs: number;
  /** Trainable parameters. */
  readonly params: number;
}

/** Cost of a network for one example. */
export interface ModelProfile {
  readonly layers: readonly LayerProfile[];
  /**
   * Total multiply-accumulates ("mult-adds" in the MobileNet papers; FLOPs ≈ 2 × macs): those of
   * convolutions (depthwise and separable included) and dense layers. Batch norm, activations,
   * pooling and adds are not counted, as in the papers.
   */
  readonly macs: number;
  /** Total trainable parameters (batch-norm running statistics excluded). */
  readonly params: number;
}

function isGraph(value: unknown): value is NetworkGraph {
  return value instanceof NetworkGraph;
}

function isModuleLike(value: unknown): value is Module {
  const candidate = value as Partial<Module> | null;
  return (
    typeof candidate === 'object' && candidate !== null && typeof candidate.namedParameters === 'function'
  );
}

/**
 * The graph of any {@link ProfileTarget}: a graph as is (or re-inferred at `inputShape`), a
 * Module traced once, a `tf.LayersModel` walked.
 */
function graphOf(source: string, target: ProfileTarget, options: ProfileOptions = {}): NetworkGraph {
  if (isGraph(target))
    return options.inputShape === undefined ? target : target.atInputShape(options.inputShape);
  if (isModuleLike(target)) {
    if (options.inputShape === undefined) {
      throw new AutomlError(source, `options.inputShape is required for a Module (${target.className})`);
    }
    return NetworkGraph.fromModule(target, options.inputShape, {
      ...(options.arch === undefined ? {} : { arch: options.arch }),
      ...(options.traceInputShape === undefined ? {} : { traceInputShape: options.traceInputShape }),
    });
  }
  const model = target as Partial<tf.LayersModel> | null;
  if (
    typeof model === 'object' &&
    model !== null &&
    Array.isArray(model.outputs) &&
    typeof model.predict === 'function'
  ) {
    const graph = NetworkGraph.fromLayersModel(target as tf.LayersModel);
    return options.inputShape === undefined ? graph : graph.atInputShape(options.inputShape);
  }
  throw new AutomlError(
    source,
    `expected a Module, a tf.LayersModel or a NetworkGraph, got ${describeValue(target)}`,
  );
}

/**
 * Multiply-accumulates (`macs`) and trainable parameters per layer and in total, computed from
 * layer shapes (no timing). Works on a Module (traced once; pass `traceInputShape` to trace small
 * and infer a large input symbolically), a `tf.LayersModel` or a {@link NetworkGraph}.
 *
 * @example
 * const { macs, params } = profileModel(createModel('mobilenetv2'), {
 *   inputShape: [224, 224, 3],
 *   traceInputShape: [32, 32, 3],
 * }); // macs ≈ 300.8e6, params = 3,504,872
 */
export function profileModel(target: ProfileTarget, options: ProfileOptions = {}): ModelProfile {
  const graph = graphOf('@automl-ts/core/profileModel', target, options);
  const layers = graph.layers().map(
    (node): LayerProfile => ({
      name: node.name,
      op: node.op,
      className: node.className,
      outputShape: node.outputShape,
      macs: node.macs,
      params: node.params,
    }),
  );
  return {
    layers,
    macs: layers.reduce((sum, layer) => sum + layer.macs, 0),
    params: layers.reduce((sum, layer) => sum + layer.params, 0),
  };
}

/**
 * A plain-text table of a profile: one row per layer with multiply-adds or parameters (others
 * are summarised), then the totals.
 */
export function formatProfile(profile: ModelProfile): string {
  const rows = profile.layers
    .filter((layer) => layer.macs > 0 || layer.params > 0)
    .map((layer) => [
      layer.name,
      layer.op,
      `[${layer.outputShape.join(', ')}]`,
      format(layer.macs),
      format(layer.params),
    ]);
  const header = ['layer', 'op', 'output', 'macs', 'params'];
  const total = ['total', '', '', format(profile.macs), format(profile.params)];
  const table = [header, ...rows, total];
  const widths = header.map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c >= 3 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ');
  return [line(header), ...rows.map(line), line(total)].join('\n');
}

function format(n: number): string {
  return n.toLocaleString('en-US');
}
