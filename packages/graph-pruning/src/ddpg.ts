// Lillicrap et al., "Continuous control with deep reinforcement learning" (DDPG), ICLR 2016, Alg. 1,
// with AMC's settings (He et al., ECCV 2018, §3.3–3.5): actor and critic MLPs of 300-300, Adam 1e-4 /
// 1e-3, τ = 0.01, γ = 1, batch 64, truncated-normal exploration that decays by 0.95 per episode, and
// a moving-average reward baseline subtracted from the episode's reward.
import {
  Activation,
  Adam,
  cloneModule,
  Dense,
  errorFactory,
  Module,
  namedGradients,
  type OptimizerState,
  type Rng,
  Sequential,
  toRng,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

/** Options of {@link DdpgAgent}. */
export interface DdpgOptions {
  /** Length of a state vector. */
  stateSize: number;
  /** Hidden layer sizes of actor and critic (AMC: 300, 300). @default [300, 300] */
  hidden?: readonly number[];
  /** Actor learning rate (AMC). @default 1e-4 */
  actorLearningRate?: number;
  /** Critic learning rate (AMC). @default 1e-3 */
  criticLearningRate?: number;
  /** Soft target update rate τ (AMC). @default 0.01 */
  tau?: number;
  /** Discount γ (AMC: 1, every transition gets the episode's reward). @default 1 */
  discount?: number;
  /** Minibatch size of an update (AMC). @default 64 */
  batchSize?: number;
  /** Replay capacity in transitions (oldest dropped first). @default 2000 */
  replayCapacity?: number;
  /** Moving-average rate of the reward baseline (AMC's moving_alpha). @default 0.5 */
  baselineRate?: number;
  /** Smallest action (AMC's lbound). @default 0.2 */
  minAction?: number;
  /** Largest action (AMC's rbound). @default 1 */
  maxAction?: number;
  /** Seed of weights, noise and minibatches. @default 0 */
  seed?: number | Rng;
}

/** The resolved {@link DdpgOptions}. */
export interface ResolvedDdpgOptions {
  readonly stateSize: number;
  readonly hidden: readonly number[];
  readonly actorLearningRate: number;
  readonly criticLearningRate: number;
  readonly tau: number;
  readonly discount: number;
  readonly batchSize: number;
  readonly replayCapacity: number;
  readonly baselineRate: number;
  readonly minAction: number;
  readonly maxAction: number;
}

/** One step of an episode. */
export interface Transition {
  readonly state: readonly number[];
  readonly action: number;
  readonly nextState: readonly number[];
  readonly done: boolean;
  /** The episode's reward (AMC gives every step of an episode the final reward). */
  readonly reward: number;
}

/** The JSON part of an agent's state (weights and optimizer slots go to a checkpoint). */
export interface DdpgJsonState {
  readonly replay: readonly Transition[];
  readonly baseline: number | null;
  readonly criticIterations: number;
}

const SOURCE = '@automl-ts/graph-pruning/DdpgAgent';

/** Fills the defaults of {@link DdpgOptions} and validates them. */
export function resolveDdpgOptions(options: DdpgOptions): ResolvedDdpgOptions {
  const fail = errorFactory(SOURCE);
  const positive = (name: string, value: number) => {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0))
      throw fail(`${name} must be > 0, got ${value}`);
    return value;
  };
  const integer = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) throw fail(`${name} must be an integer >= 1, got ${value}`);
    return value;
  };
  const minAction = options.minAction ?? 0.2;
  const maxAction = options.maxAction ?? 1;
  if (!(minAction > 0 && minAction <= maxAction && maxAction <= 1)) {
    throw fail(`actions must satisfy 0 < minAction <= maxAction <= 1, got [${minAction}, ${maxAction}]`);
  }
  const tau = options.tau ?? 0.01;
  if (!(tau > 0 && tau <= 1)) throw fail(`tau must be in (0, 1], got ${tau}`);
  const hidden = options.hidden ?? [300, 300];
  for (const [i, h] of hidden.entries()) integer(`hidden[${i}]`, h);
  return {
    stateSize: integer('stateSize', options?.stateSize),
    hidden,
    actorLearningRate: positive('actorLearningRate', options.actorLearningRate ?? 1e-4),
    criticLearningRate: positive('criticLearningRate', options.criticLearningRate ?? 1e-3),
    tau,
    discount: options.discount ?? 1,
    batchSize: integer('batchSize', options.batchSize ?? 64),
    replayCapacity: integer('replayCapacity', options.replayCapacity ?? 2000),
    baselineRate: positive('baselineRate', options.baselineRate ?? 0.5),
    minAction,
    maxAction,
  };
}

function mlp(sizes: readonly number[], outputActivation: 'sigmoid' | null, rng: Rng): Sequential {
  const layers: Array<[string, Module]> = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push([
      `fc${i + 1}`,
      new Dense({ inUnits: sizes[i] as number, outUnits: sizes[i + 1] as number, seed: rng }),
    ]);
    if (i + 2 < sizes.length) layers.push([`relu${i + 1}`, new Activation('relu')]);
  }
  if (outputActivation !== null) layers.push(['out', new Activation(outputActivation)]);
  return new Sequential(layers);
}

