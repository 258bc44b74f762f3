import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnreachableError } from '../src/errors.ts';
import { checkPrometheus, type ExpectedRuleGroup, type PrometheusCheck } from '../src/controller/prometheus/index.ts';
import { startPrometheus } from './support/real-prometheus.ts';
import { freePort } from './support/free-port.ts';

// Two series with distinct labels, so that `* on()` has no unique side: a many-to-many error at evaluation time,
// which promtool's static check cannot see.
const TWO_SERIES = 'label_replace(vector(1), "side", "a", "", "") or label_replace(vector(1), "side", "b", "", "")';
const SLO_RULES = `groups:
  - name: slo-checkout-availability
    rules:
      - record: slo:period_error_budget_remaining:ratio
        expr: label_replace(label_replace(vector(0.75), "sloth_service", "checkout", "", ""), "sloth_slo", "availability", "", "")
      - alert: CheckoutAvailabilityBudgetBurn
        expr: vector(1)
        labels: { severity: page, sloth_slo: availability, sloth_service: checkout }
  - name: stack-recording
    rules:
      - record: test:one
        expr: vector(1)
`;
const BROKEN_RULES = `groups:
  - name: broken
    rules:
      - record: test:fine
        expr: vector(2)
      - record: test:many_to_many
        expr: (${TWO_SERIES}) * on() (${TWO_SERIES})
`;

