// Fang, Ma, Song, Mi, Wang, "DepGraph: Towards Any Structural Pruning", CVPR 2023, §3.2–3.3:
// layers whose channels must be removed together form a group, found by propagating channel
// dependencies through the graph (inter-layer: a tensor couples its producer's outputs with its
// consumers' inputs; intra-layer: depthwise conv and batch norm couple their inputs and outputs).
import { AutomlError } from '../internal/errors.js';
import { isDepthwise } from './layer-math.js';
import type { NetworkGraph } from './network-graph.js';
import type { LayerNode } from './types.js';

/** Which dimension of a layer a group member prunes: its output channels or its input channels. */
export type MemberDimension = 'out' | 'in';

/** One layer dimension inside a {@link DependencyGroup}. */
export interface GroupMember {
  /** Layer (node) name. */
  readonly layer: string;
  readonly dimension: MemberDimension;
  /**
   * For each channel of the group, the positions it occupies in this layer dimension, ascending.
   * Usually one; a dense layer after a flatten of an H×W×C map has H·W per channel
   * (`(h·W + w)·C + c`, NHWC order), a depthwise conv with multiplier m has m outputs per channel,
   * and a layer after a concatenation sees the channel shifted by the offset of its branch.
   */
  readonly indices: readonly (readonly number[])[];
}

/**
 * Channels that must be pruned together: removing channel i of the group removes
 * `member.indices[i]` from every member.
 */
export interface DependencyGroup {
  /**
   * Stable id: the first layer (in execution order) whose output channels the group holds;
   * `name#k` when that layer's outputs are split over several groups (a concatenation added to a conv).
   */
  readonly id: string;
  /** Number of prunable channels. */
  readonly channels: number;
  /** Layers whose weights or settings change when a channel is pruned, in execution order. */
  readonly members: readonly GroupMember[];
}

/**
 * Channel bookkeeping behind {@link dependencyGroups}: which coupled set ("component") every
 * channel position of every layer output belongs to.
 */
export interface ChannelAnalysis {
  readonly groups: readonly DependencyGroup[];
  /** Per layer: the component of each position on the last axis of its output. */
  readonly components: ReadonlyMap<string, Int32Array>;
  /** Per group: its components, in group channel order. */
  readonly groupComponents: readonly (readonly number[])[];
  /** Component → [group index, channel index] for prunable components. */
  readonly channelOf: ReadonlyMap<number, readonly [number, number]>;
  /** Components that must be kept (model inputs and outputs, grouped convs, softmax). */
  readonly fixed: ReadonlySet<number>;
}

/** Activations that act on each element alone, so that channels can be dropped around them. */
const ELEMENTWISE_ACTIVATIONS = new Set([
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'elu',
  'selu',
  'leakyRelu',
  'swish',
  'gelu',
  'gelu_new',
  'mish',
  'softplus',
  'softsign',
  'hardSwish',
  'identity',
]);

class UnionFind {
  readonly #parent: number[] = [];

  create(): number {
    const id = this.#parent.length;
    this.#parent.push(id);
    return id;
  }

