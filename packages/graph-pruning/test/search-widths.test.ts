import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Architecture, createRng, initBackend, profileModel } from '@automl-ts/core';
import {
  actionWall,
  DdpgAgent,
  evaluateSubnet,
  macsOf,
  minWidth,
  pruneToWidths,
  type SearchWidthsOptions,
  searchWidths,
  truncatedNormal,
} from '@automl-ts/graph-pruning';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { INPUT_SHAPE, microBatches, microPruningNet, tinyPruningNet, tinyTeacher } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

/** A cheap deterministic reward: prefers wide early layers (so the agent has something to learn). */
function syntheticReward(order: readonly string[]) {
  return async (arch: Architecture) =>
    order.reduce((s, name, i) => s + (arch[name] as number) / (i + 1), 0) / order.length;
}

const FAST: Partial<SearchWidthsOptions> = {
  episodes: 8,
  warmupEpisodes: 3,
  agent: { hidden: [8, 8], batchSize: 8 },
};

describe('searchWidths', () => {
  test.each([
    ['ddpg', 'gcn'],
    ['ddpg', 'handcrafted'],
    ['random', 'gcn'],
  ] as const)('%s with %s states keeps every episode within the MACs budget', async (strategy, state) => {
    const net = tinyPruningNet();
    const names = net.choices.map((c) => c.name);
    const result = await searchWidths(net, {
      ...FAST,
      strategy,
      state,
      evaluate: syntheticReward(names),
      macsRatio: 0.5,
    });
    expect(result.history).toHaveLength(8);
    for (const record of result.history) {
      expect(record.macs).toBeLessThanOrEqual(result.targetMacs);
      expect(record.macs).toBe(macsOf(net.supernet, record.arch));
      // The action wall fills the budget at the last layer: one more channel there would not fit.
      expect(record.actions.every((a) => a >= 0.2 - 1e-9 && a <= 1)).toBe(true);
    }
    expect(result.best.reward).toBe(Math.max(...result.history.map((r) => r.reward)));
  });

  test('the action wall: reachable budget, a_min respected, last layer fills the budget', () => {
    const net = tinyPruningNet();
    const { supernet, choices } = net;
    const full = macsOf(supernet, supernet.largestArchitecture());
    const budget = { supernet, choices, targetMacs: 0.5 * full, minRatio: 0.25 };
    const decided: Record<string, number> = {};
    choices.forEach((c, t) => {
      decided[c.name] = actionWall(budget, decided, t, 1);
    });
    const macs = macsOf(supernet, decided);
    expect(macs).toBeLessThanOrEqual(budget.targetMacs);
    const last = choices[choices.length - 1] as (typeof choices)[number];
    const wider = last.widths.find((w) => w > (decided[last.name] as number));
    if (wider !== undefined)
      expect(macsOf(supernet, { ...decided, [last.name]: wider })).toBeGreaterThan(budget.targetMacs);
    for (const c of choices) expect(decided[c.name]).toBeGreaterThanOrEqual(minWidth(c, 0.25));
  });

  test('the analytic MACs equal profileModel of the really pruned teacher', () => {
    const net = tinyPruningNet();
    const rng = createRng(5);
    const arch = Object.fromEntries(net.choices.map((c) => [c.name, rng.choice(c.widths)]));
    const pruned = pruneToWidths(tinyTeacher(), arch, { inputShape: INPUT_SHAPE });
    expect(profileModel(pruned, { inputShape: INPUT_SHAPE }).macs).toBe(macsOf(net.supernet, arch));
  });

  test('bad input: budget below a_min, a_min outside (0, 1], unknown group', async () => {
    const net = tinyPruningNet();
    const evaluate = async () => 0;
    await expect(searchWidths(net, { evaluate, macsRatio: 0.01, minRatio: 0.5 })).rejects.toThrow(
      /@automl-ts\/graph-pruning\/searchWidths: the MACs budget \d+(\.\d+)? is below \d+, the MACs with every layer at a_min = 0.5/,
    );
    await expect(searchWidths(net, { evaluate, minRatio: 0 })).rejects.toThrow(
      '@automl-ts/graph-pruning/searchWidths: minRatio (a_min) must be in (0, 1], got 0',
    );
    await expect(searchWidths(net, { evaluate, minRatio: 1.5 })).rejects.toThrow('got 1.5');
    expect(() => pruneToWidths(tinyTeacher(), { nope: 2 }, { inputShape: INPUT_SHAPE })).toThrow(
      '@automl-ts/graph-pruning/pruneToWidths: "nope" is not a dependency group of the model',
    );
  });

  test.each(['ddpg', 'random'] as const)(
    '%s: a killed search resumed from its checkpoint gives the same history',
    async (strategy) => {
      const dir = await mkdtemp(join(tmpdir(), 'gp-search-'));
      try {
        const names = tinyPruningNet().choices.map((c) => c.name);
        const options = { ...FAST, strategy, episodes: 10, evaluate: syntheticReward(names), seed: 4 };
        const straight = await searchWidths(tinyPruningNet(), options);
        let count = 0;
        const killer = {
          ...options,
          checkpointDir: dir,
          onEpisode: () => {
            count += 1;
            if (count === 6) throw new Error('killed');
          },
        };
        await expect(searchWidths(tinyPruningNet(), killer)).rejects.toThrow('killed');
        const resumed = await searchWidths(tinyPruningNet(), { ...options, checkpointDir: dir });
        expect(resumed.history.map((r) => r.arch)).toEqual(straight.history.map((r) => r.arch));
        expect(resumed.history.map((r) => r.reward)).toEqual(straight.history.map((r) => r.reward));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  test('no tensor growth over 200 episodes with PruningNet rewards', { timeout: 900_000 }, async () => {
    const net = microPruningNet();
    const [calibration, validation] = [microBatches(1), microBatches(1)];
    const evaluate = async (arch: Architecture) =>
      (await evaluateSubnet(net, arch, { calibration, validation })).accuracy;
    await searchWidths(net, { ...FAST, episodes: 4, evaluate });
    const before = tf.memory().numTensors;
    await searchWidths(net, { ...FAST, episodes: 200, warmupEpisodes: 20, evaluate });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('DdpgAgent', () => {
  test('the critic fits a constant reward and the actor moves towards the better action', () => {
    const agent = new DdpgAgent({
      stateSize: 2,
      hidden: [16, 16],
      batchSize: 16,
      seed: 0,
      criticLearningRate: 1e-2,
      actorLearningRate: 1e-2,
    });
    const rng = createRng(0);
    for (let i = 0; i < 64; i++) {
      const action = rng.uniform(0.2, 1);
      agent.remember({ state: [0.5, 0.5], action, nextState: [0.5, 0.5], done: true, reward: action });
    }
    const start = agent.act([0.5, 0.5]);
    for (let i = 0; i < 200; i++) agent.update();
    expect(agent.act([0.5, 0.5])).toBeGreaterThan(start);
    agent.dispose();
  });

  test('truncated normal stays in its bounds; bad options name the value', () => {
    const rng = createRng(1);
    for (let i = 0; i < 200; i++) {
      const v = truncatedNormal(rng, 0.9, 0.5, 0.2, 1);
      expect(v >= 0.2 && v <= 1).toBe(true);
    }
    expect(() => new DdpgAgent({ stateSize: 2, tau: 0 })).toThrow(
      '@automl-ts/graph-pruning/DdpgAgent: tau must be in (0, 1], got 0',
    );
  });
});
