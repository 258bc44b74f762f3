import { formatDuration } from '../duration.ts';
import type { Slo } from './model.ts';
import { BASE_WINDOW, errorBudget, SERIES, sloLabels, sloRuleGroups, sloSelector } from './rules.ts';

/** Where the lead's synth writes the rule file, relative to the test files. */
export const PROMTOOL_RULE_FILE = '../rules/slo.rules.yaml';

/** Hours the quiet scenarios run: long enough for the 6h ticket window to fill. */
const QUIET_HOURS = 6;
/** Step of inputs and rule evaluation; 5m keeps a file with many SLOs fast to test. */
const STEP = 300;

interface ExprTest {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}

/**
 * A promtool unit test file for one SLO. The inputs are the two recorded 5m series (errors and total
 * rates), since the SLI's own metrics are the user's; everything from there on (every window, burn
 * rates, budgets, alerts) runs through the generated rules. Scenarios: sustained 100% errors fire every
 * burn-rate alert that can fire; half the budget rate stays quiet; no traffic stays quiet with a full
 * budget and no NaN; and, when asked for, a vanished SLI fires the no-data alert.
 */
export function promtoolTest(slo: Slo): { fileName: string; content: object } {
  const steps = (QUIET_HOURS * 3600) / STEP;
  const tests: object[] = [];
  const alerts = slo.alerting?.alerts ?? [];
  if (alerts.length) {
    const at = Math.ceil(Math.max(...alerts.map((a) => a.for)) / STEP) * STEP + 2 * STEP;
    tests.push({
      name: `${slo.id}: sustained 100% errors fire every burn-rate alert`,
      interval: formatDuration(STEP),
      input_series: sliInput(slo, 1, 1, at / STEP + 2),
      promql_expr_test: alerts.map((alert) => {
        const canFire = Math.max(...alert.windows.map((w) => w.factor)) * errorBudget(slo) < 1;
        return countTest(alertsSelector(slo, { alertname: alert.name, sloth_severity: alert.severity }), at, canFire);
      }),
    });
  }
  // Half the lowest alert threshold (and at most half the budget rate): healthy by any alert's measure.
  const burn = Math.min(1, ...alerts.flatMap((a) => a.windows.map((w) => w.factor))) / 2;
  const remaining = 1 - (errorBudget(slo) > 0 ? burn : 0);
  tests.push({
    name: `${slo.id}: errors at half the lowest alert threshold stay quiet`,
    interval: formatDuration(STEP),
    input_series: sliInput(slo, 10, 10 * errorBudget(slo) * burn, steps),
    promql_expr_test: [
      countTest(alertsSelector(slo, {}), 3600 * QUIET_HOURS, false),
      countTest(`${SERIES.budgetRemaining}${sloSelector(slo)} > ${remaining - 0.01} < ${remaining + 0.01}`, 3600 * QUIET_HOURS, true),
    ],
  });
  tests.push({
    name: `${slo.id}: no traffic stays quiet, full budget, no NaN`,
    interval: formatDuration(STEP),
    input_series: sliInput(slo, 0, 0, steps),
    promql_expr_test: [
      countTest(alertsSelector(slo, {}), 3600 * QUIET_HOURS, false),
      countTest(`${SERIES.budgetRemaining}${sloSelector(slo)} == 1`, 3600 * QUIET_HOURS, true),
      countTest(`${SERIES.ratio(BASE_WINDOW)}${sloSelector(slo)} == 0`, 3600 * QUIET_HOURS, true),
    ],
  });
  const absentFor = slo.alerting?.absentFor;
  if (absentFor !== undefined) {
    tests.push({
      name: `${slo.id}: an SLI without data fires the no-data alert`,
      interval: formatDuration(STEP),
      input_series: [],
      promql_expr_test: [countTest(alertsSelector(slo, { alertname: `${slo.alerting!.name}NoData` }), Math.ceil(absentFor / STEP) * STEP + 2 * STEP, true)],
    });
  }
  return {
    fileName: `slo-${slo.id}.test.yaml`,
    content: {
      rule_files: [PROMTOOL_RULE_FILE],
      evaluation_interval: formatDuration(STEP),
      // promtool runs groups in random order unless told. The meta and alert groups read what the SLI group
      // records at the same instant; run first, they find only the sample one STEP (5m) old, which
      // Prometheus 3's left-open 5m lookback no longer includes, so their results vanish at random.
      group_eval_order: sloRuleGroups(slo).map((g) => g.name),
      tests,
    },
  };
}

function sliInput(slo: Slo, total: number, errors: number, steps: number) {
  const labels = { ...sloLabels(slo), sloth_window: formatDuration(BASE_WINDOW) };
  const series = (name: string) => `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
  return [
    { series: series(SERIES.total), values: `${total}+0x${Math.ceil(steps)}` },
    { series: series(SERIES.errors), values: `${errors}+0x${Math.ceil(steps)}` },
  ];
}

function alertsSelector(slo: Slo, extra: Record<string, string>): string {
  const matchers = { alertstate: 'firing', sloth_id: slo.id, ...extra };
  return `ALERTS{${Object.entries(matchers).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

/** `count(expr)` is 1 when `present`, else the expression has no result at all. */
function countTest(expr: string, seconds: number, present: boolean): ExprTest {
  return {
    expr: `count(${expr})`,
    eval_time: formatDuration(seconds),
    exp_samples: present ? [{ labels: '{}', value: 1 }] : [],
  };
}
