/**
 * The controller against a loopback server speaking the Kubernetes wire format, for what a real
 * kube-apiserver cannot be made to do on demand: injected faults (5xx, hangs, a list that keeps
 * failing, a failing watch), etcd compaction's 410 Gone mid-watch, and a Prometheus answering
 * through the service proxy (a real server does not proxy to loopback endpoints and no pod network
 * runs here). Everything else runs against the real server: controller-real.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readClusterState, runCheck, type CheckOptions } from '../src/controller/check.ts';
import { KubeReader, loadKubeConfig } from '../src/controller/kube.ts';
import { scopeFromFlags } from '../src/controller/scope.ts';
import { startController } from '../src/controller/serve.ts';
import { waitForHealthy } from '../src/controller/wait.ts';
import { FakeApiServer, type KubeObject } from './support/fake-apiserver.ts';
import { runCli } from './support/run-cli.ts';
import { daemonSet, deployment, node, pod, statefulSet } from './fixtures/k8s/objects.ts';
import { started } from './controller-fixtures.ts';
import { until as untilReady } from './support/until.ts';

const obj = (o: object) => o as unknown as KubeObject;
const kinded = (kind: string, o: object) => obj({ ...o, kind });

let api: FakeApiServer;
let kubeconfig: string;

/** A healthy little stack on two amd64 and one arm64 node. */
function seedHealthyStack(): void {
  api.apply(
    ...[node('amd-1', 'amd64'), node('amd-2', 'amd64'), node('arm-1', 'arm64')].map((n) => kinded('Node', n)),
    obj(deployment('grafana')),
    obj(deployment('otel-gateway', { replicas: 2 })),
    obj(statefulSet('prometheus')),
    obj(daemonSet('otel-agent', { desired: 3 })),
    ...[
      pod('grafana', 'grafana-7d4b9c8f6d-x2x9q', { node: 'amd-1' }),
      pod('otel-gateway', 'otel-gateway-5f6d-a', { node: 'amd-2' }),
      pod('otel-gateway', 'otel-gateway-5f6d-b', { node: 'arm-1' }),
      pod('prometheus', 'prometheus-0', { node: 'amd-1' }),
      ...['amd-1', 'amd-2', 'arm-1'].map((n) => pod('otel-agent', `otel-agent-${n}`, { node: n, namespace: 'observability-agent' })),
    ].map((p) => kinded('Pod', p)),
  );
}

/** Prometheus answering through the service proxy with healthy, empty rules. */
function healthyPrometheus(): void {
  api.proxy = (_ns, _svc, path, res) => {
    const data = path.startsWith('/api/v1/rules') ? { groups: [] }
      : path.startsWith('/api/v1/status/runtimeinfo') ? { reloadConfigSuccess: true }
      : path.startsWith('/api/v1/alerts') ? { alerts: [] }
      : { resultType: 'vector', result: [] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data }));
  };
}

function options(flags: Parameters<typeof scopeFromFlags>[0] = {}, requireArch?: string[]): CheckOptions {
  const kubeConfig = loadKubeConfig({ kubeconfig });
  return { scope: scopeFromFlags(flags), requireArch, prometheus: { endpoint: { kubeConfig, namespace: 'observability', service: 'prometheus', port: 9090 }, expected: [] } };
}

const reader = (opts = {}) => new KubeReader(loadKubeConfig({ kubeconfig }), { backoffMs: 5, timeoutMs: 500, ...opts });

beforeEach(async () => {
  api = await FakeApiServer.start();
  kubeconfig = api.writeKubeconfig();
});
afterEach(async () => {
  // The whole point of the controller's RBAC: only reads, whatever happened in the test.
  expect(api.writes()).toEqual([]);
  await api.close();
});

