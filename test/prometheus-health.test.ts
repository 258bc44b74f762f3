import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.ts';
import {
  activeAlerts,
  evaluateRules,
  expectedRuleGroupsFromManifests,
  sloBudgets,
  type ApiRule,
  type ApiRuleGroup,
  type ExpectedRuleGroup,
  type RuleGroupReport,
  type RulesReport,
  type RuntimeInfo,
} from '../src/controller/prometheus/index.ts';

const NOW = new Date('2026-01-01T12:00:00Z');
const SECONDS_AGO = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const FILE = '/etc/prometheus/rules/slo-rules/checkout.yaml';
const RUNNING: RuntimeInfo = { reloadConfigSuccess: true, startTime: SECONDS_AGO(3600) };

// Shapes as GET /api/v1/rules returns them (web/api/v1/api.go).
const okRule: ApiRule = { name: 'slo:sli_error:ratio_rate5m', type: 'recording', health: 'ok' };
const errRule: ApiRule = {
  name: 'slo:bad',
  type: 'recording',
  health: 'err',
  lastError: 'found duplicate series for the match group {} on the right hand-side of the operation',
};
const group = (over: Partial<ApiRuleGroup> = {}): ApiRuleGroup => ({
  name: 'slo-checkout',
  file: FILE,
  interval: 30,
  lastEvaluation: SECONDS_AGO(10),
  rules: [okRule],
  ...over,
});
const want: ExpectedRuleGroup = { name: 'slo-checkout', file: FILE };

