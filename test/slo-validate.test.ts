import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.ts';
import { parseYaml } from '../src/input/yaml-source.ts';
import { globSync } from 'tinyglobby';
import { compileSlos, parseAndCheck } from '../src/slo/index.ts';
import { unpairedErrorSelector } from '../src/slo/pairing.ts';

/** Parses texts (name → YAML) together and returns every formatted problem, or [] when valid. */
function problems(files: Record<string, string>): string[] {
  try {
    parseAndCheck(Object.entries(files).flatMap(([name, text]) => parseYaml(text, name)));
    return [];
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return e.message.split('\n');
  }
}

const sloth = (slo: string, head = 'version: prometheus/v1\nservice: svc\n') => `${head}slos:\n${slo}`;
const EVENTS = `    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
`;
const NO_ALERTS = `    alerting:
      page_alert: {disable: true}
      ticket_alert: {disable: true}
`;
const good = (objective = '99.9', sli = EVENTS, alerting = NO_ALERTS, name = 'a') => sloth(`  - name: ${name}\n    objective: ${objective}\n${sli}${alerting}`);

describe('SLO validation: every bad input is named by file:line:col, key path and problem', () => {
  const cases: { name: string; files: Record<string, string>; expected: string[] }[] = [
    { name: 'objective above 100', files: { 's.yaml': good('100.5') }, expected: ['s.yaml:5:16 slos[0].objective: objective 100.5 is outside (0, 100]'] },
    { name: 'objective 0', files: { 's.yaml': good('0') }, expected: ['s.yaml:5:16 slos[0].objective: objective 0 is outside (0, 100]'] },
    {
      name: 'missing {{.window}}',
      files: { 's.yaml': good('99', EVENTS.replace('[{{.window}}]))\n        total', '[5m]))\n        total')) },
      expected: ['s.yaml:8:22 slos[0].sli.events.error_query: query must contain the {{.window}} variable'],
    },
    {
      name: 'PromQL that does not parse',
      files: { 's.yaml': good('99', EVENTS.replace('sum(rate(http_requests_total[', 'sum(rate(http_requests_total{[')) },
      expected: ['s.yaml:9:22 slos[0].sli.events.total_query: PromQL parse error at character'],
    },
    {
      name: 'unknown template variable',
      files: { 's.yaml': good('99', EVENTS.replace('[{{.window}}]))\n        total', '[{{.window}}]) > {{.threshold}})\n        total')) },
      expected: ['slos[0].sli.events.error_query: unknown template {{.threshold}}'],
    },
    {
      name: 'duplicate SLO names, across files',
      files: { 'a.yaml': good(), 'b.yaml': good() },
      expected: ['b.yaml:4:5 slos[0]: duplicate SLO "a" of service "svc" (sloth_id svc-a), first defined at a.yaml:4:5'],
    },
    { name: 'no SLI', files: { 's.yaml': good('99', '') }, expected: ['s.yaml:4:5 slos[0].sli: no SLI given: set sli.events or sli.raw'] },
    {
      name: 'two SLI types',
      files: { 's.yaml': good('99', `${EVENTS}      raw:\n        error_ratio_query: x{a="[{{.window}}]"}\n`) },
      expected: ['s.yaml:10:7 slos[0].sli.raw: only one SLI type is allowed, found events and raw'],
    },
    {
      name: 'identical error and total queries',
      files: { 's.yaml': good('99', EVENTS.replace('{code=~"5.."}', '')) },
      expected: ['s.yaml:8:22 slos[0].sli.events.error_query: the error and total queries are identical'],
    },
    // A missing error series counts as zero errors, so an error query that reads other series than the total would pass as a perfect SLO.
    {
      name: 'error query with a misspelt metric',
      files: { 's.yaml': good('99', EVENTS.replace('sum(rate(http_requests_total{code', 'sum(rate(http_requests_totl{code')) },
      expected: [
        's.yaml:8:22 slos[0].sli.events.error_query: SLO "a": http_requests_totl{code=~"5.."} does not read the total query\'s series: ' +
          'metric http_requests_totl is not the total\'s (http_requests_total), another series of its histogram (_bucket, _count, _sum), nor its error counter in the table of metric pairs. ' +
          'Allowed: the metric of a total selector, another series of its histogram (le may differ) or its pair in the table of metric pairs',
      ],
    },
    {
      name: 'error query without a matcher of the total query',
      files: { 's.yaml': good('99', EVENTS.replace('total_query: sum(rate(http_requests_total[', 'total_query: sum(rate(http_requests_total{job="api"}[')) },
      expected: ['s.yaml:8:22 slos[0].sli.events.error_query: SLO "a": http_requests_total{code=~"5.."} does not read the total query\'s series: lacks the total\'s job="api" (total selector http_requests_total{job="api"})'],
    },
    { name: 'missing service', files: { 's.yaml': good().replace('service: svc\n', '') }, expected: ['s.yaml:1:1 service: required'] },
    {
      name: 'unknown spec version',
      files: { 's.yaml': good().replace('prometheus/v1', 'prometheus/v2') },
      expected: ['s.yaml:1:10 version: unknown spec version "prometheus/v2"; expected version: prometheus/v1 (Sloth)'],
    },
    {
      name: 'unknown apiVersion',
      files: { 's.yaml': 'apiVersion: openslo/v1alpha\nkind: SLO\n' },
      expected: ['s.yaml:1:13 apiVersion: unknown spec version "openslo/v1alpha" kind "SLO"'],
    },
    {
      name: 'bad label names',
      files: { 's.yaml': good().replace('service: svc\n', 'service: svc\nlabels:\n  bad-label: x\n  __reserved: y\n') },
      expected: ['s.yaml:4:14 labels.bad-label: label name "bad-label" is not valid', 's.yaml:5:15 labels.__reserved: label name "__reserved" is not valid'],
    },
    { name: 'empty label value', files: { 's.yaml': good().replace('service: svc\n', 'service: svc\nlabels: {team: ""}\n') }, expected: ['labels.team: label "team" needs a non-empty string value'] },
    {
      name: 'alerts enabled without an alert name (no alerting block)',
      files: { 's.yaml': good('99', EVENTS, '') },
      expected: ['s.yaml:4:5 slos[0]: alert name is required while alerts are enabled'],
    },
    {
      name: 'alerts enabled without an alert name (ticket on)',
      files: { 's.yaml': good('99', EVENTS, '    alerting:\n      page_alert: {disable: true}\n') },
      expected: ['s.yaml:11:7 slos[0].alerting.name: alert name is required while alerts are enabled'],
    },
    { name: 'unknown key (typo)', files: { 's.yaml': good().replace('objective:', 'objectiv: 9\n    objective:') }, expected: ['s.yaml:5:5 slos[0].objectiv: unknown key "objectiv"; allowed keys: name, description'] },
    { name: 'bad SLO name', files: { 's.yaml': good('99', EVENTS, NO_ALERTS, '"-bad name"') }, expected: ['slos[0].name: "-bad name" is not a valid name'] },
    { name: 'not an SLO document', files: { 's.yaml': 'foo: bar\n' }, expected: ['s.yaml:1:1 not an SLO document'] },
    {
      name: 'Sloth SLI plugin',
      files: { 's.yaml': good('99', '    sli:\n      plugin: {id: sloth-common/availability}\n') },
      expected: ['slos[0].sli.plugin: SLI plugins are not supported'],
    },
    {
      name: 'CRD: same checks, camelCase paths',
      files: {
        'crd.yaml': `apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: x}
spec:
  service: svc
  slos:
    - name: a
      objective: 101
      sli:
        events:
          errorQuery: sum(rate(x[5m]))
          totalQuery: sum(rate(y[{{.window}}]))
      alerting:
        pageAlert: {disable: true}
`,
      },
      expected: [
        'crd.yaml:8:18 spec.slos[0].objective: objective 101 is outside (0, 100]',
        'crd.yaml:11:23 spec.slos[0].sli.events.errorQuery: query must contain the {{.window}} variable',
        'crd.yaml:14:9 spec.slos[0].alerting.name: alert name is required',
      ],
    },
    {
      name: 'native: period, latency threshold, histogram selector',
      files: {
        'n.yaml': `version: o11y/v1
service: svc
slos:
  - name: a
    objective: 99
    period: 14d
    sli:
      latency: {histogram: 'rate(x[5m])', threshold: -1}
    alerting: {page: {disable: true}, ticket: {disable: true}}
`,
      },
      expected: [
        'n.yaml:6:13 slos[0].period: period 2w is not supported: use one of 7d, 28d, 30d',
        'n.yaml:8:28 slos[0].sli.latency.histogram: "rate(x[5m])" is not a histogram metric selector',
        'n.yaml:8:54 slos[0].sli.latency.threshold: threshold -1 must be a positive number of seconds',
      ],
    },
    {
      name: 'OpenSLO: calendar window, target, missing reference',
      files: {
        'o.yaml': `apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: svc
  indicatorRef: nope
  timeWindow: [{duration: 1M, calendar: {startTime: "2024-01-01 00:00:00", timeZone: UTC}}]
  objectives: [{target: 1.5}]
`,
      },
      expected: [
        'o.yaml:6:17 spec.indicatorRef: no SLI named "nope" in the given files',
        'o.yaml:7:16 spec.timeWindow[0]: calendar time windows cannot be expressed as a PromQL range',
        'o.yaml:7:27 spec.timeWindow[0].duration: "1M" is not a duration',
        'o.yaml:8:25 spec.objectives[0].target: objective 150 is outside (0, 100]',
      ],
    },
  ];

  cases.push(
    {
      name: 'OpenSLO: a good query that is not the total narrowed by a filter',
      files: { 'o.yaml': readFileSync('examples/slos/openslo-v1.yaml', 'utf8').replace('query: http_requests_total{service="checkout", code!~"5.."}', 'query: http_request_total{service="checkout", code!~"5.."}') },
      expected: ['o.yaml:10:5 spec.ratioMetric.good: SLO "checkout-availability": http_request_total{service="checkout", code!~"5.."} does not read the total query\'s series: metric http_request_total is not the total\'s (http_requests_total)'],
    },
    {
      name: 'OpenSLO: a burn-rate threshold below 1',
      files: { 'o.yaml': readFileSync('examples/slos/openslo-v1.yaml', 'utf8').replace('threshold: 2.8', 'threshold: 0.7') },
      expected: ['o.yaml:44:16 spec.condition.threshold: burn-rate threshold 0.7 is below 1: it would fire for a service on track to end its period with budget left'],
    },
  );

  it.each(cases)('$name', ({ files, expected }) => {
    const got = problems(files);
    expect(got).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(got[i]).toContain(e));
  });

  it('accepts every example and the stack SLOs', () => {
    const files = globSync(['examples/slos/*.yaml', 'slos/*.yaml']);
    expect(files.length).toBeGreaterThanOrEqual(5);
    const sources = files.flatMap((f) => parseYaml(readFileSync(f, 'utf8'), f));
    const slos = parseAndCheck(sources);
    expect(new Set(slos.map((s) => s.origin.format))).toEqual(new Set(['prometheus/v1', 'sloth.slok.dev/v1', 'openslo/v1', 'o11y/v1']));
  });
});

