import { formatDuration, type Seconds } from '../duration.ts';
import type { Slo } from './model.ts';
import { INPUT_STEP, sliFeed, type InputSeries } from './feed.ts';
import { alertWindows, BASE_WINDOW, errorBudget, SERIES, sloLabels, sloRuleGroups, sloSelector, type VmalertFlavour } from './rules.ts';

/** Where the lead's synth writes the rule file, relative to the test files. */
export const PROMTOOL_RULE_FILE = '../rules/slo.rules.yaml';

/** Hours the quiet scenarios run: long enough for the 6h ticket window to fill. */
const QUIET_HOURS = 6;
/** Rule evaluation step; 5m keeps a file with many SLOs fast to test. */
const STEP = 300;

interface ExprTest {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}

/**
 * The labels of every series the rules record for `slo` (one set per series), as Prometheus gives
 * them: the SLO's labels, and `sloth_window` on a series over a window. The dashboards select on
 * these, so vmalert must record exactly the same (and no `exported_` copy).
 */
export function recordedLabels(slo: Slo): [series: string, labels: Record<string, string>[]][] {
  const over = (window: Seconds) => ({ ...sloLabels(slo), sloth_window: formatDuration(window) });
  const windows = alertWindows(slo);
  return [
    [SERIES.total, [over(BASE_WINDOW)]],
    [SERIES.ratio(BASE_WINDOW), [over(BASE_WINDOW)]],
    [SERIES.ratio(slo.period), [over(slo.period)]],
    ...(windows.length ? [[SERIES.windowRatio, windows.map(over)] as [string, Record<string, string>[]]] : []),
    ...[SERIES.objective, SERIES.errorBudget, SERIES.periodDays].map((s) => [s, [sloLabels(slo)]] as [string, Record<string, string>[]]),
    [SERIES.currentBurnRate, [over(BASE_WINDOW)]],
    [SERIES.periodBurnRate, [over(slo.period)]],
    [SERIES.budgetRemaining, [over(slo.period)]],
  ];
}

/**
 * A promtool unit test file for one SLO. The inputs are raw series that the SLO's own error and total
 * queries read (see feed.ts), so its metric names, filters and `le` matcher run too, then every
 * window, burn rate, budget and alert. Scenarios: sustained 100% errors fire every burn-rate alert
 * that can fire; half the lowest alert threshold stays quiet; no traffic (where a SLI has such a
 * thing) stays quiet with a full budget and no NaN; and, when asked for, a vanished SLI fires the
 * no-data alert. For vmalert's rules the file is `vmalert-tool unittest`'s (`metricsql_expr_test`), and
 * the quiet scenario also checks the exact labels of every recorded series.
 */
export function promtoolTest(slo: Slo, vmalert?: VmalertFlavour): { fileName: string; content: object } {
  const feed = sliFeed(slo);
  const steps = (QUIET_HOURS * 3600) / INPUT_STEP;
  // Test names say when a query shape could not be fed and the recorded 5m series stood in.
  const scenario = (name: string, series: InputSeries[], promql_expr_test: ExprTest[]) => ({
    name: `${slo.id}: ${name}${feed.unexercised ? ` (fed the recorded 5m series, not the SLI query: ${feed.unexercised})` : ''}`,
    interval: formatDuration(INPUT_STEP),
    input_series: series,
    [vmalert ? 'metricsql_expr_test' : 'promql_expr_test']: promql_expr_test,
  });
  const tests: object[] = [];
  const alerts = slo.alerting?.alerts ?? [];
  if (alerts.length) {
    // The first rate needs a step of input, so the alerts start one step late.
    const at = Math.ceil(Math.max(...alerts.map((a) => a.for)) / STEP) * STEP + 3 * STEP;
    const checks = alerts.map((alert) => {
      const canFire = Math.max(...alert.windows.map((w) => w.factor)) * errorBudget(slo) < 1;
      return countTest(alertsSelector(slo, { alertname: alert.name, sloth_severity: alert.severity }), at, canFire);
    });
    tests.push(scenario('sustained 100% errors fire every burn-rate alert', feed.inputs(10, 10, at / INPUT_STEP + 1).series, checks));
  }
  // Half the lowest alert threshold (and at most half the budget rate): healthy by any alert's measure.
  const burn = Math.min(1, ...alerts.flatMap((a) => a.windows.map((w) => w.factor))) / 2;
  const quiet = feed.inputs(10, 10 * errorBudget(slo) * burn, steps);
  const remaining = 1 - (errorBudget(slo) > 0 ? quiet.ratio / errorBudget(slo) : 0);
  tests.push(
    scenario('errors at half the lowest alert threshold stay quiet', quiet.series, [
      countTest(alertsSelector(slo, {}), 3600 * QUIET_HOURS, false),
      countTest(`${SERIES.budgetRemaining}${sloSelector(slo)} > ${remaining - 0.01} < ${remaining + 0.01}`, 3600 * QUIET_HOURS, true),
      ...(vmalert ? recordedLabels(slo).map(([series, labels]) => labelTest(`${series}${sloSelector(slo)}`, 3600 * QUIET_HOURS, labels)) : []),
    ]),
  );
  if (feed.hasTraffic) {
    tests.push(
      scenario('no traffic stays quiet, full budget, no NaN', feed.inputs(0, 0, steps).series, [
        countTest(alertsSelector(slo, {}), 3600 * QUIET_HOURS, false),
        countTest(`${SERIES.budgetRemaining}${sloSelector(slo)} == 1`, 3600 * QUIET_HOURS, true),
        countTest(`${SERIES.ratio(BASE_WINDOW)}${sloSelector(slo)} == 0`, 3600 * QUIET_HOURS, true),
      ]),
    );
  }
  const absentFor = slo.alerting?.absentFor;
  if (absentFor !== undefined) {
    tests.push(
      scenario('an SLI without data fires the no-data alert', [], [
        countTest(alertsSelector(slo, { alertname: `${slo.alerting!.name}NoData` }), Math.ceil(absentFor / STEP) * STEP + 2 * STEP, true),
      ]),
    );
  }
  return {
    fileName: `slo-${slo.id}.test.yaml`,
    content: {
      rule_files: [PROMTOOL_RULE_FILE],
      evaluation_interval: formatDuration(STEP),
      // promtool runs groups in random order unless told. The meta and alert groups read what the SLI group
      // records at the same instant; run first, they find only the sample one STEP (5m) old, which
      // Prometheus 3's left-open 5m lookback no longer includes, so their results vanish at random.
      group_eval_order: sloRuleGroups(slo, undefined, vmalert).map((g) => g.name),
      tests,
    },
  };
}

function alertsSelector(slo: Slo, extra: Record<string, string>): string {
  const matchers = { alertstate: 'firing', sloth_id: slo.id, ...extra };
  return `ALERTS{${Object.entries(matchers).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

/** Every series of `expr` has exactly one of `labels` (the metric name aside), and each of `labels` is there. */
function labelTest(expr: string, seconds: number, labels: readonly Record<string, string>[]): ExprTest {
  const text = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
  return { expr: `count without () (${expr})`, eval_time: formatDuration(seconds), exp_samples: labels.map((l) => ({ labels: text(l), value: 1 })) };
}

/** `count(expr)` is 1 when `present`, else the expression has no result at all. */
function countTest(expr: string, seconds: number, present: boolean): ExprTest {
  return {
    expr: `count(${expr})`,
    eval_time: formatDuration(seconds),
    exp_samples: present ? [{ labels: '{}', value: 1 }] : [],
  };
}
