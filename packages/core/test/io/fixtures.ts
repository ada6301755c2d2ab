import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApplyContext, Module } from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';

/** A dense layer with a running-mean buffer: a parameter and a buffer per module, two levels deep. */
class Affine extends Module {
  static override readonly className = 'Affine';

  constructor(inUnits: number, outUnits: number, seed: number) {
    super();
    this.addVariable('weight', tf.randomNormal([inUnits, outUnits], 0, 1, 'float32', seed));
    this.addVariable('bias', tf.zeros([outUnits]));
    this.addVariable('runningMean', tf.zeros([outUnits]), 'buffer');
  }

  forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    const y = tf.add(
      tf.matMul(x as tf.Tensor2D, this.param('weight', ctx) as tf.Tensor2D),
      this.param('bias', ctx),
    );
    return tf.sub(y, this.param('runningMean', ctx));
  }
}

/** `stem` (3→4) then `head.fc` (4→outUnits). */
export class TinyNet extends Module {
  static override readonly className = 'TinyNet';
  readonly stem: Affine;
  readonly head: Head;

  constructor(seed: number, outUnits = 2) {
    super();
    this.stem = this.addModule('stem', new Affine(3, 4, seed));
    this.head = this.addModule('head', new Head(outUnits, seed + 1));
  }

  forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    return this.head.forward(tf.relu(this.stem.forward(x, ctx)), ctx);
  }
}

class Head extends Module {
  static override readonly className = 'Head';
  readonly fc: Affine;

  constructor(outUnits: number, seed: number) {
    super();
    this.fc = this.addModule('fc', new Affine(4, outUnits, seed));
  }

  forward(x: tf.Tensor, ctx: ApplyContext): tf.Tensor {
    return this.fc.forward(x, ctx);
  }
}

/** Every variable's values, by hierarchical name. */
export function snapshot(module: Module): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, variable] of module.namedVariables()) out[name] = Array.from(variable.dataSync());
  return out;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export async function temporaryDirectory(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'automl-ts-io-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