describe('each error selector is paired with a total selector (unpairedErrorSelector)', () => {
  it.each([
    // The total's series narrowed by an error filter.
    { errors: 'sum(rate(x{job="a", code=~"5.."}[5m]))', total: 'sum(rate(x{job="a"}[5m]))', unpaired: undefined },
    { errors: 'sum(rate(x{code=~"5..", job="a"}[5m]))', total: 'sum(rate(x{job="a"}[5m]))', unpaired: undefined },
    { errors: 'sum(rate({__name__="x", job="a", code="500"}[5m]))', total: 'sum(rate(x{job="a"}[5m]))', unpaired: undefined },
    // OpenSLO good/total: the error query is total - good, and good narrows total.
    { errors: '(sum(rate(x{job="a"}[5m]))) - (sum(rate(x{job="a", code!~"5.."}[5m])))', total: 'sum(rate(x{job="a"}[5m]))', unpaired: undefined },
    // Errors from one of several summed metrics (the stack's otel-gateway SLO).
    { errors: 'sum(rate({__name__=~"r(_total)?", job="g"}[5m]))', total: 'sum(rate({__name__=~"a(_total)?", job="g"}[5m])) + sum(rate({__name__=~"r(_total)?", job="g"}[5m]))', unpaired: undefined },
    // One histogram's series are one family, and le differs between a bucket and the total.
    { errors: 'sum(rate(h_count{job="a"}[5m])) - sum(rate(h_bucket{job="a", le="0.3"}[5m]))', total: 'sum(rate(h_count{job="a"}[5m]))', unpaired: undefined },
    { errors: 'sum(rate(h_bucket{job="a", le="+Inf"}[5m])) - sum(rate(h_bucket{job="a", le="0.3"}[5m]))', total: 'sum(rate(h_bucket{job="a", le="+Inf"}[5m]))', unpaired: undefined },
    { errors: 'sum(rate(h_sum{job="a"}[5m]))', total: 'sum(rate(h_count{job="a"}[5m]))', unpaired: undefined },
    // The table of metric pairs.
    { errors: 'sum(rate(grpc_server_handled_total{job="a", grpc_code!="OK"}[5m]))', total: 'sum(rate(grpc_server_started_total{job="a"}[5m]))', unpaired: undefined },
    { errors: 'sum(rate(rule_evaluation_failures_total{job="p"}[5m]))', total: 'sum(rate(rule_evaluations_total{job="p"}[5m]))', unpaired: undefined },
    { errors: 'sum(rate(reconcile_errors_total[5m]))', total: 'sum(rate(reconcile_operations_total[5m]))', unpaired: undefined },
    { errors: 'sum(rate(q_requests_failed_total[5m]))', total: 'sum(rate(q_requests_total[5m]))', unpaired: undefined },
    // Refused: a misspelt metric, a missing or changed matcher, another histogram, a pair not in the table, the le of a bucket that is not the total's family.
    { errors: 'sum(rate(x_totl{job="a", code="500"}[5m]))', total: 'sum(rate(x_total{job="a"}[5m]))', unpaired: 'x_totl{job="a", code="500"}' },
    { errors: 'sum(rate(x{code="500"}[5m]))', total: 'sum(rate(x{job="a"}[5m]))', unpaired: 'x{code="500"}' },
    { errors: 'sum(rate(x{job="b", code="500"}[5m]))', total: 'sum(rate(x{job="a"}[5m]))', unpaired: 'x{job="b", code="500"}' },
    { errors: 'sum(rate(h_count{job="a"}[5m])) - sum(rate(g_bucket{job="a", le="0.3"}[5m]))', total: 'sum(rate(h_count{job="a"}[5m]))', unpaired: 'g_bucket{job="a", le="0.3"}' },
    { errors: 'sum(rate(h_bucket{job="a", le="0.3"}[5m]))', total: 'sum(rate(h_total{job="a"}[5m]))', unpaired: 'h_bucket{job="a", le="0.3"}' },
    { errors: 'sum(rate(errors_total{job="a"}[5m]))', total: 'sum(rate(requests_total{job="a"}[5m]))', unpaired: 'errors_total{job="a"}' },
    { errors: 'sum(rate(grpc_server_handled_total{grpc_code!="OK"}[5m]))', total: 'sum(rate(grpc_server_started_total{job="a"}[5m]))', unpaired: 'grpc_server_handled_total{grpc_code!="OK"}' },
    { errors: 'sum(rate(rule_evaluation_failure_total[5m]))', total: 'sum(rate(rule_evaluations_total[5m]))', unpaired: 'rule_evaluation_failure_total' },
  ])('$errors over $total → $unpaired', ({ errors, total, unpaired }) => {
    expect(unpairedErrorSelector(errors, total)?.selector.text).toBe(unpaired);
  });
});

