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

/** Above this many decades a log axis labels its decades alone. */
const DECADES_ONLY_ABOVE = 3;

/**
 * Ticks inside [lo, hi] (both > 0) of a log axis, placed by d3 (the multiples 1…9 × 10^k, or
 * decades on long axes, or round linear steps inside one decade). Labels: every tick within
 * one decade; 1, 2 and 5 × 10^k up to three decades; decades beyond. The rest are minor marks.
 */
export function logTicks(lo: number, hi: number, count = DEFAULT_TICK_COUNT): Tick[] {
  const values = scaleLog().domain([lo, hi]).ticks(count);
  const decades = Math.log10(hi / lo);
  const leading = decades > DECADES_ONLY_ABOVE ? [1] : [1, 2, 5];
  const major = (value: number): boolean =>
    leading.some((m) => Math.abs(mantissa(value) - m) < 1e-6);
  // Inside about one decade there are few ticks, and maybe no 1, 2 or 5: label them all.
  const labelAll = values.filter(major).length < 2;
  return values.map((value) => ({
    value,
    label: labelAll || major(value) ? formatTick(value) : '',
  }));
}
