import { describe, expect, it } from 'vitest';
import { linePlotSvg } from '../../src/plot/svg';
import { formatTick, linearTicks, logTicks } from '../../src/plot/ticks';

const labelled = (ticks: { value: number; label: string }[]): string[] =>
  ticks.filter((t) => t.label !== '').map((t) => t.label);

describe('round axis ticks', () => {
  it.each([
    // The page's density map once read −0.00240, 0.00103.
    [-0.0024, 0.00103, ['-0.002', '-0.0015', '-0.001', '-0.0005', '0', '0.0005', '0.001']],
    [-3.2, 3.7, ['-3', '-2', '-1', '0', '1', '2', '3']],
    [0, 1, ['0', '0.2', '0.4', '0.6', '0.8', '1']],
    // The sweep's n axis once read 82.14, 205.1, 3191.
    [82.14, 3191, ['500', '1000', '1500', '2000', '2500', '3000']],
  ])('linear [%d, %d] has round steps %j', (lo, hi, expected) => {
    expect(labelled(linearTicks(lo, hi))).toEqual(expected);
  });

  it.each([
    [60, 70000, ['100', '1000', '10000']],
    [1e-6, 1, ['1e-6', '1e-5', '0.0001', '0.001', '0.01', '0.1', '1']],
    [0.5, 20, ['0.5', '1', '2', '5', '10', '20']],
    [30, 600, ['50', '100', '200', '500']],
    [0.22, 0.52, ['0.3', '0.4', '0.5']],
    // Inside one decade (the sweep's loss axis once read 0.02461 … 0.02748): round steps.
    [0.02461, 0.02748, ['0.025', '0.0255', '0.026', '0.0265', '0.027']],
  ])('log [%d, %d] labels %j', (lo, hi, expected) => {
    expect(labelled(logTicks(lo, hi))).toEqual(expected);
  });

  it('marks the multiples between labelled decades as minor ticks', () => {
    const ticks = logTicks(60, 70000);
    const minor = ticks.filter((t) => t.label === '').map((t) => t.value);
    expect(minor).toContain(200);
    expect(minor).toContain(5000);
    expect(ticks.every((t) => t.value >= 60 && t.value <= 70000)).toBe(true);
  });

  it.each([
    [0.1 + 0.2, '0.3'],
    [65536, '65536'],
    [250000, '2.5e5'],
    [0.00002, '2e-5'],
    [-0.0005, '-0.0005'],
  ])('formats %d as %s', (value, text) => {
    expect(formatTick(value)).toBe(text);
  });
});

describe('the SVG line plot', () => {
  const svg = linePlotSvg({
    title: 'loss against n',
    xLabel: 'n',
    yLabel: 'loss',
    series: [
      {
        label: 'runs',
        style: 'points',
        color: '#888',
        points: [
          [64, 0.02461],
          [4096, 0.02748],
        ],
      },
      {
        label: 'mean',
        style: 'linepoints',
        color: '#888',
        points: [
          [64, 0.025],
          [4096, 0.027],
        ],
      },
      {
        label: 'fit',
        style: 'line',
        color: '#888',
        points: [
          [64, 0.025],
          [4096, 0.0271],
        ],
      },
    ],
  });

  it('puts round tick labels on both axes', () => {
    const labels = [...svg.matchAll(/>([-0-9.e]+)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(expect.arrayContaining(['100', '1000', '0.025', '0.026', '0.027']));
    expect(labels).not.toContain('82.14');
  });

  it('tells series of one colour apart by marker and dash', () => {
    // runs: circles; mean: squares on a dashed line; fit: a dotted line without markers.
    expect(svg).toMatch(/<circle/);
    expect(svg).toMatch(/<rect x="[\d.]+" y="[\d.]+" width="8" height="8"/);
    expect(svg).toContain('stroke-dasharray="8 4"');
    expect(svg).toContain('stroke-dasharray="2 3"');
  });

  it('draws each segment of a series as its own path (contour lines)', () => {
    const rings = linePlotSvg({
      title: 'contours',
      xLabel: 'α',
      yLabel: 'c',
      xLog: false,
      yLog: false,
      series: [
        {
          label: 'two rings',
          style: 'line',
          color: '#000',
          points: [],
          segments: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
            [
              [2, 2],
              [3, 2],
              [3, 3],
              [2, 2],
            ],
          ],
        },
      ],
    });
    // Two rings and the legend's sample line; the axes span both rings.
    expect(rings.match(/<path/g)).toHaveLength(3);
    expect(rings).toContain('>3</text>');
  });
});
