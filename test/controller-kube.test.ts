/**
 * The controller against a loopback API server speaking the Kubernetes wire format (no
 * kube-apiserver can be installed here): fixed LIST counts, retries, 403/unreachable, partial
 * failures, watch-based --wait with 410 relists, the `o11y watch` endpoints, and no writes ever.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { readClusterState, runCheck, type CheckOptions } from '../src/controller/check.ts';
import { KubeReader, loadKubeConfig } from '../src/controller/kube.ts';
import { scopeFromFlags } from '../src/controller/scope.ts';
import { startController } from '../src/controller/serve.ts';
import { waitForHealthy } from '../src/controller/wait.ts';
import { FakeApiServer, type KubeObject } from './support/fake-apiserver.ts';
import { daemonSet, deployment, node, pod, statefulSet } from './fixtures/k8s/objects.ts';
import { linuxOnly, spread, started, withLabels } from './controller-fixtures.ts';

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

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => ({ write: (s: string) => (append(s), true) }) as unknown as NodeJS.WritableStream;
  const code = await main(['node', 'o11y', ...args], { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

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
  it('reports a healthy stack with per-arch counts and exits 0 (JSON contract)', async () => {
    seedHealthyStack();
    healthyPrometheus();
    const { code, stdout } = await cli('check', '--kubeconfig', kubeconfig, '-o', 'json', '--require-arch', 'amd64,arm64');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(['healthy', 'nodes', 'workloads', 'rules', 'alerts', 'budgets']);
    expect(report.healthy).toBe(true);
    expect(report.nodes).toEqual({ amd64: 2, arm64: 1 });
    expect(report.workloads.find((w: { name: string }) => w.name === 'otel-gateway')).toEqual({
      kind: 'Deployment', namespace: 'observability', name: 'otel-gateway', status: 'Current', message: '2/2 replicas available',
      architectures: { amd64: { ready: 1, total: 1 }, arm64: { ready: 1, total: 1 } }, pods: [], warnings: [],
    });
    expect(report.rules.status).toBe('Current');
  });

  it('--manifests: every synthesized workload must exist, a missing one is NotFound', async () => {
    seedHealthyStack();
    healthyPrometheus();
    const dir = mkdtempSync(join(tmpdir(), 'o11y-dist-'));
    const doc = (kind: string, name: string, namespace: string) => `apiVersion: apps/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`;
    writeFileSync(join(dir, 'backends.k8s.yaml'), [doc('Deployment', 'grafana', 'observability'), doc('Deployment', 'kube-state-metrics', 'observability'),
      doc('StatefulSet', 'prometheus', 'observability'), doc('DaemonSet', 'otel-agent', 'observability-agent')].join('---\n'));
    const { code, stdout } = await cli('check', '--kubeconfig', kubeconfig, '--manifests', dir, '-o', 'json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.workloads.map((w: { name: string; status: string }) => `${w.name}:${w.status}`))
      .toEqual(['grafana:Current', 'kube-state-metrics:NotFound', 'prometheus:Current', 'otel-agent:Current']);
    // Namespaces come from the manifests: per-namespace lists, no part-of selector.
    expect(api.reads('list', 'deployments').map((r) => r.path).sort()).toEqual(['/apis/apps/v1/namespaces/observability-agent/deployments', '/apis/apps/v1/namespaces/observability/deployments']);
  });

  it('sends a fixed number of LISTs: one per kind and scope, never one per workload', async () => {
    seedHealthyStack();
    for (let i = 0; i < 50; i++) api.apply(obj(deployment(`extra-${i}`)));
    await readClusterState(reader(), options().scope);
    // 3 workload kinds cluster-wide by part-of, nodes, and pods of the 2 namespaces found.
    expect(api.reads('list').map((r) => r.path).sort()).toEqual([
      '/api/v1/namespaces/observability-agent/pods', '/api/v1/namespaces/observability/pods', '/api/v1/nodes',
      '/apis/apps/v1/daemonsets', '/apis/apps/v1/deployments', '/apis/apps/v1/statefulsets',
    ]);
    expect(api.reads('list', 'deployments')[0]!.query.labelSelector).toBe('app.kubernetes.io/part-of=o11y');
  });

  it('scopes by namespace with -n: lists per namespace, pods alongside', async () => {
    seedHealthyStack();
    const state = await readClusterState(reader(), options({ namespaces: ['observability'] }).scope);
    expect(state.workloads.map((w) => w.metadata.name).sort()).toEqual(['grafana', 'otel-gateway', 'prometheus']);
    expect(api.reads('list').every((r) => r.path === '/api/v1/nodes' || r.path.includes('/namespaces/observability/'))).toBe(true);
    expect(api.reads('list')).toHaveLength(5);
  });

  it('names the failing pod and its architecture, and exits 1', async () => {
    seedHealthyStack();
    healthyPrometheus();
    const image = 'quay.io/prometheus/prometheus:v3.14.0';
    api.apply(obj(statefulSet('prometheus', { ready: 0 })), kinded('Pod', pod('prometheus', 'prometheus-0', { node: 'arm-1', image,
      waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": no match for platform in manifest: not found` } })));
    const { code, stdout } = await cli('check', '--kubeconfig', kubeconfig);
    expect(code).toBe(1);
    expect(stdout).toMatch(/StatefulSet\s+observability\s+prometheus\s+Failed\s+-\s+0\/1\s+pod prometheus-0: ArchitectureMismatch/);
    expect(stdout).toMatch(/pod prometheus-0 on arm-1 \(arm64\): ArchitectureMismatch: image quay.io\/prometheus\/prometheus:v3.14.0 has no linux\/arm64 variant/);
    expect(stdout).not.toMatch(/\x1b\[/); // not a TTY: no colour
    expect(stdout).toMatch(/UNHEALTHY\n$/);
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

  it('forbidden exits 3 with the reason', async () => {
    seedHealthyStack();
    api.faults.push({ path: /\/api\/v1\/nodes$/, respond: 403 });
    const { code, stderr } = await cli('check', '--kubeconfig', kubeconfig);
    expect(code).toBe(3);
    expect(stderr).toMatch(/cannot check: forbidden: GET \/api\/v1\/nodes: 403 injected 403/);
  });

  it('an unreachable API server exits 3', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const { port } = dead.address() as AddressInfo;
    await new Promise<void>((r) => dead.close(() => r()));
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(kubeconfig, readFileSync(kubeconfig, 'utf8').replace(api.url, `http://127.0.0.1:${port}`));
    const { code, stderr } = await cli('check', '--kubeconfig', kubeconfig);
    expect(code).toBe(3);
    expect(stderr).toMatch(/cannot reach the API server at http:\/\/127.0.0.1:\d+: ECONNREFUSED/);
  });

  it('Prometheus unreachable through the proxy: rules Unknown, exit 3 when nothing else is wrong', async () => {
    seedHealthyStack();
    const { code, stdout } = await cli('check', '--kubeconfig', kubeconfig, '-o', 'json');
    expect(code).toBe(3);
    expect(JSON.parse(stdout).rules.status).toBe('Unknown');
  });

  it('a healthy single-architecture cluster is healthy under --require-arch amd64,arm64, with warnings', async () => {
    // What the stack synthesizes with `spreadAcrossArchitectures: required`, on amd64 nodes only,
    // plus a Windows node the agent keeps off with its kubernetes.io/os selector.
    const windows = withLabels(node('win-1', 'amd64'), { 'kubernetes.io/os': 'windows' });
    api.apply(
      ...[node('amd-1', 'amd64'), node('amd-2', 'amd64'), windows].map((n) => kinded('Node', n)),
      obj(spread(deployment('otel-gateway', { replicas: 2 }), 'DoNotSchedule')),
      obj(linuxOnly(daemonSet('otel-agent', { desired: 2 }))),
      ...[pod('otel-gateway', 'otel-gateway-a', { node: 'amd-1' }), pod('otel-gateway', 'otel-gateway-b', { node: 'amd-2' }),
        ...['amd-1', 'amd-2'].map((n) => pod('otel-agent', `otel-agent-${n}`, { node: n, namespace: 'observability-agent' }))].map((p) => kinded('Pod', p)),
    );
    const { code, stdout } = await cli('check', '--kubeconfig', kubeconfig, '--no-rules', '--require-arch', 'amd64,arm64', '-n', 'observability', '-n', 'observability-agent');
    expect(stdout).toMatch(/Deployment\s+observability\s+otel-gateway\s+Current\s+2\/2\s+2\/2 replicas available\n  warning: spread not checked on arm64: no Ready, schedulable arm64 node admits its pods\n/);
    expect(stdout).toMatch(/DaemonSet\s+observability-agent\s+otel-agent\s+Current\s+2\/2\s+2\/2 daemon pods available\n/);
    expect(stdout).toMatch(/\nHEALTHY\n$/);
    expect(code).toBe(0);
  });

  it('--no-rules checks rollout only: no Prometheus is contacted, rules are Skipped, exit 0', async () => {
    seedHealthyStack();
    const { code, stdout } = await cli('check', '--kubeconfig', kubeconfig, '--no-rules', '-n', 'observability', '-o', 'json');
    expect(JSON.parse(stdout)).toMatchObject({ healthy: true, rules: { status: 'Skipped', message: 'not checked (--no-rules)', groups: [] } });
    expect(code).toBe(0);
    expect(api.requests.filter((r) => r.path.includes('/proxy/'))).toEqual([]);
  });

  it.each([
    [['check', '--no-rules', '--prometheus-url', 'http://prometheus:9090'], /option '--no-rules' cannot be used with option '--prometheus-url <url>'/],
    [['watch', '--prometheus-url', 'http://prometheus:9090', '--no-rules'], /option '--no-rules' cannot be used with option '--prometheus-url <url>'/],
    [['check', '--image-pull-grace', '5 minutes'], /--image-pull-grace "5 minutes" is not a duration/],
    [['watch', '--image-pull-grace', '-1s', '--listen', '127.0.0.1:0'], /--image-pull-grace "-1s" is not a duration/],
  ])('bad flags %j exit 2 with a clear error', async (args, message) => {
    const { code, stderr } = await cli(...args, '--kubeconfig', kubeconfig);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });

  it('an image that does not pull fails only after --image-pull-grace, measured from the pod start', async () => {
    seedHealthyStack();
    const pulling = started(pod('prometheus', 'prometheus-0', { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "quay.io/prometheus/prometheus:v3.99.0"' } }),
      new Date(Date.now() - 60_000).toISOString());
    api.apply(obj(statefulSet('prometheus', { ready: 0 })), kinded('Pod', pulling));
    const within = await cli('check', '--kubeconfig', kubeconfig, '--no-rules', '-o', 'json');
    const judged = (out: string) => JSON.parse(out).workloads.find((w: { name: string }) => w.name === 'prometheus');
    expect(judged(within.stdout)).toMatchObject({ status: 'InProgress', message: '0 of 1 pods are ready; pod prometheus-0: ImagePullBackOff',
      pods: [{ reason: 'ImagePullBackOff', message: expect.stringMatching(/\(Failed in 4m\d*s? unless it pulls\)$/), failsAt: expect.any(String) }] });
    const past = await cli('check', '--kubeconfig', kubeconfig, '--no-rules', '-o', 'json', '--image-pull-grace', '30s');
    expect(judged(past.stdout)).toMatchObject({ status: 'Failed', message: expect.stringMatching(/^pod prometheus-0: ImagePullBackOff: .*\(not pulled for 1m\d*s?, grace 30s\)$/) });
    expect([within.code, past.code]).toEqual([1, 1]);
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

  it('ends at once with Failed when a pod starts crash-looping', async () => {
    seedHealthyStack();
    api.apply(obj(statefulSet('prometheus', { ready: 0 })), kinded('Pod', pod('prometheus', 'prometheus-0', { ready: false })));
    const done = waitForHealthy(reader(), { ...options(), timeoutMs: 10_000 });
    await until(() => api.openWatches >= 4);
    api.apply(kinded('Pod', pod('prometheus', 'prometheus-0', { waiting: { reason: 'CrashLoopBackOff' }, restarts: 3 })));
    const { report } = await done;
    expect(report.workloads.find((w) => w.name === 'prometheus')).toMatchObject({ status: 'Failed', message: /CrashLoopBackOff/ });
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

  it('times out with exit 1 and prints progress to stderr', async () => {
    seedHealthyStack();
    api.apply(obj(deployment('grafana', { updated: 0, available: 0 })));
    const { code, stderr } = await cli('check', '--kubeconfig', kubeconfig, '--wait', '--timeout', '1s');
    expect(code).toBe(1);
    expect(stderr).toMatch(/waiting: \d\/4 workloads Current; Deployment observability\/grafana: InProgress: 0 out of 1 new replicas/);
    expect(stderr).toMatch(/timed out after 1s/);
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

  it('--no-rules: never reads Prometheus and reports the rules Skipped', async () => {
    seedHealthyStack();
    const controller = await startController(reader(), { ...options(), prometheus: undefined, host: '127.0.0.1', port: 0 });
    try {
      await until(async () => (await fetch(`${controller.url}/readyz`)).status === 200);
      const metrics = await (await fetch(`${controller.url}/metrics`)).text();
      expect(metrics).toContain('o11y_rules_status{status="Skipped"} 1');
      expect(metrics).toContain('o11y_healthy 1');
      expect(api.requests.filter((r) => r.path.includes('/proxy/'))).toEqual([]);
    } finally {
      await controller.stop();
    }
  });
});

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

