import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../src/input/yaml-source.ts';
import { compileSloFiles, compileSlos, parseAndCheck, PROMTOOL_RULE_FILE } from '../src/slo/index.ts';
import type { Slo } from '../src/slo/model.ts';
import { dashboardUid } from '../src/slo/dashboard.ts';
import { sampleRegex, sliFeed } from '../src/slo/feed.ts';
import { leRegex } from '../src/slo/parse/native.ts';
import { promqlError } from '../src/slo/promql.ts';
import { SERIES, vmalertLag, withLabels, type Rule, type RuleGroup } from '../src/slo/rules.ts';
import { burnWindows, PERIODS } from '../src/slo/windows.ts';

const EXAMPLES = ['examples/slos/sloth-prometheus-v1.yaml', 'examples/slos/sloth-crd.yaml', 'examples/slos/openslo-v1.yaml', 'examples/slos/native.yaml', 'slos/stack.yaml'];
const compiled = compileSloFiles(EXAMPLES);
const groups = compiled.ruleFile.groups as RuleGroup[];

function slo(text: string): Slo {
  return parseAndCheck(parseYaml(text, 'test.yaml'))[0]!;
}
const rulesOf = (s: Slo): Rule[] => (compileSlos([s]).ruleFile.groups as RuleGroup[]).flatMap((g) => g.rules);
const native = (sloBody: string) => slo(`version: o11y/v1\nservice: svc\nslos:\n  - name: s\n${sloBody}`);
const EVENTS = `    sli:
      events:
        errorQuery: sum(rate(req_total{code="500"}[{{.window}}]))
        totalQuery: sum(rate(req_total[{{.window}}]))
`;

