import { Adam, AdamW, defaultWeightDecayFilter, initBackend, type Optimizer, SGD } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

// f(w) = ½ Σ a_i (w_i − b_i)², ∇f = a ⊙ (w − b): a quadratic with a known gradient, so a float64
// re-implementation of each update rule is the reference.
const A = [1, 4, 0.5, 10];
const B = [1, -2, 3, 0.5];
const W0 = [0, 0, 0, 0];
const gradientOf = (w: number[]) => w.map((wi, i) => (A[i] as number) * (wi - (B[i] as number)));

type Reference = (w: number[], g: number[], t: number, state: Map<string, number[]>) => number[];

const zeros = () => W0.map(() => 0);
const slot = (state: Map<string, number[]>, name: string) => {
  if (!state.has(name)) state.set(name, zeros());
  return state.get(name) as number[];
};

function sgdReference(lr: number, momentum: number, nesterov: boolean, weightDecay: number): Reference {
  return (w, g, _t, state) => {
    const buffer = slot(state, 'momentum');
    return w.map((wi, i) => {
      let gi = (g[i] as number) + weightDecay * wi;
      if (momentum > 0) {
        buffer[i] = momentum * (buffer[i] as number) + gi;
        gi = nesterov ? gi + momentum * (buffer[i] as number) : (buffer[i] as number);
      }
      return wi - lr * gi;
    });
  };
}

function adamReference(
  lr: number,
  weightDecay: number,
  decoupled: boolean,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
): Reference {
  return (w, g, t, state) => {
    const m = slot(state, 'm');
    const v = slot(state, 'v');
    return w.map((wi0, i) => {
      let wi = wi0;
      let gi = g[i] as number;
      if (decoupled) wi *= 1 - lr * weightDecay;
      else gi += weightDecay * wi;
      m[i] = b1 * (m[i] as number) + (1 - b1) * gi;
      v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi;
      const mHat = (m[i] as number) / (1 - b1 ** t);
      const vHat = (v[i] as number) / (1 - b2 ** t);
      return wi - (lr * mHat) / (Math.sqrt(vHat) + eps);
    });
  };
}

// The parameter is named `…kernel` with rank 2 so the default filter decays it.
const makeParams = () => new Map([['layer.kernel', tf.variable(tf.tensor2d(W0, [2, 2]))]]);

describe('optimizers match a float64 reference on a quadratic', () => {
  test.each<[string, (p: Map<string, tf.Variable>) => Optimizer, Reference]>([
    ['SGD', (p) => new SGD(p, { learningRate: 0.05 }), sgdReference(0.05, 0, false, 0)],
    [
      'SGD momentum',
      (p) => new SGD(p, { learningRate: 0.05, momentum: 0.9 }),
      sgdReference(0.05, 0.9, false, 0),
    ],
    [
      'SGD Nesterov + weight decay',
      (p) => new SGD(p, { learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.1 }),
      sgdReference(0.05, 0.9, true, 0.1),
    ],
    ['Adam', (p) => new Adam(p, { learningRate: 0.1 }), adamReference(0.1, 0, false)],
    [
      'Adam + L2',
      (p) => new Adam(p, { learningRate: 0.1, weightDecay: 0.2 }),
      adamReference(0.1, 0.2, false),
    ],
    ['AdamW', (p) => new AdamW(p, { learningRate: 0.1, weightDecay: 0.2 }), adamReference(0.1, 0.2, true)],
  ])('%s, 8 steps', (_name, make, reference) => {
    const params = makeParams();
    const optimizer = make(params);
    const variable = params.get('layer.kernel') as tf.Variable;
    let expected = W0.slice();
    const state = new Map<string, number[]>();
    for (let t = 1; t <= 8; t++) {
      const current = [...variable.dataSync()];
      const gradient = tf.tensor2d(gradientOf(current), [2, 2]);
      optimizer.step({ 'layer.kernel': gradient });
      gradient.dispose();
      expected = reference(expected, gradientOf(expected), t, state);
      for (const [i, value] of variable.dataSync().entries())
        expect(value).toBeCloseTo(expected[i] as number, 5);
    }
    expect(optimizer.iterations).toBe(8);
    optimizer.dispose();
    variable.dispose();
  });

  test('Adam converges to the minimum of the quadratic', () => {
    const params = makeParams();
    const variable = params.get('layer.kernel') as tf.Variable;
    const adam = new Adam(params, { learningRate: 0.05 });
    for (let t = 0; t < 800; t++) {
      const gradient = tf.tensor2d(gradientOf([...variable.dataSync()]), [2, 2]);
      adam.step(new Map([['layer.kernel', gradient]]));
      gradient.dispose();
    }
    for (const [i, value] of variable.dataSync().entries()) expect(value).toBeCloseTo(B[i] as number, 2);
    adam.dispose();
    variable.dispose();
  });
});

