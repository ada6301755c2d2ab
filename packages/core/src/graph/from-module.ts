import * as tf from '@tensorflow/tfjs';
import { AutomlError, describeValue } from '../internal/errors.js';
import type { ArchValues, Module } from '../nn/module.js';
import type { TraceEvent, TraceRecorder } from '../nn/trace.js';
import { sameShape } from './from-layers-model.js';
import { inferLayer, type LayerCost } from './layer-math.js';
import type { LayerNode, LayerSettings, LayerShape, SpatialPadding } from './types.js';

const SOURCE = '@automl-ts/core/NetworkGraph.fromModule';

/** The name of the input node of a traced module. */
export const MODULE_INPUT_NAME = 'input';

/** A traced module: nodes in execution order and the module behind each. */
export interface TracedModule {
  readonly nodes: readonly LayerNode[];
  readonly modules: ReadonlyMap<string, Module>;
  readonly output: string;
}

type Attrs = Readonly<Record<string, unknown>>;

function pairAttr(attrs: Attrs, key: string, fallback: number, fail: (m: string) => AutomlError) {
  const value = attrs[key] ?? fallback;
  if (typeof value === 'number') return [value, value] as const;
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    return [value[0] as number, value[1] as number] as const;
  }
  throw fail(`attribute ${key} must be a number or a pair, got ${describeValue(value)}`);
}

function paddingAttr(attrs: Attrs, fail: (m: string) => AutomlError): SpatialPadding {
  const value = attrs['padding'] ?? 'valid';
  if (value === 'same' || value === 'valid') return value;
  if (typeof value === 'number') {
    return [
      [value, value],
      [value, value],
    ];
  }
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number'))
  ) {
    const [rows, cols] = value as [[number, number], [number, number]];
    return [
      [rows[0], rows[1]],
      [cols[0], cols[1]],
    ];
  }
  throw fail(`attribute padding ${describeValue(value)} is not supported`);
}

function numberAttr(attrs: Attrs, key: string, fail: (m: string) => AutomlError): number {
  const value = attrs[key];
  if (typeof value !== 'number') throw fail(`attribute ${key} must be a number, got ${describeValue(value)}`);
  return value;
}

/** Graph settings from one trace event. */
function eventSettings(event: TraceEvent, fail: (m: string) => AutomlError): LayerSettings {
  const { attrs } = event;
  switch (event.op) {
    case 'conv2d': {
      const groups = (attrs['groups'] as number | undefined) ?? 1;
      const inChannels = numberAttr(attrs, 'inChannels', fail);
      const outChannels = numberAttr(attrs, 'outChannels', fail);
      const activation = attrs['activation'];
      return {
        op: 'conv2d',
        kernelSize: pairAttr(attrs, 'kernelSize', 1, fail),
        strides: pairAttr(attrs, 'strides', 1, fail),
        padding: paddingAttr(attrs, fail),
        dilation: pairAttr(attrs, 'dilation', 1, fail),
        groups,
        inChannels,
        outChannels,
        useBias: attrs['useBias'] === true,
        ...(groups === inChannels && groups > 1 ? { depthMultiplier: outChannels / inChannels } : {}),
        ...(typeof activation === 'string' && activation !== 'linear' ? { activation } : {}),
      };
    }
    case 'dense': {
      const activation = attrs['activation'];
      return {
        op: 'dense',
        inChannels: numberAttr(attrs, 'inUnits', fail),
        outChannels: numberAttr(attrs, 'outUnits', fail),
        useBias: attrs['useBias'] === true,
        ...(typeof activation === 'string' && activation !== 'linear' ? { activation } : {}),
      };
    }
    case 'batchNorm':
      return {
        op: 'batchNorm',
        ...(typeof attrs['epsilon'] === 'number' ? { epsilon: attrs['epsilon'] } : {}),
        center: attrs['center'] !== false,
        scale: attrs['scale'] !== false,
      };
    case 'activation': {
      const kind = attrs['kind'];
      if (typeof kind !== 'string') throw fail(`attribute kind must be a string, got ${describeValue(kind)}`);
      return {
        op: 'activation',
        activation: kind,
        ...(typeof attrs['alpha'] === 'number' ? { alpha: attrs['alpha'] } : {}),
      };
    }
    case 'maxPool':
    case 'avgPool': {
      const kernelSize = pairAttr(attrs, 'poolSize', 2, fail);
      const strides = attrs['strides'] === undefined ? kernelSize : pairAttr(attrs, 'strides', 1, fail);
      return { op: event.op, kernelSize, strides, padding: paddingAttr(attrs, fail) };
    }
    case 'globalAvgPool':
    case 'flatten':
    case 'add':
    case 'mul':
    case 'identity':
      return { op: event.op };
    case 'dropout':
      return { op: 'dropout', ...(typeof attrs['rate'] === 'number' ? { rate: attrs['rate'] } : {}) };
    case 'concat': {
      const axis = attrs['axis'] ?? -1;
      const rank = event.output.rank;
      if (axis !== -1 && axis !== rank - 1) {
        throw fail(
          `concatenation along axis ${describeValue(axis)} is not supported: only the channel (last) axis is`,
        );
      }
      return { op: 'concat' };
    }
    case 'pad':
      return padSettings(event, fail);
  }
}

