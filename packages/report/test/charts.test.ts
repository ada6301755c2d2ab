import {
  errorBarChart,
  lineChart,
  paretoChart,
  paretoFront,
  renderSvg,
  scatterChart,
} from '@automl-ts/report';
import { describe, expect, test } from 'vitest';

const count = (svg: string, pattern: RegExp) => (svg.match(pattern) ?? []).length;

describe('charts render to SVG in Node', () => {
  test('line chart: one line per series, a band, dotted reference lines with labels, escaped text', async () => {
    const svg = await renderSvg(
      lineChart({
        title: 'accuracy <test> & more',
        x: { title: 'minutes' },
        y: { title: 'accuracy', format: '.0%' },
        series: [
          {
            name: 'a',
            points: [
              { x: 0, y: 0.5, lower: 0.4, upper: 0.6 },
              { x: 1, y: 0.7, lower: 0.6, upper: 0.8 },
            ],
          },
          {
            name: 'b',
            dashed: true,
            markers: false,
            points: [
              { x: 0, y: 0.3 },
              { x: 1, y: 0.4 },
            ],
          },
          { name: 'c', mark: 'points', points: [{ x: 0.5, y: 0.6, lower: 0.55, upper: 0.65 }] },
        ],
        references: [{ y: 0.9, label: 'published 90%', series: 'a' }],
      }),
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('accuracy &lt;test&gt; &amp; more');
    expect(svg).toContain('published 90%');
    expect(svg).toContain('>90%<');
    expect(count(svg, /mark-line role-mark/g)).toBe(2);
    expect(count(svg, /mark-area role-mark/g)).toBe(1);
    expect(svg).toContain('stroke-dasharray="2,3"');
    expect(svg).toContain('stroke-dasharray="5,3"');
    for (const name of ['a', 'b', 'c']) expect(svg).toContain(`>${name}</text>`);
  });

  test('scatter chart labels each point; error bars; bad input named', async () => {
    const svg = await renderSvg(
      scatterChart({
        title: 's',
        x: { title: 'MACs' },
        y: { title: 'acc' },
        points: [
          { x: 1, y: 2, label: 'first' },
          { x: 2, y: 3, label: 'second' },
        ],
      }),
    );
    expect(svg).toContain('>first</text>');
    expect(svg).toContain('>second</text>');
    const bars = await renderSvg(
      errorBarChart({
        title: 'seeds',
        xTitle: 'algorithm',
        y: { title: 'accuracy' },
        items: [{ label: 'protonet', mean: 0.9, lower: 0.85, upper: 0.95 }],
      }),
    );
    expect(bars).toContain('>protonet</text>');
    expect(() => lineChart({ title: 't', x: { title: 'x' }, y: { title: 'y' }, series: [] })).toThrow(
      '@automl-ts/report/lineChart: series is empty',
    );
    expect(() =>
      errorBarChart({
        title: 't',
        xTitle: 'x',
        y: { title: 'y' },
        items: [{ label: 'a', mean: 1, lower: 2, upper: 3 }],
      }),
    ).toThrow('@automl-ts/report/errorBarChart: item "a": expected lower <= mean <= upper, got 2, 1, 3');
  });

  test('the Pareto front is exactly the non-dominated set (random point clouds)', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let trial = 0; trial < 30; trial++) {
      const points = Array.from({ length: 3 + Math.floor(random() * 30) }, () => ({
        x: Math.round(random() * 20),
        y: Math.round(random() * 20),
      }));
      const front = paretoFront(points);
      for (const p of points) {
        const dominated = points.some((q) => q.x <= p.x && q.y >= p.y && (q.x < p.x || q.y > p.y));
        expect(front.includes(p)).toBe(!dominated);
      }
      for (let i = 1; i < front.length; i++)
        expect((front[i] as { x: number }).x).toBeGreaterThanOrEqual((front[i - 1] as { x: number }).x);
    }
    const svg = await renderSvg(
      paretoChart({
        title: 'front',
        x: { title: 'latency' },
        y: { title: 'accuracy' },
        points: [
          { x: 1, y: 0.5, label: 'fast' },
          { x: 2, y: 0.4, label: 'dominated' },
          { x: 3, y: 0.9, label: 'accurate' },
        ],
      }),
    );
    expect(svg).toContain('>fast</text>');
    expect(svg).toContain('>accurate</text>');
    expect(svg).not.toContain('>dominated</text>');
  });
});
