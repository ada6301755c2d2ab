// Wang et al. (Zhang, Yu, Rong et al.), "Effective Model Compression via Stage-wise Pruning", 2020,
// §3.2: the deep supernet is split into stages (its resolution stages by default), each a small
// supernet of its own.
import { type Architecture, architectureShapes, describeValue, type Supernet } from '@automl-ts/core';
import { failFor } from './internal/errors.js';

/**
 * How to split a supernet into stages: `'resolution'` (a new stage wherever the feature-map
 * resolution changes; layers with flat outputs join the last stage), `'single'` (one stage: the
 * one-stage supernet baseline), or explicit lists of the supernet's top-level layer names, in order.
 */
export type StageSplit = 'resolution' | 'single' | readonly (readonly string[])[];

/** One stage: consecutive top-level layers of the supernet. */
export interface Stage {
  /** Position of the stage, from 0. */
  readonly index: number;
  /** Top-level layer names (`supernet.layers()`), in order. */
  readonly layers: readonly string[];
  /** True for the last stage, whose output is the network's. */
  readonly last: boolean;
}

const fail = failFor('splitStages');

/**
 * Splits a supernet's top-level layers into consecutive stages. An explicit split must name
 * every top-level layer once, in order, with no empty stage; otherwise it throws naming what
 * does not match and listing the layers.
 *
 * @example
 * splitStages(supernet); // ResNet-20: [stem, stage1], [stage2], [stage3, pool, fc]
 * splitStages(supernet, [['stem', 'stage1', 'stage2'], ['stage3', 'pool', 'fc']]);
 */
export function splitStages(supernet: Supernet, split: StageSplit = 'resolution'): Stage[] {
  const names = supernet.layers().map(([name]) => name);
  let groups: string[][];
  if (split === 'single') {
    groups = [names];
  } else if (split === 'resolution') {
    groups = resolutionStages(supernet, names);
  } else if (Array.isArray(split)) {
    const flat = split.flat();
    const problem = split.some((stage) => !Array.isArray(stage) || stage.length === 0)
      ? 'a stage is empty or not a list of layer names'
      : flat.length !== names.length || flat.some((name, i) => name !== names[i])
        ? 'the stages must name every top-level layer exactly once, in order'
        : undefined;
    if (problem !== undefined) {
      throw fail(
        `split ${describeValue(split)} does not match the network: ${problem}; its top-level layers are ${names.join(', ')}`,
      );
    }
    groups = split.map((stage) => [...stage]);
  } else {
    throw fail(`split must be 'resolution', 'single' or lists of layer names, got ${describeValue(split)}`);
  }
  return groups.map((layers, index) => ({ index, layers, last: index === groups.length - 1 }));
}

function resolutionStages(supernet: Supernet, names: readonly string[]): string[][] {
  const outputs = layerOutputShapes(supernet, supernet.largestArchitecture());
  const groups: string[][] = [];
  let resolution: string | undefined;
  for (const name of names) {
    const shape = outputs.get(name) ?? [];
    const current = shape.length === 3 ? `${shape[0]}x${shape[1]}` : resolution;
    if (groups.length === 0 || current !== resolution) groups.push([name]);
    else (groups[groups.length - 1] as string[]).push(name);
    resolution = current;
  }
  return groups;
}

/** The output shape of every top-level layer for `arch` (the last traced layer under its name). */
export function layerOutputShapes(supernet: Supernet, arch: Architecture): Map<string, readonly number[]> {
  const top = new Set(supernet.layers().map(([name]) => name));
  const out = new Map<string, readonly number[]>();
  for (const [node, shape] of architectureShapes(supernet, arch)) {
    const head = node.split('.')[0]?.split('#')[0] as string;
    if (top.has(head)) out.set(head, shape);
  }
  return out;
}
