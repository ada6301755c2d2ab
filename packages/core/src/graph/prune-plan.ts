import { AutomlError, describeValue } from '../internal/errors.js';
import { analyzeChannels, type ChannelAnalysis } from './dependency-groups.js';
import type { NetworkGraph } from './network-graph.js';

/**
 * Channels to keep. Keys are dependency-group ids (values index the group's channels, `0 …
 * channels − 1`) or layer names (values index that layer's output channels; every group the
 * layer's outputs belong to is pruned accordingly). Groups not named keep all their channels.
 */
export type PruneSelection = Readonly<Record<string, readonly number[]>>;

/** A resolved selection: which channel positions survive on every layer's output. */
export interface PrunePlan {
  readonly graph: NetworkGraph;
  readonly analysis: ChannelAnalysis;
  /** Removed components (see {@link ChannelAnalysis}). */
  readonly removed: ReadonlySet<number>;
  /** Surviving positions on the last axis of each layer's output, ascending. */
  readonly kept: ReadonlyMap<string, readonly number[]>;
}

function checkKeepList(source: string, key: string, keep: unknown, size: number): Set<number> {
  if (!Array.isArray(keep)) {
    throw new AutomlError(
      source,
      `selection["${key}"] must be an array of channel indices, got ${describeValue(keep)}`,
    );
  }
  const set = new Set<number>();
  for (const index of keep) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= size) {
      throw new AutomlError(
        source,
        `selection["${key}"] contains ${describeValue(index)}, which is not a channel index in [0, ${size})`,
      );
    }
    if (set.has(index)) throw new AutomlError(source, `selection["${key}"] lists channel ${index} twice`);
    set.add(index);
  }
  return set;
}

/** Resolves a {@link PruneSelection} against a graph; throws naming any bad key, index or conflict. */
export function planPruning(source: string, graph: NetworkGraph, selection: PruneSelection): PrunePlan {
  if (typeof selection !== 'object' || selection === null || Array.isArray(selection)) {
    throw new AutomlError(
      source,
      `selection must be an object of channel lists, got ${describeValue(selection)}`,
    );
  }
  const analysis = analyzeChannels(graph);
  const groupIndex = new Map(analysis.groups.map((g, i) => [g.id, i]));
  // Component → [key that decided it, kept?]
  const decisions = new Map<number, readonly [string, boolean]>();
  const decide = (component: number, key: string, keep: boolean): void => {
    const previous = decisions.get(component);
    if (previous !== undefined && previous[1] !== keep) {
      const [group, channel] = analysis.channelOf.get(component) ?? [-1, -1];
      throw new AutomlError(
        source,
        `selection["${previous[0]}"] and selection["${key}"] disagree on channel ${channel} of group "${analysis.groups[group]?.id}" (one keeps it, the other removes it)`,
      );
    }
    decisions.set(component, [key, keep]);
  };

  for (const [key, keep] of Object.entries(selection)) {
    const g = groupIndex.get(key);
    if (g !== undefined) {
      const components = analysis.groupComponents[g] as readonly number[];
      const kept = checkKeepList(source, key, keep, components.length);
      components.forEach((component, i) => {
        decide(component, key, kept.has(i));
      });
      continue;
    }
    const positions = analysis.components.get(key);
    if (positions === undefined || !graph.hasNode(key)) {
      const ids = analysis.groups.map((group) => group.id);
      throw new AutomlError(
        source,
        `selection key ${describeValue(key)} is neither a dependency group nor a layer; groups: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? `, … (${ids.length} in all)` : ''}`,
      );
    }
    const kept = checkKeepList(source, key, keep, positions.length);
    const keptComponents = new Set([...kept].map((p) => positions[p] as number));
    positions.forEach((component, position) => {
      if (kept.has(position)) return;
      if (keptComponents.has(component)) {
        throw new AutomlError(
          source,
          `selection["${key}"] removes output channel ${position} of layer "${key}" but keeps a channel it is tied to (the same tensor reaches it twice)`,
        );
      }
      if (analysis.fixed.has(component)) {
        throw new AutomlError(
          source,
          `selection["${key}"] removes output channel ${position} of layer "${key}", which is not prunable: it reaches a model input or output, a grouped conv or a softmax`,
        );
      }
    });
    positions.forEach((component, position) => {
      if (!analysis.fixed.has(component)) decide(component, key, kept.has(position));
    });
  }

  const removed = new Set<number>();
  for (const [component, [, keep]] of decisions) if (!keep) removed.add(component);
  analysis.groupComponents.forEach((components, g) => {
    if (components.length > 0 && components.every((c) => removed.has(c))) {
      throw new AutomlError(
        source,
        `group "${analysis.groups[g]?.id}" would lose all of its ${components.length} channels; keep at least one`,
      );
    }
  });

  const kept = new Map<string, number[]>();
  for (const [name, positions] of analysis.components) {
    const list: number[] = [];
    positions.forEach((component, position) => {
      if (!removed.has(component)) list.push(position);
    });
    kept.set(name, list);
  }
  return { graph, analysis, removed, kept };
}

/** Positions kept on a layer's input `i` (its producer's output). */
export function keptInput(plan: PrunePlan, node: string, i = 0): readonly number[] {
  const producer = plan.graph.layer(node).inputs[i];
  return producer === undefined ? [] : (plan.kept.get(producer) as readonly number[]);
}
