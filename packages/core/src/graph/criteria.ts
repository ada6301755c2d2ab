import * as tf from '@tensorflow/tfjs';
import { Registry } from '../registry/registry.js';
import type { DependencyGroup, GroupMember } from './dependency-groups.js';
import { isDepthwise } from './layer-math.js';
import type { NetworkGraph } from './network-graph.js';

/**
 * One layer's weights in layouts shared by Modules and Keras layers. Tensors are borrowed: a
 * criterion must not dispose them.
 */
export interface LayerWeights {
  /** conv2d `[kh, kw, in / groups, out]` (a depthwise conv: `[kh, kw, 1, in·m]`); dense `[in, out]`. */
  readonly kernel?: tf.Tensor;
  /** Separable conv, depthwise part `[kh, kw, in, m]`. */
  readonly depthwiseKernel?: tf.Tensor;
  /** Separable conv, pointwise part `[1, 1, in·m, out]`. */
  readonly pointwiseKernel?: tf.Tensor;
  /** Batch-norm scale `[channels]`. */
  readonly gamma?: tf.Tensor;
}

/** What a {@link PruningCriterion} scores. */
export interface CriterionInput {
  readonly graph: NetworkGraph;
  readonly group: DependencyGroup;
  /** The weights of a member layer. */
  weights(layer: string): LayerWeights;
}

/** Scores the channels of a dependency group; higher means more important (kept first). */
export interface PruningCriterion {
  /** One line for listings. */
  readonly description: string;
  /** One score per group channel. Runs inside `tf.tidy`. */
  score(input: CriterionInput): number[];
}

/**
 * Per-channel L1 norm of the weights a member owns on its dimension (summed over the positions
 * a channel occupies), or `undefined` when the member has no weights there (e.g. the input side of
 * a depthwise conv, whose weights the output side already counts).
 */
export function memberL1(input: CriterionInput, member: GroupMember): Float64Array | undefined {
  const node = input.graph.layer(member.layer);
  const w = input.weights(member.layer);
  let perPosition: tf.Tensor | undefined;
  const out = member.dimension === 'out';
  switch (node.op) {
    case 'conv2d':
      if (w.kernel === undefined) return undefined;
      if (!out && isDepthwise(node)) return undefined;
      perPosition = tf.sum(tf.abs(w.kernel), out ? [0, 1, 2] : [0, 1, 3]);
      break;
    case 'separableConv2d':
      perPosition = out
        ? w.pointwiseKernel && tf.sum(tf.abs(w.pointwiseKernel), [0, 1, 2])
        : w.depthwiseKernel && tf.sum(tf.abs(w.depthwiseKernel), [0, 1, 3]);
      break;
    case 'dense':
      if (w.kernel === undefined) return undefined;
      perPosition = tf.sum(tf.abs(w.kernel), out ? 0 : 1);
      break;
    case 'batchNorm':
      perPosition = w.gamma && tf.abs(w.gamma);
      break;
    default:
      return undefined;
  }
  if (perPosition === undefined) return undefined;
  const values = perPosition.dataSync();
  return Float64Array.from(member.indices, (positions) =>
    positions.reduce((sum, p) => sum + (values[p] ?? 0), 0),
  );
}

function sumOver(input: CriterionInput, members: readonly GroupMember[], normalize: boolean): number[] {
  const total = new Float64Array(input.group.channels);
  for (const member of members) {
    const norms = memberL1(input, member);
    if (norms === undefined) continue;
    const mean = normalize ? norms.reduce((a, b) => a + b, 0) / Math.max(norms.length, 1) || 1 : 1;
    norms.forEach((v, i) => {
      total[i] = (total[i] as number) + v / mean;
    });
  }
  return [...total];
}

const CONV_LIKE = new Set(['conv2d', 'separableConv2d', 'dense']);

/**
 * Importance criteria for {@link pruneByRatio}, by name:
 * - `l1`: L1 norm of the filters that produce a channel, summed over the group's producing
 *   layers (Li et al., "Pruning Filters for Efficient ConvNets", ICLR 2017, §3.1, applied per group);
 * - `group-l1`: DepGraph's group magnitude (Fang et al., CVPR 2023, §3.3): every member's L1
 *   norms (outputs, inputs and batch-norm scales), each normalised by its mean, summed;
 * - `bn-scale`: |γ| of the group's batch norms (Liu et al., "Network Slimming", ICCV 2017).
 *
 * Register your own with `pruningCriteria.register(name, { description, score })`.
 */
export const pruningCriteria = new Registry<PruningCriterion>(
  {
    kind: 'pruning criterion',
    sources: { get: '@automl-ts/core/pruneByRatio', register: '@automl-ts/core/pruningCriteria.register' },
  },
  [
    [
      'l1',
      {
        description: 'L1 norm of the producing filters, summed over the group (Li et al. 2017)',
        score: (input) =>
          sumOver(
            input,
            input.group.members.filter(
              (m) => m.dimension === 'out' && CONV_LIKE.has(input.graph.layer(m.layer).op),
            ),
            false,
          ),
      },
    ],
    [
      'group-l1',
      {
        description: 'mean-normalised L1 norms of every member, summed (DepGraph group magnitude)',
        score: (input) => sumOver(input, input.group.members, true),
      },
    ],
    [
      'bn-scale',
      {
        description: "|gamma| of the group's batch norms (Network Slimming)",
        score: (input) =>
          sumOver(
            input,
            input.group.members.filter((m) => input.graph.layer(m.layer).op === 'batchNorm'),
            false,
          ),
      },
    ],
  ],
);
