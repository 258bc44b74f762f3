/** A duration in seconds. */
export type Seconds = number;

const UNITS: Record<string, Seconds> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
/** Largest unit first, like Prometheus' `model.Duration.String()`: years and weeks only when exact (`30d`, not `4w2d`). */
const FORMAT_UNITS = [['y', true], ['w', true], ['d', false], ['h', false], ['m', false], ['s', false]] as const;

/** Parses a Prometheus duration (the config's and SLO files' duration syntax) (`5m`, `1h30m`, `4w`); undefined if it is not one. */
export function parseDuration(text: string): Seconds | undefined {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * UNITS[unit!]!;
  return total > 0 ? total : undefined;
}

/** Formats seconds the way Prometheus does (`2419200` → `4w`), so series names match Sloth's (`ratio_rate4w`). */
export function formatDuration(seconds: Seconds): string {
  let rest = Math.round(seconds);
  let out = '';
  for (const [unit, exactOnly] of FORMAT_UNITS) {
    const size = UNITS[unit]!;
    if (rest >= size && !(exactOnly && rest % size !== 0)) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out || '0s';
}
