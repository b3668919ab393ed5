// Round axis ticks for every plot of the project (the sweep and gallery SVGs, the page's
// density map and f(z) plot). Placement is d3-scale's: steps of 1, 2 or 5 × 10^k on a linear
// axis; on a log axis the multiples 1…9 × 10^k, of which only decades (or 1, 2, 5 × 10^k where
// there is room) carry a label, and round linear steps inside a single decade.
import { scaleLinear, scaleLog } from 'd3-scale';

export interface Tick {
  readonly value: number;
  /** Empty for a minor tick (a mark without a label). */
  readonly label: string;
}

/** How many labelled ticks an axis aims for. */
export const DEFAULT_TICK_COUNT = 5;

/** Plain decimals from 0.0001 to 99999, else 1e-4 style; at most 6 significant digits. */
export function formatTick(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e5)) {
    return Number(value.toPrecision(6)).toExponential().replace('e+', 'e');
  }
  return String(Number(value.toPrecision(6)));
}

/** Round ticks inside [lo, hi] of a linear axis, every one labelled. */
export function linearTicks(lo: number, hi: number, count = DEFAULT_TICK_COUNT): Tick[] {
  return scaleLinear()
    .domain([lo, hi])
    .ticks(count)
    .map((value) => ({ value, label: formatTick(value) }));
}

/** The leading digit of a tick of a log axis: 1 for 0.01 or 100, 5 for 0.5. */
function mantissa(value: number): number {
  return value / 10 ** Math.floor(Math.log10(value) + 1e-9);
}

/**
 * Ticks inside [lo, hi] (both > 0) of a log axis. Where the axis spans more than a decade,
 * the labels go to 1, 2 and 5 × 10^k as d3 thins them (decades alone on long axes), and the
 * other multiples are minor marks; inside one decade d3's round linear steps are all labelled.
 */
export function logTicks(lo: number, hi: number, count = DEFAULT_TICK_COUNT): Tick[] {
  const scale = scaleLog().domain([lo, hi]);
  const values = scale.ticks(count);
  // d3's formatter returns '' for the ticks it leaves unlabelled; its own text is not used.
  const d3Label = scale.tickFormat(count);
  const major = (value: number): boolean =>
    d3Label(value) !== '' && [1, 2, 5].some((m) => Math.abs(mantissa(value) - m) < 1e-6);
  const majors = values.filter(major);
  if (majors.length >= 2) {
    return values.map((value) => ({ value, label: major(value) ? formatTick(value) : '' }));
  }
  // Inside one decade there are at most nine ticks: label them all.
  return values.map((value) => ({ value, label: formatTick(value) }));
}
