// Zhang et al., "Graph Pruning for Model Compression", 2019, §3.4 (an RL agent whose states are the
// GCN's node embeddings picks each layer's keep ratio); He et al., "AMC", ECCV 2018, §3.2–3.5 (the
// DDPG loop: warm-up episodes of random actions, truncated-normal exploration σ = 0.5·0.95^(e − warm-up),
// the action wall, the hand-crafted layer state, the reward with a moving-average baseline).
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Architecture,
  CHECKPOINT_MANIFEST_FILE,
  createRng,
  DynamicConv2d,
  errorFactory,
  type JsonValue,
  loadCheckpoint,
  type Rng,
  type RngState,
  restoreRng,
  saveCheckpoint,
  writeFileAtomic,
} from '@automl-ts/core';
import { actionWall, checkBudget, type MacsBudget, macsOf, minWidth } from './action-wall.js';
import { DdpgAgent, type DdpgJsonState, type DdpgOptions, truncatedNormal } from './ddpg.js';
import type { PruningNet } from './pruning-net.js';

/** How an episode's states describe a layer. */
export type StateKind = 'gcn' | 'handcrafted';

/** Options of {@link searchWidths}. */
export interface SearchWidthsOptions {
  /** Reward of an architecture: the validation accuracy of its generated sub-network (see evaluateSubnet). */
  evaluate: (arch: Architecture) => Promise<number>;
  /** Target MACs as a fraction of the full network's. @default 0.5 */
  macsRatio?: number;
  /** Smallest keep ratio a_min, in (0, 1] (AMC's lbound). @default 0.2 */
  minRatio?: number;
  /** `'ddpg'` (AMC's agent) or `'random'` (uniform actions through the same action wall). @default 'ddpg' */
  strategy?: 'ddpg' | 'random';
  /** `'gcn'`: the PruningNet's GCN embedding of the layer (GraphPruning); `'handcrafted'`: AMC's features. @default 'gcn' */
  state?: StateKind;
  /** Episodes in total, warm-up included (AMC: 100 warm-up + 300 to 700 more). @default 400 */
  episodes?: number;
  /** Episodes of uniform random actions before the agent acts (AMC). @default 100 */
  warmupEpisodes?: number;
  /** Exploration σ at the first episode after warm-up (AMC). @default 0.5 */
  initialNoise?: number;
  /** σ decay per episode after warm-up (AMC). @default 0.95 */
  noiseDecay?: number;
  /** Agent options besides the state size and action bounds (AMC's defaults). */
  agent?: Omit<DdpgOptions, 'stateSize' | 'minAction' | 'seed'>;
  /** Seed of the agent, the noise and the random actions. @default 0 */
  seed?: number;
  /** Directory for a checkpoint after every episode; the search resumes from it. @default none */
  checkpointDir?: string;
  /** Called after every episode. */
  onEpisode?: (record: EpisodeRecord) => void;
}

/** One episode of a search. */
export interface EpisodeRecord {
  readonly episode: number;
  readonly arch: Architecture;
  readonly macs: number;
  /** The evaluation's value (validation accuracy). */
  readonly reward: number;
  /** The baseline before this episode (`null` at the first). */
  readonly baseline: number | null;
  /** The actions taken, after the action wall (keep ratios). */
  readonly actions: readonly number[];
}

/** What {@link searchWidths} returns. */
export interface SearchWidthsResult {
  readonly best: EpisodeRecord;
  readonly history: readonly EpisodeRecord[];
  readonly targetMacs: number;
  readonly fullMacs: number;
}

const SOURCE = '@automl-ts/graph-pruning/searchWidths';

/** The file a random search (no networks to save) keeps its state in. */
const RANDOM_STATE_FILE = 'random-search.json';

interface SavedSearch {
  readonly history: EpisodeRecord[];
  readonly agent: DdpgJsonState | null;
  readonly rng: RngState;
}

/** Saves the search after an episode: a core checkpoint for the agent, one JSON file for random search. */
async function save(
  dir: string,
  agent: DdpgAgent | undefined,
  rng: Rng,
  history: EpisodeRecord[],
): Promise<void> {
  if (agent === undefined) {
    await mkdir(dir, { recursive: true });
    const saved: SavedSearch = { history, agent: null, rng: rng.state() };
    await writeFileAtomic(join(dir, RANDOM_STATE_FILE), JSON.stringify(saved));
    return;
  }
  await saveCheckpoint(dir, {
    module: agent.networks,
    optimizer: agent.optimizerForCheckpoint(),
    rng,
    step: history.length,
    state: { history, agent: agent.jsonState() } as unknown as JsonValue,
  });
}

