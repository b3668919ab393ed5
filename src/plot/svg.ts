// A tiny SVG line plot: points and lines on log or linear axes, with ticks and labels.
// No dependencies; the output is a self-contained, well-formed SVG document.

export interface PlotSeries {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  /** Draw the points as dots, or join them with a line. */
  readonly style: 'points' | 'line';
  readonly color: string;
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
const MARGIN = { left: 80, right: 170, top: 40, bottom: 60 };
const TICKS = 5;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 4 significant digits, without trailing zeros. */
function tickLabel(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

interface Axis {
  readonly lo: number;
  readonly hi: number;
  readonly log: boolean;
}

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

/** Evenly spaced ticks in the axis' own (log or linear) coordinate. */
function ticks(axis: Axis): number[] {
  const out: number[] = [];
  for (let i = 0; i < TICKS; i++) {
    const t = axis.lo + ((axis.hi - axis.lo) * (i + 0.5)) / TICKS;
    out.push(axis.log ? 10 ** t : t);
  }
  return out;
}

export function linePlotSvg(spec: PlotSpec): string {
  const xLog = spec.xLog ?? true;
  const yLog = spec.yLog ?? true;
  const usable = (x: number, y: number): boolean =>
    Number.isFinite(x) && Number.isFinite(y) && (!xLog || x > 0) && (!yLog || y > 0);
  const series = spec.series.map((s) => ({
    ...s,
    points: s.points.filter(([x, y]) => usable(x, y)),
  }));
  const all = series.flatMap((s) => s.points);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(spec.title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="black"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 15}" text-anchor="middle">${escapeXml(spec.xLabel)}${xLog ? ' (log)' : ''}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}${yLog ? ' (log)' : ''}</text>`,
  ];
  if (all.length === 0) {
    parts.push(
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
  const f = (v: number): string => v.toFixed(2);
  for (const x of ticks(xAxis)) {
    const px = f(sx(x));
    const bottom = MARGIN.top + plotH;
    parts.push(
      `<line x1="${px}" y1="${bottom}" x2="${px}" y2="${bottom + 5}" stroke="black"/>`,
      `<text x="${px}" y="${bottom + 18}" text-anchor="middle">${tickLabel(x)}</text>`,
    );
  }
  for (const y of ticks(yAxis)) {
    const py = f(sy(y));
    parts.push(
      `<line x1="${MARGIN.left - 5}" y1="${py}" x2="${MARGIN.left}" y2="${py}" stroke="black"/>`,
      `<text x="${MARGIN.left - 8}" y="${py}" text-anchor="end" dominant-baseline="middle">${tickLabel(y)}</text>`,
    );
  }
  series.forEach((s, index) => {
    if (s.style === 'line' && s.points.length >= 2) {
      const path = s.points
        .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${f(sx(x))} ${f(sy(y))}`)
        .join(' ');
      parts.push(`<path d="${path}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="2"/>`);
    } else {
      for (const [x, y] of s.points) {
        parts.push(
          `<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="3.5" fill="${escapeXml(s.color)}"/>`,
        );
      }
    }
    const ly = MARGIN.top + 10 + index * 20;
    const lx = WIDTH - MARGIN.right + 15;
    parts.push(
      `<rect x="${lx}" y="${ly - 5}" width="12" height="10" fill="${escapeXml(s.color)}"/>`,
      `<text x="${lx + 18}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
