import { describe, expect, test } from 'vitest';
import { runQuickstart } from '../src/pipeline.js';
import { lineChartSvg } from '../src/svg-chart.js';

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
    // Pruning half of every channel group removes real channels: fewer MACs and parameters.
    expect(report.pruned.macs).toBeLessThan(report.trained.macs * 0.5);
    expect(report.pruned.params).toBeLessThan(report.trained.params * 0.5);
    // The export is a stock LayersModel with the pruned module's outputs.
    expect(report.exported.layers.length).toBeGreaterThan(0);
    expect(report.exportMaxAbsDifference).toBeLessThan(1e-4);
    expect(lines.some((l) => l.startsWith('backend: wasm'))).toBe(true);
    report.exported.dispose();
  });

  test('the loss plot is a standalone SVG with one path per series', () => {
    const svg = lineChartSvg('loss <test>', 'step', 'loss', [
      {
        name: 'a',
        points: [
          [0, 2],
          [1, 1],
          [2, 0.5],
        ],
      },
      {
        name: 'b',
        points: [
          [2, 0.6],
          [3, 0.4],
        ],
      },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('loss &lt;test&gt;');
  });
});
