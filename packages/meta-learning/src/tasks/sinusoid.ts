// Finn, Abbeel, Levine, "Model-Agnostic Meta-Learning", ICML 2017, §5.1: sinusoid regression (amplitude in [0.1, 5], phase in [0, π], x uniform in [−5, 5], K points per task; a 1-40-40-1 ReLU regressor).

import { Activation, Dense, type Rng, Sequential, toRng } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { describeValue, errorFactory } from '../internal/errors.js';
import { checkInteger } from '../internal/validate.js';
import type { SampledTask, TaskSource } from './task.js';

/** Options of {@link createSinusoidTasks}. */
export interface SinusoidTaskOptions {
  /**
   * K: support points per task.
   * @default 10
   */
  shots?: number;
  /**
   * Query points per task.
   * @default 10
   */
  queries?: number;
  /** @default [0.1, 5] */
  amplitude?: readonly [number, number];
  /** @default [0, π] */
  phase?: readonly [number, number];
  /** @default [-5, 5] */
  inputRange?: readonly [number, number];
  /**
   * Seed or generator of the task draws.
   * @default 0
   */
  seed?: number | string | Rng;
}

/** A sinusoid task: `y = amplitude · sin(x − phase)`, with x as `[n, 1]` and y as `[n, 1]`. */
export interface SinusoidTask extends SampledTask {
  readonly amplitude: number;
  readonly phase: number;
}

/** A source of sinusoid tasks. */
export interface SinusoidTaskSource extends TaskSource {
  sample(): SinusoidTask;
}

const fail = errorFactory('createSinusoidTasks');

function checkRange(name: string, value: readonly [number, number]): readonly [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every(Number.isFinite) ||
    !(value[0] <= value[1])
  ) {
    throw fail(`${name} must be [low, high] with finite low <= high, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * The sinusoid regression benchmark of MAML: each task is a sine wave with random amplitude and
 * phase, observed at random points. Seeded; use the `'mse'` loss.
 *
 * @example
 * const tasks = createSinusoidTasks({ shots: 10, seed: 0 });
 * const maml = new MAML(sinusoidMlp({ seed: 0 }), { loss: 'mse', innerLr: 0.01 });
 * await metaTrain(maml, (rng) => createSinusoidTasks({ shots: 10, seed: rng }), { iterations: 10_000, metaBatchSize: 25 });
 */
export function createSinusoidTasks(options: SinusoidTaskOptions = {}): SinusoidTaskSource {
  const shots = checkInteger(fail, 'shots', options.shots ?? 10, 1);
  const queries = checkInteger(fail, 'queries', options.queries ?? 10, 1);
  const [amplitudeLow, amplitudeHigh] = checkRange('amplitude', options.amplitude ?? [0.1, 5]);
  const [phaseLow, phaseHigh] = checkRange('phase', options.phase ?? [0, Math.PI]);
  const [xLow, xHigh] = checkRange('inputRange', options.inputRange ?? [-5, 5]);
  const rng = toRng(options.seed ?? 0);
  return {
    sample(): SinusoidTask {
      const amplitude = rng.uniform(amplitudeLow, amplitudeHigh);
      const phase = rng.uniform(phaseLow, phaseHigh);
      const points = (n: number) => {
        const xs = Array.from({ length: n }, () => rng.uniform(xLow, xHigh));
        return {
          x: tf.tensor2d(xs, [n, 1]),
          y: tf.tensor2d(
            xs.map((x) => amplitude * Math.sin(x - phase)),
            [n, 1],
          ),
        };
      };
      const support = points(shots);
      const query = points(queries);
      return {
        support,
        query,
        amplitude,
        phase,
        dispose: () => tf.dispose([support.x, support.y, query.x, query.y]),
      };
    },
  };
}

/** Options of {@link sinusoidMlp}. */
export interface SinusoidMlpOptions {
  /**
   * Hidden layer widths (ReLU).
   * @default [40, 40]
   */
  hidden?: readonly number[];
  /**
   * Seed or generator of the initial weights.
   * @default 0
   */
  seed?: number | string | Rng;
}

/**
 * MAML's sinusoid regressor: 1 → 40 → ReLU → 40 → ReLU → 1 (dense layers `fc1`, `fc2`, …, `out`).
 *
 * @example
 * const net = sinusoidMlp({ seed: 0 });
 * net.apply(tf.tensor2d([[0.5]])); // [1, 1]
 */
export function sinusoidMlp(options: SinusoidMlpOptions = {}): Sequential {
  const source = errorFactory('sinusoidMlp');
  const hidden = options.hidden ?? [40, 40];
  if (!Array.isArray(hidden) || hidden.length === 0) {
    throw source(`hidden must be a non-empty list of widths, got ${describeValue(hidden)}`);
  }
  hidden.forEach((width, i) => {
    checkInteger(source, `hidden[${i}]`, width, 1);
  });
  const rng = toRng(options.seed ?? 0);
  const layers: Array<[string, Dense | Activation]> = [];
  let inUnits = 1;
  hidden.forEach((width, i) => {
    layers.push([`fc${i + 1}`, new Dense({ inUnits, outUnits: width, seed: rng })]);
    layers.push([`relu${i + 1}`, new Activation('relu')]);
    inUnits = width;
  });
  layers.push(['out', new Dense({ inUnits, outUnits: 1, seed: rng })]);
  return new Sequential(layers);
}
