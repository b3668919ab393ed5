// The learned function f(z) = (1/n) Σ_i c_i φ(α_i·z) (SPEC §1) of a 1-D data set, drawn on a
// grid over the data's range against the training points. It is computed on the CPU from the
// particles the page already reads back at each log point (main.ts logPoint, for the entropy
// estimate), so it costs no readback of its own; past that readback's limit it is not drawn.
// Cost: GRID · n activations per chunk (n = 2^20 is about 10^8, a fraction of a second).
import type { RunConfig } from '../contract/config';
import { activation } from '../contract/model';
import type { Problem } from '../contract/simulation';
import { buildProblem } from '../data/datasets';
import { linearTicks } from '../plot/ticks';

/** Points of the grid f is evaluated on. */
export const FUNCTION_GRID = 96;

const COLORS = { data: '#0072B2', model: '#D55E00', axis: '#444', grid: '#e6e6e6' } as const;
const MARGIN = { left: 48, right: 12, top: 12, bottom: 34 } as const;

/** The input dimension of `config`'s data without the bias feature; 0 for no data. */
function rawDimension(config: RunConfig, problem: Problem): number {
  return problem.train.count === 0 ? 0 : problem.p - (config.bias ? 1 : 0);
}

/**
 * f on `grid` for particles `x` (rows [α_1 … α_p, c], n × d) of a model with one input and,
 * when `bias`, the bias feature 1 as its second.
 */
export function networkOnGrid(
  x: Float32Array,
  n: number,
  d: number,
  grid: readonly number[],
  phi: (u: number) => number,
  bias: boolean,
): Float64Array {
  const out = new Float64Array(grid.length);
  for (let i = 0; i < n; i++) {
    const a = x[i * d]!;
    const b = bias ? x[i * d + 1]! : 0;
    const c = x[i * d + d - 1]!;
    for (let g = 0; g < grid.length; g++) out[g]! += c * phi(a * grid[g]! + b);
  }
  for (let g = 0; g < grid.length; g++) out[g]! /= n;
  return out;
}

export class FunctionPlot {
  private problemKey = '';
  private problem: Problem | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly note: HTMLElement,
  ) {}

  clear(message = ''): void {
    const ctx = this.canvas.getContext('2d');
    if (ctx) {
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    }
    this.canvas.dataset['drawn'] = 'false';
    this.note.textContent = message;
  }

  /** Draws f for `config` from particles `x`, or says why not. */
  update(x: Float32Array | null, n: number, d: number, config: RunConfig): void {
    const problem = this.problemOf(config);
    if (rawDimension(config, problem) !== 1) {
      this.clear('f(z) is drawn for data sets with one input (sine, or dim 1).');
      return;
    }
    if (!x) {
      this.clear('f(z) is not drawn: the particles are not read back at this n.');
      return;
    }
    const p = problem.p;
    const z = (split: Problem['train']): number[] =>
      Array.from({ length: split.count }, (_, m) => split.z[m * p]!);
    const zs = z(problem.train);
    const lo = Math.min(...zs);
    const hi = Math.max(...zs);
    const grid = Array.from(
      { length: FUNCTION_GRID },
      (_, g) => lo + ((hi - lo) * g) / (FUNCTION_GRID - 1),
    );
    const f = networkOnGrid(x, n, d, grid, activation(config.activation).phi, config.bias);
    this.draw(zs, Array.from(problem.train.y), grid, Array.from(f));
    this.note.textContent = '';
    this.canvas.dataset['drawn'] = 'true';
    this.canvas.setAttribute(
      'aria-label',
      `network output f(z) of ${n} particles over ${FUNCTION_GRID} points against ${zs.length} training points`,
    );
  }

  private problemOf(config: RunConfig): Problem {
    const { dataset, seed, bias } = config;
    const key = JSON.stringify({ dataset, seed, bias });
    if (key !== this.problemKey || !this.problem) {
      this.problem = buildProblem(config);
      this.problemKey = key;
    }
    return this.problem;
  }

  private draw(zs: number[], ys: number[], grid: number[], f: number[]): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const { width, height } = this.canvas;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    const finite = [...ys, ...f].filter(Number.isFinite);
    let yLo = Math.min(...finite);
    let yHi = Math.max(...finite);
    const pad = (yHi - yLo) * 0.05 || 1;
    yLo -= pad;
    yHi += pad;
    const xLo = grid[0]!;
    const xHi = grid.at(-1)!;
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = height - MARGIN.top - MARGIN.bottom;
    const px = (v: number): number => MARGIN.left + ((v - xLo) / (xHi - xLo || 1)) * plotW;
    const py = (v: number): number => MARGIN.top + (1 - (v - yLo) / (yHi - yLo)) * plotH;

    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    if (yLo < 0 && yHi > 0) {
      ctx.beginPath();
      ctx.moveTo(MARGIN.left, py(0));
      ctx.lineTo(width - MARGIN.right, py(0));
      ctx.stroke();
    }
    ctx.strokeStyle = COLORS.axis;
    ctx.strokeRect(MARGIN.left, MARGIN.top, plotW, plotH);
    ctx.fillStyle = COLORS.axis;
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    for (const { value, label } of linearTicks(xLo, xHi)) {
      ctx.fillRect(px(value) - 0.5, height - MARGIN.bottom, 1, 4);
      ctx.fillText(label, px(value), height - MARGIN.bottom + 16);
    }
    ctx.fillText('z', MARGIN.left + plotW / 2, height - 4);
    ctx.textAlign = 'right';
    for (const { value, label } of linearTicks(yLo, yHi)) {
      ctx.fillRect(MARGIN.left - 4, py(value) - 0.5, 4, 1);
      ctx.fillText(label, MARGIN.left - 6, py(value) + 4);
    }

    ctx.fillStyle = COLORS.data;
    for (let m = 0; m < zs.length; m++) {
      ctx.beginPath();
      ctx.arc(px(zs[m]!), py(ys[m]!), 2.2, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.strokeStyle = COLORS.model;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    grid.forEach((g, i) => {
      const y = f[i]!;
      if (i === 0) ctx.moveTo(px(g), py(y));
      else ctx.lineTo(px(g), py(y));
    });
    ctx.stroke();

    ctx.textAlign = 'left';
    ctx.fillStyle = COLORS.data;
    ctx.fillText('● training points (z, y)', MARGIN.left + 8, MARGIN.top + 14);
    ctx.fillStyle = COLORS.model;
    ctx.fillText('— network f(z)', MARGIN.left + 8, MARGIN.top + 30);
  }
}
