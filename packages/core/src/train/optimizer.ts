import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import { defaultWeightDecayFilter, type WeightDecayFilter } from './weight-decay.js';

/** Gradients by full parameter name (as `Module.namedParameters()` names them). */
export type NamedGradients = ReadonlyMap<string, tf.Tensor> | Readonly<Record<string, tf.Tensor>>;

/**
 * A checkpointable optimizer state: the step count, each parameter's own step count and each
 * slot (`momentum`, `m`, `v`) by parameter name. `getState()` returns copies the caller disposes.
 */
export interface OptimizerState {
  readonly className: string;
  readonly iterations: number;
  readonly slots: Readonly<Record<string, Readonly<Record<string, tf.Tensor>>>>;
  /**
   * How many steps each parameter took part in (had a gradient), by name; Adam's bias
   * correction reads these. States saved before per-parameter counts existed lack it: every
   * parameter with a slot then counts `iterations` steps, which is what those states assumed.
   */
  readonly parameterSteps?: Readonly<Record<string, number>>;
}

/** Options every optimizer takes. */
export interface OptimizerOptions {
  /** Step size; change it between steps with `optimizer.learningRate = …` (schedules do). */
  learningRate: number;
  /** Weight decay coefficient (L2 for SGD and Adam, decoupled for AdamW). @default 0 (AdamW: 0.01) */
  weightDecay?: number;
  /** Which parameters decay. @default defaultWeightDecayFilter (kernels only) */
  weightDecayFilter?: WeightDecayFilter;
}

/**
 * The shared machinery of {@link SGD}, {@link Adam} and {@link AdamW}: parameters and per-parameter
 * slots keyed by the module's full names, so that state is named, checkpointable and survives a
 * module rebuilt with the same names. Parameters without a gradient in a step are left alone
 * (supernets: weights outside the sampled subnet), and each parameter counts its own steps
 * ({@link Optimizer.parameterSteps}), as PyTorch's per-parameter `state['step']`: a channel
 * first trained at step 1000 gets the bias correction of its first step, not of step 1000.
 */
export abstract class Optimizer {
  /** Stable class name, stored in {@link OptimizerState}. */
  static readonly className: string = 'Optimizer';

  readonly weightDecay: number;
  readonly #parameters: ReadonlyMap<string, tf.Variable>;
  readonly #decays = new Map<string, boolean>();
  readonly #slots = new Map<string, Map<string, tf.Variable>>();
  readonly #parameterSteps = new Map<string, number>();
  #learningRate = 0;
  #iterations = 0;

