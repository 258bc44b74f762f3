import type { BurnWindow, Seconds } from './model.ts';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

/** The period the SRE workbook's factors (14.4, 6, 3, 1) are written for. */
export const DEFAULT_PERIOD: Seconds = 30 * DAY;

/** Share of the period's error budget each condition may burn before it alerts (SRE workbook, Sloth's google-30d). */
const CONDITIONS = {
  page: [
    { short: 5 * MINUTE, long: HOUR, budgetPercent: 2 },
    { short: 30 * MINUTE, long: 6 * HOUR, budgetPercent: 5 },
  ],
  ticket: [
    { short: 2 * HOUR, long: DAY, budgetPercent: 10 },
    { short: 6 * HOUR, long: 3 * DAY, budgetPercent: 10 },
  ],
} as const;

/**
 * Multi-window burn-rate conditions for a severity, scaled to the period: the factor is the burn rate
 * that spends `budgetPercent` of the period's budget within the long window. The arithmetic order is
 * Sloth's, so the printed factors are identical (14.4 for 30d, 13.44 for 28d).
 */
export function burnWindows(severity: keyof typeof CONDITIONS, period: Seconds): BurnWindow[] {
  const periodHours = period / HOUR;
  return CONDITIONS[severity].map(({ short, long, budgetPercent }) => ({
    short,
    long,
    factor: (budgetPercent * periodHours) / 100 / (long / HOUR),
  }));
}

/** OpenSLO conditions only name the long (lookback) window: the short one is 1/12 of it, as in the workbook. */
export function shortWindowFor(long: Seconds): Seconds {
  return Math.max(MINUTE, Math.round(long / 12 / MINUTE) * MINUTE);
}
