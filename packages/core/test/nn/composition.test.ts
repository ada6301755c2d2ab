import {
  Activation,
  BatchNorm,
  Concat,
  Conv2d,
  cloneModule,
  Dense,
  Dropout,
  GlobalAvgPool,
  initBackend,
  MaxPool2d,
  type Module,
  moduleClasses,
  moduleFromConfig,
  Residual,
  Sequential,
  serializeModule,
  type TraceEvent,
  ZeroPadShortcut,
} from '@automl-ts/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectTensorsClose, randomInput } from './expect-close.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

function buildNet(): Sequential {
  return new Sequential([
    [
      'stem',
      new Sequential([
        ['conv', new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, useBias: false, seed: 1 })],
        ['bn', new BatchNorm({ channels: 4 })],
        ['relu', new Activation('relu')],
      ]),
    ],
    [
      'stage1',
      new Sequential([
        [
          'block0',
          new Residual({
            body: [
              [
                'conv1',
                new Conv2d({
                  inChannels: 4,
                  outChannels: 8,
                  kernelSize: 3,
                  strides: 2,
                  useBias: false,
                  seed: 2,
                }),
              ],
              ['bn1', new BatchNorm({ channels: 8 })],
            ],
            shortcut: new ZeroPadShortcut({ strides: 2, padBefore: 2, padAfter: 2 }),
            postActivation: 'relu',
          }),
        ],
      ]),
    ],
    [
      'mix',
      new Concat([
        ['a', new Conv2d({ inChannels: 8, outChannels: 2, kernelSize: 1, seed: 3 })],
        ['b', new MaxPool2d({ poolSize: 3, strides: 1, padding: 'same' })],
      ]),
    ],
    ['pool', new GlobalAvgPool()],
    ['drop', new Dropout({ rate: 0.1, seed: 4 })],
    ['fc', new Dense({ inUnits: 10, outUnits: 3, seed: 5 })],
  ]);
}

class Recorder {
  readonly events: TraceEvent[] = [];
  record(event: TraceEvent): void {
    this.events.push(event);
  }
}

