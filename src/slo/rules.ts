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
export function sloRuleGroups(slo: Slo, runbook?: RunbookLink): RuleGroup[] {
  const groups: RuleGroup[] = [
    { name: `sloth-slo-sli-recordings-${slo.id}`, rules: sliRules(slo) },
    { name: `sloth-slo-meta-recordings-${slo.id}`, rules: metaRules(slo) },
  ];
  const alerts = alertRules(slo, runbook);
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
function ratioOver(slo: Slo, window: Seconds): string {
  const sel = sloSelector(slo);
  const noErrors = `(0 * ${SERIES.total}${sel})`;
  if (window === BASE_WINDOW) return `(${SERIES.errors}${sel} / clamp_min(${SERIES.total}${sel}, ${TINY})) or ${noErrors}`;
  const range = formatDuration(window);
  return `(sum_over_time(${SERIES.errors}${sel}[${range}]) / clamp_min(sum_over_time(${SERIES.total}${sel}[${range}]), ${TINY})) or ${noErrors}`;
}

/** Burn rate of an error-ratio series; with a 100% objective any error is an infinite burn, none is 0. */
function burnRate(ratio: string, budget: number): string {
  return budget > 0 ? `${ratio} / ${budget}` : `((${ratio} > 0) / 0) or (${ratio} * 0)`;
}

function metaRules(slo: Slo): Rule[] {
  const labels = () => sloLabels(slo);
  const budget = errorBudget(slo);
  const sel = sloSelector(slo);
  return [
    { record: SERIES.objective, expr: `vector(${slo.objective / 100})`, labels: labels() },
    { record: SERIES.errorBudget, expr: `vector(${budget})`, labels: labels() },
    { record: SERIES.periodDays, expr: `vector(${slo.period / 86400})`, labels: labels() },
    { record: SERIES.currentBurnRate, expr: burnRate(`${SERIES.ratio(BASE_WINDOW)}${sel}`, budget), labels: labels() },
    { record: SERIES.periodBurnRate, expr: burnRate(`${SERIES.ratio(slo.period)}${sel}`, budget), labels: labels() },
    { record: SERIES.budgetRemaining, expr: `1 - ${SERIES.periodBurnRate}${sel}`, labels: labels() },
    {
      record: SERIES.info,
      expr: 'vector(1)',
      labels: { ...labels(), sloth_mode: 'o11y', sloth_objective: String(slo.objective), sloth_spec: slo.origin.format, sloth_version: 'cdk8s-o11y', o11y_sli_kind: slo.sli.kind },
    },
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
export function alertRules(slo: Slo, runbook?: RunbookLink): Rule[] {
  const alerting = slo.alerting;
  if (!alerting) return [];
  const sel = sloSelector(slo);
  const links = linkAnnotations(slo, runbook);
  const rules = alerting.alerts.map((alert) => burnAlertRule(slo, alert, links));
  if (alerting.absentFor !== undefined) {
    rules.push({
      alert: `${alerting.name}NoData`,
      expr: `absent(${SERIES.total}${sel})`,
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
    rules.push({
      alert: `${alerting.name}NoErrorSeries`,
      expr: `(max_over_time(${SERIES.total}${sel}[${period}]) > 0) unless present_over_time(${SERIES.errors}${sel}[${period}])`,
      labels: { ...slo.labels, ...sloIds(slo), sloth_severity: 'info', severity: 'info' },
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

function burnAlertRule(slo: Slo, alert: BurnAlert, links: Record<string, string>): Rule {
  const budget = errorBudget(slo);
  const over = (window: Seconds, factor: number) =>
    `max(${SERIES.windowRatio}${sloSelector(slo, { sloth_window: formatDuration(window) })} > (${factor} * ${budget})) without (sloth_window)`;
  const expr = alert.windows.map((w) => `(${over(w.short, w.factor)}\nand\n${over(w.long, w.factor)})`).join('\nor\n');
  return {
    alert: alert.name,
    expr,
    ...(alert.for > 0 ? { for: formatDuration(alert.for) } : {}),
    // The ids are on the series already; as static labels they also keep promtool's duplicate-rule
    // lint quiet when two services use the same alert name, as Sloth users often do.
    labels: { severity: SEVERITY[alert.severity] ?? alert.severity, ...alert.labels, ...sloIds(slo), sloth_severity: alert.severity },
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
export function ruleGroups(slos: readonly Slo[], runbook?: RunbookLink): RuleGroup[] {
  return slos.flatMap((slo) => sloRuleGroups(slo, runbook));
}
