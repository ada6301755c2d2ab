// Snell, Swersky, Zemel, "Prototypical Networks for Few-shot Learning", NeurIPS 2017, eq. 1–2 (prototypes are mean support embeddings; softmax over negative squared Euclidean distances).

import {
  Adam,
  type ArchValues,
  cloneModule,
  crossEntropy,
  Dense,
  Flatten,
  type Module,
  type Optimizer,
  Sequential,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { errorFactory } from '../internal/errors.js';
import { oneHotTargets, type ResolvedTaskLoss, resolveLoss } from '../internal/losses.js';
import { metaBatchGradients } from '../internal/meta-batch.js';
import { type HeadSplit, orderedChildren, type RunMode, splitHead } from '../internal/model-runner.js';
import { checkSupportSet, checkTasks } from '../internal/validate.js';
import type {
  AdaptedModel,
  LearnerOptions,
  MetaGradients,
  MetaLearner,
  ToModuleOptions,
} from '../learner.js';
import type { Task, TaskSet } from '../tasks/task.js';

/** Options of {@link ProtoNet}. */
export interface ProtoNetOptions extends Pick<LearnerOptions, 'arch'> {
  /**
   * The head child to drop: embeddings are the output of everything before it. `null` embeds with
   * the whole module's output.
   * @default the last child when the module runs its children in order (Sequential, Supernet), else null
   */
  head?: string | null;
}

/** {@link ProtoNetOptions} with defaults filled in and checked. */
export interface ResolvedProtoNetOptions {
  readonly arch: ArchValues | undefined;
  readonly head: string | null;
}

const SOURCE = 'ProtoNet';

/** Fills in and checks {@link ProtoNetOptions}. */
export function resolveProtoNetOptions(
  module: Module,
  options: ProtoNetOptions = {},
): ResolvedProtoNetOptions {
  const head = options.head === undefined ? (orderedChildren(module)?.at(-1)?.[0] ?? null) : options.head;
  if (head !== null && (typeof head !== 'string' || head === '')) {
    throw errorFactory(SOURCE)(`head must be a child's name or null, got ${String(head)}`);
  }
  return { arch: options.arch, head };
}

const TRAINING: RunMode = { training: true, updateStats: true };
const INFERENCE: RunMode = { training: false, updateStats: false };

/** Flattens embeddings to `[n, d]`. */
function flat(embeddings: tf.Tensor): tf.Tensor2D {
  return tf.reshape(embeddings, [embeddings.shape[0] as number, -1]);
}

/** Class means of support embeddings `[n, d]` with labels → `[N, d]`. */
function prototypesOf(embeddings: tf.Tensor2D, labels: tf.Tensor, ways: number): tf.Tensor2D {
  const onehot = oneHotTargets(labels, ways) as tf.Tensor2D;
  return tf.div(tf.matMul(onehot, embeddings, true, false), tf.reshape(tf.sum(onehot, 0), [ways, 1]));
}

/** −‖q − p‖² for every query row and prototype: `[nq, N]`. */
function negativeSquaredDistances(queries: tf.Tensor2D, prototypes: tf.Tensor2D): tf.Tensor2D {
  const cross = tf.mul(tf.matMul(queries, prototypes, false, true), 2);
  const queryNorms = tf.sum(tf.square(queries), 1, true);
  const prototypeNorms = tf.reshape(tf.sum(tf.square(prototypes), 1), [1, -1]);
  return tf.sub(tf.sub(cross, queryNorms), prototypeNorms);
}

/**
 * Prototypical Networks, the metric-learning baseline: a class is the mean embedding of its support
 * examples and a query is classified by a softmax over negative squared Euclidean distances to the
 * prototypes. The encoder is trained end to end on the query loss; there is no inner loop
 * (`innerSteps` is 0, `adapt` just computes prototypes).
 *
 * Batch norm as in the reference code: meta-training embeds support and query in one training-mode
 * pass that updates the running statistics (so `metaGradients` changes the module's buffers), and
 * `adapt`/`predict` embed in inference mode. The adapted model exports as the encoder followed by a
 * linear head with weights 2·p and biases −‖p‖² (the same softmax: the dropped −‖q‖² is a per-query
 * constant).
 *
 * @example
 * const protonet = new ProtoNet(createModel('conv4', { inputSize: 28, inChannels: 1, numClasses: 5 })); // drops fc
 * const adapted = protonet.adapt(episode.support);
 * const logits = adapted.predict(episode.query.x);
 */
export class ProtoNet implements MetaLearner {
  readonly algorithm = 'protonet';
  readonly module: Module;
  readonly innerSteps = 0;
  readonly loss: ResolvedTaskLoss = resolveLoss(errorFactory(SOURCE), 'crossEntropy');
  arch: ArchValues | undefined;
  readonly #split: HeadSplit | undefined;

  constructor(module: Module, options: ProtoNetOptions = {}) {
    const resolved = resolveProtoNetOptions(module, options);
    this.module = module;
    this.arch = resolved.arch;
    this.#split = resolved.head === null ? undefined : splitHead(module, resolved.head, errorFactory(SOURCE));
  }

  /** The dropped head child's name, or null when the whole output is the embedding. */
  get head(): string | null {
    return this.#split?.headName ?? null;
  }

  /** Trains the encoder only: the head (if any) is not used. */
  metaParameters(): Map<string, tf.Variable> {
    const all = this.module.namedParameters();
    const prefix = this.#split?.headPrefix;
    return prefix === undefined ? all : new Map([...all].filter(([name]) => !name.startsWith(prefix)));
  }

  metaVariables(): Map<string, tf.Variable> {
    const out = this.metaParameters();
    for (const [name, buffer] of this.module.namedBuffers()) out.set(name, buffer);
    return out;
  }

  createOptimizer(): Optimizer {
    return new Adam(this.metaParameters(), { learningRate: 1e-3 });
  }

  dispose(): void {}

  /** Embeddings `[n, d]` of `x` (the encoder's output, flattened); inference mode unless told. */
  embed(x: tf.Tensor, mode: RunMode = INFERENCE): tf.Tensor2D {
    return tf.tidy(() => flat(this.#encode(x, mode)));
  }

  #encode(x: tf.Tensor, mode: RunMode, arch: ArchValues | undefined = this.arch): tf.Tensor {
    if (this.#split !== undefined) return this.#split.features(x, arch, undefined, mode);
    return this.module.apply(x, { ...mode, arch });
  }

  metaGradients(tasks: readonly Task[]): MetaGradients {
    const shape = checkTasks(errorFactory(`${SOURCE}.metaGradients`), tasks, 'classification');
    const ways = shape?.ways as number;
    const parameters = this.metaParameters();
    const names = [...parameters.keys()];
    return metaBatchGradients(tasks, 'classification', (task) => {
      let logits: tf.Tensor | undefined;
      const outcome = tf.tidy(() => {
        const { value, grads } = tf.engine().gradients(
          () => {
            const supportCount = task.support.x.shape[0] as number;
            const embeddings = flat(
              this.#encode(tf.concat([task.support.x, task.query.x], 0), TRAINING, task.arch ?? this.arch),
            );
            const [support, query] = tf.split(embeddings, [supportCount, -1], 0) as [
              tf.Tensor2D,
              tf.Tensor2D,
            ];
            logits = tf.keep(negativeSquaredDistances(query, prototypesOf(support, task.support.y, ways)));
            return crossEntropy(logits, task.query.y);
          },
          [...parameters.values()],
          undefined,
          true,
        );
        const kept: Record<string, tf.Tensor> = {};
        names.forEach((name, i) => {
          const gradient = grads[i];
          if (gradient != null) kept[name] = gradient;
        });
        return { value, kept };
      });
      return {
        gradients: new Map(Object.entries(outcome.kept)),
        loss: outcome.value,
        output: logits as tf.Tensor,
      };
    });
  }

  /** The task's prototypes from its support set (`steps` does not apply: there is no inner loop). */
  adapt(support: TaskSet): AdaptedModel {
    const { ways } = checkSupportSet(errorFactory(`${SOURCE}.adapt`), support, 'support set');
    let featureRank = 2;
    const prototypes = tf.tidy(() => {
      const features = this.#encode(support.x, INFERENCE);
      featureRank = features.rank;
      return prototypesOf(flat(features), support.y, ways);
    });
    return new PrototypeModel(this, prototypes, this.#split, featureRank > 2);
  }
}

/** A ProtoNet adapted to one task: its prototypes. */
class PrototypeModel implements AdaptedModel {
  readonly params: ReadonlyMap<string, tf.Tensor>;
  readonly #learner: ProtoNet;
  readonly #prototypes: tf.Tensor2D;
  readonly #split: HeadSplit | undefined;
  readonly #flatten: boolean;

  constructor(learner: ProtoNet, prototypes: tf.Tensor2D, split: HeadSplit | undefined, flatten: boolean) {
    this.#learner = learner;
    this.#prototypes = prototypes;
    this.#split = split;
    this.#flatten = flatten;
    this.params = new Map([['prototypes', prototypes]]);
  }

  predict(x: tf.Tensor): tf.Tensor {
    if (this.#prototypes.isDisposed)
      throw errorFactory('AdaptedModel')('predict: the adapted model has been disposed');
    return tf.tidy(() => negativeSquaredDistances(this.#learner.embed(x), this.#prototypes));
  }

  async toModule(_options: ToModuleOptions = {}): Promise<Module> {
    const [ways, dims] = this.#prototypes.shape;
    const kernel = tf.tidy(() => tf.mul(tf.transpose(this.#prototypes), 2));
    const bias = tf.tidy(() => tf.neg(tf.sum(tf.square(this.#prototypes), 1)));
    try {
      const head = new Dense({ inUnits: dims, outUnits: ways }, { kernel, bias });
      const module = this.#learner.module;
      const split = this.#split;
      const encoder: Array<[string, Module]> =
        split === undefined
          ? [['encoder', cloneModule(module)]]
          : (orderedChildren(module) ?? [])
              .filter(([name]) => name !== split.headName)
              .map(([name, child]) => [name, cloneModule(child)]);
      if (this.#flatten) encoder.push(['embedding', new Flatten()]);
      return new Sequential([...encoder, [split?.headName ?? 'prototypes', head]]);
    } finally {
      tf.dispose([kernel, bias]);
    }
  }

  dispose(): void {
    this.#prototypes.dispose();
  }
}
