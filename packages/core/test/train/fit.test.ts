import {
  Activation,
  Adam,
  type Batch,
  BatchNorm,
  Conv2d,
  cosineSchedule,
  createRng,
  crossEntropy,
  Dense,
  type FitEvent,
  fit,
  GlobalAvgPool,
  initBackend,
  type Module,
  NonFiniteLossError,
  recalibrateBatchNorm,
  Sequential,
  SGD,
  topKAccuracy,
  trainStep,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** Two interleaved spirals (1.5 turns each): no line separates them. */
function spirals(perClass: number, seed: number): { points: number[][]; labels: number[] } {
  const rng = createRng(seed);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < perClass; i++) {
      const t = Math.sqrt(rng.next()) * 3 * Math.PI + 0.5;
      const r = t / (3 * Math.PI);
      points.push([
        r * Math.cos(t + c * Math.PI) + rng.normal(0, 0.02),
        r * Math.sin(t + c * Math.PI) + rng.normal(0, 0.02),
      ]);
      labels.push(c);
    }
  }
  return { points, labels };
}

function batchesOf(data: { points: number[][]; labels: number[] }, size: number, seed: number): Batch[] {
  const order = createRng(seed).shuffle(data.labels.map((_, i) => i));
  const batches: Batch[] = [];
  for (let i = 0; i + size <= order.length; i += size) {
    const index = order.slice(i, i + size);
    batches.push({
      x: tf.tensor2d(index.map((j) => data.points[j] as number[])),
      y: tf.tensor1d(
        index.map((j) => data.labels[j] as number),
        'int32',
      ),
    });
  }
  return batches;
}

async function trainAndScore(model: Module, epochs: number): Promise<number> {
  const train = spirals(256, 1);
  const test = spirals(200, 2);
  const optimizer = new Adam(model.namedParameters(), { learningRate: 0.02 });
  const perEpoch = 8;
  await fit(model, optimizer, (epoch) => batchesOf(train, 64, 100 + epoch), {
    epochs,
    disposeBatches: true,
    schedule: cosineSchedule({ baseLearningRate: 0.02, totalSteps: epochs * perEpoch, warmupSteps: 10 }),
  });
  optimizer.dispose();
  return tf.tidy(() =>
    topKAccuracy(model.apply(tf.tensor2d(test.points)), tf.tensor1d(test.labels, 'int32')),
  );
}

