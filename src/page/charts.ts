// The loss chart: train and test loss, and the free energy estimate, against time t = kτ.
// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies) and
// distinct dashes, so the series never depend on colour alone.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface MetricRow {
  readonly step: number;
  readonly time: number;
  readonly train: number;
  readonly test: number | null;
  readonly freeEnergy: number | null;
  /** V − V(m*) where the stationary law m* is known, else null (or absent). */
  readonly energyGap?: number | null;
}

const OKABE_ITO = {
  blue: '#0072B2',
  vermillion: '#D55E00',
  green: '#009E73',
  black: '#000000',
} as const;

export class LossChart {
  private plot: uPlot | null = null;
  private logScale = false;
  private rows: readonly MetricRow[] = [];

  constructor(private readonly host: HTMLElement) {}

  setLogScale(on: boolean): void {
    this.logScale = on;
    this.plot?.destroy();
    this.plot = null;
    this.update(this.rows);
  }

  private create(): uPlot {
    const width = Math.max(320, Math.min(this.host.clientWidth || 640, 900));
    const options: uPlot.Options = {
      width,
      height: 300,
      scales: { x: { time: false }, y: this.logScale ? { distr: 3 } : {} },
      axes: [
        { label: 'time t = kτ (model time units)' },
        { label: 'F and V = F + σ²/2·H (units of the loss Φ)', size: 60 },
      ],
      series: [
        { label: 't = kτ' },
        { label: 'train loss', stroke: OKABE_ITO.blue, width: 2 },
        { label: 'test loss', stroke: OKABE_ITO.vermillion, width: 2, dash: [8, 4] },
        { label: 'free energy F + σ²/2·H', stroke: OKABE_ITO.green, width: 2, dash: [2, 3] },
        { label: 'V − V(m*)', stroke: OKABE_ITO.black, width: 2, dash: [8, 3, 2, 3] },
      ],
    };
    return new uPlot(options, [[], [], [], [], []], this.host);
  }

  update(rows: readonly MetricRow[]): void {
    this.rows = rows;
    this.plot ??= this.create();
    // A log scale cannot show values ≤ 0 (a free energy may be one): leave those gaps.
    const shown = (v: number | null): number | null =>
      v === null || !Number.isFinite(v) || (this.logScale && v <= 0) ? null : v;
    this.plot.setData([
      rows.map((r) => r.time),
      rows.map((r) => shown(r.train)),
      rows.map((r) => shown(r.test)),
      rows.map((r) => shown(r.freeEnergy)),
      rows.map((r) => shown(r.energyGap ?? null)),
    ] as uPlot.AlignedData);
  }

  resize(): void {
    const width = Math.max(320, Math.min(this.host.clientWidth || 640, 900));
    this.plot?.setSize({ width, height: 300 });
  }
}
