// Raghu, Raghu, Bengio, Vinyals, "Rapid Learning or Feature Reuse? Towards Understanding the Effectiveness of MAML", ICLR 2020, §4 (ANIL: the inner loop adapts only the head).

import type { Module } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../internal/errors.js';
import { GradientMetaLearner, type TaskFunctions } from '../internal/gradient-learner.js';
import type { StepSize } from '../internal/inner-loop.js';
import { type HeadSplit, splitHead } from '../internal/model-runner.js';
import type { ParamMap } from '../internal/params.js';
import type { Task } from '../tasks/task.js';
import { type MamlOptions, type ResolvedMamlOptions, resolveMamlOptions } from './maml.js';

/** Options of {@link ANIL}. */
export interface AnilOptions extends MamlOptions {
  /**
   * Name of the head: the module's last child, whose parameters the inner loop adapts. The module
   * must run its children in order (a `Sequential` such as conv4, or a `Supernet`).
   * @default the last child's name (`fc` for conv4)
   */
  head?: string;
}

/** {@link AnilOptions} with defaults filled in and checked. */
export interface ResolvedAnilOptions extends ResolvedMamlOptions {
  readonly head: string | undefined;
}

/** Fills in and checks {@link AnilOptions}. */
export function resolveAnilOptions(options: AnilOptions = {}): ResolvedAnilOptions {
  const resolved = resolveMamlOptions(options, 'ANIL');
  if (options.head !== undefined && (typeof options.head !== 'string' || options.head === '')) {
    throw errorFactory('ANIL')(`head must be a child's name, got ${String(options.head)}`);
  }
  return { ...resolved, head: options.head };
}

/**
 * Almost No Inner Loop: MAML whose inner loop adapts only the head (the last child), while the
 * outer loop meta-trains the whole network. The body runs once per task: its features are reused
 * by every inner step, so an inner step costs a head forward and backward. Second order by
 * default (the outer gradient reaches the body through the head's adaptation).
 *
 * @example
 * const anil = new ANIL(createModel('conv4', { inputSize: 28, inChannels: 1, numClasses: 5 }), { innerLr: 0.1, innerSteps: 5 });
 */
export class ANIL extends GradientMetaLearner {
  readonly algorithm = 'anil';
  /** Inner learning rate α. */
  readonly innerLr: number;
  readonly #split: HeadSplit;

  constructor(module: Module, options: AnilOptions = {}) {
    const resolved = resolveAnilOptions(options);
    super('ANIL', module, resolved);
    this.innerLr = resolved.innerLr;
    this.#split = splitHead(module, resolved.head, errorFactory('ANIL'));
  }

  /** Local name of the adapted head child. */
  get head(): string {
    return this.#split.headName;
  }

  protected adaptedNames(): readonly string[] {
    return [...this.module.namedParameters().keys()].filter((name) =>
      name.startsWith(this.#split.headPrefix),
    );
  }

  protected stepSize(_meta: ParamMap): StepSize {
    return this.innerLr;
  }

  protected override taskFunctions(task: Task, _meta: ParamMap): TaskFunctions {
    const arch = task.arch ?? this.arch;
    const cache = new Map<'support' | 'query', tf.Tensor>();
    // Cached across inner steps (and kept out of their tidy scopes); freed by dispose().
    const features = (which: 'support' | 'query'): tf.Tensor => {
      let value = cache.get(which);
      if (value === undefined) {
        value = tf.keep(this.#split.features(task[which].x, arch));
        cache.set(which, value);
      }
      return value;
    };
    return {
      support: (adapted) => this.#split.classify(features('support'), arch, adapted),
      query: (adapted) => this.#split.classify(features('query'), arch, adapted),
      dispose: () => tf.dispose([...cache.values()]),
    };
  }
}