describe('one-shot check', () => {
  it('a healthy stack with healthy rules read through the service proxy exits 0', async () => {
    seedHealthyStack();
    healthyPrometheus();
    const { code, stdout } = await runCli('check', '--kubeconfig', kubeconfig, '-o', 'json', '--require-arch', 'amd64,arm64');
    expect(JSON.parse(stdout)).toMatchObject({ healthy: true, rules: { status: 'Current' } });
    expect(api.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/observability/services/prometheus:9090/proxy/')).length).toBeGreaterThan(0);
    expect(code).toBe(0);
  });

  it('retries 5xx and succeeds', async () => {
    seedHealthyStack();
    api.faults.push({ path: /\/deployments$/, respond: 500, times: 2 });
    const r = reader();
    const state = await readClusterState(r, options().scope);
    expect(state.workloadListFailures).toEqual([]);
    expect(api.reads('list', 'deployments')).toHaveLength(3);
  });

  it('a list that keeps failing marks only what depends on it Unknown', async () => {
    seedHealthyStack();
    healthyPrometheus();
    api.faults.push({ path: /\/namespaces\/observability-agent\/pods$/, respond: 500 });
    const report = await runCheck(reader(), options());
    const status = Object.fromEntries(report.workloads.map((w) => [w.name, w.status]));
    expect(status).toEqual({ grafana: 'Current', 'otel-gateway': 'Current', prometheus: 'Current', 'otel-agent': 'Unknown' });
    expect(report.workloads.find((w) => w.name === 'otel-agent')!.message).toMatch(/cannot list pods: GET \/api\/v1\/namespaces\/observability-agent\/pods: 500 injected 500/);
  });

  it('a request that hangs times out and is retried', async () => {
    seedHealthyStack();
    api.faults.push({ path: /\/api\/v1\/nodes$/, respond: 'hang', times: 1 });
    const state = await readClusterState(reader({ timeoutMs: 200 }), options().scope);
    expect(Array.isArray(state.nodes) && state.nodes.length).toBe(3);
    expect(api.reads('list', 'nodes')).toHaveLength(2);
  });

  it.each([
    [['check', '--no-rules', '--prometheus-url', 'http://prometheus:9090'], /option '--no-rules' cannot be used with option '--prometheus-url <url>'/],
    [['watch', '--prometheus-url', 'http://prometheus:9090', '--no-rules'], /option '--no-rules' cannot be used with option '--prometheus-url <url>'/],
    [['check', '--image-pull-grace', '5 minutes'], /--image-pull-grace "5 minutes" is not a duration/],
    [['watch', '--image-pull-grace', '-1s', '--listen', '127.0.0.1:0'], /--image-pull-grace "-1s" is not a duration/],
  ])('bad flags %j exit 2 with a clear error', async (args, message) => {
    const { code, stderr } = await runCli(...args, '--kubeconfig', kubeconfig);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });

});

describe('check --wait (watch-based)', () => {
  it('waits through a rollout, survives a 410 relist, and ends as soon as all is Current', async () => {
    seedHealthyStack();
    healthyPrometheus();
    api.apply(obj(deployment('grafana', { updated: 0, available: 0 })));
    const progress: string[] = [];
    const done = waitForHealthy(reader(), { ...options(), timeoutMs: 10_000, onProgress: (r) => progress.push(r.workloads.find((w) => w.name === 'grafana')!.message) });
    await until(() => api.openWatches >= 4 && progress.length > 0);
    const listsBefore = api.reads('list').length;
    api.compact(); // every open watch gets the in-stream 410 Gone ERROR
    await until(() => api.reads('list').length > listsBefore && api.openWatches >= 4);
    api.apply(obj(deployment('grafana')));
    const { report, timedOut } = await done;
    expect(timedOut).toBe(false);
    expect(report.healthy).toBe(true);
    expect(progress[0]).toBe('0 out of 1 new replicas have been updated');
    expect(api.reads('watch').length).toBeGreaterThanOrEqual(8);
  });

  it('re-judges when an image-pull grace runs out, with no event from the cluster', async () => {
    seedHealthyStack();
    const pulling = started(pod('prometheus', 'prometheus-0', { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "quay.io/prometheus/prometheus:v3.99.0"' } }),
      new Date().toISOString());
    api.apply(obj(statefulSet('prometheus', { ready: 0 })), kinded('Pod', pulling));
    const seen: string[] = [];
    const { report, timedOut } = await waitForHealthy(reader(), { ...options(), prometheus: undefined, imagePullGraceMs: 1000, timeoutMs: 10_000,
      onProgress: (r) => seen.push(r.workloads.find((w) => w.name === 'prometheus')!.status) });
    expect(timedOut).toBe(false);
    expect(seen[0]).toBe('InProgress');
    expect(report.workloads.find((w) => w.name === 'prometheus')).toMatchObject({ status: 'Failed', message: /ImagePullBackOff: .*\(not pulled for 1s, grace 1s\)$/ });
  });

});

describe('o11y watch controller', () => {
  it('serves /metrics, /healthz and /readyz from informers', async () => {
    seedHealthyStack();
    healthyPrometheus();
    const controller = await startController(reader(), { ...options(), host: '127.0.0.1', port: 0 });
    try {
      expect((await fetch(`${controller.url}/healthz`)).status).toBe(200);
      await until(async () => (await fetch(`${controller.url}/readyz`)).status === 200);
      const metrics = await (await fetch(`${controller.url}/metrics`)).text();
      expect(metrics).toContain('o11y_workload_status{kind="Deployment",namespace="observability",name="grafana",status="Current"} 1');
      expect(metrics).toContain('o11y_workload_ready_pods{kind="Deployment",namespace="observability",name="otel-gateway",arch="arm64"} 1');
      expect(metrics).toContain('o11y_nodes{arch="amd64"} 2');
      api.apply(obj(deployment('grafana', { updated: 0, available: 0 })));
      await until(async () => (await (await fetch(`${controller.url}/metrics`)).text())
        .includes('o11y_workload_status{kind="Deployment",namespace="observability",name="grafana",status="InProgress"} 1'));
    } finally {
      await controller.stop();
    }
  });

  it('/healthz answers 503 while an informer watch keeps failing, and 200 once it works again', async () => {
    seedHealthyStack();
    healthyPrometheus();
    api.faults.push({ path: /^\/api\/v1\/nodes$/, respond: 500, on: 'watch' });
    const controller = await startController(reader(), { ...options(), host: '127.0.0.1', port: 0, unhealthyAfterMs: 300 });
    const healthz = () => fetch(`${controller.url}/healthz`);
    try {
      await until(async () => (await healthz()).status === 503);
      expect(await (await healthz()).text()).toMatch(/^informers not working:\n  \/api\/v1\/nodes: watch: HTTP 500 Internal Server Error \(for \d+s\)\n$/);
      // The nodes were listed, so a verdict exists: ready, but not live.
      expect((await fetch(`${controller.url}/readyz`)).status).toBe(200);
      api.faults.length = 0;
      await until(async () => (await healthz()).status === 200, 10_000);
    } finally {
      await controller.stop();
    }
  });
});

/** Waits until `cond` holds. */
const until = (cond: () => boolean | Promise<boolean>, timeoutMs = 5000) =>
  untilReady('the condition', async () => ((await cond()) ? true : undefined), { timeoutMs, intervalMs: 50 });

