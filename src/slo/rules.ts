import { formatDuration } from '../duration.ts';
import type { BurnAlert, Seconds, Sli, Slo } from './model.ts';
import { sloAnchor, type RunbookLink } from '../rules/runbook.ts';
import { renderWindow } from './promql.ts';

/** One Prometheus rule as written to a rule file. */
export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

/**
 * The rules as vmalert (the `victoriametrics-cluster` metrics mode) must get them. vmalert differs from
 * Prometheus in two ways that matter here:
 * - it writes recording-rule results through remote write, asynchronously, and runs groups
 *   independently: a rule does not see another rule's result of the same evaluation, nor reliably
 *   another group's. Ordering groups cannot fix this (vmalert has no group ordering; `eval_offset`
 *   turns `-rule.evalDelay` off, so a group would then read raw series vmselect has not finished
 *   ingesting), and computing every window from raw series would scan up to the period (weeks) of raw
 *   samples at every evaluation. So only the SLI group reads raw series, and every other rule reads the
 *   SLI group's 5m rates `offset lag`: samples written at least one evaluation interval earlier, so
 *   each result is exact (the same every evaluation, on every replica), lagging by `lag`.
 * - a label set by `labels:` that the result already carries with another value is kept as
 *   `exported_<name>` (Prometheus replaces it): labels the result may carry are set in the expression
 *   (`label_replace`) instead, and `labels:` only adds labels the result cannot have.
 */
export interface VmalertFlavour {
  readonly lag: Seconds;
}

/**
 * The lag of {@link VmalertFlavour}. vmalert evaluates every group at the same aligned timestamps (the
 * wall time minus `-rule.evalDelay`, truncated to the interval), each group at its own phase within
 * the interval: the SLI group's result for timestamp T may be written up to one interval after another
 * group evaluated T. Reading samples two intervals old (at least 1m) leaves a whole interval more for
 * the evaluation and the remote write to finish.
 */
export function vmalertLag(evaluationInterval: Seconds): Seconds {
  return Math.max(2 * evaluationInterval, 60);
}

/** The only window raw series are read over; every longer window is built from it. */
export const BASE_WINDOW: Seconds = 300;
const BASE = formatDuration(BASE_WINDOW);

/** Series names, Sloth's where Sloth has one. */
export const SERIES = {
  total: `slo:sli_total:rate${BASE}`,
  errors: `slo:sli_error:rate${BASE}`,
  /** Error ratio of every alert window in one series name, told apart by `sloth_window`. */
  windowRatio: 'slo:sli_error:ratio_rate',
  ratio: (window: Seconds) => `slo:sli_error:ratio_rate${formatDuration(window)}`,
  objective: 'slo:objective:ratio',
  errorBudget: 'slo:error_budget:ratio',
  periodDays: 'slo:time_period:days',
  currentBurnRate: 'slo:current_burn_rate:ratio',
  periodBurnRate: 'slo:period_burn_rate:ratio',
  budgetRemaining: 'slo:period_error_budget_remaining:ratio',
  info: 'sloth_slo_info',
} as const;

/** Divisor floor: turns 0/0 (no traffic) into 0 instead of NaN, and is far below any real request rate. */
const TINY = '1e-300';

function sloIds(slo: Slo): Record<string, string> {
  return { sloth_id: slo.id, sloth_service: slo.service, sloth_slo: slo.name };
}

/** The spec's labels plus Sloth's identifying labels. */
export function sloLabels(slo: Slo): Record<string, string> {
  return { ...slo.labels, ...sloIds(slo) };
}

