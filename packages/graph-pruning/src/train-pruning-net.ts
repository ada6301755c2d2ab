// Liu et al., "MetaPruning", ICCV 2019, §3.2 (PruningNet training: a random width vector every
// step, the generated weights trained end to end by the task loss); Zhang et al., "Graph Pruning
// for Model Compression", 2019, §3.3 (the graph aggregator trained jointly with the PruningNet).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam,
  type Architecture,
  type Batch,
  CHECKPOINT_MANIFEST_FILE,
  createRng,
  crossEntropy,
  errorFactory,
  loadCheckpoint,
  namedGradients,
  type Rng,
  saveCheckpoint,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import type { PruningNet } from './pruning-net.js';
import { sampleWidths } from './sample-widths.js';

/** Options of {@link trainPruningNet}. */
export interface TrainPruningNetOptions {
  /** Training steps in total (across resumes). */
  steps: number;
  /** Adam learning rate (MetaPruning trains with SGD at ImageNet batch 1024; Adam suits CIFAR batches). @default 1e-3 */
  learningRate?: number;
  /** L2 weight decay on kernels (MetaPruning's 4e-5 on ImageNet; CIFAR's usual 5e-4 is for plain nets). @default 4e-5 */
  weightDecay?: number;
  /** Seed of the width sampling. @default 0 */
  seed?: number;
  /** Directory for checkpoints; training resumes from it when it holds one. @default none */
  checkpointDir?: string;
  /** Checkpoint every this many steps (and at the end). @default 100 */
  checkpointEvery?: number;
  /** Called after every step. */
  onStep?: (event: { step: number; loss: number; arch: Architecture }) => void;
}

/** What {@link trainPruningNet} returns. */
export interface TrainPruningNetResult {
  /** Losses of the steps run in this call. */
  readonly losses: readonly number[];
  /** Step reached (the total, across resumes). */
  readonly step: number;
  /** The step this call started from (0, or where a checkpoint left off). */
  readonly resumedFrom: number;
}

const SOURCE = '@automl-ts/graph-pruning/trainPruningNet';

/**
 * Trains a {@link PruningNet}: every step samples a random width vector (uniformly over each
 * choice's widths), generates the weights for it, runs the sub-network on the batch in training
 * mode and takes one Adam step on the aggregator, the generators and the supernet's own parameters
 * (core's Adam, with per-parameter step counts). `batches(step)` gives the batch of a step, so a
 * resumed run sees the same data. With `checkpointDir` it saves the weights, optimizer, sampler
 * state and step atomically and resumes from there: a killed run continued gives the same weights.
 *
 * @example
 * await trainPruningNet(net, (step) => trainBatches[step % trainBatches.length], { steps: 2000 });
 */
export async function trainPruningNet(
  net: PruningNet,
  batches: (step: number) => Batch | Promise<Batch>,
  options: TrainPruningNetOptions,
): Promise<TrainPruningNetResult> {
  const fail = errorFactory(SOURCE);
  const steps = options?.steps;
  if (!Number.isInteger(steps) || steps < 0)
    throw fail(`options.steps must be an integer >= 0, got ${steps}`);
  const every = options.checkpointEvery ?? 100;
  if (!Number.isInteger(every) || every < 1)
    throw fail(`options.checkpointEvery must be an integer >= 1, got ${every}`);
  const parameters = net.trainableParameters();
  const optimizer = new Adam(parameters, {
    learningRate: options.learningRate ?? 1e-3,
    weightDecay: options.weightDecay ?? 4e-5,
  });
  let rng: Rng = createRng(options.seed ?? 0);
  let step = 0;
  const dir = options.checkpointDir;
  if (dir !== undefined && existsSync(join(dir, CHECKPOINT_MANIFEST_FILE))) {
    const loaded = await loadCheckpoint(dir, { module: net, optimizer });
    step = loaded.step;
    if (loaded.rng !== undefined) rng = loaded.rng;
  }
  const resumedFrom = step;
  const losses: number[] = [];
  const save = async () => {
    if (options.checkpointDir === undefined) return;
    await saveCheckpoint(options.checkpointDir, { module: net, optimizer, rng, step });
  };
  try {
    while (step < steps) {
      const arch = sampleWidths(net.choices, rng);
      const batch = await batches(step);
      const { value, gradients } = namedGradients(
        () => crossEntropy(net.applySubnet(batch.x, arch, { training: true }), batch.y) as tf.Scalar,
        parameters,
      );
      optimizer.step(gradients);
      const loss = (await value.data())[0] as number;
      tf.dispose([value, ...gradients.values()]);
      step += 1;
      losses.push(loss);
      options.onStep?.({ step, loss, arch });
      if (step % every === 0 || step === steps) await save();
    }
  } finally {
    optimizer.dispose();
  }
  return { losses, step, resumedFrom };
}