describe('evaluateRules', () => {
  const cases: {
    name: string;
    expected?: ExpectedRuleGroup[];
    groups: ApiRuleGroup[];
    runtime?: RuntimeInfo;
    status: RulesReport['status'];
    report: Partial<RuleGroupReport>[];
    message?: RegExp;
  }[] = [
    { name: 'all loaded, ok, fresh', groups: [group()], status: 'Current', report: [{ health: 'ok', lastEvaluation: SECONDS_AGO(10) }] },
    {
      name: 'expected group not loaded → missing',
      groups: [],
      status: 'Failed',
      report: [{ name: 'slo-checkout', file: FILE, health: 'missing', lastError: `not loaded (expected from ${FILE})` }],
      message: /1 expected rule group\(s\) not loaded/,
    },
    {
      name: 'same name from another file → missing, naming where it is loaded from',
      groups: [group({ file: '/etc/prometheus/other.yaml' })],
      status: 'Failed',
      report: [
        { health: 'missing', lastError: `not loaded from ${FILE}; a group of that name is loaded from /etc/prometheus/other.yaml` },
        { file: '/etc/prometheus/other.yaml', health: 'ok' },
      ],
    },
    {
      name: "PrometheusRule group (file '') matches by name in any file",
      expected: [{ name: 'slo-checkout', file: '' }],
      groups: [group({ file: '/etc/prometheus/rules/prometheus-k8s-rulefiles-0/observability-slo-1234.yaml' })],
      status: 'Current',
      report: [{ health: 'ok' }],
    },
    {
      name: 'a rule with health err → err with its lastError',
      groups: [group({ rules: [okRule, errRule] })],
      status: 'Failed',
      report: [{ health: 'err', lastError: `rule slo:bad: ${errRule.lastError}`, failingRules: [{ name: 'slo:bad', health: 'err', lastError: errRule.lastError }] }],
      message: /1 rule group\(s\) unhealthy/,
    },
    {
      name: 'health ok but a lastError → err',
      groups: [group({ rules: [{ ...okRule, lastError: 'query timed out' }] })],
      status: 'Failed',
      report: [{ health: 'err', lastError: 'rule slo:sli_error:ratio_rate5m: query timed out' }],
    },
    {
      name: 'evaluated exactly 3× interval ago → still ok',
      groups: [group({ lastEvaluation: SECONDS_AGO(90) })],
      status: 'Current',
      report: [{ health: 'ok' }],
    },
    {
      name: 'evaluated more than 3× interval ago → err (stuck)',
      groups: [group({ lastEvaluation: SECONDS_AGO(91) })],
      status: 'Failed',
      report: [{ health: 'err', lastError: 'last evaluated 91s ago, more than 3× its 30s interval' }],
    },
    {
      name: 'never evaluated, Prometheus just started → unknown',
      groups: [group({ lastEvaluation: '0001-01-01T00:00:00Z', rules: [{ ...okRule, health: 'unknown' }] })],
      runtime: { reloadConfigSuccess: true, startTime: SECONDS_AGO(5) },
      status: 'Unknown',
      report: [{ health: 'unknown' }],
      message: /1 rule group\(s\) not evaluated yet/,
    },
    {
      name: 'never evaluated long after start → err',
      groups: [group({ lastEvaluation: '0001-01-01T00:00:00Z', rules: [{ ...okRule, health: 'unknown' }] })],
      status: 'Failed',
      report: [{ health: 'err', lastError: 'never evaluated, 3600s after Prometheus started (interval 30s)' }],
    },
    {
      name: 'rule health unknown in a fresh group (just reloaded) → unknown',
      groups: [group({ rules: [{ ...okRule, health: 'unknown' }] })],
      status: 'Unknown',
      report: [{ health: 'unknown', failingRules: [{ name: okRule.name, health: 'unknown' }] }],
    },
    {
      name: 'reloadConfigSuccess false → Failed even with healthy groups',
      groups: [group()],
      runtime: { reloadConfigSuccess: false, startTime: SECONDS_AGO(3600) },
      status: 'Failed',
      report: [{ health: 'ok' }],
      message: /last configuration reload failed/,
    },
    {
      name: 'runtime info unavailable → Unknown',
      groups: [group()],
      runtime: undefined,
      status: 'Unknown',
      report: [{ health: 'ok' }],
      message: /reloadConfigSuccess is unknown/,
    },
    {
      name: 'an unexpected loaded group with a broken rule still fails the check',
      groups: [group(), group({ name: 'hand-written', file: '/etc/prometheus/extra.yaml', rules: [errRule] })],
      status: 'Failed',
      report: [{ health: 'ok' }, { name: 'hand-written', health: 'err' }],
    },
    {
      name: 'two expected groups of the same name in two files each find their own',
      expected: [want, { name: 'slo-checkout', file: '/etc/prometheus/rules/b/x.yaml' }],
      groups: [group({ file: '/etc/prometheus/rules/b/x.yaml', rules: [errRule] }), group()],
      status: 'Failed',
      report: [{ file: FILE, health: 'ok' }, { file: '/etc/prometheus/rules/b/x.yaml', health: 'err' }],
    },
  ];
  it.each(cases)('$name', (c) => {
    const runtime = 'runtime' in c ? c.runtime : RUNNING;
    const r = evaluateRules(c.expected ?? [want], { groups: c.groups }, runtime, NOW);
    expect(r.status).toBe(c.status);
    expect(r.groups).toHaveLength(c.report.length);
    c.report.forEach((g, i) => expect(r.groups[i]).toMatchObject(g));
    if (c.message) expect(r.message).toMatch(c.message);
    if (c.status === 'Current') expect(r.groups.every((g) => g.lastError === undefined)).toBe(true);
    // Go's zero time means "never": it must not be reported as a last evaluation.
    expect(r.groups.every((g) => !g.lastEvaluation?.startsWith('0001-'))).toBe(true);
  });
});

describe('activeAlerts', () => {
  it('keeps firing and pending alerts (firing first), drops inactive ones', () => {
    const labels = (alertname: string) => ({ alertname, sloth_slo: 'availability', sloth_service: 'checkout' });
    expect(
      activeAlerts([
        { labels: labels('B'), state: 'pending' },
        { labels: labels('A'), state: 'inactive' },
        { labels: labels('B'), state: 'firing' },
        { labels: labels('A'), state: 'firing' },
      ]),
    ).toEqual([
      { name: 'A', state: 'firing', labels: labels('A') },
      { name: 'B', state: 'firing', labels: labels('B') },
      { name: 'B', state: 'pending', labels: labels('B') },
    ]);
  });
});

