// One training run of one form: RepNAS search for ODBB, plain SGD training for the fixed forms,
// with the same optimiser settings (the RepNAS code's: SGD momentum 0.9, lr 0.1 cosine to 0,
// weight decay 1e-4 except BN and biases, gradient norm clipped to 5), checkpointed and resumable.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  clipByGlobalNorm,
  cosineSchedule,
  crossEntropy,
  loadCheckpoint,
  type Module,
  namedGradients,
  type Sequential,
  SGD,
  saveCheckpoint,
} from '@automl-ts/core';
import {
  type BranchEntry,
  createRepNet,
  deploySearched,
  extractSearched,
  type RepNetForm,
  type RepNetSize,
  reparameterize,
  repBlocksOf,
  repnasSearch,
  searchedLayerBranches,
} from '@automl-ts/rep-blocks';
import * as tf from '@tensorflow/tfjs';
import { createBatchAt, type PipelineData } from './data.js';

/** Options of {@link trainForm}. */
export interface TrainFormOptions {
  readonly form: RepNetForm;
  readonly seed: number;
  readonly data: PipelineData;
  readonly size: string | RepNetSize;
  readonly epochs: number;
  readonly batchSize: number;
  /** Where this run's checkpoint lives (resumed from when present). */
  readonly checkpointDir: string;
  readonly checkpointEvery: number;
  /** Stop after this many steps (the checkpoint is written): time-sliced runs and tests. */
  readonly stopAfterStep?: number;
  readonly onStep?: (step: number, totalSteps: number, loss: number) => void;
  /**
   * ODBB only: after the search, retrain the searched architecture from scratch (fresh weights,
   * the same schedule) instead of fusing the searched weights directly. Doubles ODBB's cost.
   */
  readonly retrainSearched?: boolean;
}

/** A trained run. */
export interface TrainedForm {
  /** The training-form network (multi-branch). */
  readonly net: Sequential;
  /** The trained multi-branch network that is deployed: `net` itself, or for ODBB its searched sub-network. */
  readonly unfused: Module;
  /** Its inference form: every block fused into one conv. */
  readonly deployed: Module;
  readonly totalSteps: number;
  readonly finished: boolean;
  /** Kept branches per layer (ODBB only). */
  readonly kept?: string[][];
  readonly budget?: number;
  /** Median wall milliseconds per training step in this process (steps run here only). */
  readonly stepMs: number;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The RepVGG form's searchable branch count (KxK + 1x1 per layer), the ODBB budget. */
export function repvggBudget(net: Module): number {
  return 2 * repBlocksOf(net).length;
}

/** Trains one form for one seed. */
export async function trainForm(options: TrainFormOptions): Promise<TrainedForm> {
  const { data, form, seed } = options;
  const { batchAt, stepsPerEpoch } = createBatchAt(data, options.batchSize, seed);
  const totalSteps = options.epochs * stepsPerEpoch;
  const report = (step: number, loss: number) => options.onStep?.(step, totalSteps, loss);
  if (form !== 'odbb') return trainFixed(options, undefined, report);
  const net = createRepNet({ size: options.size, form, numClasses: data.numClasses, seed });
  const times: number[] = [];
  let last = performance.now();
  const tick = (step: number, loss: number) => {
    const now = performance.now();
    times.push(now - last);
    last = now;
    report(step, loss);
  };
  {
    const budget = repvggBudget(net);
    const result = await repnasSearch(
      { net, batchAt, onStep: (event) => tick(event.step, event.loss) },
      {
        totalSteps,
        seed,
        budget,
        checkpointDir: options.checkpointDir,
        checkpointEvery: options.checkpointEvery,
        ...(options.stopAfterStep === undefined
          ? {}
          : { stopAfterStep: Math.min(totalSteps, options.stopAfterStep) }),
      },
    );
    if (options.retrainSearched === true && result.finished) {
      const layerBranches = searchedLayerBranches(net, result.kept);
      net.dispose();
      const retrained = await trainFixed(
        { ...options, checkpointDir: join(options.checkpointDir, 'retrain') },
        layerBranches,
        report,
      );
      return { ...retrained, kept: result.kept, budget };
    }
    return {
      net,
      unfused: extractSearched(net, result.kept),
      deployed: deploySearched(net, result.kept),
      totalSteps,
      finished: result.finished,
      kept: result.kept,
      budget,
      stepMs: median(times.slice(3)),
    };
  }
}

/** SGD training of a fixed form (or of explicit per-layer branches), checkpointed and resumable. */
async function trainFixed(
  options: TrainFormOptions,
  layerBranches: BranchEntry[][] | undefined,
  tick: (step: number, loss: number) => void,
): Promise<TrainedForm> {
  const { data, seed } = options;
  const net = createRepNet({
    size: options.size,
    form: options.form,
    numClasses: data.numClasses,
    seed,
    ...(layerBranches === undefined ? {} : { layerBranches }),
  });
  const { batchAt, stepsPerEpoch } = createBatchAt(data, options.batchSize, seed);
  const totalSteps = options.epochs * stepsPerEpoch;
  const times: number[] = [];
  let last = performance.now();
  const timedTick = (step: number, loss: number) => {
    const now = performance.now();
    times.push(now - last);
    last = now;
    tick(step, loss);
  };
  const parameters = net.namedParameters();
  const sgd = new SGD(parameters, { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const schedule = cosineSchedule({ baseLearningRate: 0.1, totalSteps });
  let step = 0;
  if (await exists(join(options.checkpointDir, 'checkpoint.json'))) {
    step = (await loadCheckpoint(options.checkpointDir, { module: net, optimizer: sgd })).step;
  }
  const stop = Math.min(totalSteps, options.stopAfterStep ?? totalSteps);
  try {
    while (step < stop) {
      const batch = batchAt(step);
      sgd.learningRate = schedule(step);
      let loss: number;
      try {
        const { value, gradients } = namedGradients(
          () => tf.tidy(() => crossEntropy(net.apply(batch.x, { training: true }), batch.labels)),
          parameters,
        );
        loss = value.dataSync()[0] as number;
        const clipped = clipByGlobalNorm(gradients, 5);
        sgd.step(clipped.gradients);
        tf.dispose([value, ...gradients.values(), ...clipped.gradients.values()]);
      } finally {
        tf.dispose([batch.x, batch.labels]);
      }
      step += 1;
      timedTick(step, loss);
      if (step % options.checkpointEvery === 0 || step === stop) {
        await saveCheckpoint(options.checkpointDir, { module: net, optimizer: sgd, step });
      }
    }
  } finally {
    sgd.dispose();
  }
  return {
    net,
    unfused: net,
    deployed: reparameterize(net),
    totalSteps,
    finished: step >= totalSteps,
    stepMs: median(times.slice(3)),
  };
}