/** Restores a saved search into `agent` (weights, optimizer slots, replay buffer, baseline). */
async function resume(
  dir: string,
  agent: DdpgAgent | undefined,
): Promise<{ history: EpisodeRecord[]; rng: Rng } | undefined> {
  if (agent === undefined) {
    const path = join(dir, RANDOM_STATE_FILE);
    if (!existsSync(path)) return undefined;
    const saved = JSON.parse(await readFile(path, 'utf8')) as SavedSearch;
    return { history: saved.history, rng: restoreRng(saved.rng) };
  }
  if (!existsSync(join(dir, CHECKPOINT_MANIFEST_FILE))) return undefined;
  // The JSON state first: the critic's step count must be known before its slots are set.
  const first = await loadCheckpoint(dir, { module: agent.networks, ignoreOptimizer: true });
  const state = first.state as unknown as { history: EpisodeRecord[]; agent: DdpgJsonState };
  agent.restoreJsonState(state.agent);
  const loaded = await loadCheckpoint(dir, {
    module: agent.networks,
    optimizer: agent.optimizerForCheckpoint(),
  });
  if (loaded.rng === undefined)
    throw errorFactory(SOURCE)(`the checkpoint in "${dir}" has no generator state`);
  return { history: state.history, rng: loaded.rng };
}

/** Per-choice embedding rows: the mean of the embeddings of the convs whose output width the choice sets. */
function choiceLayers(net: PruningNet): DynamicConv2d[][] {
  const convs = [...net.supernet.modules()].filter((m): m is DynamicConv2d => m instanceof DynamicConv2d);
  return net.choices.map((choice) => {
    const owned = convs.filter(
      (c) => (c.outChannelsRule as { name?: string } | undefined)?.name === choice.name,
    );
    if (owned.length === 0) {
      throw errorFactory(SOURCE)(`width choice "${choice.name}" sets the width of no DynamicConv2d`);
    }
    return owned;
  });
}

function normaliseColumns(rows: number[][]): number[][] {
  const width = rows[0]?.length ?? 0;
  const max = Array.from({ length: width }, (_, c) => Math.max(...rows.map((r) => Math.abs(r[c] as number))));
  return rows.map((r) => r.map((v, c) => ((max[c] as number) > 0 ? v / (max[c] as number) : 0)));
}

/** The static part of each layer's state. */
function layerStates(net: PruningNet, kind: StateKind): number[][] {
  const layers = choiceLayers(net);
  if (kind === 'gcn') {
    const embeddings = net.embeddings();
    const rows = embeddings.arraySync();
    embeddings.dispose();
    return layers.map((convs) => {
      const picked = convs.map((c) => rows[net.nodes.indexOf(c.path)] as number[]);
      return (picked[0] as number[]).map(
        (_, j) => picked.reduce((s, r) => s + (r[j] as number), 0) / picked.length,
      );
    });
  }
  // AMC's state: index, in and out channels, stride, kernel size, the layers' MACs (ours: at full width).
  const full = net.supernet.largestArchitecture();
  const fullMacs = macsOf(net.supernet, full);
  const raw = layers.map((convs, t) => {
    const conv = convs[0] as DynamicConv2d;
    const choice = net.choices[t] as { name: string; widths: readonly number[] };
    const smaller = { ...full, [choice.name]: choice.widths[0] as number };
    const share = fullMacs - macsOf(net.supernet, smaller);
    return [t, conv.maxInChannels, conv.maxOutChannels, conv.strides, conv.maxKernelSize, share];
  });
  return normaliseColumns(raw);
}

/**
 * Searches per-layer widths of a trained {@link PruningNet}'s supernet under a MACs budget, AMC's
 * way: an episode walks the width choices in order; at each the state is the layer's features
 * (GCN embedding, or AMC's hand-crafted ones) plus the MACs reduced so far and the MACs still to
 * decide (fractions of the full network's); the action (a keep ratio in [a_min, 1]) goes through
 * the action wall, so that every episode ends within the budget; the episode's reward is
 * `evaluate(arch)` and every transition of it is stored with that reward; after the warm-up the
 * agent takes one DDPG update per step. `strategy: 'random'` keeps the walk and the wall with
 * uniform actions (random search over the same PruningNet). With `checkpointDir` the search
 * (networks, optimizers, replay buffer, baseline, generator, history) is saved after every episode
 * and resumes to the same result.
 *
 * @example
 * const result = await searchWidths(net, { evaluate: (arch) => accuracyOf(arch), macsRatio: 0.5 });
 * result.best.arch; // the widths to prune the teacher to
 */