describe('checkPrometheus against a real Prometheus 3', () => {
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  let expected: ExpectedRuleGroup[];

  beforeAll(async () => {
    prometheus = await startPrometheus({ ruleFiles: { 'slo.yaml': SLO_RULES, 'broken.yaml': BROKEN_RULES } });
    const slo = join(prometheus.rulesDir, 'slo.yaml');
    expected = [
      { name: 'slo-checkout-availability', file: slo },
      { name: 'stack-recording', file: slo },
      { name: 'broken', file: join(prometheus.rulesDir, 'broken.yaml') },
      { name: 'never-deployed', file: slo },
    ];
    // Wait until every group has run once and the alert has fired.
    for (let i = 0; ; i++) {
      const r = await checkPrometheus({ url: prometheus.url }, expected);
      if (r.rules.groups.every((g) => g.health !== 'unknown') && r.alerts.length && r.budgets.length) break;
      if (i > 100) throw new Error(`Prometheus did not evaluate the rules: ${JSON.stringify(r)}\n${prometheus.output()}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  });
  afterAll(() => prometheus?.stop());

  function expectVerdicts(r: PrometheusCheck): void {
    expect(r.rules.status).toBe('Failed');
    const health = Object.fromEntries(r.rules.groups.map((g) => [g.name, g.health]));
    expect(health).toEqual({
      'slo-checkout-availability': 'ok',
      'stack-recording': 'ok',
      broken: 'err',
      'never-deployed': 'missing',
    });
    const broken = r.rules.groups.find((g) => g.name === 'broken')!;
    expect(broken.lastError).toMatch(/^rule test:many_to_many: .*many-to-many matching not allowed/);
    expect(broken.failingRules?.map((f) => f.name)).toEqual(['test:many_to_many']);
    for (const g of r.rules.groups.filter((x) => x.health === 'ok')) expect(Date.parse(g.lastEvaluation!)).toBeGreaterThan(0);
    expect(r.rules.message).toContain('1 expected rule group(s) not loaded');
    expect(r.alerts).toEqual([
      {
        name: 'CheckoutAvailabilityBudgetBurn',
        state: 'firing',
        labels: { alertname: 'CheckoutAvailabilityBudgetBurn', severity: 'page', sloth_slo: 'availability', sloth_service: 'checkout' },
      },
    ]);
    expect(r.budgets).toEqual([{ slo: 'availability', service: 'checkout', remaining: 0.75 }]);
    expect(r.warnings).toEqual([]);
  }

  it('reports the broken rule as err with its lastError, the missing group as missing, the rest ok', async () => {
    expectVerdicts(await checkPrometheus({ url: prometheus.url }, expected));
  });

  it('judges loaded groups nobody expected too, so a broken rule anywhere fails the check', async () => {
    const r = await checkPrometheus({ url: prometheus.url }, [{ name: 'stack-recording', file: '' }]);
    expect(r.rules.groups[0]).toMatchObject({ name: 'stack-recording', health: 'ok' });
    expect(Object.fromEntries(r.rules.groups.map((g) => [g.name, g.health]))).toEqual({
      'stack-recording': 'ok',
      'slo-checkout-availability': 'ok',
      broken: 'err',
    });
    expect(r.rules.status).toBe('Failed');
  });

  it('throws UnreachableError for a URL where nothing listens', async () => {
    const port = await freePort();
    await expect(checkPrometheus({ url: `http://127.0.0.1:${port}` }, expected)).rejects.toThrow(UnreachableError);
    await expect(checkPrometheus({ url: `http://127.0.0.1:${port}` }, expected)).rejects.toThrow(/ECONNREFUSED/);
  });

  describe('5xx answers', () => {
    let flaky: Server;
    let flakyUrl: string;
    let failuresLeft = 0;
    const hits: string[] = [];
    const fast = { attempts: 4, initialDelayMs: 10, timeoutMs: 5000 };

    beforeAll(async () => {
      // Answers 503 (as Prometheus does until it is ready) `failuresLeft` times, then forwards to the real Prometheus.
      const target = new URL(prometheus.url);
      flaky = createServer((req, res) => {
        hits.push(req.url!.split('?')[0]!);
        if (failuresLeft-- > 0) {
          res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
          return;
        }
        const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method }, (up) => {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
        });
        upstream.end();
      });
      const port = await freePort();
      await new Promise<void>((r) => flaky.listen(port, '127.0.0.1', r));
      flakyUrl = `http://127.0.0.1:${port}`;
    });
    afterAll(() => new Promise<void>((r) => flaky.close(() => r())));

    it('are retried with backoff until Prometheus answers', async () => {
      hits.length = 0;
      failuresLeft = 3;
      expectVerdicts(await checkPrometheus({ url: flakyUrl }, expected, new Date(), fast));
      expect(hits).toHaveLength(4 + 3);
    });

    it('give UnreachableError once the attempts are spent', async () => {
      failuresLeft = 1000;
      const check = checkPrometheus({ url: flakyUrl }, expected, new Date(), fast);
      await expect(check).rejects.toThrow(UnreachableError);
      await expect(check).rejects.toThrow(/\/api\/v1\/(rules|status\/runtimeinfo|alerts|query): HTTP 503 after 4 attempts: Service Unavailable/);
      failuresLeft = 0;
    });
  });

  describe('through the API server service proxy', () => {
    const token = 'kube-test-token';
    let proxy: Server;
    let apiServer: string;
    const seen: { path: string; auth?: string }[] = [];

    beforeAll(async () => {
      // Stands in for kube-apiserver: checks the bearer token and forwards the service-proxy path to Prometheus.
      const prefix = '/api/v1/namespaces/observability/services/prometheus:web/proxy';
      const target = new URL(prometheus.url);
      proxy = createServer((req, res) => {
        seen.push({ path: req.url!, auth: req.headers.authorization });
        if (req.headers.authorization !== `Bearer ${token}`) {
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'services "prometheus" is forbidden: User "system:anonymous" cannot get resource "services/proxy"' }));
          return;
        }
        if (!req.url!.startsWith(`${prefix}/`)) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' }));
          return;
        }
        const upstream = request({ host: target.hostname, port: target.port, path: req.url!.slice(prefix.length), method: req.method }, (up) => {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.writeHead(503).end('no endpoints available for service "prometheus"'));
        upstream.end();
      });
      const port = await freePort();
      await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
      apiServer = `http://127.0.0.1:${port}`;
    });
    afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

    async function kubeConfig(userToken: string): Promise<KubeConfig> {
      // Imported here so that the direct-URL tests above do not depend on client-node loading.
      const kc = new (await import('@kubernetes/client-node')).KubeConfig();
      kc.loadFromOptions({
        // client-node 2 refuses a plain-http server unless TLS verification is off.
        clusters: [{ name: 'test', server: apiServer, skipTLSVerify: true }],
        users: [{ name: 'reader', token: userToken }],
        contexts: [{ name: 'test', cluster: 'test', user: 'reader' }],
        currentContext: 'test',
      });
      return kc;
    }

    it('reaches Prometheus with the kubeconfig token at /api/v1/namespaces/{ns}/services/{svc}:{port}/proxy/...', async () => {
      seen.length = 0;
      const r = await checkPrometheus({ kubeConfig: await kubeConfig(token), namespace: 'observability', service: 'prometheus', port: 'web' }, expected);
      expectVerdicts(r);
      expect(seen.map((s) => s.path.split('?')[0]).sort()).toEqual([
        '/api/v1/namespaces/observability/services/prometheus:web/proxy/api/v1/alerts',
        '/api/v1/namespaces/observability/services/prometheus:web/proxy/api/v1/query',
        '/api/v1/namespaces/observability/services/prometheus:web/proxy/api/v1/rules',
        '/api/v1/namespaces/observability/services/prometheus:web/proxy/api/v1/status/runtimeinfo',
      ]);
      expect(new Set(seen.map((s) => s.auth))).toEqual(new Set([`Bearer ${token}`]));
    });

    it('gives UnreachableError naming the reason when the API server forbids the proxy', async () => {
      const ep = { kubeConfig: await kubeConfig('wrong'), namespace: 'observability', service: 'prometheus', port: 'web' };
      await expect(checkPrometheus(ep, expected)).rejects.toThrow(/forbidden \(HTTP 403\).*cannot get resource "services\/proxy"/);
      await expect(checkPrometheus(ep, expected)).rejects.toThrow(UnreachableError);
    });

    it('gives UnreachableError when the service does not exist (404 from the API server)', async () => {
      const ep = { kubeConfig: await kubeConfig(token), namespace: 'observability', service: 'nope', port: 9090 };
      await expect(checkPrometheus(ep, expected)).rejects.toThrow(/HTTP 404: the server could not find the requested resource/);
    });
  });
});
