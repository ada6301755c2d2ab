import {
  type ArchValues,
  cloneModule,
  isRecalibratableNorm,
  type Module,
  recalibrateBatchNorm,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import type { AdaptedModel, ToModuleOptions } from '../learner.js';
import { errorFactory } from './errors.js';
import { runModule } from './model-runner.js';
import { disposeParams, type ParamMap } from './params.js';

const fail = errorFactory('AdaptedModel');

/**
 * A module with fast weights: predicts through `apply(x, { params })` with batch statistics (as
 * the inner loop does) and exports a copy with the weights written in.
 */
export class FastWeightsModel implements AdaptedModel {
  readonly params: ReadonlyMap<string, tf.Tensor>;
  readonly #module: Module;
  readonly #arch: ArchValues | undefined;
  readonly #calibration: tf.Tensor;
  #disposed = false;

  /** Takes ownership of `params`; copies `calibration` (the support inputs). */
  constructor(module: Module, arch: ArchValues | undefined, params: ParamMap, calibration: tf.Tensor) {
    this.#module = module;
    this.#arch = arch;
    this.params = params;
    this.#calibration = tf.clone(calibration);
  }

  predict(x: tf.Tensor): tf.Tensor {
    this.#check('predict');
    return runModule(this.#module, x, this.#arch, this.params);
  }

  async toModule(options: ToModuleOptions = {}): Promise<Module> {
    this.#check('toModule');
    const copy = cloneModule(this.#module);
    try {
      const variables = copy.namedParameters();
      for (const [name, value] of this.params) variables.get(name)?.assign(value);
      const calibration = options.calibration === undefined ? this.#calibration : options.calibration;
      if (calibration !== null && [...copy.modules()].some(isRecalibratableNorm)) {
        await recalibrateBatchNorm(copy, [calibration], this.#arch === undefined ? {} : { arch: this.#arch });
      }
      return copy;
    } catch (error) {
      copy.dispose();
      throw error;
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    disposeParams(this.params);
    this.#calibration.dispose();
  }

  #check(method: string): void {
    if (this.#disposed) throw fail(`${method}: the adapted model has been disposed`);
  }
}