  find(a: number): number {
    let root = a;
    while (this.#parent[root] !== root) root = this.#parent[root] as number;
    let node = a;
    while (node !== root) {
      const next = this.#parent[node] as number;
      this.#parent[node] = root;
      node = next;
    }
    return root;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.#parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

const lastDim = (shape: readonly number[]): number => shape[shape.length - 1] ?? 1;

/**
 * Propagates channel identities through the graph. Every channel a layer creates (conv, dense,
 * zero padding) is an atom; channel-wise layers pass atoms through; a residual add or a multiply
 * unites the atoms at the same position; a concatenation concatenates; a flatten repeats them
 * per spatial position. Connected atoms form components, which are pruned as one.
 */
export function analyzeChannels(graph: NetworkGraph): ChannelAnalysis {
  const atoms = new UnionFind();
  const fixedAtoms: number[] = [];
  const atomsOf = new Map<string, Int32Array>();
  const fresh = (n: number): Int32Array => Int32Array.from({ length: n }, () => atoms.create());
  const input = (node: LayerNode, i = 0): Int32Array => atomsOf.get(node.inputs[i] as string) as Int32Array;
  const fix = (positions: Int32Array): void => {
    for (const atom of positions) fixedAtoms.push(atom);
  };

  for (const node of graph.layers()) {
    const out = lastDim(node.outputShape);
    let positions: Int32Array;
    switch (node.op) {
      case 'input':
        positions = fresh(out);
        fix(positions);
        break;
      case 'conv2d': {
        if (isDepthwise(node)) {
          const from = input(node);
          const multiplier = out / from.length;
          positions = Int32Array.from({ length: out }, (_, k) => from[Math.floor(k / multiplier)] as number);
        } else if ((node.groups ?? 1) === 1) {
          positions = fresh(out);
        } else {
          // Grouped convs would need every group pruned alike; keep them whole.
          positions = fresh(out);
          fix(positions);
          fix(input(node));
        }
        break;
      }
      case 'separableConv2d':
      case 'dense':
        positions = fresh(out);
        break;
      case 'activation':
        positions = input(node);
        if (!ELEMENTWISE_ACTIVATIONS.has(node.activation ?? '')) fix(positions);
        break;
      case 'batchNorm':
      case 'dropout':
      case 'identity':
      case 'maxPool':
      case 'avgPool':
      case 'globalAvgPool':
      case 'globalMaxPool':
        positions = input(node);
        break;
      case 'flatten': {
        const from = input(node);
        positions = Int32Array.from({ length: out }, (_, k) => from[k % from.length] as number);
        break;
      }
      case 'pad': {
        const [before, after] = node.paddings?.[2] ?? [0, 0];
        positions = new Int32Array(out);
        positions.set(fresh(before), 0);
        positions.set(input(node), before);
        positions.set(fresh(after), out - after);
        break;
      }
      case 'add':
      case 'mul': {
        const full = node.inputs.map((_, i) => input(node, i)).filter((p) => p.length === out);
        positions = full[0] ?? fresh(out);
        if (full.length === 0) fix(positions);
        for (const other of full.slice(1)) {
          for (let k = 0; k < out; k++) atoms.union(positions[k] as number, other[k] as number);
        }
        // A channel broadcast against all others (size 1) is not prunable.
        for (const [i] of node.inputs.entries()) if (input(node, i).length !== out) fix(input(node, i));
        break;
      }
      case 'concat': {
        positions = new Int32Array(out);
        let offset = 0;
        for (const [i] of node.inputs.entries()) {
          const from = input(node, i);
          positions.set(from, offset);
          offset += from.length;
        }
        break;
      }
    }
    atomsOf.set(node.name, positions);
  }
  for (const name of graph.getAttribute('outputs')) fix(atomsOf.get(name) as Int32Array);

  const fixed = new Set(fixedAtoms.map((a) => atoms.find(a)));
  const components = new Map<string, Int32Array>();
  for (const [name, positions] of atomsOf)
    components.set(
      name,
      positions.map((a) => atoms.find(a)),
    );

  return { ...collectGroups(graph, components, fixed), components, fixed };
}

/** The layer dimensions whose weights or settings follow a channel, with their positions. */
function memberDimensions(node: LayerNode, components: ReadonlyMap<string, Int32Array>) {
  const own = components.get(node.name) as Int32Array;
  const first = components.get(node.inputs[0] ?? '') ?? new Int32Array(0);
  switch (node.op) {
    case 'conv2d':
      if ((node.groups ?? 1) !== 1 && !isDepthwise(node)) return [];
      return [
        { dimension: 'out' as const, positions: own },
        { dimension: 'in' as const, positions: first },
      ];
    case 'separableConv2d':
    case 'dense':
      return [
        { dimension: 'out' as const, positions: own },
        { dimension: 'in' as const, positions: first },
      ];
    case 'batchNorm':
      return [{ dimension: 'out' as const, positions: own }];
    case 'pad':
      return (node.paddings?.[2] ?? [0, 0]).some((p) => p > 0)
        ? [{ dimension: 'out' as const, positions: own }]
        : [];
    default:
      return [];
  }
}

function collectGroups(
  graph: NetworkGraph,
  components: ReadonlyMap<string, Int32Array>,
  fixed: ReadonlySet<number>,
): Pick<ChannelAnalysis, 'groups' | 'groupComponents' | 'channelOf'> {
  // Per prunable component: member key → positions.
  const buckets = new Map<number, Map<string, number[]>>();
  const memberInfo = new Map<string, { layer: string; dimension: 'out' | 'in' }>();
  for (const node of graph.layers()) {
    for (const { dimension, positions } of memberDimensions(node, components)) {
      const key = `${node.name}\u0000${dimension}`;
      memberInfo.set(key, { layer: node.name, dimension });
      positions.forEach((component, position) => {
        if (fixed.has(component)) return;
        let members = buckets.get(component);
        if (members === undefined) {
          members = new Map();
          buckets.set(component, members);
        }
        const list = members.get(key);
        if (list === undefined) members.set(key, [position]);
        else list.push(position);
      });
    }
  }

  // Components with the same members (and as many positions in each) form one group.
  const bySignature = new Map<string, number[]>();
  for (const [component, members] of buckets) {
    const signature = [...members].map(([key, list]) => `${key}\u0001${list.length}`).join('\u0002');
    const list = bySignature.get(signature);
    if (list === undefined) bySignature.set(signature, [component]);
    else list.push(component);
  }

  const drafts = [...bySignature.values()].map((comps) => {
    const firstMembers = buckets.get(comps[0] as number) as Map<string, number[]>;
    const keys = [...firstMembers.keys()];
    const leadKey = keys[0] as string;
    const ordered = [...comps].sort(
      (a, b) =>
        ((buckets.get(a)?.get(leadKey) ?? [])[0] as number) -
        ((buckets.get(b)?.get(leadKey) ?? [])[0] as number),
    );
    const members: GroupMember[] = keys.map((key) => {
      const { layer, dimension } = memberInfo.get(key) as { layer: string; dimension: 'out' | 'in' };
      return { layer, dimension, indices: ordered.map((c) => buckets.get(c)?.get(key) ?? []) };
    });
    return { members, components: ordered };
  });

  // Name a group after a layer whose outputs it holds entirely (`a` rather than `c#0` when a
  // concatenation of a and b is added to c), else after its first producing layer.
  const groupsWithOutputs = new Map<string, number>();
  for (const { members } of drafts) {
    for (const m of members)
      if (m.dimension === 'out') groupsWithOutputs.set(m.layer, (groupsWithOutputs.get(m.layer) ?? 0) + 1);
  }
  const rooted = drafts.map((draft) => {
    const outs = draft.members.filter((m) => m.dimension === 'out');
    const root = outs.find((m) => groupsWithOutputs.get(m.layer) === 1) ?? outs[0] ?? draft.members[0];
    if (root === undefined)
      throw new AutomlError('@automl-ts/core/dependencyGroups', 'a group has no member');
    return { ...draft, root: root.layer, firstPosition: root.indices[0]?.[0] ?? 0 };
  });

  const order = new Map(graph.topologicalOrder().map((name, i) => [name, i]));
  rooted.sort(
    (a, b) =>
      (order.get(a.root) as number) - (order.get(b.root) as number) || a.firstPosition - b.firstPosition,
  );
  const perRoot = new Map<string, number>();
  for (const draft of rooted) perRoot.set(draft.root, (perRoot.get(draft.root) ?? 0) + 1);
  const seen = new Map<string, number>();
  const groups: DependencyGroup[] = [];
  const channelOf = new Map<number, readonly [number, number]>();
  rooted.forEach((draft, g) => {
    const k = seen.get(draft.root) ?? 0;
    seen.set(draft.root, k + 1);
    const id = (perRoot.get(draft.root) as number) > 1 ? `${draft.root}#${k}` : draft.root;
    groups.push({ id, channels: draft.components.length, members: draft.members });
    draft.components.forEach((component, i) => {
      channelOf.set(component, [g, i]);
    });
  });
  return { groups, groupComponents: rooted.map((d) => d.components), channelOf };
}

/**
 * The prunable channel-dependency groups of a network, the way DepGraph (Fang et al., CVPR 2023)
 * finds them: a residual add couples the output channels of its inputs; a depthwise conv couples
 * its inputs with its outputs; batch norm follows the layer before it; a concatenation shifts a
 * branch's channels by the branch's offset; a dense layer after a flatten takes H·W rows per
 * channel. Channels that reach the model outputs (the classifier) or come from the model inputs
 * are not prunable and belong to no group; neither do grouped (non-depthwise) convs and channels
 * entering a softmax.
 *
 * @example
 * const groups = dependencyGroups(NetworkGraph.fromModule(createModel('resnet20'), [32, 32, 3]));
 * groups.map((g) => `${g.id}: ${g.channels} channels, ${g.members.length} members`);
 */
export function dependencyGroups(graph: NetworkGraph): DependencyGroup[] {
  return [...analyzeChannels(graph).groups];
}