describe('per-parameter step counts (bias correction of rarely updated parameters)', () => {
  // Two parameters; the second gets no gradient for the first 5 steps (a channel outside the
  // sampled subnets). PyTorch keeps state['step'] per parameter: its first update must be the
  // first Adam step (t = 1), not the sixth.
  test.each<[string, boolean]>([
    ['Adam', false],
    ['AdamW', true],
  ])('%s corrects each parameter by its own step count', (name, decoupled) => {
    const a = tf.variable(tf.tensor2d(W0, [2, 2]));
    const b = tf.variable(tf.tensor2d(W0, [2, 2]));
    const params = new Map([
      ['a.kernel', a],
      ['b.kernel', b],
    ]);
    const options = { learningRate: 0.1, weightDecay: 0.2 };
    const optimizer = name === 'Adam' ? new Adam(params, options) : new AdamW(params, options);
    const reference = adamReference(0.1, 0.2, decoupled);
    let expectedA = W0.slice();
    let expectedB = W0.slice();
    const stateA = new Map<string, number[]>();
    const stateB = new Map<string, number[]>();
    let stepsB = 0;
    for (let t = 1; t <= 9; t++) {
      const gradients = new Map([['a.kernel', tf.tensor2d(gradientOf([...a.dataSync()]), [2, 2])]]);
      if (t > 5) gradients.set('b.kernel', tf.tensor2d(gradientOf([...b.dataSync()]), [2, 2]));
      optimizer.step(gradients);
      tf.dispose([...gradients.values()]);
      expectedA = reference(expectedA, gradientOf(expectedA), t, stateA);
      if (t > 5) {
        stepsB += 1;
        expectedB = reference(expectedB, gradientOf(expectedB), stepsB, stateB);
      }
      for (const [i, value] of a.dataSync().entries()) expect(value).toBeCloseTo(expectedA[i] as number, 5);
      for (const [i, value] of b.dataSync().entries()) expect(value).toBeCloseTo(expectedB[i] as number, 5);
    }
    expect(optimizer.iterations).toBe(9);
    expect(optimizer.parameterSteps('a.kernel')).toBe(9);
    expect(optimizer.parameterSteps('b.kernel')).toBe(4);
    optimizer.dispose();
    tf.dispose([a, b]);
  });

  // Adam's first step is lr·sign(g); with the global count (t = 1001) it would be about 10× smaller.
  test('the first step of a late parameter is about lr·sign(g), as in a fresh optimizer', () => {
    const a = tf.variable(tf.zeros([2]));
    const b = tf.variable(tf.zeros([2]));
    const adam = new Adam(
      new Map([
        ['a.kernel', a],
        ['b.kernel', b],
      ]),
      { learningRate: 0.01 },
    );
    const g = tf.tensor1d([3, -0.5]);
    for (let t = 0; t < 1000; t++) adam.step({ 'a.kernel': g });
    adam.step({ 'b.kernel': g });
    const moved = [...b.dataSync()];
    expect(moved[0]).toBeCloseTo(-0.01, 6);
    expect(moved[1]).toBeCloseTo(0.01, 6);
    adam.dispose();
    tf.dispose([a, b, g]);
  });
});

describe('weight decay', () => {
  test('the default filter decays kernels, not biases or batch-norm parameters', () => {
    const v = (shape: number[]) => tf.variable(tf.zeros(shape));
    const cases: Array<[string, tf.Variable, boolean]> = [
      ['stage1.block0.conv1.kernel', v([3, 3, 4, 4]), true],
      ['fc.kernel', v([4, 2]), true],
      ['fc.bias', v([2]), false],
      ['stem.bn.gamma', v([4]), false],
      ['stem.bn.beta', v([4]), false],
      ['supernet.norm.scale', v([4]), false],
      ['odd.bias', v([2, 2]), false],
    ];
    for (const [name, variable, decays] of cases) {
      expect(defaultWeightDecayFilter(name, variable), name).toBe(decays);
      variable.dispose();
    }
  });

  test('SGD weight decay shrinks only decaying parameters', () => {
    const kernel = tf.variable(tf.ones([2, 2]));
    const bias = tf.variable(tf.ones([2]));
    const sgd = new SGD(
      new Map([
        ['fc.kernel', kernel],
        ['fc.bias', bias],
      ]),
      { learningRate: 0.1, weightDecay: 0.5 },
    );
    const zeroKernel = tf.zeros([2, 2]);
    const zeroBias = tf.zeros([2]);
    sgd.step({ 'fc.kernel': zeroKernel, 'fc.bias': zeroBias });
    expect([...kernel.dataSync()]).toEqual([0.95, 0.95, 0.95, 0.95].map((x) => Math.fround(x)));
    expect([...bias.dataSync()]).toEqual([1, 1]);
    expect(sgd.decays('fc.kernel')).toBe(true);
    expect(sgd.decays('fc.bias')).toBe(false);
    tf.dispose([kernel, bias, zeroKernel, zeroBias]);
  });
});

