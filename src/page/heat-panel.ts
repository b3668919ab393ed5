// The particle heat map of the study page: two coordinates of the particles binned in 2-D
// (on the GPU on WebGPU, else from the read-back), with m*'s contours where it exists.
import type { ParticleHistogram } from '../gpu/histogram';
import { rangeFromMoments } from '../gpu/histogram';
import { drawHeatmap, HEATMAP_BINS, histogram2d } from './heatmap';
import type { ShownPoint } from './run-controller';
import { drawStationaryOverlay, stationaryLawFor } from './stationary-overlay';

const coordinateName = (j: number, d: number): string => (j === d - 1 ? 'c' : `α_${j + 1}`);

export class HeatPanel {
  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly xSelect: HTMLSelectElement,
    private readonly ySelect: HTMLSelectElement,
  ) {}

  clear(): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** The heat map of `point`; `gpuHistogram` bins on the device where there is one. */
  async draw(point: ShownPoint, gpuHistogram: ParticleHistogram | null): Promise<void> {
    const { sim, config, problem, moments, particles } = point;
    const d = sim.d;
    this.fillSelects(d);
    const xj = Number(this.xSelect.value);
    const yj = Number(this.ySelect.value);
    const range = rangeFromMoments(moments, xj, yj);
    let hist;
    if (gpuHistogram) {
      const { counts } = await gpuHistogram.compute(xj, yj, range);
      hist = { bins: gpuHistogram.bins, counts, xRange: range.x, yRange: range.y };
    } else if (particles) {
      hist = histogram2d(particles, sim.n, d, xj, yj, HEATMAP_BINS, range);
    } else {
      return;
    }
    drawHeatmap(this.canvas, hist, coordinateName(xj, d), coordinateName(yj, d));
    const law = stationaryLawFor(config, problem);
    if (law) drawStationaryOverlay(this.canvas, hist, law, xj, yj);
    this.canvas.dataset['stationary'] = law ? 'drawn' : 'none';
    this.canvas.setAttribute(
      'aria-label',
      `2-D histogram of ${sim.n} particles: ${coordinateName(yj, d)} against ${coordinateName(xj, d)} at step ${sim.step}`,
    );
  }

  private fillSelects(d: number): void {
    if (this.xSelect.options.length === d) return;
    for (const select of [this.xSelect, this.ySelect]) {
      select.replaceChildren();
      for (let j = 0; j < d; j++) select.add(new Option(coordinateName(j, d), String(j)));
    }
    this.xSelect.value = '0';
    this.ySelect.value = String(d - 1);
  }
}
