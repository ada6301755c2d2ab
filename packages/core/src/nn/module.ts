import * as tf from '@tensorflow/tfjs';
import { AutomlError } from '../internal/errors.js';
import type { TraceRecorder } from './trace.js';

/**
 * Values chosen for a supernet's choices, keyed by choice name. Structurally the same as the
 * search space's `Architecture` (a plain, JSON-serialisable record).
 */
export type ArchValues = Readonly<Record<string, string | number | boolean>>;

/** Tensors that replace a module's own variables, keyed by full hierarchical name (`stage1.block0.conv.kernel`). */
export type ParamOverrides = Readonly<Record<string, tf.Tensor>>;

/** Options of {@link Module.apply}. */
export interface ApplyOptions {
  /**
   * Training mode: batch norm uses batch statistics (and updates its running statistics unless
   * {@link ApplyOptions.updateStats} is false), dropout is active.
   * @default false
   */
  training?: boolean;
  /** Active architecture, for supernets and other modules with choices. */
  arch?: ArchValues;
  /**
   * Replaces owned variables by name without mutating them: fast weights in meta-learning,
   * generated weights in PruningNet. Names not present fall back to the owned variables.
   */
  params?: ParamOverrides;
  /**
   * Whether batch norm updates its running statistics in training mode. Off by default when
   * `params` is given, so an inner loop never changes the meta-model's state.
   * @default training && params === undefined
   */
  updateStats?: boolean;
  /**
   * Receives one event per layer computation and join, for building a `NetworkGraph` and for
   * profiling. Tracing does not change outputs.
   */
  trace?: TraceRecorder;
}

/** The resolved {@link ApplyOptions} handed to every module's `forward`. */
export interface ApplyContext {
  readonly training: boolean;
  readonly arch: ArchValues | undefined;
  readonly params: ParamOverrides | undefined;
  readonly updateStats: boolean;
  readonly trace: TraceRecorder | undefined;
}

/** Resolves user options into the context passed down the module tree. */
export function resolveApplyOptions(options: ApplyOptions = {}): ApplyContext {
  const training = options.training ?? false;
  return {
    training,
    arch: options.arch,
    params: options.params,
    updateStats: options.updateStats ?? (training && options.params === undefined),
    trace: options.trace,
  };
}

/** How a variable is used: `parameter`s are trained, `buffer`s are state (e.g. batch-norm running mean). */
export type VariableKind = 'parameter' | 'buffer';

interface OwnedVariable {
  readonly variable: tf.Variable;
  readonly kind: VariableKind;
}

/**
 * A network component that owns named `tf.Variable`s and child modules, and computes
 * `apply(x, options)` functionally: `options.params` overrides owned variables by full name
 * without mutating them.
 *
 * Full names are hierarchical and stable: a child added as `conv` under a module added as
 * `block0` under `stage1` owns `stage1.block0.conv.kernel`. TF.js variable names are
 * globally unique, so the TF.js names are generated; the hierarchical name is ours.
 *
 * @example
 * class Scale extends Module {
 *   static override readonly className = 'Scale';
 *   constructor() { super(); this.addVariable('gamma', tf.ones([1])); }
 *   forward(x: tf.Tensor, ctx: ApplyContext) { return tf.mul(x, this.param('gamma', ctx)); }
 * }
 */
export abstract class Module {
  /** Stable class name (survives minification), used in configs and error messages. */
  static readonly className: string = 'Module';

  readonly #variables = new Map<string, OwnedVariable>();
  readonly #children = new Map<string, Module>();
  #path = '';
  #disposed = false;

  /** Computes the module's output. Use {@link Module.apply} from outside. */
  abstract forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor;