describe('sloBudgets', () => {
  const sample = (slo: string | undefined, service: string, value: string) => ({
    metric: { __name__: 'slo:period_error_budget_remaining:ratio', ...(slo ? { sloth_slo: slo } : {}), sloth_service: service },
    value: [1767268800, value] as [number, string],
  });
  const cases = [
    { name: 'one budget per service/SLO, sorted', result: [sample('latency', 'checkout', '-0.5'), sample('availability', 'checkout', '0.93')], want: [{ slo: 'availability', service: 'checkout', remaining: 0.93 }, { slo: 'latency', service: 'checkout', remaining: -0.5 }] },
    { name: 'NaN (no traffic yet) is dropped', result: [sample('availability', 'api', 'NaN')], want: [] },
    { name: 'series without sloth_slo are not SLO budgets', result: [sample(undefined, 'api', '1')], want: [] },
  ];
  it.each(cases)('$name', ({ result, want: expected }) => {
    expect(sloBudgets({ resultType: 'vector', result })).toEqual(expected);
  });
});

describe('expectedRuleGroupsFromManifests', () => {
  function withDist(files: Record<string, string>, body: (dir: string) => void): void {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-dist-'));
    try {
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const rulesConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: slo-rules
  namespace: observability
  labels: { app.kubernetes.io/component: prometheus-rules }
data:
  checkout.yaml: |
    groups:
      - name: sloth-slo-sli-recordings-checkout-availability
        rules: [{ record: x, expr: vector(1) }]
      - name: sloth-slo-alerts-checkout-availability
        rules: []
  README.txt: not a rule file
`;
  const dashboards = `apiVersion: v1
kind: ConfigMap
metadata: { name: dashboards, labels: { app.kubernetes.io/component: grafana } }
data:
  rules.yaml: "groups: [{name: not-rules}]"
`;
  const prometheusRule = `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: { name: stack }
spec:
  groups:
    - name: kube-state-metrics
      rules: []
`;

  it('reads groups from rules ConfigMaps (file = mount path) and PrometheusRules (any file)', () => {
    withDist({ '1-rules.k8s.yaml': `${rulesConfigMap}---\n${dashboards}`, '2-op.k8s.yaml': prometheusRule, 'notes.txt': 'x' }, (dir) => {
      expect(expectedRuleGroupsFromManifests(dir)).toEqual([
        { name: 'sloth-slo-sli-recordings-checkout-availability', file: '/etc/prometheus-rules/slo-rules/checkout.yaml' },
        { name: 'sloth-slo-alerts-checkout-availability', file: '/etc/prometheus-rules/slo-rules/checkout.yaml' },
        { name: 'kube-state-metrics', file: '' },
      ]);
    });
  });

  it('locates a broken rule file at its ConfigMap data key', () => {
    const broken = rulesConfigMap.replace('rules: []', 'rules: [');
    withDist({ 'rules.k8s.yaml': broken }, (dir) => {
      let err: unknown;
      try {
        expectedRuleGroupsFromManifests(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      const [problem] = (err as InputError).problems;
      expect(problem!.location).toMatchObject({ file: join(dir, 'rules.k8s.yaml'), line: 8 });
      expect(problem!.path).toBe('data.checkout.yaml');
      expect(problem!.message).toMatch(/^not a rule file: invalid YAML/);
    });
  });

  it('refuses a folder without manifests (checking nothing must not pass)', () => {
    withDist({}, (dir) => expect(() => expectedRuleGroupsFromManifests(dir)).toThrow(/no \*\.k8s\.yaml manifests/));
    expect(() => expectedRuleGroupsFromManifests('/nonexistent/dist/local')).toThrow(/no such directory/);
  });
});