describe('an SLO acknowledges an error query the lint cannot pair, in each format', () => {
  const fixture = (path: string) => readFileSync(join('test/fixtures/slo-corpus', path), 'utf8');
  const WHY = 'counted by the exporter as two counters';
  it.each([
    {
      format: 'o11y/v1 key',
      bare: fixture('refused/native-pair-not-in-table.yaml'),
      acknowledge: (t: string) => t.replace('    objective: 99.9\n', `    objective: 99.9\n    unpairedSeries: ${WHY}\n`),
      how: 'the SLO key unpairedSeries: "<why>"',
    },
    {
      format: 'Sloth label',
      bare: fixture('refused/sloth-misspelt-metric.yaml'),
      acknowledge: (t: string) => t.replace('    objective: 99.9\n', `    objective: 99.9\n    labels:\n      o11y_unpaired_series: ${WHY}\n`),
      how: 'the SLO label o11y_unpaired_series: "<why>"',
    },
    {
      format: 'Sloth CRD label',
      bare: fixture('refused/sloth-crd-latency-wrong-job.yaml'),
      acknowledge: (t: string) => t.replace('      objective: 99\n', `      objective: 99\n      labels:\n        o11y_unpaired_series: ${WHY}\n`),
      how: 'the SLO label o11y_unpaired_series: "<why>"',
    },
    {
      format: 'OpenSLO annotation',
      bare: fixture('accepted/openslo-readme-ratio.yaml').replace(/ {2}annotations:\n.*\n/, ''),
      acknowledge: () => fixture('accepted/openslo-readme-ratio.yaml'),
      how: 'the annotation o11y.dev/unpaired-series: "<why>" in the SLO\'s metadata.annotations',
    },
  ])('$format', ({ bare, acknowledge, how }) => {
    const refused = problems({ 's.yaml': bare });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(new RegExp(`does not read the total query's series: .* acknowledge it with ${how.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const text = acknowledge(bare);
    expect(text).not.toBe(bare);
    expect(problems({ 's.yaml': text })).toEqual([]);
    // The acknowledgement is not a label of the recorded series.
    expect(JSON.stringify(compileSlos(parseAndCheck(parseYaml(text, 's.yaml'))).ruleFile)).not.toContain('o11y_unpaired_series');
  });
});