  /**
   * Runs the module. The result is a new tensor owned by the caller; intermediates are freed.
   */
  apply(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor {
    if (this.#disposed) throw new AutomlError(this.#source('apply'), 'the module has been disposed');
    const ctx = resolveApplyOptions(options);
    return tf.tidy(() => this.forward(x, ctx));
  }

  /** This module's hierarchical prefix (`''` for a root). */
  get path(): string {
    return this.#path;
  }

  /** The class name from the static `className`. */
  get className(): string {
    return (this.constructor as typeof Module).className;
  }

  /** Full hierarchical name of one of this module's own variables. */
  fullName(localName: string): string {
    return this.#path === '' ? localName : `${this.#path}.${localName}`;
  }

  /**
   * The tensor to use for an owned variable: the override from `ctx.params` when given,
   * else the variable itself.
   */
  param(localName: string, ctx: ApplyContext): tf.Tensor {
    const owned = this.#variables.get(localName);
    if (owned === undefined) {
      throw new AutomlError(
        this.#source('param'),
        `no variable "${localName}"; this module owns: ${[...this.#variables.keys()].join(', ') || 'none'}`,
      );
    }
    const override = ctx.params?.[this.fullName(localName)];
    if (override === undefined) return owned.variable;
    if (!shapesEqual(override.shape, owned.variable.shape)) {
      throw new AutomlError(
        this.#source('param'),
        `override for "${this.fullName(localName)}" has shape [${override.shape}], expected [${owned.variable.shape}]`,
      );
    }
    return override;
  }

  /** An owned variable by local name (its buffer or parameter), for in-place updates such as running statistics. */
  variable(localName: string): tf.Variable {
    const owned = this.#variables.get(localName);
    if (owned === undefined) throw new AutomlError(this.#source('variable'), `no variable "${localName}"`);
    return owned.variable;
  }

  /** True when this module owns a variable with that local name. */
  hasVariable(localName: string): boolean {
    return this.#variables.has(localName);
  }

  /** Direct children, in insertion order. */
  children(): ReadonlyMap<string, Module> {
    return this.#children;
  }

  /** This module and all descendants, depth-first, parents before children. */
  *modules(): Generator<Module> {
    yield this;
    for (const child of this.#children.values()) yield* child.modules();
  }

  /** Trainable parameters by full name, in a stable order (definition order, depth-first). */
  namedParameters(): Map<string, tf.Variable> {
    return this.#collect('parameter');
  }

  /** Non-trainable state (batch-norm running statistics) by full name. */
  namedBuffers(): Map<string, tf.Variable> {
    return this.#collect('buffer');
  }

  /** Parameters and buffers by full name: everything a checkpoint needs. */
  namedVariables(): Map<string, tf.Variable> {
    const out = this.namedParameters();
    for (const [name, v] of this.namedBuffers()) out.set(name, v);
    return out;
  }

  /** Total number of scalar parameters (trainable only). */
  countParameters(): number {
    let total = 0;
    for (const v of this.namedParameters().values()) total += v.size;
    return total;
  }

  /** Frees every owned variable, recursively. The module cannot be used afterwards. */
  dispose(): void {
    for (const child of this.#children.values()) child.dispose();
    for (const { variable } of this.#variables.values()) variable.dispose();
    this.#variables.clear();
    this.#disposed = true;
  }

  /** Registers a variable initialised from `initial` (which the module takes ownership of and disposes). */
  protected addVariable(
    localName: string,
    initial: tf.Tensor,
    kind: VariableKind = 'parameter',
  ): tf.Variable {
    if (localName.includes('.') || localName === '') {
      throw new AutomlError(
        this.#source('addVariable'),
        `variable name must be non-empty without ".", got "${localName}"`,
      );
    }
    if (this.#variables.has(localName) || this.#children.has(localName)) {
      throw new AutomlError(this.#source('addVariable'), `"${localName}" is already defined`);
    }
    const variable = tf.variable(initial, kind === 'parameter');
    initial.dispose();
    this.#variables.set(localName, { variable, kind });
    return variable;
  }

  /** Adds a child module under `localName`; its variables become `<this path>.<localName>.*`. */
  protected addModule<M extends Module>(localName: string, child: M): M {
    if (localName.includes('.') || localName === '') {
      throw new AutomlError(
        this.#source('addModule'),
        `module name must be non-empty without ".", got "${localName}"`,
      );
    }
    if (this.#variables.has(localName) || this.#children.has(localName)) {
      throw new AutomlError(this.#source('addModule'), `"${localName}" is already defined`);
    }
    this.#children.set(localName, child);
    child.#setPath(this.fullName(localName));
    return child;
  }

  #setPath(path: string): void {
    this.#path = path;
    for (const [name, child] of this.#children) child.#setPath(this.fullName(name));
  }

  #collect(kind: VariableKind): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const module of this.modules()) {
      for (const [name, owned] of module.#variables) {
        if (owned.kind === kind) out.set(module.fullName(name), owned.variable);
      }
    }
    return out;
  }

  #source(method: string): string {
    return `@automl-ts/core/${this.className}.${method}${this.#path === '' ? '' : ` (${this.#path})`}`;
  }
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