/** `{sloth_id="…", sloth_service="…", sloth_slo="…"}` plus extra matchers. */
export function sloSelector(slo: Slo, extra: Record<string, string> = {}): string {
  const matchers = { ...sloIds(slo), ...extra };
  return `{${Object.entries(matchers).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

/** Error budget as a ratio; Sloth's arithmetic, so 99.9 prints as 0.0009999999999999432 like Sloth's. */
export function errorBudget(slo: Slo): number {
  return (100 - slo.objective) / 100;
}

/** Windows the burn-rate alerts read, ascending. */
export function alertWindows(slo: Slo): Seconds[] {
  const windows = new Set<Seconds>();
  for (const alert of slo.alerting?.alerts ?? []) for (const w of alert.windows) windows.add(w.short).add(w.long);
  return [...windows].sort((a, b) => a - b);
}

/**
 * Rule groups for one SLO, named like Sloth's. Raw series are read once per evaluation, over 5m;
 * every longer window, the period included, is a ratio of sums of those two recorded 5m rates
 * (`sum_over_time(errors) / sum_over_time(total)`), so it weighs busy and quiet times correctly and
 * never scans weeks of raw samples.
 */
export function sloRuleGroups(slo: Slo, runbook?: RunbookLink, vmalert?: VmalertFlavour): RuleGroup[] {
  const groups: RuleGroup[] = [
    { name: `sloth-slo-sli-recordings-${slo.id}`, rules: vmalert ? vmalertSliRules(slo) : sliRules(slo) },
    { name: `sloth-slo-meta-recordings-${slo.id}`, rules: vmalert ? vmalertMetaRules(slo, vmalert.lag) : metaRules(slo) },
  ];
  const alerts = alertRules(slo, runbook, vmalert);
  if (alerts.length) groups.push({ name: `sloth-slo-alerts-${slo.id}`, rules: alerts });
  return groups;
}

function sliRules(slo: Slo): Rule[] {
  const base = { ...sloLabels(slo), sloth_window: BASE };
  const total = renderWindow(slo.sli.totalQuery, BASE);
  const errors = renderWindow(slo.sli.errorQuery, BASE);
  const rules: Rule[] = [
    { record: SERIES.total, expr: total, labels: { ...base } },
    // NaN (e.g. histogram_fraction without traffic) is dropped here; a missing error sample counts as
    // 0 errors in the ratios below, so the raw series are read only by these two rules.
    { record: SERIES.errors, expr: `(${errors}) >= 0`, labels: { ...base } },
    { record: SERIES.ratio(BASE_WINDOW), expr: ratioOver(slo, BASE_WINDOW), labels: { ...base } },
    { record: SERIES.ratio(slo.period), expr: ratioOver(slo, slo.period), labels: { ...sloLabels(slo), sloth_window: formatDuration(slo.period) } },
  ];
  const windows = alertWindows(slo);
  if (windows.length) {
    const perWindow = windows.map((w) => `label_replace(${ratioOver(slo, w)}, "sloth_window", "${formatDuration(w)}", "", "")`);
    rules.push({ record: SERIES.windowRatio, expr: perWindow.join('\nor\n'), labels: sloLabels(slo) });
  }
  return rules;
}

/**
 * Error ratio over `window` from the recorded 5m rates. No traffic gives 0 (not NaN), and so does a
 * service whose error series does not exist (yet) while its total does.
 */
function ratioOver(slo: Slo, window: Seconds, lag?: Seconds): string {
  const sel = sloSelector(slo);
  const off = offset(lag);
  // Parenthesized so that no parser reads the offset as applying to the product.
  const noErrors = off ? `(0 * (${SERIES.total}${sel}${off}))` : `(0 * ${SERIES.total}${sel})`;
  if (window === BASE_WINDOW) return `(${SERIES.errors}${sel}${off} / clamp_min(${SERIES.total}${sel}${off}, ${TINY})) or ${noErrors}`;
  const range = formatDuration(window);
  return `(sum_over_time(${SERIES.errors}${sel}[${range}]${off}) / clamp_min(sum_over_time(${SERIES.total}${sel}[${range}]${off}), ${TINY})) or ${noErrors}`;
}

function offset(lag?: Seconds): string {
  return lag ? ` offset ${formatDuration(lag)}` : '';
}

/** `expr` with `labels` set on every series, replacing what it carries (`labels:` in Prometheus' meaning). */
export function withLabels(expr: string, labels: Record<string, string>): string {
  // In label_replace's replacement `$` starts a group reference: `$$` is a literal one.
  return Object.entries(labels).reduce((e, [name, value]) => `label_replace(${e}, ${JSON.stringify(name)}, ${JSON.stringify(value.replace(/\$/g, '$$$$'))}, "", "")`, expr);
}

/**
 * `expr`, whose result carries `carried`, with the static `labels` that differ from a carried value set
 * in the expression: vmalert would keep the carried one as `exported_<name>`.
 */
function overwriting(expr: string, carried: Record<string, string>, labels: Record<string, string>): string {
  return withLabels(expr, Object.fromEntries(Object.entries(labels).filter(([name, value]) => name in carried && carried[name] !== value)));
}

/** The error ratio over `window` from the 5m rates recorded `lag` ago, its `sloth_window` set to `window`. */
function laggedRatio(slo: Slo, window: Seconds, lag: Seconds): string {
  const ratio = ratioOver(slo, window, lag);
  return window === BASE_WINDOW ? `(${ratio})` : withLabels(ratio, { sloth_window: formatDuration(window) });
}

/** vmalert's SLI group: the only rules that read raw series; the raw result's labels are unknown, so every label is set in the expression. */
function vmalertSliRules(slo: Slo): Rule[] {
  const base = { ...sloLabels(slo), sloth_window: BASE };
  return [
    { record: SERIES.total, expr: withLabels(renderWindow(slo.sli.totalQuery, BASE), base) },
    { record: SERIES.errors, expr: withLabels(`(${renderWindow(slo.sli.errorQuery, BASE)}) >= 0`, base) },
  ];
}

/**
 * vmalert's meta group: the ratios, burn rates and budget, each from the SLI group's rates recorded
 * `lag` ago (never from another rule of this group), with the labels the Prometheus rules give them.
 */
function vmalertMetaRules(slo: Slo, lag: Seconds): Rule[] {
  const budget = errorBudget(slo);
  const period = laggedRatio(slo, slo.period, lag);
  const windows = alertWindows(slo);
  return [
    { record: SERIES.ratio(BASE_WINDOW), expr: laggedRatio(slo, BASE_WINDOW, lag) },
    { record: SERIES.ratio(slo.period), expr: period },
    ...(windows.length ? [{ record: SERIES.windowRatio, expr: windows.map((w) => laggedRatio(slo, w, lag)).join('\nor\n') }] : []),
    ...constantRules(slo),
    { record: SERIES.currentBurnRate, expr: burnRate(laggedRatio(slo, BASE_WINDOW, lag), budget) },
    { record: SERIES.periodBurnRate, expr: burnRate(period, budget) },
    { record: SERIES.budgetRemaining, expr: `1 - (${burnRate(period, budget)})` },
    infoRule(slo),
  ];
}

/** Burn rate of an error-ratio series; with a 100% objective any error is an infinite burn, none is 0. */
function burnRate(ratio: string, budget: number): string {
  return budget > 0 ? `${ratio} / ${budget}` : `((${ratio} > 0) / 0) or (${ratio} * 0)`;
}

/** The SLO's constants: objective, error budget and period; `vector()` carries no label to clash with. */
function constantRules(slo: Slo): Rule[] {
  return [
    { record: SERIES.objective, expr: `vector(${slo.objective / 100})`, labels: sloLabels(slo) },
    { record: SERIES.errorBudget, expr: `vector(${errorBudget(slo)})`, labels: sloLabels(slo) },
    { record: SERIES.periodDays, expr: `vector(${slo.period / 86400})`, labels: sloLabels(slo) },
  ];
}

function infoRule(slo: Slo): Rule {
  return {
    record: SERIES.info,
    expr: 'vector(1)',
    labels: { ...sloLabels(slo), sloth_mode: 'o11y', sloth_objective: String(slo.objective), sloth_spec: slo.origin.format, sloth_version: 'cdk8s-o11y', o11y_sli_kind: slo.sli.kind },
  };
}

function metaRules(slo: Slo): Rule[] {
  const labels = () => sloLabels(slo);
  const budget = errorBudget(slo);
  const sel = sloSelector(slo);
  return [
    ...constantRules(slo),
    { record: SERIES.currentBurnRate, expr: burnRate(`${SERIES.ratio(BASE_WINDOW)}${sel}`, budget), labels: labels() },
    { record: SERIES.periodBurnRate, expr: burnRate(`${SERIES.ratio(slo.period)}${sel}`, budget), labels: labels() },
    { record: SERIES.budgetRemaining, expr: `1 - ${SERIES.periodBurnRate}${sel}`, labels: labels() },
    infoRule(slo),
  ];
}

/** Conventional `severity` values for routing, unless the spec sets its own. */
const SEVERITY: Record<string, string> = { page: 'critical', ticket: 'warning' };

/**
 * SLI kinds whose errors and total are different series. For these a missing error series counts as
 * no errors (a service that never failed has none), which also hides a query that matches nothing.
 */
const SEPARATE_ERROR_SERIES: ReadonlySet<Sli['kind']> = new Set(['events', 'latency']);

/** The SLO's alerts: its burn-rate alerts (in `alerting.alerts` order), then the no-data and no-error-series ones. */
export function alertRules(slo: Slo, runbook?: RunbookLink, vmalert?: VmalertFlavour): Rule[] {
  const alerting = slo.alerting;
  if (!alerting) return [];
  const sel = sloSelector(slo);
  const off = offset(vmalert?.lag);
  const links = linkAnnotations(slo, runbook);
  const rules = alerting.alerts.map((alert) => burnAlertRule(slo, alert, links, vmalert));
  if (alerting.absentFor !== undefined) {
    rules.push({
      alert: `${alerting.name}NoData`,
      // Its result carries only the selector's ids: no label to clash with.
      expr: `absent(${SERIES.total}${sel}${off})`,
      for: formatDuration(alerting.absentFor),
      labels: { ...slo.labels, ...sloIds(slo), sloth_severity: 'ticket', severity: 'warning' },
      annotations: {
        title: `${slo.service} ${slo.name} SLO has no data`,
        summary: `The SLI of ${slo.id} returns no series: the service or its metrics are gone, or the query no longer matches.`,
        ...links,
      },
    });
  }
  if (SEPARATE_ERROR_SERIES.has(slo.sli.kind)) {
    const period = formatDuration(slo.period);
    const labels = { ...slo.labels, ...sloIds(slo), sloth_severity: 'info', severity: 'info' };
    const expr = `(max_over_time(${SERIES.total}${sel}[${period}]${off}) > 0) unless present_over_time(${SERIES.errors}${sel}[${period}]${off})`;
    rules.push({
      alert: `${alerting.name}NoErrorSeries`,
      expr: vmalert ? overwriting(expr, { ...sloLabels(slo), sloth_window: BASE }, labels) : expr,
      labels,
      annotations: {
        title: `${slo.service} ${slo.name} SLO has never seen an error series`,
        summary:
          `The error query of ${slo.id} has matched nothing for ${period} while the total counted requests, so the SLO shows a full budget. ` +
          'Check the error filter (for a latency SLO, that the threshold is a bucket boundary); a service that truly never failed also lands here.',
        ...links,
      },
    });
  }
  return rules;
}

/**
 * A burn-rate alert. Prometheus reads the window ratios the SLI group recorded in the same evaluation;
 * vmalert computes each window's ratio in the expression, from the 5m rates recorded `lag` ago, so the
 * alert lags like the recorded ratios and no more (reading those would add a second `lag`).
 */
function burnAlertRule(slo: Slo, alert: BurnAlert, links: Record<string, string>, vmalert?: VmalertFlavour): Rule {
  const budget = errorBudget(slo);
  const ratio = (window: Seconds) =>
    vmalert ? `(${ratioOver(slo, window, vmalert.lag)})` : `${SERIES.windowRatio}${sloSelector(slo, { sloth_window: formatDuration(window) })}`;
  const over = (window: Seconds, factor: number) => `max(${ratio(window)} > (${factor} * ${budget})) without (sloth_window)`;
  const expr = alert.windows.map((w) => `(${over(w.short, w.factor)}\nand\n${over(w.long, w.factor)})`).join('\nor\n');
  // The ids are on the series already; as static labels they also keep promtool's duplicate-rule
  // lint quiet when two services use the same alert name, as Sloth users often do.
  const labels = { severity: SEVERITY[alert.severity] ?? alert.severity, ...alert.labels, ...sloIds(slo), sloth_severity: alert.severity };
  return {
    alert: alert.name,
    expr: vmalert ? overwriting(expr, sloLabels(slo), labels) : expr,
    ...(alert.for > 0 ? { for: formatDuration(alert.for) } : {}),
    labels,
    annotations: {
      title: `(${alert.severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
      summary: `{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.`,
      ...(slo.description ? { description: slo.description } : {}),
      ...links,
      ...alert.annotations,
    },
  };
}

/** The SLO's own runbook link, else its section of the stack's runbook (when synthesized into a stack). */
function linkAnnotations(slo: Slo, runbook?: RunbookLink): Record<string, string> {
  const runbookUrl = slo.links.runbook ?? runbook?.(sloAnchor(slo));
  return {
    ...(runbookUrl ? { runbook_url: runbookUrl } : {}),
    ...(slo.links.dashboard ? { dashboard_url: slo.links.dashboard } : {}),
  };
}

/** Rule groups of every SLO, in input order (the caller sorts). */
export function ruleGroups(slos: readonly Slo[], runbook?: RunbookLink, vmalert?: VmalertFlavour): RuleGroup[] {
  return slos.flatMap((slo) => sloRuleGroups(slo, runbook, vmalert));
}