/**
 * Zero padding of a `pad` event, `[[top, bottom], [left, right], [before, after]]`: from an
 * explicit `paddings` attribute (optionally with a leading batch pair) or from `channelPadding`
 * (the ResNet option-A shortcut, which may also subsample with `strides`).
 */
function padSettings(event: TraceEvent, fail: (m: string) => AutomlError): LayerSettings {
  const asPair = (value: unknown): readonly [number, number] | undefined =>
    Array.isArray(value) && value.length === 2 && value.every((v) => Number.isInteger(v) && v >= 0)
      ? [value[0] as number, value[1] as number]
      : undefined;
  const strides =
    event.attrs['strides'] === undefined ? {} : { strides: pairAttr(event.attrs, 'strides', 1, fail) };
  const channelPadding = event.attrs['channelPadding'];
  if (channelPadding !== undefined) {
    const channels = asPair(channelPadding);
    if (channels === undefined) {
      throw fail(`attribute channelPadding must be [before, after], got ${describeValue(channelPadding)}`);
    }
    return { op: 'pad', ...strides, paddings: [[0, 0], [0, 0], channels] };
  }
  const raw = event.attrs['paddings'];
  const pairs = Array.isArray(raw) ? raw.map(asPair) : [];
  const batchFree = pairs.length === 4 && pairs[0]?.every((v) => v === 0) ? pairs.slice(1) : pairs;
  const [rows, cols, channels] = batchFree;
  if (batchFree.length !== 3 || rows === undefined || cols === undefined || channels === undefined) {
    throw fail(
      `a pad event needs attribute paddings [[top, bottom], [left, right], [before, after]] or channelPadding, got ${describeValue(event.attrs)}`,
    );
  }
  return { op: 'pad', ...strides, paddings: [rows, cols, channels] };
}

class EventCollector implements TraceRecorder {
  readonly events: Array<{
    readonly event: TraceEvent;
    readonly inputIds: readonly number[];
    readonly inputShapes: readonly LayerShape[];
    readonly outputId: number;
    readonly outputShape: LayerShape;
  }> = [];

  record(event: TraceEvent): void {
    this.events.push({
      event,
      inputIds: event.inputs.map((t) => t.id),
      inputShapes: event.inputs.map((t) => t.shape.slice(1)),
      outputId: event.output.id,
      outputShape: event.output.shape.slice(1),
    });
  }
}

/**
 * Runs `module` once on zeros of shape `[1, ...inputShape]` with a trace recorder and turns the
 * events into graph nodes; tensor ids link each consumer to the latest producer of its input.
 */
export function traceModule(
  module: Module,
  inputShape: LayerShape,
  arch: ArchValues | undefined,
): TracedModule {
  const collector = new EventCollector();
  const x = tf.zeros([1, ...inputShape]);
  let outputId: number;
  try {
    const y = module.apply(x, { trace: collector, ...(arch === undefined ? {} : { arch }) });
    outputId = y.id;
    y.dispose();
  } finally {
    x.dispose();
  }

  const nodes: LayerNode[] = [
    {
      op: 'input',
      name: MODULE_INPUT_NAME,
      className: 'Input',
      inputs: [],
      inputShapes: [],
      outputShape: [...inputShape],
      macs: 0,
      params: 0,
    },
  ];
  const modules = new Map<string, Module>();
  const producerOf = new Map<number, string>([[x.id, MODULE_INPUT_NAME]]);
  const shapes = new Map<string, LayerShape>([[MODULE_INPUT_NAME, [...inputShape]]]);
  const useCount = new Map<string, number>();

  for (const { event, inputIds, inputShapes, outputId: producedId, outputShape } of collector.events) {
    const base = event.module.path === '' ? event.module.className : event.module.path;
    const seen = useCount.get(base) ?? 0;
    useCount.set(base, seen + 1);
    const name = seen === 0 ? base : `${base}#${seen}`;
    const fail = (message: string): AutomlError =>
      new AutomlError(SOURCE, `layer "${name}" (${event.module.className}, ${event.op}): ${message}`);
    const inputs = inputIds.map((id, i) => {
      const producer = producerOf.get(id);
      if (producer === undefined) {
        throw fail(
          `input ${i} (shape [${inputShapes[i]}]) was produced by no traced layer; every op between layers must report itself to the trace`,
        );
      }
      return producer;
    });
    const settings = eventSettings(event, fail);
    let cost: LayerCost;
    try {
      cost = inferLayer(SOURCE, name, settings, inputShapes);
    } catch (error) {
      throw fail(`its settings do not match the traced shapes: ${(error as Error).message}`);
    }
    if (!sameShape(cost.outputShape, outputShape)) {
      throw fail(`computed output shape [${cost.outputShape}] differs from the traced [${outputShape}]`);
    }
    nodes.push({
      ...settings,
      name,
      className: event.module.className,
      inputs,
      inputShapes: inputs.map((input) => shapes.get(input) as LayerShape),
      outputShape,
      macs: cost.macs,
      params: cost.params,
    });
    modules.set(name, event.module);
    shapes.set(name, outputShape);
    producerOf.set(producedId, name);
  }

  const output = producerOf.get(outputId);
  if (output === undefined) {
    throw new AutomlError(
      SOURCE,
      `the output of ${module.className} was produced by no traced layer; every op must report itself to the trace`,
    );
  }
  return { nodes, modules, output };
}