describe('fit', () => {
  test('an MLP with batch norm learns two spirals (≥ 95% held-out); a linear model cannot (≤ 75%)', async () => {
    const mlp = new Sequential([
      ['fc1', new Dense({ inUnits: 2, outUnits: 64, init: 'heNormal', seed: 1 })],
      ['bn1', new BatchNorm({ channels: 64 })],
      ['relu1', new Activation('relu')],
      ['fc2', new Dense({ inUnits: 64, outUnits: 64, init: 'heNormal', seed: 2 })],
      ['bn2', new BatchNorm({ channels: 64 })],
      ['relu2', new Activation('relu')],
      ['fc3', new Dense({ inUnits: 64, outUnits: 2, seed: 3 })],
    ]);
    const linear = new Sequential([['fc', new Dense({ inUnits: 2, outUnits: 2, seed: 4 })]]);
    const mlpAccuracy = await trainAndScore(mlp, 25);
    const linearAccuracy = await trainAndScore(linear, 25);
    console.info(`spirals held-out accuracy: MLP ${mlpAccuracy}, linear ${linearAccuracy}`);
    expect(mlpAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(linearAccuracy).toBeLessThanOrEqual(0.75);
    mlp.dispose();
    linear.dispose();
  });

  test('200 steps of a conv net do not leak tensors and report progress', async () => {
    const net = new Sequential([
      ['conv', new Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, useBias: false, seed: 1 })],
      ['bn', new BatchNorm({ channels: 4 })],
      ['relu', new Activation('relu')],
      ['pool', new GlobalAvgPool()],
      ['fc', new Dense({ inUnits: 4, outUnits: 2, seed: 2 })],
    ]);
    const batches: Batch[] = [0, 1].map((i) => ({
      x: tf.randomNormal([8, 6, 6, 1], 0, 1, 'float32', i),
      y: tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'),
    }));
    const optimizer = new SGD(net.namedParameters(), {
      learningRate: 0.05,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 1e-4,
    });
    const counts: number[] = [];
    const events: FitEvent[] = [];
    const history = await fit(net, optimizer, batches, {
      epochs: 100,
      clipNorm: 1,
      labelSmoothing: 0.1,
      schedule: cosineSchedule({ baseLearningRate: 0.05, totalSteps: 200, warmupSteps: 5 }),
      onProgress: (event) => {
        events.push(event);
        if (event.type === 'step') counts.push(tf.memory().numTensors);
      },
    });
    expect(history.losses).toHaveLength(200);
    expect(history.epochLosses).toHaveLength(100);
    expect(counts[199]).toBe(counts[1]);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.map((e) => e.step)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(steps[3]).toMatchObject({ epoch: 1, batch: 1, step: 3 });
    expect(steps[0]?.learningRate).toBeCloseTo(0.01, 8);
    expect(typeof steps[0]?.gradNorm).toBe('number');
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(100);
    expect(optimizer.iterations).toBe(200);
    optimizer.dispose();
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    net.dispose();
  });

  test('a NaN loss stops with an error naming the step; the bad update is not applied', async () => {
    const model = new Sequential([['fc', new Dense({ inUnits: 2, outUnits: 2, seed: 1 })]]);
    const optimizer = new SGD(model.namedParameters(), { learningRate: 0.1 });
    const batches = batchesOf(spirals(16, 3), 8, 1);
    let calls = 0;
    let beforeBad: number[] = [];
    const loss = (output: tf.Tensor, labels: tf.Tensor) => {
      calls += 1;
      if (calls === 4) {
        beforeBad = [...(model.namedParameters().get('fc.kernel') as tf.Variable).dataSync()];
        return tf.mul(crossEntropy(output, labels), Number.NaN) as tf.Scalar;
      }
      return crossEntropy(output, labels);
    };
    await expect(fit(model, optimizer, batches, { epochs: 3, loss })).rejects.toThrow(
      '@automl-ts/core/fit: loss is NaN at step 3 (epoch 0, batch 3); the update was not applied',
    );
    expect([...(model.namedParameters().get('fc.kernel') as tf.Variable).dataSync()]).toEqual(beforeBad);
    expect(optimizer.iterations).toBe(3);
    const bad = (output: tf.Tensor) => tf.div(tf.sum(output), 0) as tf.Scalar;
    expect(() => trainStep(model, optimizer, batches[0] as Batch, { loss: bad })).toThrow(NonFiniteLossError);
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    model.dispose();
  });

  test('a one-shot iterator cannot feed a second epoch', async () => {
    const model = new Sequential([['fc', new Dense({ inUnits: 2, outUnits: 2, seed: 1 })]]);
    const optimizer = new SGD(model.namedParameters(), { learningRate: 0.1 });
    const batches = batchesOf(spirals(8, 3), 8, 1);
    function* once(): Generator<Batch> {
      yield* batches;
    }
    await expect(fit(model, optimizer, once(), { epochs: 2 })).rejects.toThrow(
      /the data yielded no batches in epoch 1/,
    );
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    model.dispose();
  });
});

describe('recalibrateBatchNorm', () => {
  test('sets running statistics to the average over the batches and restores momentum', async () => {
    const conv = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 1, seed: 1 });
    const net = new Sequential([
      ['conv', conv],
      ['bn', new BatchNorm({ channels: 3, momentum: 0.1 })],
    ]);
    const bn = net.get('bn') as BatchNorm;
    const inputs = [0, 1, 2].map((i) => tf.randomNormal([4, 3, 3, 2], i, 1 + i, 'float32', i));
    const used = await recalibrateBatchNorm(net, [
      inputs[0] as tf.Tensor,
      { x: inputs[1] as tf.Tensor, y: inputs[1] as tf.Tensor },
      inputs[2] as tf.Tensor,
    ]);
    expect(used).toBe(3);
    expect(bn.momentum).toBe(0.1);
    const expected = tf.tidy(() => {
      const stats = inputs.map((x) => tf.moments(conv.apply(x), [0, 1, 2]));
      const n = 4 * 3 * 3;
      return {
        mean: tf.div(tf.addN(stats.map((s) => s.mean)), 3),
        variance: tf.div(tf.addN(stats.map((s) => tf.mul(s.variance, n / (n - 1)))), 3),
      };
    });
    const close = (a: tf.Tensor, b: tf.Tensor) => {
      const expectedValues = b.dataSync();
      for (const [i, v] of a.dataSync().entries()) expect(v).toBeCloseTo(expectedValues[i] as number, 4);
    };
    close(bn.variable('runningMean'), expected.mean);
    close(bn.variable('runningVar'), expected.variance);
    expect(await recalibrateBatchNorm(net, inputs, { maxBatches: 1 })).toBe(1);
    await expect(recalibrateBatchNorm(net, [])).rejects.toThrow(
      '@automl-ts/core/recalibrateBatchNorm: no batches were given; the running statistics are unchanged',
    );
    await expect(recalibrateBatchNorm(conv, inputs)).rejects.toThrow(/Conv2d has no batch-norm layers/);
    tf.dispose([...inputs, expected.mean, expected.variance]);
    net.dispose();
  });
});