/** The four networks, as one module so that a checkpoint holds them by name. */
class DdpgNetworks extends Module {
  static override readonly className: string = 'DdpgNetworks';
  constructor(
    readonly actor: Sequential,
    readonly critic: Sequential,
    readonly actorTarget: Module,
    readonly criticTarget: Module,
  ) {
    super();
    this.addModule('actor', actor);
    this.addModule('critic', critic);
    this.addModule('actorTarget', actorTarget);
    this.addModule('criticTarget', criticTarget);
  }
  override forward(): tf.Tensor {
    throw errorFactory(`${SOURCE}.forward`)('use DdpgAgent.act');
  }
}

/** Draws from N(mean, σ²) truncated to [low, high] by rejection (AMC's sampler). */
export function truncatedNormal(rng: Rng, mean: number, sigma: number, low: number, high: number): number {
  if (sigma <= 0) return Math.min(high, Math.max(low, mean));
  for (let i = 0; i < 1000; i++) {
    const v = rng.normal(mean, sigma);
    if (v >= low && v <= high) return v;
  }
  return Math.min(high, Math.max(low, mean));
}

/**
 * A DDPG agent with one continuous action in [minAction, maxAction]: actor μ(s) (sigmoid output,
 * clipped to the range), critic Q(s, a), their target copies updated softly by τ, a replay buffer
 * of transitions, and AMC's reward baseline. `act` is deterministic; exploration noise is the
 * caller's (see {@link truncatedNormal}), as in AMC. {@link DdpgAgent.checkpointParts} gives what a
 * checkpoint must hold to resume exactly (the networks, both optimizers' slots, the replay buffer,
 * the baseline).
 *
 * @example
 * const agent = new DdpgAgent({ stateSize: 34, seed: 0 });
 * const action = agent.act(state); // in [0.2, 1]
 * agent.remember(transition); agent.update();
 */
export class DdpgAgent {
  readonly options: ResolvedDdpgOptions;
  readonly networks: Module;
  readonly #nets: DdpgNetworks;
  readonly #actorOptimizer: Adam;
  readonly #criticOptimizer: Adam;
  #rng: Rng;
  #replay: Transition[] = [];
  #baseline: number | null = null;

