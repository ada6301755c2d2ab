import { Adam, type ArchValues, type Module, type Optimizer } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import type { AdaptedModel, AdaptOptions, LearnerOptions, MetaGradients, MetaLearner } from '../learner.js';
import { registerSecondOrderGradients } from '../second-order/register-second-order-gradients.js';
import type { Task, TaskSet } from '../tasks/task.js';
import { FastWeightsModel } from './adapted.js';
import { errorFactory } from './errors.js';
import { differentiableInnerLoop, innerLoop, type StepSize } from './inner-loop.js';
import { type ResolvedTaskLoss, resolveLoss } from './losses.js';
import { metaBatchGradients } from './meta-batch.js';
import { runModule } from './model-runner.js';
import { type ParamMap, pick } from './params.js';
import { checkInteger, checkRegressionSet, checkSupportSet, checkTasks } from './validate.js';

/** The output functions of one task for given adapted parameters. */
export interface TaskFunctions {
  /** Support-set output with the adapted parameters. */
  support(adapted: ParamMap): tf.Tensor;
  /** Query-set output with the adapted parameters. */
  query(adapted: ParamMap): tf.Tensor;
  /** Frees what the functions cached (ANIL's features); call when done with them. */
  dispose(): void;
}

/** Resolved options shared by the gradient-based learners. */
export interface GradientLearnerSettings {
  readonly innerSteps: number;
  readonly firstOrder: boolean;
  readonly arch: ArchValues | undefined;
  readonly loss: ResolvedTaskLoss;
}

/**
 * The machinery of MAML, first-order MAML, ANIL and Meta-SGD: an inner loop of gradient steps on
 * fast weights (never on the module's variables) and an outer gradient through it.
 *
 * Second order: the outer gradient differentiates the whole inner loop (nested `tf.grad`).
 * First order: the inner loop runs off the tape, its summed gradients G are constants, and the
 * outer gradient is that of L_query(θ − α ⊙ G): ∇_φ L_query for θ (FOMAML), −G ⊙ ∇_φ L_query for α.
 */
export abstract class GradientMetaLearner implements MetaLearner {
  abstract readonly algorithm: string;
  readonly module: Module;
  readonly innerSteps: number;
  readonly firstOrder: boolean;
  arch: ArchValues | undefined;
  readonly loss: ResolvedTaskLoss;
  protected readonly source: string;

  protected constructor(source: string, module: Module, settings: GradientLearnerSettings) {
    this.source = source;
    this.module = module;
    this.innerSteps = settings.innerSteps;
    this.firstOrder = settings.firstOrder;
    this.arch = settings.arch;
    this.loss = settings.loss;
    if (!this.firstOrder) registerSecondOrderGradients();
  }

  /** Names of the parameters the inner loop adapts. */
  protected abstract adaptedNames(): readonly string[];

  /** Inner step size from the meta-parameter tensors. */
  protected abstract stepSize(meta: ParamMap): StepSize;

  /** Output functions of one task; `meta` are the meta-parameter tensors to build on. */
  protected taskFunctions(task: Task, meta: ParamMap): TaskFunctions {
    const arch = task.arch ?? this.arch;
    const run = (x: tf.Tensor, adapted: ParamMap) =>
      runModule(this.module, x, arch, new Map([...meta, ...adapted]));
    return {
      support: (adapted) => run(task.support.x, adapted),
      query: (adapted) => run(task.query.x, adapted),
      dispose: () => {},
    };
  }

