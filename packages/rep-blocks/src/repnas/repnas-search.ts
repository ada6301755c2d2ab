// Zhang et al., "RepNAS: Searching for Efficient Re-parameterizing Blocks", 2021, §3.2–3.3 and the authors' code (single-level search of branch logits under a global budget, then fixed-mask training).

import {
  Adam,
  BatchNorm,
  clipByGlobalNorm,
  cloneModule,
  cosineSchedule,
  createRng,
  crossEntropy,
  errorFactory,
  loadCheckpoint,
  type Module,
  namedGradients,
  type OptimizerState,
  resolveApplyOptions,
  type Sequential,
  SGD,
  saveCheckpoint,
  stopGradient,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { reparameterize } from '../fuse-block.js';
import { ODBB_BRANCH_COUNT, repBlocksOf } from '../models/rep-net.js';
import { type BranchEntry, isRepBlock, RepBlock } from '../rep-block.js';
import { perturbLogits, topKMask } from './sampling.js';
import { type RepnasSearchOptions, resolveRepnasSearchOptions } from './search-options.js';

const SOURCE = '@automl-ts/rep-blocks/repnasSearch';
const fail = errorFactory(SOURCE);
const IDENTITY = 'identity';
const FALLBACK = 'conv_kxk';

/** A minibatch: NHWC images and class indices. The search disposes both. */
export interface RepnasBatch {
  readonly x: tf.Tensor;
  readonly labels: tf.Tensor;
}

/** The phase a step belongs to. */
export type RepnasPhase = 'warmup' | 'search' | 'fixed';

/** Reported after every step. */
export interface RepnasStepEvent {
  readonly step: number;
  readonly totalSteps: number;
  readonly phase: RepnasPhase;
  readonly loss: number;
  readonly learningRate: number;
}

/** What {@link repnasSearch} needs besides options. */
export interface RepnasSearchInput {
  /** An ODBB network (`createRepNet({ form: 'odbb' })`, or any net whose rep blocks hold the six RepNAS branches first). */
  readonly net: Sequential;
  /** The minibatch of a 0-based step; must depend only on the step (and the caller's seed), so that a resumed run sees the same data. */
  batchAt(step: number): RepnasBatch;
  /** Progress. */
  onStep?(event: RepnasStepEvent): void;
}

/** The outcome of a search. */
export interface RepnasResult {
  /** Architecture logits `[layers][6]`. */
  readonly alpha: number[][];
  /** Kept searchable branches `[layers][6]` (top-k of α), by branch name per layer. */
  readonly kept: string[][];
  /** The global budget k. */
  readonly budget: number;
  /** Steps completed (`totalSteps` unless `stopAfterStep` ended the run early). */
  readonly steps: number;
  /** True when the run reached `totalSteps`. */
  readonly finished: boolean;
}

/** The global budget and the searchable layers of a network, checked. */
export function repnasBudget(
  net: Module,
  keptRatio: number,
  budget?: number,
): { layers: RepBlock[]; budget: number } {
  const layers = repBlocksOf(net);
  if (layers.length === 0) throw fail('the network has no rep blocks to search');
  for (const layer of layers) {
    if (searchableNames(layer).length !== ODBB_BRANCH_COUNT) {
      throw fail(
        `layer "${layer.path}" has ${searchableNames(layer).length} searchable branches, expected ${ODBB_BRANCH_COUNT} (build it with form 'odbb')`,
      );
    }
  }
  const total = layers.length * ODBB_BRANCH_COUNT;
  const k = budget ?? Math.floor(total * keptRatio);
  const withoutIdentity = layers.filter((l) => !hasIdentity(l)).length;
  if (k < withoutIdentity) {
    throw fail(
      `budget ${k} is smaller than the ${withoutIdentity} layers without an identity branch (each needs one branch)`,
    );
  }
  if (k > total)
    throw fail(
      `budget ${k} is larger than all ${total} searchable branches (${layers.length} layers x ${ODBB_BRANCH_COUNT})`,
    );
  return { layers, budget: k };
}

function searchableNames(layer: RepBlock): string[] {
  return layer.config.branches.map(([name]) => name).filter((n) => n !== IDENTITY);
}

function hasIdentity(layer: RepBlock): boolean {
  return layer.config.branches.some(([name]) => name === IDENTITY);
}

/**
 * Coefficients per layer from a flat 0/1 mask: kept searchable branches get their coefficient
 * (a scalar tensor, or 1), the identity always 1, and a layer left empty without identity its KxK branch.
 */
function layerCoefficients(
  layers: readonly RepBlock[],
  mask: Uint8Array,
  coefficient: (index: number) => tf.Tensor | 1,
): Array<Map<string, tf.Tensor | 1>> {
  return layers.map((layer, l) => {
    const names = searchableNames(layer);
    const map = new Map<string, tf.Tensor | 1>();
    names.forEach((name, b) => {
      if (mask[l * ODBB_BRANCH_COUNT + b] === 1) map.set(name, coefficient(l * ODBB_BRANCH_COUNT + b));
    });
    if (hasIdentity(layer)) map.set(IDENTITY, 1);
    if (map.size === 0) map.set(FALLBACK, 1);
    return map;
  });
}

/** Runs a net whose rep blocks execute only the given branches. */
export function forwardSelected(
  net: Sequential,
  x: tf.Tensor,
  training: boolean,
  coefficients: ReadonlyArray<ReadonlyMap<string, tf.Tensor | 1>>,
): tf.Tensor {
  const ctx = resolveApplyOptions({ training });
  let y = x;
  let l = 0;
  for (const child of net.children().values()) {
    y = isRepBlock(child) ? child.forwardBranches(y, ctx, coefficients[l++]) : child.forward(y, ctx);
  }
  return y;
}

/**
 * The searched network: a copy of `net` whose rep blocks hold only the kept branches (+ identity,
 * or the KxK branch for an empty layer), with the trained weights. `reparameterize` it to deploy.
 */
export function extractSearched(net: Sequential, kept: readonly (readonly string[])[]): Module {
  const layers = repBlocksOf(net);
  return cloneModule(net, (child) => {
    if (!isRepBlock(child)) return undefined;
    const l = layers.indexOf(child);
    const keep = new Set(kept[l]);
    if (hasIdentity(child)) keep.add(IDENTITY);
    if (keep.size === 0) keep.add(FALLBACK);
    const block = new RepBlock({
      ...child.config,
      branches: child.config.branches.filter(([name]) => keep.has(name)),
    });
    const source = child.namedVariables();
    tf.tidy(() => {
      for (const [name, variable] of block.namedVariables()) {
        variable.assign(source.get(`${child.path}.${name}`) as tf.Variable);
      }
    });
    return block;
  });
}

interface AdamJson {
  iterations: number;
  parameterSteps: Record<string, number>;
  slots: Record<string, number[]>;
}

function adamToJson(adam: Adam): AdamJson {
  const state = adam.getState();
  const slots: Record<string, number[]> = {};
  for (const [slot, byName] of Object.entries(state.slots)) {
    const tensor = byName['alpha'];
    if (tensor !== undefined) slots[slot] = Array.from(tensor.dataSync());
  }
  tf.dispose(Object.values(state.slots).flatMap((s) => Object.values(s)));
  return { iterations: state.iterations, parameterSteps: { ...(state.parameterSteps ?? {}) }, slots };
}

function adamFromJson(adam: Adam, json: AdamJson, shape: number[]): void {
  const slots: Record<string, Record<string, tf.Tensor>> = {};
  for (const [slot, values] of Object.entries(json.slots)) slots[slot] = { alpha: tf.tensor(values, shape) };
  const state: OptimizerState = {
    className: adam.className,
    iterations: json.iterations,
    slots,
    parameterSteps: json.parameterSteps,
  };
  try {
    adam.setState(state);
  } finally {
    tf.dispose(Object.values(slots).flatMap((s) => Object.values(s)));
  }
}

/**
 * RepNAS: trains an ODBB network while searching which branches to keep under a global budget.
 * Logits α `[layers, 6]` start at 0. Each training step samples `r = α + g1 − g2` (logistic noise)
 * and keeps the top-k of the flattened r (k = ⌊layers · 6 · keptRatio⌋ over the whole network);
 * kept branches run with coefficient `mask + σ(r) − stopGradient(σ(r))` (1 forward, sigmoid
 * gradient backward), the others do not run. One minibatch loss trains both: weights by SGD
 * (momentum 0.9, lr 0.1 cosine to 0 over the run, weight decay 1e-4 except BN and biases,
 * gradient norm clipped to 5) and α by Adam (lr 1e-4, betas 0.5/0.999, weight decay 5e-4,
 * cosine over the search phase). α is frozen for the first 10 % of the run (random subsets); at
 * 33 % the mask is fixed to top-k of α (no noise), every batch norm's running statistics are reset,
 * and the fixed sub-network trains to the end. Seeded; checkpoints (weights, SGD and Adam state, α,
 * rng) are atomic and a resumed run ends with the same mask and weights.
 *
 * @example
 * const net = createRepNet({ size: 'cifar-small', form: 'odbb', seed: 0 });
 * const result = await repnasSearch({ net, batchAt: (step) => batches[step % batches.length] }, { totalSteps: 10_000 });
 * const deployed = reparameterize(extractSearched(net, result.kept));
 */
export async function repnasSearch(
  input: RepnasSearchInput,
  options: RepnasSearchOptions,
): Promise<RepnasResult> {
  const resolved = resolveRepnasSearchOptions(options);
  const { net } = input;
  if (typeof input.batchAt !== 'function')
    throw fail('input.batchAt must be a function (step) => { x, labels }');
  const { layers, budget } = repnasBudget(net, resolved.keptRatio, resolved.budget);
  const shape = [layers.length, ODBB_BRANCH_COUNT];
  const total = resolved.totalSteps;
  const warmupEnd = Math.round(total * resolved.warmupFraction);
  const searchEnd = Math.round(total * resolved.searchEndFraction);
  const alpha = tf.variable(tf.zeros(shape), true, undefined, 'float32');
  const parameters = net.namedParameters();
  const sgd = new SGD(parameters, {
    learningRate: resolved.learningRate,
    momentum: resolved.momentum,
    weightDecay: resolved.weightDecay,
  });
  const adam = new Adam(new Map([['alpha', alpha]]), {
    learningRate: resolved.alphaLearningRate,
    beta1: resolved.alphaBeta1,
    beta2: resolved.alphaBeta2,
    weightDecay: resolved.alphaWeightDecay,
    weightDecayFilter: () => true,
  });
  const weightSchedule = cosineSchedule({ baseLearningRate: resolved.learningRate, totalSteps: total });
  const alphaSchedule = cosineSchedule({
    baseLearningRate: resolved.alphaLearningRate,
    totalSteps: Math.max(1, searchEnd - warmupEnd),
  });
  let rng = createRng(resolved.seed);
  let step = 0;
  const dir = resolved.checkpointDir;
  try {
    if (dir !== undefined && (await exists(dir))) {
      const loaded = await loadCheckpoint(dir, { module: net, optimizer: sgd });
      const state = loaded.state as unknown as { alpha: number[]; adam: AdamJson };
      step = loaded.step;
      rng = loaded.rng ?? rng;
      tf.tidy(() => alpha.assign(tf.tensor(state.alpha, shape)));
      adamFromJson(adam, state.adam, shape);
    }
    const save = async (): Promise<void> => {
      if (dir === undefined) return;
      await saveCheckpoint(dir, {
        module: net,
        optimizer: sgd,
        rng,
        step,
        state: { alpha: Array.from(alpha.dataSync()), adam: adamToJson(adam) as never, budget },
      });
    };
    let fixedMask: Uint8Array | undefined = step > searchEnd ? topKMask(alpha.dataSync(), budget) : undefined;
    const stop = resolved.stopAfterStep;
    while (step < Math.min(total, stop)) {
      if (step === searchEnd && fixedMask === undefined) {
        fixedMask = topKMask(alpha.dataSync(), budget);
        for (const module of net.modules()) if (module instanceof BatchNorm) module.resetRunningStats();
      }
      const phase: RepnasPhase = step < warmupEnd ? 'warmup' : fixedMask === undefined ? 'search' : 'fixed';
      const r = fixedMask === undefined ? perturbLogits(alpha.dataSync(), rng) : undefined;
      const mask = fixedMask ?? topKMask(r as Float32Array, budget);
      const batch = input.batchAt(step);
      sgd.learningRate = Math.max(0, weightSchedule(step));
      let lossValue: number;
      try {
        const searching = phase === 'search';
        const trainable = searching ? new Map([...parameters, ['alpha', alpha] as const]) : parameters;
        const { value, gradients } = namedGradients(
          () =>
            tf.tidy(() => {
              let coefficient: (i: number) => tf.Tensor | 1 = () => 1;
              if (searching) {
                const logits = tf.add(alpha, tf.tensor(r as Float32Array, shape));
                const sigma = tf.sigmoid(logits);
                const c = tf.reshape(
                  tf.add(tf.tensor(mask, shape, 'float32'), tf.sub(sigma, stopGradient(sigma))),
                  [-1],
                );
                const scalars = tf.unstack(c);
                coefficient = (i) => scalars[i] as tf.Tensor;
              }
              const logits = forwardSelected(
                net,
                batch.x,
                true,
                layerCoefficients(layers, mask, coefficient),
              );
              return crossEntropy(logits, batch.labels);
            }),
          trainable,
        );
        try {
          lossValue = value.dataSync()[0] as number;
          const alphaGradient = gradients.get('alpha');
          gradients.delete('alpha');
          const clipped = clipByGlobalNorm(gradients, resolved.gradientClip);
          sgd.step(clipped.gradients);
          tf.dispose([...clipped.gradients.values()]);
          if (alphaGradient !== undefined) {
            adam.learningRate = Math.max(0, alphaSchedule(step - warmupEnd));
            adam.step(new Map([['alpha', alphaGradient]]));
            alphaGradient.dispose();
          }
        } finally {
          tf.dispose([value, ...gradients.values()]);
        }
      } finally {
        tf.dispose([batch.x, batch.labels]);
      }
      step += 1;
      input.onStep?.({ step, totalSteps: total, phase, loss: lossValue, learningRate: sgd.learningRate });
      if (step % resolved.checkpointEvery === 0 || step === Math.min(total, stop)) await save();
    }
    const alphaValues = alpha.arraySync() as number[][];
    const finalMask = fixedMask ?? topKMask(alpha.dataSync(), budget);
    const kept = layers.map((layer, l) =>
      searchableNames(layer).filter((_, b) => finalMask[l * ODBB_BRANCH_COUNT + b] === 1),
    );
    return { alpha: alphaValues, kept, budget, steps: step, finished: step >= total };
  } finally {
    alpha.dispose();
    sgd.dispose();
    adam.dispose();
  }
}

async function exists(dir: string): Promise<boolean> {
  const { access } = await import('node:fs/promises');
  const { join } = await import('node:path');
  try {
    await access(join(dir, 'checkpoint.json'));
    return true;
  } catch {
    return false;
  }
}

/**
 * The branch entries of every layer of a search result (kept branches, the fixed identity, or the
 * KxK branch for an empty layer without identity), for `createRepNet({ layerBranches })`: the
 * searched architecture retrained from scratch, the option RepNAS offers besides direct fusion.
 */
export function searchedLayerBranches(
  net: Sequential,
  kept: readonly (readonly string[])[],
): BranchEntry[][] {
  return repBlocksOf(net).map((layer, l) => {
    const keep = new Set(kept[l]);
    if (hasIdentity(layer)) keep.add(IDENTITY);
    if (keep.size === 0) keep.add(FALLBACK);
    return layer.config.branches
      .filter(([name]) => keep.has(name))
      .map(([name, type]) => [name, type] as const);
  });
}

/** Deploys a search result: the kept branches of `net`, fused into one conv per layer. */
export function deploySearched(net: Sequential, kept: readonly (readonly string[])[]): Module {
  const searched = extractSearched(net, kept);
  try {
    return reparameterize(searched);
  } finally {
    searched.dispose();
  }
}