  constructor(options: DdpgOptions, rng?: Rng) {
    this.options = resolveDdpgOptions(options);
    this.#rng = rng ?? toRng(options.seed ?? 0);
    const { stateSize, hidden } = this.options;
    const actor = mlp([stateSize, ...hidden, 1], 'sigmoid', this.#rng);
    const critic = mlp([stateSize + 1, ...hidden, 1], null, this.#rng);
    this.#nets = new DdpgNetworks(actor, critic, cloneModule(actor), cloneModule(critic));
    this.networks = this.#nets;
    const only = (prefix: string) =>
      new Map([...this.#nets.namedParameters()].filter(([name]) => name.startsWith(`${prefix}.`)));
    this.#actorOptimizer = new Adam(only('actor'), { learningRate: this.options.actorLearningRate });
    this.#criticOptimizer = new Adam(only('critic'), { learningRate: this.options.criticLearningRate });
  }

  /** The actor's action for `state`, clipped to [minAction, maxAction]. */
  act(state: readonly number[]): number {
    const value = tf.tidy(() => this.#nets.actor.apply(tf.tensor2d([[...state]])).dataSync()[0] as number);
    return Math.min(this.options.maxAction, Math.max(this.options.minAction, value));
  }

  /** Transitions held, oldest first. */
  get replaySize(): number {
    return this.#replay.length;
  }

  /** The reward baseline (moving average of episode rewards); `null` before the first episode. */
  get baseline(): number | null {
    return this.#baseline;
  }

  /** Moves the baseline towards an episode's reward (AMC's moving average). */
  observeReward(reward: number): void {
    this.#baseline =
      this.#baseline === null
        ? reward
        : this.#baseline + this.options.baselineRate * (reward - this.#baseline);
  }

  /** Adds a transition, dropping the oldest beyond the capacity. */
  remember(transition: Transition): void {
    this.#replay.push(transition);
    if (this.#replay.length > this.options.replayCapacity) this.#replay.shift();
  }

  /**
   * One DDPG update on a random minibatch: critic towards `r − baseline + γ·Q'(s', μ'(s'))` (0 after
   * the last step), actor along ∇ₐQ, then soft target updates. Returns the critic's loss, or
   * `undefined` while the buffer holds fewer than one minibatch.
   */
  update(): number | undefined {
    const { batchSize, discount, tau } = this.options;
    if (this.#replay.length < batchSize) return undefined;
    const batch = Array.from(
      { length: batchSize },
      () => this.#replay[this.#rng.int(0, this.#replay.length - 1)] as Transition,
    );
    const baseline = this.#baseline ?? 0;
    const nets = this.#nets;
    const only = (prefix: string) =>
      new Map([...nets.namedParameters()].filter(([name]) => name.startsWith(`${prefix}.`)));
    const states = tf.tensor2d(batch.map((t) => [...t.state]));
    const actions = tf.tensor2d(batch.map((t) => [t.action]));
    try {
      const target = tf.tidy(() => {
        const next = tf.tensor2d(batch.map((t) => [...t.nextState]));
        const notDone = tf.tensor2d(batch.map((t) => [t.done ? 0 : 1]));
        const rewards = tf.tensor2d(batch.map((t) => [t.reward - baseline]));
        const nextQ = nets.criticTarget.apply(tf.concat([next, nets.actorTarget.apply(next)], 1));
        return tf.add(rewards, tf.mul(discount, tf.mul(notDone, nextQ)));
      });
      const critic = namedGradients(
        () =>
          tf.mean(tf.square(tf.sub(nets.critic.apply(tf.concat([states, actions], 1)), target))) as tf.Scalar,
        only('critic'),
      );
      target.dispose();
      this.#criticOptimizer.step(critic.gradients);
      const loss = critic.value.dataSync()[0] as number;
      tf.dispose([critic.value, ...critic.gradients.values()]);
      const actor = namedGradients(
        () =>
          tf.neg(tf.mean(nets.critic.apply(tf.concat([states, nets.actor.apply(states)], 1)))) as tf.Scalar,
        only('actor'),
      );
      this.#actorOptimizer.step(actor.gradients);
      tf.dispose([actor.value, ...actor.gradients.values()]);
      softUpdate(nets.actor, nets.actorTarget, tau);
      softUpdate(nets.critic, nets.criticTarget, tau);
      return loss;
    } finally {
      tf.dispose([states, actions]);
    }
  }

  /** Replaces the generator of minibatches (a resumed search hands in its restored one). */
  setRng(rng: Rng): void {
    this.#rng = rng;
  }

  /** Both optimizers as one named-state optimizer (disjoint `actor.*` / `critic.*` names), for checkpoints. */
  optimizerForCheckpoint(): {
    className: string;
    getState(): OptimizerState;
    setState(state: OptimizerState): void;
  } {
    const actor = this.#actorOptimizer;
    const critic = this.#criticOptimizer;
    return {
      className: 'Adam',
      getState: () => {
        const [a, c] = [actor.getState(), critic.getState()];
        const slots: Record<string, Record<string, tf.Tensor>> = {};
        for (const state of [a, c]) {
          for (const [slot, byName] of Object.entries(state.slots))
            slots[slot] = { ...slots[slot], ...byName };
        }
        return {
          className: 'Adam',
          iterations: a.iterations,
          slots,
          parameterSteps: { ...a.parameterSteps, ...c.parameterSteps },
        };
      },
      setState: (state) => {
        const part = (prefix: string, iterations: number): OptimizerState => ({
          className: 'Adam',
          iterations,
          slots: Object.fromEntries(
            Object.entries(state.slots).map(([slot, byName]) => [
              slot,
              Object.fromEntries(Object.entries(byName).filter(([n]) => n.startsWith(prefix))),
            ]),
          ),
          parameterSteps: Object.fromEntries(
            Object.entries(state.parameterSteps ?? {}).filter(([n]) => n.startsWith(prefix)),
          ),
        });
        actor.setState(part('actor.', state.iterations));
        critic.setState(part('critic.', this.#pendingCriticIterations ?? state.iterations));
      },
    };
  }

  #pendingCriticIterations: number | undefined;

  /** The JSON part of the state (replay buffer, baseline), for a checkpoint's `state`. */
  jsonState(): DdpgJsonState {
    return {
      replay: this.#replay,
      baseline: this.#baseline,
      criticIterations: this.#criticOptimizer.iterations,
    };
  }

  /** Restores {@link DdpgAgent.jsonState}; call before loading the optimizer state. */
  restoreJsonState(state: DdpgJsonState): void {
    this.#replay = state.replay.map((t) => ({ ...t, state: [...t.state], nextState: [...t.nextState] }));
    this.#baseline = state.baseline;
    this.#pendingCriticIterations = state.criticIterations;
  }

  /** Frees the networks and optimizer slots. */
  dispose(): void {
    this.#actorOptimizer.dispose();
    this.#criticOptimizer.dispose();
    this.#nets.dispose();
  }
}

function softUpdate(source: Module, target: Module, tau: number): void {
  const targets = target.namedParameters();
  for (const [name, variable] of source.namedParameters()) {
    const t = targets.get(name.replace(/^(actor|critic)\./, '$1Target.'));
    if (t !== undefined) tf.tidy(() => t.assign(tf.add(tf.mul(tau, variable), tf.mul(1 - tau, t))));
  }
}