describe('composition', () => {
  test('variables have hierarchical names', () => {
    const net = buildNet();
    expect([...net.namedParameters().keys()]).toEqual([
      'stem.conv.kernel',
      'stem.bn.gamma',
      'stem.bn.beta',
      'stage1.block0.conv1.kernel',
      'stage1.block0.bn1.gamma',
      'stage1.block0.bn1.beta',
      'mix.a.kernel',
      'mix.a.bias',
      'fc.kernel',
      'fc.bias',
    ]);
    expect([...net.namedBuffers().keys()]).toContain('stage1.block0.bn1.runningVar');
    expect((net.get('stage1') as Sequential).get('block0').path).toBe('stage1.block0');
    expect(() => net.get('nope')).toThrow(/no layer "nope"; layers: stem, stage1, mix, pool, drop, fc/);
    net.dispose();
  });

  test('the trace has one event per computation, connected by tensor ids, and does not change outputs', () => {
    const net = buildNet();
    const x = randomInput([2, 8, 8, 3]);
    const plain = net.apply(x);
    const recorder = new Recorder();
    const traced = net.apply(x, { trace: recorder });
    const ids = recorder.events.map((e) => e.inputs.map((t) => t.id));
    expectTensorsClose(traced, plain, 0);
    expect(recorder.events.map((e) => `${e.module.path}:${e.op}`)).toEqual([
      'stem.conv:conv2d',
      'stem.bn:batchNorm',
      'stem.relu:activation',
      'stage1.block0.conv1:conv2d',
      'stage1.block0.bn1:batchNorm',
      'stage1.block0.shortcut:pad',
      'stage1.block0:add',
      'stage1.block0.postActivation:activation',
      'mix.a:conv2d',
      'mix.b:maxPool',
      'mix:concat',
      'pool:globalAvgPool',
      'drop:dropout',
      'fc:dense',
    ]);
    const events = recorder.events;
    const outputIdOf = (i: number): number => (events[i] as TraceEvent).output.id;
    expect(ids[0]).toEqual([x.id]);
    expect(ids[5]).toEqual([outputIdOf(2)]); // the shortcut reads the block input
    expect(ids[6]).toEqual([outputIdOf(4), outputIdOf(5)]); // add(body, shortcut)
    expect(ids[10]).toEqual([outputIdOf(8), outputIdOf(9)]); // concat(a, b)
    expect(events[0]?.attrs).toEqual({
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: 'same',
      dilation: [1, 1],
      groups: 1,
      inChannels: 3,
      outChannels: 4,
      useBias: false,
    });
    expect(events[10]?.attrs).toEqual({ axis: 3 });
    expect(events[5]?.attrs).toEqual({ strides: [2, 2], channelPadding: [2, 2] });
    tf.dispose([x, plain, traced]);
    net.dispose();
  });

  test('Residual rejects a shortcut that does not match the body', () => {
    const block = new Residual({
      body: [['conv', new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 1 })]],
    });
    const x = tf.zeros([1, 2, 2, 2]);
    expect(() => block.apply(x)).toThrow(/body output \[1,2,2,4\] and shortcut output \[1,2,2,2\] differ/);
    expect(() => new Residual({ body: [['shortcut', new Activation('relu')]] })).toThrow(
      /"shortcut" is reserved/,
    );
    x.dispose();
    block.dispose();
  });

  test('clone deep-copies variables with the same names', () => {
    const net = buildNet();
    const copy = net.clone();
    const x = randomInput([2, 8, 8, 3]);
    expect([...copy.namedVariables().keys()]).toEqual([...net.namedVariables().keys()]);
    const y = net.apply(x);
    expectTensorsClose(copy.apply(x), y, 0);
    const kernel = copy.namedParameters().get('fc.kernel') as tf.Variable;
    kernel.assign(tf.zerosLike(kernel));
    expect(
      tf.sum(tf.abs(net.namedParameters().get('fc.kernel') as tf.Variable)).dataSync()[0],
    ).toBeGreaterThan(0);
    copy.dispose();
    expect(() => net.apply(x).dispose()).not.toThrow();
    tf.dispose([x, y]);
    net.dispose();
  });

  test('cloneWith replaces descendants by path and copies the rest', () => {
    const net = buildNet();
    const visited: string[] = [];
    const mapped = net.cloneWith((_child, path) => {
      visited.push(path);
      return path === 'fc' ? new Dense({ inUnits: 10, outUnits: 5, seed: 9 }) : undefined;
    });
    expect(visited).toContain('stage1.block0.conv1');
    expect(visited).toContain('stage1.block0.shortcut');
    expect(visited).toContain('mix.b');
    expect(mapped.namedParameters().get('fc.kernel')?.shape).toEqual([10, 5]);
    expect(mapped.namedParameters().get('stem.conv.kernel')).not.toBe(
      net.namedParameters().get('stem.conv.kernel'),
    );
    const x = randomInput([1, 8, 8, 3]);
    const y = mapped.apply(x);
    expect(y.shape).toEqual([1, 5]);
    tf.dispose([x, y]);
    mapped.dispose();
    net.dispose();
  });

  test('cloneModule rejects a module without clone()', () => {
    class Bare extends Activation {
      static override readonly className = 'Bare';
    }
    const bare = new Bare('relu') as Module;
    Object.defineProperty(bare, 'clone', { value: undefined });
    expect(() => cloneModule(bare)).toThrow('@automl-ts/core/cloneModule: Bare has no clone() method');
  });

  test('serializeModule round-trips through JSON to the same structure and names', () => {
    const net = buildNet();
    const json = JSON.parse(JSON.stringify(serializeModule(net)));
    const rebuilt = moduleFromConfig(json);
    expect(rebuilt.className).toBe('Sequential');
    expect([...rebuilt.namedVariables()].map(([n, v]) => [n, v.shape])).toEqual(
      [...net.namedVariables()].map(([n, v]) => [n, v.shape]),
    );
    const source = net.namedVariables();
    for (const [name, variable] of rebuilt.namedVariables()) variable.assign(source.get(name) as tf.Variable);
    const x = randomInput([2, 8, 8, 3]);
    expectTensorsClose(rebuilt.apply(x), net.apply(x), 1e-6);
    expect(serializeModule(rebuilt)).toEqual(serializeModule(net));
    tf.dispose(x);
    rebuilt.dispose();
    net.dispose();
  });

  test('moduleFromConfig names the unknown class and the registered ones', () => {
    expect(() => moduleFromConfig({ className: 'Nope', config: {} })).toThrow(
      /^@automl-ts\/core\/moduleFromConfig: unknown module class "Nope"; registered: Activation, AvgPool2d, BatchNorm/,
    );
    expect(moduleClasses.has('Conv2d')).toBe(true);
  });
});