  metaParameters(): Map<string, tf.Variable> {
    return this.module.namedParameters();
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

  metaGradients(tasks: readonly Task[]): MetaGradients {
    checkTasks(errorFactory(`${this.source}.metaGradients`), tasks, this.loss.kind);
    const meta = this.metaParameters();
    return metaBatchGradients(tasks, this.loss.kind, (task) => this.#taskGradients(task, meta));
  }

  adapt(support: TaskSet, options: AdaptOptions = {}): AdaptedModel {
    const fail = errorFactory(`${this.source}.adapt`);
    const steps = checkInteger(fail, 'steps', options.steps ?? this.innerSteps, 0);
    if (this.loss.kind === 'classification') checkSupportSet(fail, support, 'support set');
    else checkRegressionSet(fail, support, 'support set');
    const meta = this.metaParameters();
    const functions = this.taskFunctions({ support, query: support }, meta);
    try {
      const { params } = innerLoop(
        (adapted) => this.loss.fn(functions.support(adapted), support.y),
        pick(meta, this.adaptedNames()),
        this.stepSize(meta),
        steps,
      );
      return new FastWeightsModel(this.module, this.arch, params, support.x);
    } finally {
      functions.dispose();
    }
  }

  /** One task's meta-gradients, query loss and query output (all owned by the caller). */
  #taskGradients(
    task: Task,
    meta: Map<string, tf.Variable>,
  ): { gradients: Map<string, tf.Tensor>; loss: tf.Scalar; output: tf.Tensor } {
    const names = [...meta.keys()];
    const adaptedNames = this.adaptedNames();
    const constantUpdate = this.firstOrder ? this.#firstOrderUpdate(task, meta) : undefined;
    let output: tf.Tensor | undefined;
    let onTape: TaskFunctions | undefined;
    try {
      const outer = tf.tidy(() => {
        const { value, grads } = tf.engine().gradients(
          () => {
            const current = this.taskFunctions(task, meta);
            onTape = current;
            const stepSize = this.stepSize(meta);
            const start = pick(meta, adaptedNames);
            const adapted =
              constantUpdate === undefined
                ? differentiableInnerLoop(
                    (params) => this.loss.fn(current.support(params), task.support.y),
                    start,
                    stepSize,
                    this.innerSteps,
                  )
                : applyUpdate(start, constantUpdate, stepSize);
            const queryOutput = current.query(adapted);
            output = tf.keep(queryOutput);
            return this.loss.fn(queryOutput, task.query.y);
          },
          [...meta.values()],
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
        gradients: new Map(Object.entries(outer.kept)),
        loss: outer.value,
        output: output as tf.Tensor,
      };
    } catch (error) {
      output?.dispose();
      throw error;
    } finally {
      onTape?.dispose();
      if (constantUpdate !== undefined) tf.dispose([...constantUpdate.values()]);
    }
  }

  /** Σ_s ∇L_support(φ_s) over the inner loop, computed off the tape: first-order MAML's constant update G. */
  #firstOrderUpdate(task: Task, meta: ParamMap): Map<string, tf.Tensor> {
    const functions = this.taskFunctions(task, meta);
    try {
      const inner = innerLoop(
        (adapted) => this.loss.fn(functions.support(adapted), task.support.y),
        pick(meta, this.adaptedNames()),
        this.stepSize(meta),
        this.innerSteps,
        { accumulateGradients: true },
      );
      tf.dispose([...inner.params.values()]);
      return inner.gradientSum ?? new Map();
    } finally {
      functions.dispose();
    }
  }
}

/** θ − α ⊙ G for the first-order update G. */
function applyUpdate(start: ParamMap, update: ParamMap, stepSize: StepSize): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, value] of start) {
    const g = update.get(name);
    const step = typeof stepSize === 'number' ? stepSize : (stepSize.get(name) as tf.Tensor);
    out.set(name, g === undefined ? value : tf.sub(value, tf.mul(g, step)));
  }
  return out;
}

/** Resolves the options shared by the gradient-based learners. */
export function resolveGradientSettings(
  source: string,
  options: LearnerOptions & { innerSteps?: number; firstOrder?: boolean },
  defaults: { innerSteps: number; firstOrder: boolean },
): GradientLearnerSettings {
  const fail = errorFactory(source);
  const firstOrder = options.firstOrder ?? defaults.firstOrder;
  if (typeof firstOrder !== 'boolean')
    throw fail(`firstOrder must be true or false, got ${String(firstOrder)}`);
  return {
    innerSteps: checkInteger(fail, 'innerSteps', options.innerSteps ?? defaults.innerSteps, 1),
    firstOrder,
    arch: options.arch,
    loss: resolveLoss(fail, options.loss),
  };
}
