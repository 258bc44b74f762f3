import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { compileSloFiles } from '../src/slo/index.ts';
import type { RuleGroup } from '../src/slo/rules.ts';
import type { Daemon } from './support/daemon.ts';
import { startPrometheusWith } from './support/real-prometheus.ts';

const FILES = ['examples/slos/sloth-prometheus-v1.yaml', 'examples/slos/sloth-crd.yaml', 'examples/slos/openslo-v1.yaml', 'examples/slos/native.yaml', 'slos/stack.yaml'];

/**
 * A scrape target whose counters grow on every scrape: myservice and checkout fail 1 of 200 requests, the stack components never; the api histogram has 3 of 100 requests above 0.3s and
 * Prometheus' query histogram 1 of 100 above 1s.
 */
function startTarget(): Promise<{ server: Server; port: number }> {
  let n = 0;
  const server = createServer((_req, res) => {
    n++;
    const lines = [
      `http_request_duration_seconds_count{job="myservice",code="200"} ${199 * n}`,
      `http_request_duration_seconds_count{job="myservice",code="500"} ${1 * n}`,
      `http_requests_total{service="checkout",code="200"} ${199 * n}`,
      `http_requests_total{service="checkout",code="503"} ${1 * n}`,
      `http_requests_total{job="api",code="200"} ${50 * n}`,
      `http_server_request_duration_seconds_bucket{job="api",le="0.1"} ${80 * n}`,
      `http_server_request_duration_seconds_bucket{job="api",le="0.3"} ${97 * n}`,
      `http_server_request_duration_seconds_bucket{job="api",le="+Inf"} ${100 * n}`,
      `http_server_request_duration_seconds_count{job="api"} ${100 * n}`,
      `http_server_request_duration_seconds_sum{job="api"} ${12 * n}`,
      `probe_success{job="blackbox",instance="https://api.example.com/healthz"} 1`,
      `unifipoller_client_satisfaction_ratio{name="laptop"} 0.97`,
      `otelcol_receiver_accepted_spans_total{job="otel-gateway",receiver="otlp"} ${500 * n}`,
      `otelcol_receiver_refused_spans_total{job="otel-gateway",receiver="otlp"} 0`,
      `grafana_http_request_duration_seconds_count{job="grafana",status_code="200"} ${10 * n}`,
      `prometheus_http_requests_total{job="prometheus",code="200"} ${20 * n}`,
      `prometheus_http_request_duration_seconds_bucket{job="prometheus",handler="/api/v1/query",le="1"} ${99 * n}`,
      `prometheus_http_request_duration_seconds_bucket{job="prometheus",handler="/api/v1/query",le="+Inf"} ${100 * n}`,
      `prometheus_http_request_duration_seconds_count{job="prometheus",handler="/api/v1/query"} ${100 * n}`,
    ];
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

interface ApiRule { name: string; health: string; lastError?: string; type: string; lastEvaluation: string }

describe('generated SLO rules in a real Prometheus 3', () => {
  const compiled = compileSloFiles(FILES);
  let prometheus: Daemon;
  let target: { server: Server; port: number };

  beforeAll(async () => {
    target = await startTarget();
    prometheus = await startPrometheusWith({
      tmpPrefix: 'o11y-slo-prometheus-',
      prepare: (dir) => {
        writeFileSync(join(dir, 'slo.rules.yaml'), dumpYaml(compiled.ruleFile));
        writeFileSync(
          join(dir, 'prometheus.yml'),
          dumpYaml({
            global: { scrape_interval: '1s', evaluation_interval: '1s' },
            rule_files: [join(dir, 'slo.rules.yaml')],
            scrape_configs: [{ job_name: 'slo-test', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${target.port}`] }] }],
          }),
        );
      },
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    target?.server.close();
  });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(prometheus.url + path);
    const body = (await res.json()) as { status: string; data: T };
    expect(body.status).toBe('success');
    return body.data;
  };
  const value = async (expr: string): Promise<number | undefined> => {
    const data = await api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    return data.result.length ? Number(data.result[0]!.value[1]) : undefined;
  };
  const validate = (...args: string[]) => runCli('slo', 'validate', ...args);
  const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 40_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${prometheus.output()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  it('records the served error ratios, on every window and over the period, without NaN', async () => {
    const ratio = (id: string, series: string) => value(`${series}{sloth_id="${id}"}`);
    // Groups evaluate independently: wait until the last series in each chain exists for every SLO.
    const fed = compiled.slos.map((s) => s.id).filter((id) => id !== 'api-latency-native');
    await waitFor('every fed SLO recorded', async () => (await value('count(slo:period_error_budget_remaining:ratio)')) === fed.length);
    expect(await ratio('myservice-requests-availability', 'slo:sli_error:ratio_rate5m')).toBeCloseTo(0.005, 6);
    expect(await ratio('myservice-requests-availability', 'slo:sli_error:ratio_rate30d')).toBeCloseTo(0.005, 6);
    expect(await value('slo:sli_error:ratio_rate{sloth_id="myservice-requests-availability", sloth_window="3d"}')).toBeCloseTo(0.005, 6);
    expect(await ratio('checkout-checkout-availability', 'slo:sli_error:ratio_rate4w')).toBeCloseTo(0.005, 6);
    expect(await ratio('api-latency', 'slo:sli_error:ratio_rate4w')).toBeCloseTo(0.03, 6);
    expect(await ratio('api-probe-availability', 'slo:sli_error:ratio_rate1w')).toBe(0);
    expect(await ratio('prometheus-query-latency', 'slo:sli_error:ratio_rate1w')).toBeCloseTo(0.01, 6);
    expect(await ratio('home-wifi-good-wifi-client-satisfaction', 'slo:sli_error:ratio_rate30d')).toBeCloseTo(0.03, 6);
    // A stack component without errors: zero error ratio and a full budget, not NaN.
    expect(await ratio('otel-gateway-spans-accepted', 'slo:period_error_budget_remaining:ratio')).toBe(1);
    const nan = (name: string) => `(${name} != ${name})`; // NaN is the only value not equal to itself
    const series = ['slo:sli_error:ratio_rate', 'slo:current_burn_rate:ratio', 'slo:period_burn_rate:ratio', 'slo:period_error_budget_remaining:ratio'];
    expect(await value(`count(${series.map(nan).join(' or ')}) or vector(0)`)).toBe(0);
    // myservice burns 0.005/0.001 = 5x its budget: the ticket alert (3x, 1x) is pending, page (14.4x, 6x) is not.
    await waitFor('ticket alert', async () => (await value('ALERTS{alertname="MyServiceHighErrorRate", sloth_severity="ticket"}')) === 1);
    expect(await value('ALERTS{alertname="MyServiceHighErrorRate", sloth_severity="page"}')).toBeUndefined();
    // The stack's components serve no 5xx series at all: their error queries say that absence means none.
    expect(await value('count(ALERTS{alertname=~".*NoErrorSeries"})')).toBeUndefined();
  }, 60_000);
  it('validate --prometheus-url: a classic latency threshold must be an le of the live buckets', async () => {
    await waitFor('histograms scraped', async () => (await value('count(http_server_request_duration_seconds_bucket) + count(prometheus_http_request_duration_seconds_bucket)')) === 5);
    // api-latency (0.3) and prometheus-query-latency (1, exposed as "1", stored by Prometheus 3 as "1.0").
    expect(await validate('--prometheus-url', prometheus.url, 'examples/slos/native.yaml', 'slos/stack.yaml')).toMatchObject({ code: 0, stdout: 'ok: 8 SLOs in 2 files\n' });
    const dir = mkdtempSync(join(tmpdir(), 'o11y-slo-buckets-'));
    const file = (name: string, histogram: string, threshold: string) => {
      const path = join(dir, name);
      writeFileSync(path, `version: o11y/v1\nservice: api\nslos:\n  - name: latency\n    objective: 99\n    sli:\n      latency:\n        histogram: ${histogram}\n        threshold: ${threshold}\n    alerting: {name: ApiSlow}\n`);
      return path;
    };
    const offBucket = file('off-bucket.yaml', 'http_server_request_duration_seconds{job="api"}', '0.25');
    const r = await validate('--prometheus-url', prometheus.url, offBucket);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${offBucket}:9:20 slos[0].sli.latency.threshold: SLO "latency": threshold 0.25 is not a bucket boundary of ` +
        `http_server_request_duration_seconds_bucket{job="api"} at ${prometheus.url}; allowed: 0.1, 0.3, +Inf\n`,
    );
    // Without a Prometheus the file is valid: the threshold cannot be checked from the spec alone.
    expect((await validate(offBucket)).code).toBe(0);
    const noSeries = file('no-series.yaml', 'http_server_request_duration_seconds{job="apii"}', '0.3');
    expect(await validate('--prometheus-url', prometheus.url, noSeries)).toMatchObject({ code: 2, stderr: expect.stringContaining(`${noSeries}:9:20 slos[0].sli.latency.threshold: SLO "latency": no series match http_server_request_duration_seconds_bucket{job="apii"}`) });
    expect((await validate('--prometheus-url', 'http://127.0.0.1:1', noSeries)).code).toBe(3);
  }, 60_000);

  it('with data flowing, every group is loaded and every rule evaluates with health ok', async () => {
    const expected = (compiled.ruleFile.groups as RuleGroup[]).map((g) => g.name).sort();
    let rules: ApiRule[] = [];
    await waitFor('every rule evaluated', async () => {
      const data = await api<{ groups: { name: string; rules: ApiRule[] }[] }>('/api/v1/rules');
      expect(data.groups.map((g) => g.name).sort()).toEqual(expected);
      rules = data.groups.flatMap((g) => g.rules);
      return rules.every((r) => !r.lastEvaluation.startsWith('0001-'));
    });
    expect(rules).toHaveLength(compiled.ruleFile.groups.flatMap((g) => (g as RuleGroup).rules).length);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError}`)).toEqual([]);
  }, 60_000);

});
