// A small SVG line plot: points and lines on log or linear axes, with round ticks
// (src/plot/ticks.ts) and a legend. Each series has its own marker and dash as well as its
// colour, so the figure reads in black and white. The output is a self-contained,
// well-formed SVG document.
import { linearTicks, logTicks, type Tick } from './ticks';

export type PlotMarker = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'dot' | 'none';
export type PlotDash = 'solid' | 'dashed' | 'dotted' | 'dashdot';

export interface PlotSeries {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  /** Markers only, a line only, or a line through markers. */
  readonly style: 'points' | 'line' | 'linepoints';
  readonly color: string;
  /** Default: by the series' index, so that no two series look alike in grey. */
  readonly marker?: PlotMarker;
  /** Default: by the series' index. */
  readonly dash?: PlotDash;
  /**
   * Separate polylines drawn in the series' line style instead of one through `points`
   * (contour lines, say); `points` then only marks.
   */
  readonly segments?: readonly (readonly (readonly [number, number])[])[];
}

export interface PlotSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly PlotSeries[];
  /** Logarithmic axes (default both); points not > 0 on a log axis are left out. */
  readonly xLog?: boolean;
  readonly yLog?: boolean;
}

const WIDTH = 640;
const HEIGHT = 420;
const MARGIN = { left: 80, right: 190, top: 40, bottom: 60 };
const MARKERS: readonly PlotMarker[] = ['circle', 'square', 'triangle', 'diamond', 'cross'];
const DASHES: readonly PlotDash[] = ['solid', 'dashed', 'dotted', 'dashdot'];
const DASH_ARRAY: Readonly<Record<PlotDash, string>> = {
  solid: '',
  dashed: '8 4',
  dotted: '2 3',
  dashdot: '8 3 2 3',
};
const MARKER_SIZE = 4;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Axis {
  readonly lo: number;
  readonly hi: number;
  readonly log: boolean;
}

/** The data's span with 5 % of room, in the axis' own (log10 or linear) coordinate. */
function axisOf(values: number[], log: boolean): Axis {
  const t = values.map((v) => (log ? Math.log10(v) : v));
  let lo = Math.min(...t);
  let hi = Math.max(...t);
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const pad = (hi - lo) * 0.05;
  return { lo: lo - pad, hi: hi + pad, log };
}

function axisTicks(axis: Axis): Tick[] {
  return axis.log ? logTicks(10 ** axis.lo, 10 ** axis.hi) : linearTicks(axis.lo, axis.hi);
}

const f = (v: number): string => v.toFixed(2);

/** A marker of `kind` centred at (x, y), outlined in `color` over white so lines show through. */
export function markerSvg(kind: PlotMarker, x: number, y: number, color: string): string {
  const r = MARKER_SIZE;
  const paint = `fill="white" stroke="${escapeXml(color)}" stroke-width="1.6"`;
  switch (kind) {
    case 'none':
      return '';
    case 'dot':
      return `<circle cx="${f(x)}" cy="${f(y)}" r="1.2" fill="${escapeXml(color)}"/>`;
    case 'circle':
      return `<circle cx="${f(x)}" cy="${f(y)}" r="${r}" ${paint}/>`;
    case 'square':
      return `<rect x="${f(x - r)}" y="${f(y - r)}" width="${2 * r}" height="${2 * r}" ${paint}/>`;
    case 'triangle':
      return `<path d="M${f(x)} ${f(y - r * 1.2)} L${f(x + r * 1.1)} ${f(y + r * 0.8)} L${f(x - r * 1.1)} ${f(y + r * 0.8)} Z" ${paint}/>`;
    case 'diamond':
      return `<path d="M${f(x)} ${f(y - r * 1.3)} L${f(x + r)} ${f(y)} L${f(x)} ${f(y + r * 1.3)} L${f(x - r)} ${f(y)} Z" ${paint}/>`;
    case 'cross':
      return `<path d="M${f(x - r)} ${f(y - r)} L${f(x + r)} ${f(y + r)} M${f(x - r)} ${f(y + r)} L${f(x + r)} ${f(y - r)}" fill="none" stroke="${escapeXml(color)}" stroke-width="1.8"/>`;
  }
}