describe('optimizer state', () => {
  test.each<[string, (p: Map<string, tf.Variable>) => Optimizer]>([
    ['SGD', (p) => new SGD(p, { learningRate: 0.05, momentum: 0.9 })],
    ['Adam', (p) => new Adam(p, { learningRate: 0.1 })],
    ['AdamW', (p) => new AdamW(p, { learningRate: 0.1 })],
  ])('%s: getState/setState resumes exactly', (_name, make) => {
    const run = (optimizer: Optimizer, variable: tf.Variable, steps: number) => {
      for (let i = 0; i < steps; i++) {
        const gradient = tf.tensor2d(gradientOf([...variable.dataSync()]), [2, 2]);
        optimizer.step({ 'layer.kernel': gradient });
        gradient.dispose();
      }
    };
    const params = makeParams();
    const variable = params.get('layer.kernel') as tf.Variable;
    const optimizer = make(params);
    run(optimizer, variable, 3);
    const state = optimizer.getState();
    const weights = tf.clone(variable);
    expect(Object.keys(state.slots).length).toBeGreaterThan(0);
    expect(Object.keys(Object.values(state.slots)[0] ?? {})).toEqual(['layer.kernel']);
    run(optimizer, variable, 2);
    const continued = [...variable.dataSync()];

    const resumedParams = makeParams();
    const resumedVariable = resumedParams.get('layer.kernel') as tf.Variable;
    resumedVariable.assign(weights);
    const resumed = make(resumedParams);
    resumed.setState(state);
    expect(resumed.iterations).toBe(3);
    run(resumed, resumedVariable, 2);
    expect([...resumedVariable.dataSync()]).toEqual(continued);

    tf.dispose([
      weights,
      variable,
      resumedVariable,
      ...Object.values(state.slots).flatMap((s) => Object.values(s)),
    ]);
    optimizer.dispose();
    resumed.dispose();
  });

  test('per-parameter step counts survive getState/setState; old states count every slot at iterations', () => {
    const a = tf.variable(tf.zeros([2]));
    const b = tf.variable(tf.zeros([2]));
    const params = new Map([
      ['a.kernel', a],
      ['b.kernel', b],
    ]);
    const adam = new Adam(params, { learningRate: 0.01 });
    const g = tf.tensor1d([1, -1]);
    for (let t = 0; t < 4; t++) adam.step({ 'a.kernel': g });
    adam.step({ 'a.kernel': g, 'b.kernel': g });
    const state = adam.getState();
    expect(state.parameterSteps).toEqual({ 'a.kernel': 5, 'b.kernel': 1 });
    const resumed = new Adam(params, { learningRate: 0.01 });
    resumed.setState(state);
    expect(resumed.parameterSteps('a.kernel')).toBe(5);
    expect(resumed.parameterSteps('b.kernel')).toBe(1);
    const { parameterSteps: _dropped, ...legacy } = state;
    resumed.setState(legacy);
    expect(resumed.parameterSteps('a.kernel')).toBe(5);
    expect(resumed.parameterSteps('b.kernel')).toBe(5);
    expect(() => resumed.setState({ ...state, parameterSteps: { 'a.kernel': 6 } })).toThrow(
      '@automl-ts/core/Adam.setState: parameterSteps of "a.kernel" must be an integer in [0, 5], got 6',
    );
    expect(() => resumed.setState({ ...state, parameterSteps: { 'c.kernel': 1 } })).toThrow(
      'parameterSteps names unknown parameter "c.kernel"',
    );
    tf.dispose([a, b, g, ...Object.values(state.slots).flatMap((s) => Object.values(s))]);
    adam.dispose();
    resumed.dispose();
  });

  test('setState rejects a state of another optimizer or with unknown names', () => {
    const params = makeParams();
    const sgd = new SGD(params, { learningRate: 0.1, momentum: 0.5 });
    const adam = new Adam(params, { learningRate: 0.1 });
    expect(() => adam.setState(sgd.getState())).toThrow(
      '@automl-ts/core/Adam.setState: state is from "SGD", expected "Adam"',
    );
    const stray = tf.zeros([2, 2]);
    expect(() =>
      sgd.setState({ className: 'SGD', iterations: 1, slots: { momentum: { 'other.kernel': stray } } }),
    ).toThrow(/slot "momentum" names unknown parameter "other.kernel"/);
    tf.dispose([stray, ...params.values()]);
  });

  test('step rejects gradients of unknown parameters or with the wrong shape', () => {
    const params = makeParams();
    const sgd = new SGD(params, { learningRate: 0.1 });
    const g = tf.zeros([4]);
    expect(() => sgd.step({ 'layer.nope': g })).toThrow(
      '@automl-ts/core/SGD.step: gradient for unknown parameter "layer.nope"',
    );
    expect(() => sgd.step({ 'layer.kernel': g })).toThrow(
      /gradient for "layer.kernel" has shape \[4\], expected \[2,2\]/,
    );
    expect(sgd.iterations).toBe(0);
    expect(() => new SGD(params, { learningRate: -1 })).toThrow(
      '@automl-ts/core/SGD: learningRate must be a finite number >= 0, got -1',
    );
    expect(() => new SGD(params, { learningRate: 1, nesterov: true })).toThrow('nesterov needs momentum > 0');
    tf.dispose([g, ...params.values()]);
  });
});