export async function searchWidths(
  net: PruningNet,
  options: SearchWidthsOptions,
): Promise<SearchWidthsResult> {
  const fail = errorFactory(SOURCE);
  if (typeof options?.evaluate !== 'function')
    throw fail('options.evaluate must be a function arch => Promise<number>');
  const macsRatio = options.macsRatio ?? 0.5;
  if (!(typeof macsRatio === 'number' && macsRatio > 0 && macsRatio <= 1)) {
    throw fail(`options.macsRatio must be in (0, 1], got ${macsRatio}`);
  }
  const minRatio = options.minRatio ?? 0.2;
  const episodes = options.episodes ?? 400;
  const warmup = options.warmupEpisodes ?? 100;
  if (!Number.isInteger(episodes) || episodes < 1)
    throw fail(`options.episodes must be an integer >= 1, got ${episodes}`);
  if (!Number.isInteger(warmup) || warmup < 0)
    throw fail(`options.warmupEpisodes must be an integer >= 0, got ${warmup}`);
  const strategy = options.strategy ?? 'ddpg';
  if (strategy !== 'ddpg' && strategy !== 'random')
    throw fail(`options.strategy must be "ddpg" or "random", got ${String(strategy)}`);
  const kind = options.state ?? 'gcn';
  if (kind !== 'gcn' && kind !== 'handcrafted')
    throw fail(`options.state must be "gcn" or "handcrafted", got ${String(kind)}`);
  const initialNoise = options.initialNoise ?? 0.5;
  const noiseDecay = options.noiseDecay ?? 0.95;

  const supernet = net.supernet;
  const choices = net.choices;
  const fullMacs = macsOf(supernet, supernet.largestArchitecture());
  const budget: MacsBudget = { supernet, choices, targetMacs: macsRatio * fullMacs, minRatio };
  checkBudget(budget, SOURCE);
  const statics = layerStates(net, kind);
  const minArch = Object.fromEntries(choices.map((c) => [c.name, minWidth(c, minRatio)]));
  const maxArch = supernet.largestArchitecture();
  const stateOf = (t: number, decided: Architecture): number[] => {
    const high = macsOf(supernet, { ...maxArch, ...decided });
    const low = macsOf(supernet, { ...minArch, ...decided });
    return [...(statics[t] as number[]), (fullMacs - high) / fullMacs, (high - low) / fullMacs];
  };
  const stateSize = (statics[0]?.length ?? 0) + 2;
  let rng: Rng = createRng(options.seed ?? 0);
  const agent =
    strategy === 'ddpg'
      ? new DdpgAgent({ ...options.agent, stateSize, minAction: minRatio }, rng)
      : undefined;
  let history: EpisodeRecord[] = [];
  const dir = options.checkpointDir;
  try {
    if (dir !== undefined) {
      const resumed = await resume(dir, agent);
      if (resumed !== undefined) {
        history = resumed.history;
        rng = resumed.rng;
        agent?.setRng(rng);
      }
    }
    for (let episode = history.length; episode < episodes; episode++) {
      const decided: Record<string, number> = {};
      const steps: Array<{ state: number[]; action: number }> = [];
      const sigma = initialNoise * noiseDecay ** Math.max(0, episode - warmup);
      for (let t = 0; t < choices.length; t++) {
        const state = stateOf(t, decided);
        let proposal: number;
        if (agent === undefined || episode < warmup) proposal = rng.uniform(minRatio, 1);
        else proposal = truncatedNormal(rng, agent.act(state), sigma, minRatio, 1);
        const width = actionWall(budget, decided, t, proposal);
        decided[(choices[t] as { name: string }).name] = width;
        steps.push({ state, action: width / (choices[t] as { max: number }).max });
      }
      const arch: Architecture = { ...decided };
      const reward = await options.evaluate(arch);
      const record: EpisodeRecord = {
        episode,
        arch,
        macs: macsOf(supernet, arch),
        reward,
        baseline: agent?.baseline ?? null,
        actions: steps.map((s) => s.action),
      };
      if (agent !== undefined) {
        agent.observeReward(reward);
        steps.forEach((s, t) => {
          const last = t === steps.length - 1;
          const nextState = last ? s.state : (steps[t + 1] as { state: number[] }).state;
          agent.remember({ state: s.state, action: s.action, nextState, done: last, reward });
        });
        if (episode >= warmup) for (let t = 0; t < steps.length; t++) agent.update();
      }
      history.push(record);
      options.onEpisode?.(record);
      if (dir !== undefined) await save(dir, agent, rng, history);
    }
  } finally {
    agent?.dispose();
  }
  const best = history.reduce((a, b) => (b.reward > a.reward ? b : a), history[0] as EpisodeRecord);
  return { best, history, targetMacs: budget.targetMacs, fullMacs };
}
