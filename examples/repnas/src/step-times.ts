// Training step time of each form on the current backend, for sizing the real runs.
import { crossEntropy, namedGradients, SGD } from '@automl-ts/core';
import { createRepNet, type RepNetForm, repBlocksOf, repnasSearch } from '@automl-ts/rep-blocks';
import { formatTable } from '@automl-ts/report';
import * as tf from '@tensorflow/tfjs';
import { createBatchAt, type DataOptions, loadPipelineData } from './data.js';

/** Options of {@link measureStepTimes}. */
export interface StepTimeOptions {
  readonly forms: readonly RepNetForm[];
  readonly size: string;
  readonly batchSize: number;
  readonly steps: number;
  readonly data: DataOptions;
  readonly log: (line: string) => void;
}

/**
 * Median wall milliseconds of one training step per form (3 warm-up steps excluded). ODBB is timed
 * in each RepNAS phase (warm-up/search sample budget-many branches; search also updates α) and
 * reported as the whole run's mean over the default fractions.
 */
export async function measureStepTimes(options: StepTimeOptions): Promise<Record<string, number>> {
  const data = await loadPipelineData(options.data);
  const { batchAt, stepsPerEpoch } = createBatchAt(data, options.batchSize, 0);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const out: Record<string, number> = {};
  for (const form of options.forms) {
    const net = createRepNet({ size: options.size, form, numClasses: data.numClasses, seed: 0 });
    const times: number[] = [];
    let last = performance.now();
    if (form === 'odbb') {
      // Time a short search with the same fractions; phases over the run: 10 % warm-up, 23 % search, 67 % fixed.
      const total = Math.max(30, options.steps * 3);
      const phaseTimes: Record<string, number[]> = { warmup: [], search: [], fixed: [] };
      await repnasSearch(
        {
          net,
          batchAt,
          onStep: (e) => {
            const now = performance.now();
            phaseTimes[e.phase]?.push(now - last);
            last = now;
          },
        },
        { totalSteps: total, budget: 2 * repBlocksOf(net).length },
      );
      const m = (p: string) => median((phaseTimes[p] ?? []).slice(2));
      out[form] = 0.1 * m('warmup') + 0.23 * m('search') + 0.67 * m('fixed');
      options.log(
        `odbb phases: warm-up ${m('warmup').toFixed(1)} ms, search ${m('search').toFixed(1)} ms, fixed ${m('fixed').toFixed(1)} ms`,
      );
    } else {
      const parameters = net.namedParameters();
      const sgd = new SGD(parameters, { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
      for (let step = 0; step < options.steps + 3; step++) {
        const batch = batchAt(step);
        const { value, gradients } = namedGradients(
          () => tf.tidy(() => crossEntropy(net.apply(batch.x, { training: true }), batch.labels)),
          parameters,
        );
        sgd.step(gradients);
        value.dataSync();
        tf.dispose([value, ...gradients.values(), batch.x, batch.labels]);
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      sgd.dispose();
      out[form] = median(times.slice(3));
    }
    net.dispose();
  }
  const rows = Object.entries(out).map(([form, ms]) => ({ form, ms }));
  options.log(
    formatTable(
      [
        { title: 'form', value: (r: (typeof rows)[number]) => r.form },
        { title: `step ms (batch ${options.batchSize})`, value: (r) => r.ms.toFixed(1) },
        { title: 'steps/epoch', value: () => String(stepsPerEpoch) },
        { title: 'minutes/epoch', value: (r) => ((r.ms * stepsPerEpoch) / 60_000).toFixed(1) },
      ],
      rows,
      'terminal',
    ),
  );
  return out;
}