function pathSvg(
  points: readonly (readonly [number, number])[],
  color: string,
  dash: PlotDash,
): string {
  const d = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${f(x)} ${f(y)}`).join(' ');
  const dashAttr = DASH_ARRAY[dash] ? ` stroke-dasharray="${DASH_ARRAY[dash]}"` : '';
  return `<path d="${d}" fill="none" stroke="${escapeXml(color)}" stroke-width="2"${dashAttr}/>`;
}

export function linePlotSvg(spec: PlotSpec): string {
  const xLog = spec.xLog ?? true;
  const yLog = spec.yLog ?? true;
  const usable = (x: number, y: number): boolean =>
    Number.isFinite(x) && Number.isFinite(y) && (!xLog || x > 0) && (!yLog || y > 0);
  const series = spec.series.map((s, index) => ({
    ...s,
    points: s.points.filter(([x, y]) => usable(x, y)),
    segments: (s.segments ?? []).map((segment) => segment.filter(([x, y]) => usable(x, y))),
    marker: s.style === 'line' ? 'none' : (s.marker ?? MARKERS[index % MARKERS.length]!),
    dash: s.dash ?? DASHES[index % DASHES.length]!,
  }));
  const all = series.flatMap((s) => [...s.points, ...s.segments.flat()]);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(spec.title)}</text>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 15}" text-anchor="middle">${escapeXml(spec.xLabel)}${xLog ? ' (log)' : ''}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}${yLog ? ' (log)' : ''}</text>`,
  ];
  if (all.length === 0) {
    parts.push(
      `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="black"/>`,
      `<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH / 2}" text-anchor="middle">no points to plot</text>`,
      '</svg>',
    );
    return parts.join('\n') + '\n';
  }
  const xAxis = axisOf(
    all.map(([x]) => x),
    xLog,
  );
  const yAxis = axisOf(
    all.map(([, y]) => y),
    yLog,
  );
  const sx = (x: number): number =>
    MARGIN.left + (((xLog ? Math.log10(x) : x) - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotW;
  const sy = (y: number): number =>
    MARGIN.top + plotH - (((yLog ? Math.log10(y) : y) - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotH;
  const bottom = MARGIN.top + plotH;
  // Grid lines at the labelled ticks first, so the data draws over them.
  for (const { value, label } of axisTicks(xAxis)) {
    const px = f(sx(value));
    const length = label ? 6 : 3;
    if (label) {
      parts.push(
        `<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${bottom}" stroke="#e4e4e4"/>`,
        `<text x="${px}" y="${bottom + 19}" text-anchor="middle">${escapeXml(label)}</text>`,
      );
    }
    parts.push(
      `<line x1="${px}" y1="${bottom}" x2="${px}" y2="${bottom + length}" stroke="black"/>`,
    );
  }
  for (const { value, label } of axisTicks(yAxis)) {
    const py = f(sy(value));
    const length = label ? 6 : 3;
    if (label) {
      parts.push(
        `<line x1="${MARGIN.left}" y1="${py}" x2="${MARGIN.left + plotW}" y2="${py}" stroke="#e4e4e4"/>`,
        `<text x="${MARGIN.left - 9}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(label)}</text>`,
      );
    }
    parts.push(
      `<line x1="${MARGIN.left - length}" y1="${py}" x2="${MARGIN.left}" y2="${py}" stroke="black"/>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="black"/>`,
  );
  series.forEach((s, index) => {
    const screen = s.points.map(([x, y]) => [sx(x), sy(y)] as const);
    if (s.style !== 'points' && screen.length >= 2 && s.segments.length === 0) {
      parts.push(pathSvg(screen, s.color, s.dash));
    }
    for (const segment of s.segments) {
      const onScreen = segment.map(([x, y]) => [sx(x), sy(y)] as const);
      if (onScreen.length >= 2) parts.push(pathSvg(onScreen, s.color, s.dash));
    }
    for (const [x, y] of screen) parts.push(markerSvg(s.marker, x, y, s.color));
    const ly = MARGIN.top + 10 + index * 20;
    const lx = WIDTH - MARGIN.right + 12;
    if (s.style !== 'points') {
      parts.push(
        pathSvg(
          [
            [lx, ly],
            [lx + 28, ly],
          ],
          s.color,
          s.dash,
        ),
      );
    }
    parts.push(
      markerSvg(s.marker, lx + 14, ly, s.color),
      `<text x="${lx + 36}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