  constructor(parameters: ReadonlyMap<string, tf.Variable>, options: OptimizerOptions) {
    const source = `@automl-ts/core/${this.className}`;
    if (!(parameters instanceof Map) || parameters.size === 0) {
      throw new AutomlError(source, 'needs a non-empty Map of parameters (module.namedParameters())');
    }
    this.#parameters = new Map(parameters);
    this.learningRate = options?.learningRate;
    const weightDecay = options.weightDecay ?? 0;
    if (typeof weightDecay !== 'number' || !(weightDecay >= 0)) {
      throw new AutomlError(source, `weightDecay must be a number >= 0, got ${describeValue(weightDecay)}`);
    }
    this.weightDecay = weightDecay;
    const filter = options.weightDecayFilter ?? defaultWeightDecayFilter;
    for (const [name, variable] of this.#parameters) this.#decays.set(name, filter(name, variable));
  }

  /** The class name from the static `className`. */
  get className(): string {
    return (this.constructor as typeof Optimizer).className;
  }

  /** Current step size. */
  get learningRate(): number {
    return this.#learningRate;
  }

  set learningRate(value: number) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new AutomlError(
        `@automl-ts/core/${this.className}`,
        `learningRate must be a finite number >= 0, got ${describeValue(value)}`,
      );
    }
    this.#learningRate = value;
  }

  /** Steps taken so far. */
  get iterations(): number {
    return this.#iterations;
  }

  /** Steps the named parameter took part in (had a gradient); 0 before its first. */
  parameterSteps(name: string): number {
    return this.#parameterSteps.get(name) ?? 0;
  }

  /** The optimised parameters by full name. */
  get parameters(): ReadonlyMap<string, tf.Variable> {
    return this.#parameters;
  }

  /** True when weight decay applies to the named parameter. */
  decays(name: string): boolean {
    return this.#decays.get(name) ?? false;
  }

  /**
   * Applies one update from gradients keyed by parameter name. Names the optimizer does not know
   * throw; known parameters without a gradient are skipped. The gradients stay the caller's.
   */
  step(gradients: NamedGradients): void {
    const entries = gradients instanceof Map ? [...gradients] : Object.entries(gradients);
    for (const [name, gradient] of entries) {
      const variable = this.#parameters.get(name);
      if (variable === undefined) {
        throw new AutomlError(
          `@automl-ts/core/${this.className}.step`,
          `gradient for unknown parameter "${name}"; the optimizer holds ${this.#parameters.size} parameters`,
        );
      }
      if (
        gradient.shape.length !== variable.shape.length ||
        gradient.shape.some((d: number, i: number) => d !== variable.shape[i])
      ) {
        throw new AutomlError(
          `@automl-ts/core/${this.className}.step`,
          `gradient for "${name}" has shape [${gradient.shape}], expected [${variable.shape}]`,
        );
      }
    }
    this.#iterations += 1;
    for (const [name] of entries) this.#parameterSteps.set(name, this.parameterSteps(name) + 1);
    tf.tidy(() => {
      for (const [name, gradient] of entries) {
        this.applyUpdate(name, this.#parameters.get(name) as tf.Variable, gradient, this.decays(name));
      }
    });
  }

  /**
   * Updates one parameter in place (inside a tidy); `iterations` and `parameterSteps(name)`
   * already count this step.
   */
  protected abstract applyUpdate(
    name: string,
    variable: tf.Variable,
    gradient: tf.Tensor,
    decays: boolean,
  ): void;

  /** A per-parameter state variable, created as zeros on first use. */
  protected slot(slotName: string, name: string): tf.Variable {
    let slots = this.#slots.get(slotName);
    if (slots === undefined) {
      slots = new Map();
      this.#slots.set(slotName, slots);
    }
    let slot = slots.get(name);
    if (slot === undefined) {
      slot = tf.variable(tf.zerosLike(this.#parameters.get(name) as tf.Variable), false);
      slots.set(name, slot);
    }
    return slot;
  }

  /** Copies of the step count and every slot, for a checkpoint (dispose the tensors when done). */
  getState(): OptimizerState {
    const slots: Record<string, Record<string, tf.Tensor>> = {};
    for (const [slotName, byName] of this.#slots) {
      slots[slotName] = Object.fromEntries([...byName].map(([name, v]) => [name, tf.clone(v)]));
    }
    return {
      className: this.className,
      iterations: this.#iterations,
      slots,
      parameterSteps: Object.fromEntries(this.#parameterSteps),
    };
  }

  /** Restores a state from {@link Optimizer.getState} (copied in; the caller keeps ownership). */
  setState(state: OptimizerState): void {
    const source = `@automl-ts/core/${this.className}.setState`;
    if (state?.className !== this.className) {
      throw new AutomlError(
        source,
        `state is from ${describeValue(state?.className)}, expected "${this.className}"`,
      );
    }
    if (!Number.isInteger(state.iterations) || state.iterations < 0) {
      throw new AutomlError(
        source,
        `iterations must be an integer >= 0, got ${describeValue(state.iterations)}`,
      );
    }
    for (const [name, steps] of Object.entries(state.parameterSteps ?? {})) {
      if (!this.#parameters.has(name))
        throw new AutomlError(source, `parameterSteps names unknown parameter "${name}"`);
      if (!Number.isInteger(steps) || steps < 0 || steps > state.iterations) {
        throw new AutomlError(
          source,
          `parameterSteps of "${name}" must be an integer in [0, ${state.iterations}], got ${describeValue(steps)}`,
        );
      }
    }
    for (const [slotName, byName] of Object.entries(state.slots)) {
      for (const [name, value] of Object.entries(byName)) {
        const parameter = this.#parameters.get(name);
        if (parameter === undefined)
          throw new AutomlError(source, `slot "${slotName}" names unknown parameter "${name}"`);
        if (value.shape.some((d, i) => d !== parameter.shape[i]) || value.rank !== parameter.rank) {
          throw new AutomlError(
            source,
            `slot "${slotName}" of "${name}" has shape [${value.shape}], expected [${parameter.shape}]`,
          );
        }
      }
    }
    this.#disposeSlots();
    for (const [slotName, byName] of Object.entries(state.slots)) {
      for (const [name, value] of Object.entries(byName)) this.slot(slotName, name).assign(value);
    }
    this.#iterations = state.iterations;
    this.#parameterSteps.clear();
    if (state.parameterSteps === undefined) {
      for (const byName of Object.values(state.slots))
        for (const name of Object.keys(byName)) this.#parameterSteps.set(name, state.iterations);
    } else {
      for (const [name, steps] of Object.entries(state.parameterSteps))
        if (steps > 0) this.#parameterSteps.set(name, steps);
    }
  }

  /** Frees the slot variables (not the parameters). */
  dispose(): void {
    this.#disposeSlots();
  }

  #disposeSlots(): void {
    for (const byName of this.#slots.values()) for (const v of byName.values()) v.dispose();
    this.#slots.clear();
  }
}
