import type { BurnWindow, Seconds } from './model.ts';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

/** Sloth's default period, and ours. */
export const DEFAULT_PERIOD: Seconds = 30 * DAY;

/** The page and ticket conditions of one period. */
export interface WindowCatalog {
  readonly page: readonly BurnWindow[];
  readonly ticket: readonly BurnWindow[];
}

const w = (short: Seconds, long: Seconds, factor: number): BurnWindow => ({ short, long, factor });

/**
 * Burn-rate conditions per period, as data (like Sloth's window catalogs). A factor is a multiple of
 * the burn rate that spends the budget exactly over the period, so every factor is at least 1: below
 * 1 an alert fires for a service on track to end its period with budget left.
 */
const CATALOGS: ReadonlyMap<Seconds, WindowCatalog> = new Map([
  // The SRE workbook's (Sloth's google-30d): 2% of the budget in 1h or 5% in 6h page, 10% in 1d or 3d ticket.
  [30 * DAY, { page: [w(5 * MINUTE, HOUR, 14.4), w(30 * MINUTE, 6 * HOUR, 6)], ticket: [w(2 * HOUR, DAY, 3), w(6 * HOUR, 3 * DAY, 1)] }],
  // Sloth's google-28d, except the slow ticket: 10% of a 28d budget in 3d is a burn rate of 0.93.
  [28 * DAY, { page: [w(5 * MINUTE, HOUR, 13.44), w(30 * MINUTE, 6 * HOUR, 5.6)], ticket: [w(2 * HOUR, DAY, 2.8), w(6 * HOUR, 3 * DAY, 1)] }],
  // The workbook's budget shares would give 3.36, 1.4, 0.7 and 0.23 here; the 30d burn rates keep
  // their meaning instead: a page means the budget is gone within 12h (14.4) or 28h (6).
  [7 * DAY, { page: [w(5 * MINUTE, HOUR, 14.4), w(30 * MINUTE, 6 * HOUR, 6)], ticket: [w(2 * HOUR, DAY, 3), w(6 * HOUR, 3 * DAY, 1)] }],
]);

/** Periods that have a window catalog, ascending. */
export const PERIODS: readonly Seconds[] = [...CATALOGS.keys()].sort((a, b) => a - b);

/** The burn-rate conditions of a severity for a period of {@link PERIODS} (the parsers refuse any other). */
export function burnWindows(severity: keyof WindowCatalog, period: Seconds): BurnWindow[] {
  const catalog = CATALOGS.get(period);
  if (!catalog) throw new Error(`no alert window catalog for a period of ${period}s`);
  return [...catalog[severity]];
}

/** OpenSLO conditions only name the long (lookback) window: the short one is 1/12 of it, as in the workbook. */
export function shortWindowFor(long: Seconds): Seconds {
  return Math.max(MINUTE, Math.round(long / 12 / MINUTE) * MINUTE);
}
