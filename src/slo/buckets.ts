import { UnreachableError, type InputProblem } from '../errors.ts';
import type { Slo } from './model.ts';
import type { UnpairedProblem } from './parse/common.ts';
import { withMatcher } from './promql.ts';

/**
 * Checks every classic-histogram latency threshold against a live Prometheus: the `le` values of the
 * histogram's `_bucket` series (over all the data it holds) must include the threshold. Otherwise no
 * bucket splits requests there, the error series never exists, and the SLO would read as perfect.
 */
export async function bucketProblems(slos: readonly Slo[], prometheusUrl: string): Promise<InputProblem[]> {
  const base = prometheusUrl.replace(/\/+$/, '');
  const checks = slos.flatMap((slo) => {
    const h = slo.sli.histogram;
    return h && !h.native ? [{ slo, h, selector: `${h.metric}_bucket${withMatcher(h.matchers)}` }] : [];
  });
  const found = await Promise.all(checks.map(({ selector }) => leValues(base, selector)));
  return checks.flatMap(({ slo, h, selector }, i) => {
    const les = found[i]!;
    const problem = (message: string) => ({ location: h.thresholdAt, path: `${slo.origin.path}.sli.latency.threshold`, message: `SLO "${slo.name}": ${message}` });
    if (!les.length) return [problem(`no series match ${selector} at ${base}, so the threshold cannot be checked (and the SLI reads nothing)`)];
    if (les.some((le) => boundary(le) === h.threshold)) return [];
    return [problem(`threshold ${h.threshold} is not a bucket boundary of ${selector} at ${base}; allowed: ${les.join(', ')}`)];
  });
}

/** The `le` values of the series matching `selector`, ascending. */
async function leValues(base: string, selector: string): Promise<string[]> {
  const values = await prometheusApi<string[]>(base, `/api/v1/label/le/values?match[]=${encodeURIComponent(selector)}`);
  return [...values].sort((a, b) => boundary(a) - boundary(b));
}

/**
 * For each unpaired-series problem (an error query reading other series than the total's), its
 * selectors that return no series at the Prometheus, over all the data it holds; none means proven.
 */
export async function seriesMissing(problems: readonly UnpairedProblem[], prometheusUrl: string): Promise<Map<UnpairedProblem, string[]>> {
  const base = prometheusUrl.replace(/\/+$/, '');
  const selectors = [...new Set(problems.flatMap((p) => p.selectors))];
  const found = await Promise.all(selectors.map((s) => prometheusApi<unknown[]>(base, `/api/v1/series?match[]=${encodeURIComponent(s)}&limit=1`)));
  const empty = new Set(selectors.filter((_, i) => !found[i]!.length));
  return new Map(problems.map((p) => [p, p.selectors.filter((s) => empty.has(s))]));
}

/** The `data` of a Prometheus HTTP API answer; unreachable or not an API answer exits 3. */
async function prometheusApi<T>(base: string, path: string): Promise<T> {
  const url = `${base}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new UnreachableError(`cannot reach Prometheus at ${base}: ${(e as Error).message}`);
  }
  const body = (await res.json().catch(() => undefined)) as { status?: string; data?: T; error?: string } | undefined;
  if (!res.ok || body?.status !== 'success') throw new UnreachableError(`Prometheus at ${base} answered ${res.status} to ${url}: ${body?.error ?? 'not a Prometheus API response'}`);
  return body.data ?? ([] as T);
}

/** `le` as a number; Prometheus 2 writes `1`, Prometheus 3 `1.0`. */
function boundary(le: string): number {
  return Number(le.replace('+Inf', 'Infinity'));
}
