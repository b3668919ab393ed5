// The particle density of two coordinates as a 2-D histogram, with both marginals, on a
// canvas. Counts come from the GPU kernel (src/gpu/histogram.ts) on WebGPU, else are binned
// here from read-back particles; the colour scale is
// viridis-like (perceptually ordered, readable with colour-blind vision), on log(1 + count).
// Axes carry round ticks (src/plot/ticks.ts).
import { linearTicks } from '../plot/ticks';

export const HEATMAP_BINS = 64;

/** Viridis at five stops, interpolated linearly. */
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;

function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!))) as [number, number, number];
}

export interface Histogram2d {
  readonly bins: number;
  /** Row-major `bins × bins`, row = y bin (from the bottom), column = x bin. */
  readonly counts: Uint32Array;
  readonly xRange: readonly [number, number];
  readonly yRange: readonly [number, number];
}

/** Range of a coordinate with a little room, never empty. */
function rangeOf(x: Float32Array, n: number, d: number, j: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i * d + j]!;
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi >= lo)) return [-1, 1];
  const pad = Math.max((hi - lo) * 0.05, 1e-6);
  return [lo - pad, hi + pad];
}

/**
 * The CPU histogram of read-back particles (the CPU backend's; the WebGPU one bins on the
 * GPU, src/gpu/histogram.ts). Without `range`, each axis spans its particles.
 */
export function histogram2d(
  x: Float32Array,
  n: number,
  d: number,
  xj: number,
  yj: number,
  bins = HEATMAP_BINS,
  range?: { readonly x: readonly [number, number]; readonly y: readonly [number, number] },
): Histogram2d {
  const xRange = range?.x ?? rangeOf(x, n, d, xj);
  const yRange = range?.y ?? rangeOf(x, n, d, yj);
  const counts = new Uint32Array(bins * bins);
  const sx = bins / (xRange[1] - xRange[0]);
  const sy = bins / (yRange[1] - yRange[0]);
  for (let i = 0; i < n; i++) {
    const bx = Math.floor((x[i * d + xj]! - xRange[0]) * sx);
    const by = Math.floor((x[i * d + yj]! - yRange[0]) * sy);
    if (bx >= 0 && bx < bins && by >= 0 && by < bins) counts[by * bins + bx]!++;
  }
  return { bins, counts, xRange, yRange };
}

export const HEATMAP_MARGIN = { left: 64, bottom: 40, top: 56, right: 56 } as const;
const MARGIN = HEATMAP_MARGIN;
const AXIS_COLOUR = '#222';

/** Draws the histogram, its marginals (top: x, right: y) and labelled axes. */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  hist: Histogram2d,
  xLabel: string,
  yLabel: string,
): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width, height } = canvas;
  const { bins, counts } = hist;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const cellW = plotW / bins;
  const cellH = plotH / bins;

  let max = 0;
  const xMarginal = new Float64Array(bins);
  const yMarginal = new Float64Array(bins);
  for (let by = 0; by < bins; by++) {
    for (let bx = 0; bx < bins; bx++) {
      const c = counts[by * bins + bx]!;
      max = Math.max(max, c);
      xMarginal[bx]! += c;
      yMarginal[by]! += c;
    }
  }
  const scale = Math.log1p(Math.max(max, 1));
  for (let by = 0; by < bins; by++) {
    for (let bx = 0; bx < bins; bx++) {
      const c = counts[by * bins + bx]!;
      const [r, g, b] = c === 0 ? [246, 246, 246] : viridis(Math.log1p(c) / scale);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      const left = MARGIN.left + bx * cellW;
      const top = MARGIN.top + plotH - (by + 1) * cellH;
      ctx.fillRect(left, top, Math.ceil(cellW), Math.ceil(cellH));
    }
  }

  // Marginals: bars above (x) and to the right (y), scaled to their own maximum.
  const marginalSize = MARGIN.top - 10;
  const xMax = Math.max(...xMarginal, 1);
  const yMax = Math.max(...yMarginal, 1);
  ctx.fillStyle = '#0072B2';
  for (let b = 0; b < bins; b++) {
    const hx = (xMarginal[b]! / xMax) * marginalSize;
    ctx.fillRect(MARGIN.left + b * cellW, MARGIN.top - 4 - hx, Math.ceil(cellW), hx);
    const hy = (yMarginal[b]! / yMax) * (MARGIN.right - 10);
    ctx.fillRect(
      MARGIN.left + plotW + 4,
      MARGIN.top + plotH - (b + 1) * cellH,
      hy,
      Math.ceil(cellH),
    );
  }

  ctx.strokeStyle = AXIS_COLOUR;
  ctx.strokeRect(MARGIN.left, MARGIN.top, plotW, plotH);
  ctx.fillStyle = AXIS_COLOUR;
  ctx.font = '12px system-ui, sans-serif';
  ctx.textAlign = 'center';
  const [x0, x1] = hist.xRange;
  const [y0, y1] = hist.yRange;
  const bottom = MARGIN.top + plotH;
  for (const { value, label } of linearTicks(x0, x1)) {
    const px = MARGIN.left + ((value - x0) / (x1 - x0)) * plotW;
    ctx.fillRect(px - 0.5, bottom, 1, 4);
    ctx.fillText(label, px, bottom + 16);
  }
  ctx.fillText(xLabel, MARGIN.left + plotW / 2, height - 6);
  ctx.textAlign = 'right';
  for (const { value, label } of linearTicks(y0, y1)) {
    const py = bottom - ((value - y0) / (y1 - y0)) * plotH;
    ctx.fillRect(MARGIN.left - 4, py - 0.5, 4, 1);
    ctx.fillText(label, MARGIN.left - 6, py + 4);
  }
  ctx.save();
  ctx.translate(12, MARGIN.top + plotH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
}
