import { renderSvg } from '@automl-ts/report';
import { describe, expect, test } from 'vitest';
import { lossChart, resultsTable } from '../src/cli.js';
import { runQuickstart } from '../src/pipeline.js';

describe('quickstart pipeline', () => {
  test('trains, prunes for real, fine-tunes and exports an equivalent LayersModel', async () => {
    const lines: string[] = [];
    const report = await runQuickstart({
      backend: 'wasm',
      trainImages: 2048,
      testImages: 200,
      epochs: 2,
      fineTuneEpochs: 1,
      channels: 16,
      kernelCheckConfigs: 4,
      onProgress: (line) => lines.push(line),
    });
    expect(report.backend.name).toBe('wasm');
    // The wasm kernels agree with the cpu reference.
    expect(report.kernelCheck).toHaveLength(6);
    for (const row of report.kernelCheck) expect(row.maxRelativeError).toBeLessThan(1e-5);
    // Training lowers the loss and beats chance (10 classes) by far.
    const first = report.losses.slice(0, 4).reduce((a, b) => a + b, 0) / 4;
    const last =
      report.losses
        .slice(report.stepsBeforePruning - 4, report.stepsBeforePruning)
        .reduce((a, b) => a + b, 0) / 4;
    expect(last).toBeLessThan(first);
    expect(report.trained.testAccuracy).toBeGreaterThan(0.7);
    // The per-image outcomes the results file stores give the accuracy.
    expect(report.trained.testCorrect).toHaveLength(200);
    expect(report.trained.testCorrect.reduce((a, b) => a + b, 0) / 200).toBeCloseTo(
      report.trained.testAccuracy,
      12,
    );
    // Pruning half of every channel group removes real channels: fewer MACs and parameters.
    expect(report.pruned.macs).toBeLessThan(report.trained.macs * 0.5);
    expect(report.pruned.params).toBeLessThan(report.trained.params * 0.5);
    // The export is a stock LayersModel with the pruned module's outputs.
    expect(report.exported.layers.length).toBeGreaterThan(0);
    expect(report.exportMaxAbsDifference).toBeLessThan(1e-4);
    expect(lines.some((l) => l.startsWith('backend: wasm'))).toBe(true);
    report.exported.dispose();
  });

  test('the loss plot and the results table come from the reporting toolkit', async () => {
    const svg = await renderSvg(lossChart({ losses: [2, 1, 0.5, 0.6, 0.4], stepsBeforePruning: 3 }));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/mark-line role-mark/g)).toHaveLength(2);
    expect(svg).toContain('>fine-tune (pruned)</text>');
    const summary = { macs: 2.57e6, params: 28_600, latencyMs: 0.38, testAccuracy: 0.981, testCorrect: [] };
    expect(resultsTable({ trained: summary, pruned: { ...summary, testAccuracy: 0.9675 } }, 'markdown')).toBe(
      [
        '| model | test accuracy % | MACs (M) | params (k) | latency ms (batch 1, median) |',
        '|---|---:|---:|---:|---:|',
        '| conv4 trained | 98.10 | 2.570 | 28.6 | 0.380 |',
        '| pruned + fine-tuned | 96.75 | 2.570 | 28.6 | 0.380 |',
      ].join('\n'),
    );
  });
});
