// The sweep chart: mean final train loss against n on log–log axes with the fitted line, or
// final train loss and free energy against σ on linear axes. Okabe–Ito colours and distinct
// dashes, as in charts.ts.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SweepField, SweepFit } from '../study/sweep';

export interface SweepPoint {
  readonly value: number;
  readonly train: number | null;
  readonly freeEnergy: number | null;
}

const COLORS = { train: '#0072B2', fit: '#D55E00', energy: '#009E73' } as const;

export class SweepChart {
  private plot: uPlot | null = null;
  private over: SweepField | null = null;

  constructor(private readonly host: HTMLElement) {}

  private create(over: SweepField): uPlot {
    const width = Math.max(320, Math.min(this.host.clientWidth || 640, 900));
    const logLog = over === 'n';
    const series: uPlot.Series[] = logLog
      ? [
          { label: 'n' },
          {
            label: 'mean final train loss',
            stroke: COLORS.train,
            width: 2,
            points: { size: 8 },
          },
          { label: 'least-squares fit', stroke: COLORS.fit, width: 2, dash: [8, 4] },
        ]
      : [
          { label: 'σ' },
          {
            label: 'mean final train loss',
            stroke: COLORS.train,
            width: 2,
            points: { size: 8 },
          },
          {
            label: 'mean free energy F + σ²/2·H',
            stroke: COLORS.energy,
            width: 2,
            dash: [2, 3],
            points: { size: 8 },
          },
        ];
    const options: uPlot.Options = {
      width,
      height: 280,
      scales: logLog
        ? { x: { time: false, distr: 3 }, y: { distr: 3 } }
        : { x: { time: false }, y: {} },
      axes: [
        { label: logLog ? 'n (particles), log scale' : 'σ' },
        {
          label: logLog ? 'final train loss, log scale' : 'units of the loss Φ',
          size: 60,
        },
      ],
      series,
    };
    return new uPlot(options, [[], [], []], this.host);
  }

  update(over: SweepField, points: readonly SweepPoint[], fit: SweepFit | null): void {
    if (this.over !== over) {
      this.plot?.destroy();
      this.plot = this.create(over);
      this.over = over;
    }
    const sorted = [...points].sort((a, b) => a.value - b.value);
    const logLog = over === 'n';
    const shown = (v: number | null): number | null =>
      v === null || !Number.isFinite(v) || (logLog && v <= 0) ? null : v;
    const third = logLog
      ? sorted.map((p) => (fit ? Math.exp(fit.intercept + fit.slope * Math.log(p.value)) : null))
      : sorted.map((p) => shown(p.freeEnergy));
    this.plot!.setData([
      sorted.map((p) => p.value),
      sorted.map((p) => shown(p.train)),
      third,
    ] as uPlot.AlignedData);
  }

  clear(): void {
    this.plot?.destroy();
    this.plot = null;
    this.over = null;
  }
}