describe('alert windows: a catalog per period, no factor below 1', () => {
  const DAY = 86400;
  it.each([
    // Sloth's google-30d and google-28d, except 28d's slow ticket (Sloth: 0.93); 7d keeps the 30d burn rates (Sloth's arithmetic: 0.7 and 0.23 tickets).
    { days: 30, page: [14.4, 6], ticket: [3, 1] },
    { days: 28, page: [13.44, 5.6], ticket: [2.8, 1] },
    { days: 7, page: [14.4, 6], ticket: [3, 1] },
  ])('$days d', ({ days, page, ticket }) => {
    expect(burnWindows('page', days * DAY).map((w) => w.factor)).toEqual(page);
    expect(burnWindows('ticket', days * DAY).map((w) => w.factor)).toEqual(ticket);
    expect(burnWindows('page', days * DAY).map((w) => [w.short, w.long])).toEqual([[300, 3600], [1800, 21600]]);
    expect(burnWindows('ticket', days * DAY).map((w) => [w.short, w.long])).toEqual([[7200, 86400], [21600, 259200]]);
  });

  it.each(PERIODS.map((p) => p / DAY))('%s d: every factor is at least 1 (below 1, a service on track to keep budget left would alert)', (days) => {
    for (const severity of ['page', 'ticket'] as const) {
      for (const w of burnWindows(severity, days * DAY)) expect(w.factor, `${severity} ${w.long}s`).toBeGreaterThanOrEqual(1);
    }
  });

  it('a period without a catalog is refused by the parsers, and has no windows', () => {
    expect(PERIODS.map((p) => p / DAY)).toEqual([7, 28, 30]);
    expect(() => burnWindows('page', 14 * DAY)).toThrow(/no alert window catalog/);
  });

  it('the generated alerts of a 7d SLO compare against factors of 1 or more', () => {
    const exprs = rulesOf(native(`    objective: 99\n    period: 7d\n${EVENTS}    alerting: {name: A}\n`)).filter((r) => r.labels?.sloth_severity === 'ticket').map((r) => r.expr);
    const factors = exprs.flatMap((e) => [...e.matchAll(/> \(([\d.]+) \*/g)].map((m) => Number(m[1])));
    expect(factors.length).toBeGreaterThan(0);
    expect(Math.min(...factors)).toBe(1);
  });
});

describe('rule generation', () => {
  it('every expression parses, and promtool-visible names are unique per group', () => {
    for (const g of groups) {
      for (const r of g.rules) expect(promqlError(r.expr), `${g.name} ${r.record ?? r.alert}: ${r.expr}`).toBeUndefined();
    }
    expect(new Set(groups.map((g) => g.name)).size).toBe(groups.length);
  });

  it.each([
    { what: 'alerts on', body: `    objective: 99.9\n${EVENTS}    alerting: {name: A}\n`, rules: 15 },
    { what: 'alerts and absent-data alert', body: `    objective: 99.9\n${EVENTS}    alerting: {name: A, absent: 10m}\n`, rules: 16 },
    { what: 'alerts off', body: `    objective: 99.9\n${EVENTS}    alerting: {page: {disable: true}, ticket: {disable: true}}\n`, rules: 11 },
  ])('fewer rules per SLO than Sloth’s 17: $what → $rules', ({ body, rules }) => {
    expect(rulesOf(native(body))).toHaveLength(rules);
  });

  it('raw series are only read over 5m; every longer window reads the recorded 5m series', () => {
    for (const r of groups.flatMap((g) => g.rules)) {
      parser.parse(r.expr).iterate({
        enter: (node) => {
          if (node.name !== 'MatrixSelector') return;
          const text = r.expr.slice(node.from, node.to);
          const range = /\[(\w+)\]$/.exec(text)![1];
          if (range !== '5m') expect(text, r.expr).toMatch(/^slo:sli_(error|total):rate5m\{/);
        },
      });
    }
  });

  it('the period figure is a ratio of sums, never an average of ratios', () => {
    const period = groups.flatMap((g) => g.rules).find((r) => r.record === 'slo:sli_error:ratio_rate30d')!;
    expect(period.expr).toMatch(/^\(sum_over_time\(slo:sli_error:rate5m\{[^}]*\}\[30d\]\) \/ clamp_min\(sum_over_time\(slo:sli_total:rate5m\{[^}]*\}\[30d\]\), 1e-300\)\) or \(0 \* slo:sli_total:rate5m\{[^}]*\}\)$/);
    expect(groups.flatMap((g) => g.rules).some((r) => /avg_over_time|count_over_time\(slo:/.test(r.expr))).toBe(false);
  });

  it('Sloth compatibility: group, series and label names, objective and budget floats, alert shape', () => {
    const s = compiled.slos.find((x) => x.id === 'myservice-requests-availability')!;
    const mine = (compileSlos([s]).ruleFile.groups as RuleGroup[]);
    expect(mine.map((g) => g.name)).toEqual([
      'sloth-slo-sli-recordings-myservice-requests-availability',
      'sloth-slo-meta-recordings-myservice-requests-availability',
      'sloth-slo-alerts-myservice-requests-availability',
    ]);
    const records = mine.flatMap((g) => g.rules.map((r) => r.record)).filter(Boolean);
    for (const name of ['slo:sli_error:ratio_rate5m', 'slo:sli_error:ratio_rate30d', 'slo:objective:ratio', 'slo:error_budget:ratio', 'slo:time_period:days', 'slo:current_burn_rate:ratio', 'slo:period_burn_rate:ratio', 'slo:period_error_budget_remaining:ratio', 'sloth_slo_info']) {
      expect(records).toContain(name);
    }
    const all = mine.flatMap((g) => g.rules);
    const byRecord = (n: string) => all.find((r) => r.record === n)!;
    expect(byRecord('slo:objective:ratio').expr).toBe('vector(0.9990000000000001)');
    expect(byRecord('slo:error_budget:ratio').expr).toBe('vector(0.0009999999999999432)');
    expect(byRecord('slo:time_period:days').expr).toBe('vector(30)');
    expect(byRecord('slo:objective:ratio').labels).toEqual({
      owner: 'myteam', repo: 'myorg/myservice', tier: '2', category: 'availability',
      sloth_id: 'myservice-requests-availability', sloth_service: 'myservice', sloth_slo: 'requests-availability',
    });
    const [page, ticket] = all.filter((r) => r.alert);
    expect(page!.alert).toBe('MyServiceHighErrorRate');
    expect(ticket!.alert).toBe('MyServiceHighErrorRate');
    const ids = { sloth_id: 'myservice-requests-availability', sloth_service: 'myservice', sloth_slo: 'requests-availability' };
    expect(page!.labels).toEqual({ category: 'availability', severity: 'pageteam', routing_key: 'myteam', ...ids, sloth_severity: 'page' });
    expect(ticket!.labels).toEqual({ category: 'availability', severity: 'slack', slack_channel: '#alerts-myteam', ...ids, sloth_severity: 'ticket' });
    expect(page!.annotations!.summary).toBe("High error rate on 'myservice' requests responses");
    expect(page!.annotations!.title).toBe('(page) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.');
    expect(page!.expr).toContain('max(slo:sli_error:ratio_rate{sloth_id="myservice-requests-availability", sloth_service="myservice", sloth_slo="requests-availability", sloth_window="5m"} > (14.4 * 0.0009999999999999432)) without (sloth_window)');
    expect(page!.expr.split('\nor\n')).toHaveLength(2);
    expect(ticket!.expr).toContain('sloth_window="3d"} > (1 * 0.0009999999999999432)');
  });

  it('a severity label of ours unless the spec sets one; for: on page and ticket', () => {
    const alerts = rulesOf(native(`    objective: 99\n${EVENTS}    alerting: {name: A, page: {for: 5m}}\n`)).filter((r) => r.alert);
    expect(alerts.map((a) => [a.labels!.severity, a.labels!.sloth_severity, a.for])).toEqual([['critical', 'page', '5m'], ['warning', 'ticket', '15m'], ['info', 'info', undefined]]);
  });

  it('zero traffic: every ratio divides by clamp_min and falls back to 0 while there is a total', () => {
    const rules = rulesOf(native(`    objective: 99\n${EVENTS}    alerting: {name: A}\n`));
    expect(rules.find((r) => r.record === 'slo:sli_error:rate5m')!.expr).toBe('(sum(rate(req_total{code="500"}[5m]))) >= 0');
    for (const r of rules.filter((x) => x.record?.startsWith('slo:sli_error:ratio_rate'))) {
      const divisions = r.expr.match(/ \/ /g)!.length;
      expect(r.expr.match(/clamp_min\(/g)!.length, r.expr).toBe(divisions);
      expect(r.expr.match(/\) or \(0 \* slo:sli_total:rate5m\{/g)!.length, r.expr).toBe(divisions);
    }
  });

  it('an info alert when the error series was never seen over the period while the total counted requests', () => {
    const rules = rulesOf(native(`    objective: 99\n${EVENTS}    alerting: {name: A}\n`));
    expect(rules.find((r) => r.alert === 'ANoErrorSeries')).toMatchObject({
      expr: '(max_over_time(slo:sli_total:rate5m{sloth_id="svc-s", sloth_service="svc", sloth_slo="s"}[30d]) > 0) unless present_over_time(slo:sli_error:rate5m{sloth_id="svc-s", sloth_service="svc", sloth_slo="s"}[30d])',
      labels: { severity: 'info', sloth_severity: 'info' },
    });
    // Error and total from the same series cannot part: no such alert for raw and availability SLIs.
    for (const sli of ['raw: {errorRatioQuery: \'1 - avg(x[{{.window}}])\'}', 'availability: {gauge: up}']) {
      expect(rulesOf(native(`    objective: 99\n    sli:\n      ${sli}\n    alerting: {name: A}\n`)).some((r) => r.alert === 'ANoErrorSeries')).toBe(false);
    }
  });

  it('a 100% objective never divides 0 by 0', () => {
    const rules = rulesOf(native(`    objective: 100\n${EVENTS}    alerting: {name: A}\n`));
    const burn = rules.find((r) => r.record === 'slo:current_burn_rate:ratio')!;
    expect(burn.expr).toMatch(/^\(\(slo:sli_error:ratio_rate5m\{.*\} > 0\) \/ 0\) or \(slo:sli_error:ratio_rate5m\{.*\} \* 0\)$/);
  });

  it.each([
    { threshold: 0.3, le: '0[.]3' },
    { threshold: 1, le: '1([.]0)?' },
    { threshold: 2.5, le: '2[.]5' },
  ])('latency le matcher for $threshold matches Prometheus 2 and 3 spellings', ({ threshold, le }) => {
    expect(leRegex(threshold)).toBe(le);
    const re = new RegExp(`^(?:${le.replace(/\[\.\]/g, '\\.')})$`);
    expect(re.test(String(threshold))).toBe(true);
    if (Number.isInteger(threshold)) expect(re.test(`${threshold}.0`)).toBe(true);
  });

  it.each([
    {
      kind: 'latency (classic)',
      sli: 'latency: {histogram: \'h_seconds{job="a"}\', threshold: 1}',
      total: 'sum(rate(h_seconds_count{job="a"}[5m]))',
      errors: 'sum(rate(h_seconds_count{job="a"}[5m])) - sum(rate(h_seconds_bucket{job="a", le=~"1([.]0)?"}[5m]))',
    },
    {
      kind: 'latency (native histogram)',
      sli: 'latency: {histogram: h_seconds, threshold: 0.25, native: true}',
      total: 'histogram_count(sum(rate(h_seconds[5m])))',
      errors: 'histogram_count(sum(rate(h_seconds[5m]))) * (1 - histogram_fraction(0, 0.25, sum(rate(h_seconds[5m]))))',
    },
    {
      kind: 'availability (bool gauge)',
      sli: 'availability: {gauge: \'probe_success{job="bb"}\'}',
      total: 'sum(count_over_time(probe_success{job="bb"}[5m]))',
      errors: 'sum(count_over_time(probe_success{job="bb"}[5m])) - sum(sum_over_time(probe_success{job="bb"}[5m]))',
    },
    {
      kind: 'raw (Sloth): NaN weighs 0',
      sli: 'raw: {errorRatioQuery: \'1 - avg(x[{{.window}}])\'}',
      total: '(1 - avg(x[5m])) >= bool 0',
      errors: '1 - avg(x[5m])',
    },
  ])('SLI kind $kind', ({ sli, total, errors }) => {
    const rules = rulesOf(native(`    objective: 99\n    sli:\n      ${sli}\n    alerting: {name: A}\n`));
    expect(rules.find((r) => r.record === 'slo:sli_total:rate5m')!.expr).toBe(total);
    expect(rules.find((r) => r.record === 'slo:sli_error:rate5m')!.expr).toBe(`(${errors}) >= 0`);
  });

  it('period 28d names the period series like Sloth (ratio_rate4w) and records 28 days', () => {
    const rules = rulesOf(native(`    objective: 99\n    period: 28d\n${EVENTS}    alerting: {name: A}\n`));
    expect(rules.map((r) => r.record)).toContain('slo:sli_error:ratio_rate4w');
    expect(rules.find((r) => r.record === 'slo:time_period:days')!.expr).toBe('vector(28)');
    expect(rules.find((r) => r.alert)!.expr).toContain('(13.44 * 0.01)');
  });

  it('OpenSLO: policy name → alert name, conditions → windows (short = long/12), alertWhenNoData → absent alert', () => {
    const s = compiled.slos.find((x) => x.id === 'checkout-checkout-availability')!;
    expect(s.objective).toBe(99.5);
    expect(s.period).toBe(28 * 86400);
    expect(s.labels).toEqual({ team: 'payments' });
    expect(s.sli.errorQuery).toBe('(sum(rate(http_requests_total{service="checkout"}[{{.window}}]))) - (sum(rate(http_requests_total{service="checkout", code!~"5.."}[{{.window}}])))');
    expect(s.alerting!.alerts.map((a) => [a.name, a.severity, a.windows, a.for])).toEqual([
      ['CheckoutBurn', 'page', [{ short: 300, long: 3600, factor: 13.44 }], 120],
      ['CheckoutBurn', 'ticket', [{ short: 7200, long: 86400, factor: 2.8 }], 900],
    ]);
    expect(s.alerting!.absentFor).toBe(900);
  });

  it('runbook and dashboard links become alert annotations', () => {
    const rules = (compileSlos([compiled.slos.find((x) => x.id === 'api-latency')!]).ruleFile.groups as RuleGroup[]).flatMap((g) => g.rules);
    for (const alert of rules.filter((r) => r.alert)) {
      expect(alert.annotations).toMatchObject({ runbook_url: 'https://runbooks.example.com/api/latency', dashboard_url: 'https://grafana.example.com/d/slo-api' });
    }
    expect(rules.find((r) => r.alert === 'ApiSlowNoData')).toMatchObject({ expr: 'absent(slo:sli_total:rate5m{sloth_id="api-latency", sloth_service="api", sloth_slo="latency"})', for: '10m' });
  });

  it('is deterministic and sorted by SLO id', () => {
    expect(JSON.stringify(compileSloFiles([...EXAMPLES].reverse()))).toBe(JSON.stringify(compiled));
    const ids = compiled.slos.map((s) => s.id);
    expect(ids).toEqual([...ids].sort());
  });
});

describe('rules for vmalert (victoriametrics-cluster backends)', () => {
  const LAG = 60;
  const vmGroups = compileSlos(compiled.slos, { vmalert: { lag: LAG } }).ruleFile.groups as RuleGroup[];
  const RECORDED: ReadonlySet<string> = new Set(vmGroups.flatMap((g) => g.rules.map((r) => r.record!).filter(Boolean)));
  /** Every vector selector of `expr`: its metric name and the offset it is read at ('' for none). */
  const reads = (expr: string) => {
    const out: { metric: string; offset: string }[] = [];
    parser.parse(expr).iterate({
      enter: (ref) => {
        if (ref.name !== 'VectorSelector') return true;
        const metric = expr.slice(ref.node.getChild('Identifier')?.from ?? ref.from, ref.node.getChild('Identifier')?.to ?? ref.from);
        const outer = ref.node.parent?.name === 'MatrixSelector' ? ref.node.parent.parent : ref.node.parent;
        out.push({ metric, offset: outer?.name === 'OffsetExpr' ? expr.slice(outer.from, outer.to).replace(/^[\s\S]*offset\s+/, '') : '' });
        return false;
      },
    });
    return out;
  };

  it('every expression parses; group, series and alert names are Prometheus mode\'s', () => {
    for (const r of vmGroups.flatMap((g) => g.rules)) expect(promqlError(r.expr), r.expr).toBeUndefined();
    const names = (gs: RuleGroup[]) => gs.map((g) => [g.name, g.rules.map((r) => r.record ?? r.alert).sort()]);
    expect(new Set(names(vmGroups).map(([g]) => g))).toEqual(new Set(names(groups).map(([g]) => g)));
    expect(new Set(vmGroups.flatMap((g) => g.rules.map((r) => r.record ?? r.alert)))).toEqual(new Set(groups.flatMap((g) => g.rules.map((r) => r.record ?? r.alert))));
  });

  it('no rule reads a series recorded in its own group, and every read of a recorded series is `lag` old', () => {
    let chained = 0;
    for (const g of vmGroups) {
      const own = new Set(g.rules.map((r) => r.record).filter(Boolean));
      for (const r of g.rules) {
        for (const read of reads(r.expr)) {
          expect(own.has(read.metric), `${g.name} ${r.record ?? r.alert} reads ${read.metric}`).toBe(false);
          if (!RECORDED.has(read.metric)) continue;
          chained++;
          expect(read.offset, `${r.record ?? r.alert}: ${read.metric}`).toBe('1m');
          // Only the SLI group's 5m rates are read: every other result is computed from them, so the lag never adds up.
          expect([SERIES.total, SERIES.errors]).toContain(read.metric);
        }
      }
    }
    expect(chained).toBeGreaterThan(100);
  });

  it('raw series are read by the SLI group only', () => {
    for (const g of vmGroups.filter((g) => !g.name.startsWith('sloth-slo-sli-recordings-'))) {
      for (const r of g.rules) for (const read of reads(r.expr)) expect(RECORDED.has(read.metric), `${g.name}: ${read.metric}`).toBe(true);
    }
  });

  it('a recording rule sets `labels:` only on a `vector()` (no label of the result to clash with and be kept as exported_*)', () => {
    const labelled = vmGroups.flatMap((g) => g.rules).filter((r) => r.record && r.labels);
    expect(labelled.length).toBeGreaterThan(0);
    for (const r of labelled) expect(r.expr, r.record).toMatch(/^vector\([^()]*\)$/);
  });

  it.each([
    { what: 'a spec label the alert also sets, with another value', labels: '    labels: {severity: high}\n', sets: ['"severity", "critical"', '"severity", "info"', '"severity", "warning"'] },
    { what: 'no clash', labels: '', sets: [] },
  ])('alerts: $what', ({ labels, sets }) => {
    const s = native(`    objective: 99.9\n${labels}${EVENTS}    alerting: {name: A}\n`);
    const alerts = (compileSlos([s], { vmalert: { lag: LAG } }).ruleFile.groups as RuleGroup[]).flatMap((g) => g.rules).filter((r) => r.alert);
    const set = alerts.flatMap((r) => [...r.expr.matchAll(/^label_replace\(.*, ("\w+", "[^"]*"), "", ""\)$/gs)].map((m) => m[1]));
    expect(set.sort()).toEqual(sets.sort());
  });

  it('label values are literal in label_replace (a `$` is not a group reference)', () => {
    expect(withLabels('up', { a: 'x', b: 'p$1q' })).toBe('label_replace(label_replace(up, "a", "x", "", ""), "b", "p$$1q", "", "")');
  });

  it.each([
    [30, 60],
    [60, 120],
    [10, 60],
  ])('lag for a %is evaluation interval: %is', (interval, lag) => {
    expect(vmalertLag(interval)).toBe(lag);
  });
});

describe('other outputs', () => {
  it('one promtool test file per SLO, pointing at the shipped rule file', () => {
    expect(compiled.promtoolTests.map((t) => t.fileName)).toEqual(compiled.slos.map((s) => `slo-${s.id}.test.yaml`));
    for (const t of compiled.promtoolTests) expect(t.content).toMatchObject({ rule_files: [PROMTOOL_RULE_FILE] });
  });

  it('promtool tests feed the raw series the SLI queries read; only a raw SLI gets the recorded series, and its test names say so', () => {
    compiled.slos.forEach((s, i) => {
      const tests = (compiled.promtoolTests[i]!.content as { tests: { name: string; input_series: { series: string }[] }[] }).tests;
      const fed = [...new Set(tests.flatMap((t) => t.input_series.map((x) => x.series.replace(/\{.*$/, ''))))];
      if (s.sli.kind === 'raw') {
        expect(fed).toEqual(['slo:sli_total:rate5m', 'slo:sli_error:rate5m']);
        for (const t of tests) expect(t.name).toContain('fed the recorded 5m series, not the SLI query');
      } else {
        expect(fed.filter((name) => name.startsWith('slo:')), s.id).toEqual([]);
        expect(fed.every((name) => s.sli.totalQuery.includes(name) || s.sli.errorQuery.includes(name)), `${s.id}: ${fed}`).toBe(true);
      }
    });
    const latency = (compiled.promtoolTests.find((t) => t.fileName === 'slo-prometheus-query-latency.test.yaml')!.content as { tests: { input_series: { series: string }[] }[] }).tests[0]!;
    expect(latency.input_series.map((x) => x.series)).toEqual([
      'prometheus_http_request_duration_seconds_count{handler="/api/v1/query", job="prometheus"}',
      // Prometheus 3's spelling of le="1": the SLI's le matcher must accept it.
      'prometheus_http_request_duration_seconds_bucket{handler="/api/v1/query", job="prometheus", le="1.0"}',
      'prometheus_http_request_duration_seconds_bucket{handler="/api/v1/query", job="prometheus", le="+Inf"}',
    ]);
  });

  it('promtool tests run the SLI, meta and alert groups in that order (promtool ignores names it does not find)', () => {
    const names = new Set(groups.map((g) => g.name));
    compiled.slos.forEach((s, i) => {
      const order = (compiled.promtoolTests[i]!.content as { group_eval_order: string[] }).group_eval_order;
      expect(order.slice(0, 2)).toEqual([`sloth-slo-sli-recordings-${s.id}`, `sloth-slo-meta-recordings-${s.id}`]);
      expect(order).toEqual(['sli-recordings', 'meta-recordings', 'alerts'].map((g) => `sloth-slo-${g}-${s.id}`).filter((n) => names.has(n)));
    });
  });

  it('one Grafana dashboard per service, stable uid, the cloud-selected Prometheus datasource, parseable queries', () => {
    const services = [...new Set(compiled.slos.map((s) => s.service))].sort();
    expect(compiled.dashboards.map((d) => (d.json as { uid: string }).uid)).toEqual(services.map((s) => `slo-${s}`));
    for (const d of compiled.dashboards) {
      const json = d.json as { panels: { type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[]; templating: { list: { name: string; query: string; current: { value: string } }[] } };
      expect(json.templating.list).toEqual([expect.objectContaining({ name: 'datasource', query: 'prometheus', current: expect.objectContaining({ value: 'prometheus' }) })]);
      for (const p of json.panels.filter((x) => x.type !== 'row')) {
        expect(p.datasource!.uid).toBe('${datasource}');
        for (const t of p.targets!) expect(promqlError(t.expr), t.expr).toBeUndefined();
      }
      expect(JSON.stringify(d.json)).toContain('ALERTS{alertstate=\\"firing\\"');
    }
  });

  it('PrometheusRule objects: one per service, namespace-less, labelled, same groups as the rule file', () => {
    const objects = compiled.prometheusRules as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels: Record<string, string> }; spec: { groups: RuleGroup[] } }[];
    expect(objects.map((o) => o.metadata.name)).toEqual(['slo-api', 'slo-checkout', 'slo-grafana', 'slo-home-wifi', 'slo-myservice', 'slo-otel-gateway', 'slo-prometheus']);
    for (const o of objects) {
      expect(o).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
      expect(o.metadata.namespace).toBeUndefined();
      expect(o.metadata.labels['app.kubernetes.io/managed-by']).toBe('cdk8s-o11y');
    }
    expect(objects.flatMap((o) => o.spec.groups.map((g) => g.name)).sort()).toEqual(groups.map((g) => g.name).sort());
  });

  it('the stack ships SLOs about itself', () => {
    const text = readFileSync('o11y.yaml', 'utf8');
    expect(text).toContain('slos: [slos/*.yaml]');
    expect(compiled.slos.filter((s) => ['otel-gateway', 'grafana', 'prometheus'].includes(s.service)).length).toBeGreaterThanOrEqual(3);
  });
});

describe('promtool input series from the SLI queries', () => {
  it.each([
    ['5..', '500'],
    ['(5..|429)', '500'],
    ['otelcol_receiver_refused_spans(_total)?', 'otelcol_receiver_refused_spans'],
    ['1([.]0)?', '1'],
    ['[^2].*', '0'],
    ['a\\.b+', 'a.b'],
    ['x{3}', 'xxx'],
    ['(?i)x', undefined],
    ['[[:alpha:]]', undefined],
  ])('sampleRegex(%s) → %s', (pattern, sample) => {
    expect(sampleRegex(pattern)).toBe(sample);
  });

  it.each([
    { what: 'grouped sums', errors: 'sum by (code) (rate(x{code="500"}[{{.window}}]))', total: 'sum by (code) (rate(x[{{.window}}]))', reason: 'is not a shape we derive input series for' },
    { what: 'gauges', errors: 'sum(avg_over_time(x{code="500"}[{{.window}}]))', total: 'sum(avg_over_time(x[{{.window}}]))', reason: 'is not rate() or increase() of a counter' },
  ])('an events SLI made of $what gets the recorded series, and says why', ({ errors, total, reason }) => {
    const s = native(`    objective: 99\n    sli:\n      events:\n        errorQuery: '${errors}'\n        totalQuery: '${total}'\n    alerting: {name: A}\n`);
    expect(sliFeed(s).unexercised).toContain(reason);
  });

  it('increase() and arithmetic around the sums still get raw series', () => {
    const s = native(`    objective: 99\n    sli:\n      events:\n        errorQuery: 'sum(increase(x{job="a", code=~"5.."}[{{.window}}])) * 2'\n        totalQuery: '(sum(increase(x{job="a"}[{{.window}}])) or vector(0)) * 2'\n    alerting: {name: A}\n`);
    expect(sliFeed(s).inputs(10, 1, 2).series).toEqual([
      { series: 'x{code="500", job="a"}', values: '0+60x2' },
      { series: 'x{code="200", job="a"}', values: '0+540x2' },
    ]);
  });
});

describe('dashboard uids', () => {
  it.each([
    { service: 'checkout', uid: /^slo-checkout$/ },
    { service: 'My.Service', uid: /^slo-my-service-[0-9a-f]{8}$/ },
    { service: 'x'.repeat(60), uid: /^slo-x{27}-[0-9a-f]{8}$/ },
  ])('$service → $uid', ({ service, uid }) => {
    expect(dashboardUid(service)).toMatch(uid);
    expect(dashboardUid(service).length).toBeLessThanOrEqual(40);
  });
  it('names that sanitise alike stay apart', () => {
    expect(dashboardUid('My.Service')).not.toBe(dashboardUid('my-service'));
  });
});
