import type * as tf from '@tensorflow/tfjs';
import type { Task, TaskSet } from '../tasks/task.js';
import { describeValue } from './errors.js';

type Fail = (message: string) => Error;

// One integer check across the packages: core's (an integer in [min, max]; the error names both).
export { checkInteger } from '@automl-ts/core';

/** A finite number > 0. */
export function checkPositive(fail: Fail, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw fail(`${name} must be a finite number > 0, got ${describeValue(value)}`);
  }
  return value;
}

/** One of `allowed`. */
export function checkOneOf<T extends string>(
  fail: Fail,
  name: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (!allowed.includes(value as T)) {
    throw fail(
      `${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}; got ${describeValue(value)}`,
    );
  }
  return value as T;
}

/** N and K of a classification support set. */
export interface SupportShape {
  readonly ways: number;
  readonly shots: number;
}

function checkSet(fail: Fail, set: TaskSet | undefined, what: string, allowEmpty: boolean): void {
  if (set === undefined || set === null || typeof set !== 'object' || set.x == null || set.y == null) {
    throw fail(`${what} must be { x, y } tensors, got ${describeValue(set)}`);
  }
  const n = set.x.shape[0];
  if (set.x.rank < 1 || set.y.rank < 1 || set.y.shape[0] !== n) {
    throw fail(
      `${what}: x has shape [${set.x.shape}] and y has shape [${set.y.shape}]; they must have the same first axis`,
    );
  }
  if (!allowEmpty && n === 0) throw fail(`${what} is empty`);
}

/** Class labels of a set: int `[n]` or one-hot `[n, N]`. */
function labelsOf(fail: Fail, y: tf.Tensor, what: string): number[] {
  if (y.rank === 1) {
    const values = Array.from(y.dataSync());
    values.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0) {
        throw fail(`${what}: label ${i} is ${v}; class labels must be integers 0..N-1 (or one-hot rows)`);
      }
    });
    return values;
  }
  if (y.rank === 2) {
    const [n, classes] = y.shape as [number, number];
    const values = y.dataSync();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++)
        if ((values[i * classes + c] as number) > (values[i * classes + best] as number)) best = c;
      out.push(best);
    }
    return out;
  }
  throw fail(`${what}: class labels must be int [n] or one-hot [n, N], got shape [${y.shape}]`);
}

/**
 * Checks a classification support set: labels `0..N-1`, every class present, the same number K
 * of examples per class. Reads the labels (a few hundred values at most).
 */
export function checkSupportSet(
  fail: Fail,
  support: TaskSet,
  what: string,
): SupportShape & { readonly labels: number[] } {
  checkSet(fail, support, what, false);
  const labels = labelsOf(fail, support.y, what);
  const ways = Math.max(...labels) + 1;
  const counts = new Array<number>(ways).fill(0);
  for (const label of labels) counts[label] = (counts[label] as number) + 1;
  const missing = counts.indexOf(0);
  if (missing >= 0) {
    throw fail(
      `${what} has no example of class ${missing}; labels must be 0..N-1 with every class present (found classes ${[...new Set(labels)].sort((a, b) => a - b).join(', ')})`,
    );
  }
  const shots = counts[0] as number;
  const uneven = counts.findIndex((c) => c !== shots);
  if (uneven >= 0) {
    throw fail(
      `${what} has inconsistent K: class 0 has ${shots} examples but class ${uneven} has ${counts[uneven]}; every class needs the same number of shots`,
    );
  }
  return { ways, shots, labels };
}

/** Checks a regression set: matching first axes, not empty. */
export function checkRegressionSet(fail: Fail, set: TaskSet, what: string): void {
  checkSet(fail, set, what, false);
}

/**
 * Checks a meta-batch of tasks: each support set as {@link checkSupportSet}, each query class
 * present in its support set, and the same N and K in every task. Returns N and K (undefined
 * for regression).
 */
export function checkTasks(
  fail: Fail,
  tasks: readonly Task[],
  kind: 'classification' | 'regression' | 'custom',
): SupportShape | undefined {
  if (!Array.isArray(tasks) || tasks.length === 0) {
    throw fail(`tasks must be a non-empty array of { support, query }, got ${describeValue(tasks)}`);
  }
  let first: SupportShape | undefined;
  tasks.forEach((task, i) => {
    if (task === null || typeof task !== 'object')
      throw fail(`task ${i} must be { support, query }, got ${describeValue(task)}`);
    if (kind !== 'classification') {
      checkRegressionSet(fail, task.support, `task ${i}: support set`);
      checkRegressionSet(fail, task.query, `task ${i}: query set`);
      return;
    }
    const shape = checkSupportSet(fail, task.support, `task ${i}: support set`);
    checkSet(fail, task.query, `task ${i}: query set`, false);
    const present = new Set(shape.labels);
    const queryLabels = labelsOf(fail, task.query.y, `task ${i}: query set`);
    const absent = queryLabels.find((label) => !present.has(label));
    if (absent !== undefined) {
      throw fail(
        `task ${i}: the query set has class ${absent} but the support set has no example of it (support classes 0..${shape.ways - 1})`,
      );
    }
    if (first === undefined) {
      first = { ways: shape.ways, shots: shape.shots };
    } else if (shape.ways !== first.ways || shape.shots !== first.shots) {
      throw fail(
        `inconsistent N or K across the meta-batch: task 0 is ${first.ways}-way ${first.shots}-shot but task ${i} is ${shape.ways}-way ${shape.shots}-shot`,
      );
    }
  });
  return first;
}
