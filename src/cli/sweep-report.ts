// What `mfld sweep` prints and plots: a run's line, the SVG of the final loss against the
// swept value, and the table of the mean-field gap of an n-sweep.
import { linePlotSvg, type PlotSeries } from '../plot/svg';
import type { GapFit, MeanFieldGap } from '../study/mean-field-gap';
import type { SweepField, SweepFit, SweepRun, sweepMeans } from '../study/sweep';
import { formatValue } from './output';

export function describeRun(run: SweepRun): string {
  if (run.status === 'diverged') return `diverged at step ${run.steps}`;
  const test = run.test === null ? '' : ` (test ${formatValue(run.test)})`;
  const train = run.train === null ? '-' : formatValue(run.train);
  return `train loss ${train}${test}  ${formatValue(run.seconds)} s`;
}

export function sweepSvg(
  over: SweepField,
  runs: readonly SweepRun[],
  means: ReturnType<typeof sweepMeans>,
  fit: SweepFit | { error: string } | null,
): string {
  const series: PlotSeries[] = [
    {
      label: 'runs',
      style: 'points',
      color: '#778',
      marker: 'circle',
      points: runs.flatMap((run) => (run.train === null ? [] : [[run.value, run.train] as const])),
    },
    {
      label: 'mean',
      style: 'linepoints',
      color: '#1f5fa8',
      marker: 'square',
      dash: 'solid',
      points: means.flatMap((m) => (m.train === null ? [] : [[m.value, m.train] as const])),
    },
  ];
  if (fit && 'slope' in fit) {
    const xs = means.map((m) => m.value);
    const line = (x: number): readonly [number, number] => [
      x,
      Math.exp(fit.intercept + fit.slope * Math.log(x)),
    ];
    series.push({
      label: `fit: slope ${formatValue(fit.slope)}`,
      style: 'line',
      color: '#d0452b',
      dash: 'dashed',
      points: [line(Math.min(...xs)), line(Math.max(...xs))],
    });
  }
  return linePlotSvg({
    title: `final train loss against ${over}`,
    xLabel: over === 'n' ? 'n (particles)' : 'σ',
    yLabel: 'final train loss',
    series,
    // σ may be 0: a linear axis for it.
    xLog: over === 'n',
    yLog: true,
  });
}

const withError = (value: number | null, stdError: number | null): string =>
  value === null
    ? '-'
    : `${formatValue(value)}${stdError === null ? '' : ` ±${formatValue(stdError)}`}`;

const describeFit = (fit: GapFit): string =>
  'slope' in fit
    ? `slope ${formatValue(fit.slope)} (R² ${formatValue(fit.r2)}, ${fit.points} n)`
    : `none (${fit.error})`;

/** The gap table of an n-sweep (src/study/mean-field-gap.ts). */
export function gapLines(gap: MeanFieldGap): string[] {
  const { reference } = gap;
  const target = reference.kind === 'stationary' ? 'm*' : `n = ${reference.n}`;
  const lines = [
    reference.kind === 'stationary'
      ? `gap      to the mean-field limit m* (mfld stationary on each seed's data): ` +
        `F(m*) ${withError(reference.train, null)}, V(m*) ${withError(reference.freeEnergy, null)}`
      : `gap      to the largest n of the sweep, n = ${reference.n} (no exact m* for this ` +
        'problem: mfld stationary needs d = 2, --no-bias, --batch full, a constant σ > 0)',
    `n          F − F(${target}) ±se`.padEnd(36) +
      `V − V(${target}) ±se`.padEnd(26) +
      'variance part ±se'.padEnd(24) +
      'bias part ±se',
  ];
  for (const row of gap.rows) {
    lines.push(
      String(row.n).padEnd(11) +
        withError(row.trainGap, row.trainGapStdError).padEnd(25) +
        withError(row.freeEnergyGap, row.freeEnergyGapStdError).padEnd(26) +
        withError(row.variancePart, row.variancePartStdError).padEnd(24) +
        withError(row.biasPart, row.biasPartStdError),
    );
  }
  const { fits } = gap;
  lines.push(
    `fit      log–log against n (theory: −1): variance part ${describeFit(fits.variancePart)}; ` +
      `F gap ${describeFit(fits.trainGap)}; V gap ${describeFit(fits.freeEnergyGap)}`,
  );
  return lines;
}
