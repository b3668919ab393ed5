// The exact stationary law m* (SPEC §4, src/contract/stationary.ts) over the page's particle
// density, where it is known: particles of d = 2 (one input, no bias feature), a full batch
// and σ > 0. Contour lines of m* at fixed shares of its peak go over the histogram (d3-contour
// traces them on m*'s grid), and m*'s marginals over the histogram's marginal bars, each
// scaled as the bars are, to its own maximum.
import { contours } from 'd3-contour';
import type { RunConfig } from '../contract/config';
import type { Problem } from '../contract/simulation';
import { solveStationary, STATIONARY_DEFAULTS, type StationaryLaw } from '../contract/stationary';
import { HEATMAP_MARGIN, type Histogram2d } from './heatmap';

/** Contour levels as shares of m*'s peak density. */
const LEVELS = [0.1, 0.3, 0.5, 0.7, 0.9] as const;
const OVERLAY_COLOUR = '#ffffff';
const OUTLINE_COLOUR = '#000000';

let cachedKey = '';
let cachedLaw: StationaryLaw | null = null;

/** m* of the run `config` on `problem`, or null where it is not defined or not solved. */
export function stationaryLawFor(config: RunConfig, problem: Problem): StationaryLaw | null {
  const applies =
    problem.p === 1 && problem.train.count > 0 && config.batch === 'full' && config.sigma > 0;
  if (!applies || config.sigmaFinal !== null) return null;
  const { dataset, seed, sigma, priorStd, activation, loss, huberDelta } = config;
  const key = JSON.stringify({ dataset, seed, sigma, priorStd, activation, loss, huberDelta });
  if (key === cachedKey) return cachedLaw;
  cachedKey = key;
  try {
    cachedLaw = solveStationary(problem, {
      sigma,
      priorStd,
      activation,
      loss,
      huberDelta,
      gridPoints: STATIONARY_DEFAULTS.gridPoints,
      extent: STATIONARY_DEFAULTS.extentInPriorStd * priorStd,
      damping: STATIONARY_DEFAULTS.damping,
      tolerance: STATIONARY_DEFAULTS.tolerance,
      maxIterations: STATIONARY_DEFAULTS.maxIterations,
    });
  } catch {
    // A law the solver refuses (no convergence, mass at the grid's edge) is not drawn.
    cachedLaw = null;
  }
  return cachedLaw;
}

/**
 * Draws m* over the heat map `hist` already on `canvas`, whose x axis is coordinate `xj` and
 * y axis `yj` of the particles (0: α, 1: c).
 */
export function drawStationaryOverlay(
  canvas: HTMLCanvasElement,
  hist: Histogram2d,
  law: StationaryLaw,
  xj: number,
  yj: number,
): void {
  const ctx = canvas.getContext('2d');
  if (!ctx || xj === yj) return;
  const g = law.axis.length;
  const lo = law.axis[0]!;
  // values[row · g + column]: row along the heat map's y coordinate, column along its x.
  const values = new Float64Array(g * g);
  let peak = 0;
  for (let i = 0; i < g; i++) {
    for (let j = 0; j < g; j++) {
      const v = law.density[i * g + j]!;
      values[xj === 0 ? j * g + i : i * g + j] = v;
      peak = Math.max(peak, v);
    }
  }
  const M = HEATMAP_MARGIN;
  const plotW = canvas.width - M.left - M.right;
  const plotH = canvas.height - M.top - M.bottom;
  const [x0, x1] = hist.xRange;
  const [y0, y1] = hist.yRange;
  // d3-contour's coordinates are grid indices, with the cell k's centre at k + 0.5.
  const toValue = (k: number): number => lo + (k - 0.5) * law.spacing;
  const px = (k: number): number => M.left + ((toValue(k) - x0) / (x1 - x0)) * plotW;
  const py = (k: number): number => M.top + plotH - ((toValue(k) - y0) / (y1 - y0)) * plotH;

  ctx.save();
  ctx.beginPath();
  ctx.rect(M.left, M.top, plotW, plotH);
  ctx.clip();
  const levels = contours()
    .size([g, g])
    .thresholds(LEVELS.map((share) => share * peak))(Array.from(values));
  for (const level of levels) {
    ctx.beginPath();
    for (const polygon of level.coordinates) {
      for (const ring of polygon) {
        ring.forEach(([kx, ky], index) => {
          if (index === 0) ctx.moveTo(px(kx!), py(ky!));
          else ctx.lineTo(px(kx!), py(ky!));
        });
        ctx.closePath();
      }
    }
    // A dark outline under a light line reads over every colour of the viridis scale.
    ctx.strokeStyle = OUTLINE_COLOUR;
    ctx.lineWidth = 2.5;
    ctx.stroke();
    ctx.strokeStyle = OVERLAY_COLOUR;
    ctx.lineWidth = 1;
    ctx.stroke();
  }
  ctx.restore();

  // Marginals: the histogram's bars sit above (x) and to the right (y), each scaled to its
  // own maximum; m*'s marginal is drawn the same way, as a line.
  const marginal = (alongX: boolean): Float64Array => {
    const out = new Float64Array(g);
    for (let r = 0; r < g; r++) {
      for (let c = 0; c < g; c++) out[alongX ? c : r]! += values[r * g + c]!;
    }
    return out;
  };
  const drawMarginal = (alongX: boolean): void => {
    const m = marginal(alongX);
    const top = Math.max(...m);
    if (!(top > 0)) return;
    ctx.beginPath();
    let started = false;
    for (let k = 0; k < g; k++) {
      const u = lo + k * law.spacing;
      const [a0, a1] = alongX ? hist.xRange : hist.yRange;
      if (u < a0 || u > a1) continue;
      const along = (u - a0) / (a1 - a0);
      const size = (m[k]! / top) * (alongX ? M.top - 10 : M.right - 10);
      const x = alongX ? M.left + along * plotW : M.left + plotW + 4 + size;
      const y = alongX ? M.top - 4 - size : M.top + plotH - along * plotH;
      if (started) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      started = true;
    }
    ctx.strokeStyle = OUTLINE_COLOUR;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  };
  drawMarginal(true);
  drawMarginal(false);
}
