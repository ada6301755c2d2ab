import { type ArchValues, type Module, resolveApplyOptions, Sequential, Supernet } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { type ParamMap, toOverrides } from './params.js';

/** How a module runs: training mode (batch statistics) or not, and whether running statistics update. */
export interface RunMode {
  readonly training: boolean;
  readonly updateStats: boolean;
}

/** Batch statistics, running statistics left alone: how every inner loop runs. */
const INNER_LOOP_MODE: RunMode = { training: true, updateStats: false };

/**
 * Runs a module functionally for meta-learning: training mode (batch norm normalises with the
 * batch's own statistics, as in MAML), running statistics never updated, parameters overridden
 * by `params` (fast weights) without touching the module's variables, `arch` passed through.
 */
export function runModule(
  module: Module,
  x: tf.Tensor,
  arch: ArchValues | undefined,
  params?: ParamMap,
): tf.Tensor {
  return module.apply(x, { ...INNER_LOOP_MODE, arch, params: toOverrides(params) });
}

/** A module cut before its last child (the head): ANIL adapts the head, Prototypical Networks drop it. */
export interface HeadSplit {
  /** Local name of the head child. */
  readonly headName: string;
  /** The head module. */
  readonly head: Module;
  /** Full-name prefix of the head's parameters (`fc.`). */
  readonly headPrefix: string;
  /**
   * Runs every child before the head: by default in training mode without updating running
   * statistics (as the inner loop runs).
   */
  features(x: tf.Tensor, arch: ArchValues | undefined, params?: ParamMap, mode?: RunMode): tf.Tensor;
  /** Runs the head on features. */
  classify(features: tf.Tensor, arch: ArchValues | undefined, params?: ParamMap): tf.Tensor;
}

/** The children of a module that runs them in order (Sequential, Supernet); undefined otherwise. */
export function orderedChildren(module: Module): Array<[string, Module]> | undefined {
  if (module instanceof Supernet) return module.layers();
  if (module instanceof Sequential) return [...module.children()];
  return undefined;
}

/**
 * Splits `module` before its head: `head` names the last child (default: whatever the last child
 * is). Throws (through `fail`) when the module does not run its children in order or the head is
 * not its last child.
 */
export function splitHead(
  module: Module,
  head: string | undefined,
  fail: (message: string) => Error,
): HeadSplit {
  const children = orderedChildren(module);
  if (children === undefined || children.length < 2) {
    throw fail(
      `needs a Sequential or Supernet with a body and a head as its last child, got ${module.className}` +
        (children === undefined ? '' : ` with ${children.length} child`),
    );
  }
  const last = children[children.length - 1] as [string, Module];
  const headName = head ?? last[0];
  if (headName !== last[0]) {
    const names = children.map(([name]) => name);
    throw fail(
      names.includes(headName)
        ? `head "${headName}" must be the last child; the children are ${names.join(', ')}`
        : `no child "${headName}"; the children are ${names.join(', ')}`,
    );
  }
  const body = children.slice(0, -1);
  const headModule = last[1];
  return {
    headName,
    head: headModule,
    headPrefix: `${module.fullName(headName)}.`,
    features(x, arch, params, mode = INNER_LOOP_MODE) {
      const ctx = resolveApplyOptions({ ...mode, arch, params: toOverrides(params) });
      return tf.tidy(() => {
        let y = x;
        for (const [, child] of body) y = child.forward(y, ctx);
        return y;
      });
    },
    classify(features, arch, params) {
      return runModule(headModule, features, arch, params);
    },
  };
}
