import { selectorsOf, type Matcher, type Selector } from './promql.ts';

/**
 * Counters that count a share of another counter's events under another name: the error (or good)
 * metric and the total metric differ only as a row says, `{a}` standing for the same text in both.
 * Documented in README ("SLO lints"); the rows are shapes exporters publish (the comments name some).
 */
export const METRIC_PAIRS: readonly { readonly errors: string; readonly total: string }[] = [
  { errors: '{a}_handled_total', total: '{a}_started_total' }, // gRPC (go-grpc-prometheus), errors filtered by grpc_code
  { errors: '{a}_errors_total', total: '{a}_total' }, // kubelet_runtime_operations_errors_total
  { errors: '{a}_errors_total', total: '{a}_requests_total' },
  { errors: '{a}_errors_total', total: '{a}_sent_total' }, // prometheus_notifications_errors_total
  { errors: '{a}_errors_total', total: '{a}_operations_total' }, // prometheus_operator_reconcile_errors_total
  { errors: '{a}_failures_total', total: '{a}s_total' }, // prometheus_rule_evaluation_failures_total over prometheus_rule_evaluations_total
  { errors: '{a}_failures_total', total: '{a}_total' },
  { errors: '{a}_failed_total', total: '{a}_total' }, // foo_requests_failed_total over foo_requests_total
];

/** `_bucket`, `_count` and `_sum` of one classic histogram (or summary) are one family. */
const HISTOGRAM_SERIES = /_(bucket|count|sum)$/;

const PAIR_PATTERNS = METRIC_PAIRS.map((p) => ({ ...p, errorsRe: new RegExp(`^${p.errors.replace('{a}', '(.+)')}$`) }));

/** How an error selector's metric relates to a total selector's; undefined when it does not. */
type Relation = 'same metric' | 'histogram family' | 'metric pair';

function relation(errorMetric: string | undefined, totalMetric: string | undefined): Relation | undefined {
  if (errorMetric === undefined || totalMetric === undefined) return undefined;
  if (errorMetric === totalMetric) return 'same metric';
  const family = (m: string) => (HISTOGRAM_SERIES.test(m) ? m.replace(HISTOGRAM_SERIES, '') : undefined);
  if (family(errorMetric) !== undefined && family(errorMetric) === family(totalMetric)) return 'histogram family';
  const paired = PAIR_PATTERNS.some((p) => {
    const stem = p.errorsRe.exec(errorMetric)?.[1];
    return stem !== undefined && p.total.replace('{a}', stem) === totalMetric;
  });
  return paired ? 'metric pair' : undefined;
}

/** The metric name a selector reads when it names exactly one (`x{…}` or `{__name__="x"}`). */
function metricOf(s: Selector): string | undefined {
  const names = s.matchers.filter((m) => m.name === '__name__');
  return names.length === 1 && names[0]!.op === '=' ? names[0]!.value : undefined;
}

/** A matcher as PromQL writes it; also its identity. */
const show = (m: Matcher) => `${m.name}${m.op}${JSON.stringify(m.value)}`;

/** An error selector that reads other series than the total's, and why. */
export interface Unpaired {
  readonly selector: Selector;
  readonly reason: string;
  /** The total query's selectors: with the error selector, what a live Prometheus must show series for. */
  readonly totals: readonly Selector[];
}

/**
 * The first selector of the error (or good) query that is not paired with a selector of the total
 * query, if any. Paired means: the same metric, another series of the same histogram, or a
 * {@link METRIC_PAIRS} pair, carrying every matcher of that total selector (its `le` aside, which
 * differs between a bucket and the total) and possibly more, the error filter. A missing error series
 * counts as zero errors, so anything else (a misspelt metric, a matcher the total lacks) would read as
 * a perfect SLO.
 */
export function unpairedErrorSelector(errorQuery: string, totalQuery: string): Unpaired | undefined {
  const totals = selectorsOf(totalQuery);
  for (const e of selectorsOf(errorQuery)) {
    const own = new Set(e.matchers.map(show));
    const candidates = totals.map((t) => {
      const named = relation(metricOf(e), metricOf(t));
      const required = t.matchers.filter((m) => !(named && m.name === '__name__') && !(m.name === 'le' && metricOf(t)?.endsWith('_bucket')));
      return { t, named, missing: required.filter((m) => !own.has(show(m))) };
    });
    if (candidates.some((c) => c.missing.length === 0)) continue;
    // The closest total selector: a related metric, or one whose __name__ matchers the error selector shares.
    const near = candidates.filter((c) => c.named || !c.missing.some((m) => m.name === '__name__')).sort((a, b) => a.missing.length - b.missing.length)[0];
    return { selector: e, reason: near ? missingReason(e, near.t, near.missing) : metricReason(e, totals), totals };
  }
  return undefined;
}

function missingReason(e: Selector, t: Selector, missing: readonly Matcher[]): string {
  const differs = missing.map((m) => {
    const own = e.matchers.filter((o) => o.name === m.name);
    return own.length ? `${own.map(show).join(', ')} where the total has ${show(m)}` : `lacks the total's ${show(m)}`;
  });
  return `${differs.join('; ')} (total selector ${t.text})`;
}

function metricReason(e: Selector, totals: readonly Selector[]): string {
  const metric = metricOf(e) ?? e.text;
  const names = [...new Set(totals.map((t) => metricOf(t) ?? t.text))].join(', ');
  return `metric ${metric} is not the total's (${names}), another series of its histogram (_bucket, _count, _sum), nor its error counter in the table of metric pairs`;
}
