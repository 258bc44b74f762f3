/**
 * `o11y check` against a real kube-apiserver 1.28 (test/support/real-apiserver.ts). No controller
 * or scheduler runs: workloads, pods and nodes are created, then their status is written through
 * the status subresource as the controllers and the kubelet would. Every check runs as
 * `o11y-reader`, bound only to the synthesized controller's ClusterRole (get/list/watch); the
 * server's audit log of that user proves the check never writes. Fault injection (5xx, hangs,
 * 410 Gone) and a Prometheus behind the service proxy stay with the fake (controller-kube.test.ts).
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readClusterState } from '../src/controller/check.ts';
import type { Node, Pod, Workload } from '../src/controller/k8s-types.ts';
import { KubeReader, loadKubeConfig } from '../src/controller/kube.ts';
import { scopeFromFlags } from '../src/controller/scope.ts';
import { startController } from '../src/controller/serve.ts';
import { linuxOnly, spread, started, withLabels } from './controller-fixtures.ts';
import { daemonSet, deployment, MESSAGES, node, pod, statefulSet } from './fixtures/k8s/objects.ts';
import { engines } from './support/engines.ts';
import { freePort } from './support/free-port.ts';
import { loadManifestFile } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { startRealApiServer, type AuditEvent, type RealApiServer } from './support/real-apiserver.ts';
import { runCli } from './support/run-cli.ts';
import { until as untilReady } from './support/until.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NAMESPACES = ['observability', 'observability-agent'];
const READS = new Set(['get', 'list', 'watch']);
const API_VERSION: Record<string, string> = { Node: 'v1', Pod: 'v1', Deployment: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1' };

const found = engines(import.meta.url, ['kube-apiserver']);

describe.runIf(found)('o11y check against a real kube-apiserver 1.28', () => {
  let api: RealApiServer;
  let reader: string;

  /** Creates (or updates) `o`, then writes its status through the status subresource. */
  async function put(kind: string, o: Workload | Pod | Node, opts: { status?: boolean } = {}): Promise<void> {
    const { status, ...rest } = o as { status?: Record<string, unknown> };
    // The server sets these; a create that carries a resourceVersion is refused.
    const { resourceVersion: _rv, generation: _generation, ...metadata } = o.metadata as typeof o.metadata & { generation?: number };
    const object = { ...rest, apiVersion: API_VERSION[kind]!, kind, metadata } as unknown as K8sObject;
    const created = (await api.apply(object))!;
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    if (!status || opts.status === false) return;
    // The controllers report the generation they saw: the server's, not the fixture's.
    const observed = 'observedGeneration' in status ? { observedGeneration: created.body.metadata.generation } : {};
    const written = await api.request('PATCH', `${await api.pathOf(object)}/status`, { body: { status: { ...status, ...observed } }, contentType: 'application/merge-patch+json' });
    expect(written.status, JSON.stringify(written.body)).toBe(200);
  }

  /**
   * Nodes as the node lifecycle controller leaves them once Ready: the `not-ready` taint the
   * TaintNodesByCondition admission plugin puts on every new node is gone again.
   */
  async function nodes(...list: Node[]): Promise<void> {
    for (const n of list) {
      await put('Node', n);
      const path = await api.pathOf({ apiVersion: 'v1', kind: 'Node', metadata: n.metadata });
      const untainted = await api.request('PATCH', path!, { body: { spec: { taints: n.spec?.taints ?? null } }, contentType: 'application/merge-patch+json' });
      expect(untainted.status, JSON.stringify(untainted.body)).toBe(200);
    }
  }
  const pods = async (...list: Pod[]) => { for (const p of list) await put('Pod', p); };
  /** A pod's spec cannot change: delete it (at once, no kubelet runs), then create the new one. */
  async function replacePod(p: Pod): Promise<void> {
    await api.request('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}?gracePeriodSeconds=0`);
    await pods(p);
  }

  /** A healthy little stack on two amd64 and one arm64 node (as controller-kube.test.ts seeds the fake). */
  async function seedHealthyStack(): Promise<void> {
    await nodes(node('amd-1', 'amd64'), node('amd-2', 'amd64'), node('arm-1', 'arm64'));
    await put('Deployment', deployment('grafana'));
    await put('Deployment', deployment('otel-gateway', { replicas: 2 }));
    await put('StatefulSet', statefulSet('prometheus'));
    await put('DaemonSet', daemonSet('otel-agent', { desired: 3 }));
    await pods(
      pod('grafana', 'grafana-7d4b9c8f6d-x2x9q', { node: 'amd-1' }),
      pod('otel-gateway', 'otel-gateway-5f6d-a', { node: 'amd-2' }),
      pod('otel-gateway', 'otel-gateway-5f6d-b', { node: 'arm-1' }),
      pod('prometheus', 'prometheus-0', { node: 'amd-1' }),
      ...['amd-1', 'amd-2', 'arm-1'].map((n) => pod('otel-agent', `otel-agent-${n}`, { node: n, namespace: 'observability-agent' })),
    );
  }

  /** The read-only identity's requests after `mark` (an index into the audit log). */
  const audited = (mark = 0): AuditEvent[] => api.auditEvents().filter((e) => e.user.username === 'o11y-reader').slice(mark);
  const listed = (events: AuditEvent[]) => events.filter((e) => e.verb === 'list').map((e) => e.requestURI.split('?')[0]!).sort();
  const check = (...args: string[]) => runCli('check', '--kubeconfig', reader, ...args);
  const workload = (stdout: string, name: string) => JSON.parse(stdout).workloads.find((w: { name: string }) => w.name === name);

  beforeAll(async () => {
    api = await startRealApiServer(found!['kube-apiserver']);
    reader = api.kubeconfig('reader');
    // Plain namespaces: the fixtures' pods are not Pod Security objects (apiserver-real.test.ts is).
    for (const name of NAMESPACES) {
      expect((await api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }))!.status).toBeLessThan(300);
      // What the service-account controller would create; the ServiceAccount admission plugin wants it.
      expect((await api.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } }))!.status).toBeLessThan(300);
    }
    // The reader gets exactly the synthesized controller's ClusterRole.
    const role = loadManifestFile(join(ROOT, 'dist/local/50-controller.k8s.yaml')).find((o) => o.kind === 'ClusterRole')!;
    expect(role.rules).toEqual([expect.objectContaining({ verbs: ['get', 'list', 'watch'] }), expect.objectContaining({ verbs: ['get', 'list', 'watch'] })]);
    expect((await api.apply(role))!.status).toBeLessThan(300);
    expect((await api.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'o11y-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'o11y-reader' }] }))!.status).toBeLessThan(300);
  }, 180_000);

  afterEach(async () => {
    for (const ns of NAMESPACES) {
      for (const plural of ['deployments', 'statefulsets', 'daemonsets']) await api.request('DELETE', `/apis/apps/v1/namespaces/${ns}/${plural}`);
      await api.request('DELETE', `/api/v1/namespaces/${ns}/pods?gracePeriodSeconds=0`);
    }
    await api.request('DELETE', '/api/v1/nodes');
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('a Deployment the server just created is InProgress (exit 1); once its status says rolled out, Current (exit 0)', async () => {
    await nodes(node('amd-1', 'amd64'));
    await put('Deployment', deployment('grafana'), { status: false });
    await pods(pod('grafana', 'grafana-7d4b9c8f6d-x2x9q', { node: 'amd-1' }));
    const fresh = await check('--no-rules', '-n', 'observability', '-o', 'json');
    expect(workload(fresh.stdout, 'grafana')).toMatchObject({ status: 'InProgress' });
    expect(fresh.code).toBe(1);
    await put('Deployment', deployment('grafana'));
    const done = await check('--no-rules', '-n', 'observability', '-o', 'json');
    expect(workload(done.stdout, 'grafana')).toMatchObject({ status: 'Current', message: '1/1 replicas available', architectures: { amd64: { ready: 1, total: 1 } } });
    expect(done.code).toBe(0);
  });

  it('reports a healthy stack with per-arch counts (JSON contract)', async () => {
    await seedHealthyStack();
    const { code, stdout } = await check('-o', 'json', '--require-arch', 'amd64,arm64', '--no-rules');
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(['healthy', 'nodes', 'workloads', 'rules', 'alerts', 'budgets']);
    expect(report).toMatchObject({ healthy: true, nodes: { amd64: 2, arm64: 1 }, rules: { status: 'Skipped' } });
    expect(workload(stdout, 'otel-gateway')).toEqual({
      kind: 'Deployment', namespace: 'observability', name: 'otel-gateway', status: 'Current', message: '2/2 replicas available',
      architectures: { amd64: { ready: 1, total: 1 }, arm64: { ready: 1, total: 1 } }, pods: [], warnings: [],
    });
    expect(code).toBe(0);
  });

  it('a DaemonSet with no pod on the arm64 node it admits is not rolled out, and says where (exit 1)', async () => {
    await nodes(node('amd-1', 'amd64'), node('arm-1', 'arm64'));
    await put('DaemonSet', linuxOnly(daemonSet('otel-agent', { desired: 1 })));
    await pods(pod('otel-agent', 'otel-agent-amd-1', { node: 'amd-1', namespace: 'observability-agent' }));
    const { code, stdout } = await check('--no-rules', '-n', 'observability-agent', '-o', 'json');
    expect(workload(stdout, 'otel-agent')).toMatchObject({ status: 'InProgress', message: 'no ready daemon pod yet on 1 node(s) it admits: arm-1 (arm64)',
      architectures: { amd64: { ready: 1, total: 1 } } });
    expect(code).toBe(1);
  });

  it('a pod no node can take (Pending, PodScheduled=False Unschedulable) fails its workload with the cause (exit 1)', async () => {
    await nodes(node('amd-1', 'amd64'), node('arm-1', 'arm64'));
    await put('StatefulSet', statefulSet('tempo', { ready: 0 }));
    const message = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
    await pods(pod('tempo', 'tempo-0', { unschedulable: message, nodeSelector: { 'kubernetes.io/arch': 's390x' } }));
    const stored = (await api.request('GET', '/api/v1/namespaces/observability/pods/tempo-0')).body as Pod;
    expect(stored.status).toMatchObject({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] });
    const { code, stdout } = await check('--no-rules', '-n', 'observability');
    expect(stdout).toMatch(/StatefulSet\s+observability\s+tempo\s+Failed\s+-\s+-\s+pod tempo-0: Unschedulable: nodeSelector kubernetes\.io\/arch=s390x does not match \(node has amd64\) on 1 node\(s\): amd-1 \(amd64\); nodeSelector kubernetes\.io\/arch=s390x does not match \(node has arm64\) on 1 node\(s\): arm-1 \(arm64\)\n/);
    expect(stdout).toMatch(/UNHEALTHY\n$/);
    expect(code).toBe(1);
  });

  it('names the failing pod and its architecture (exit 1)', async () => {
    await seedHealthyStack();
    const image = 'quay.io/prometheus/prometheus:v3.14.0';
    await put('StatefulSet', statefulSet('prometheus', { ready: 0 }));
    await replacePod(pod('prometheus', 'prometheus-0', { node: 'arm-1', image, waiting: { reason: 'ImagePullBackOff', message: MESSAGES.platformMismatch(image) } }));
    const { code, stdout } = await check('--no-rules');
    expect(stdout).toMatch(/StatefulSet\s+observability\s+prometheus\s+Failed\s+-\s+0\/1\s+pod prometheus-0: ArchitectureMismatch/);
    expect(stdout).toMatch(/pod prometheus-0 on arm-1 \(arm64\): ArchitectureMismatch: image quay.io\/prometheus\/prometheus:v3.14.0 has no linux\/arm64 variant/);
    expect(stdout).not.toMatch(/\x1b\[/); // not a TTY: no colour
    expect(stdout).toMatch(/UNHEALTHY\n$/);
    expect(code).toBe(1);
  });

  it('--no-rules checks rollout only: nothing goes through the service proxy, rules Skipped, exit 0', async () => {
    await seedHealthyStack();
    const mark = audited().length;
    const { code, stdout } = await check('--no-rules', '-n', 'observability', '-o', 'json');
    expect(JSON.parse(stdout)).toMatchObject({ healthy: true, rules: { status: 'Skipped', message: 'not checked (--no-rules)', groups: [] } });
    expect(audited(mark).length).toBeGreaterThan(0);
    expect(audited(mark).filter((e) => e.requestURI.includes('/proxy/'))).toEqual([]);
    expect(code).toBe(0);
  });

  it('sends a fixed number of LISTs: one per kind and scope, never one per workload', async () => {
    await seedHealthyStack();
    for (let i = 0; i < 20; i++) await put('Deployment', deployment(`extra-${i}`));
    const mark = audited().length;
    await readClusterState(new KubeReader(loadKubeConfig({ kubeconfig: reader })), scopeFromFlags({}));
    // 3 workload kinds cluster-wide by part-of, nodes, and pods of the 2 namespaces found.
    const lists = audited(mark).filter((e) => e.verb === 'list');
    expect(listed(lists)).toEqual([
      '/api/v1/namespaces/observability-agent/pods', '/api/v1/namespaces/observability/pods', '/api/v1/nodes',
      '/apis/apps/v1/daemonsets', '/apis/apps/v1/deployments', '/apis/apps/v1/statefulsets',
    ]);
    expect(decodeURIComponent(lists.find((e) => e.requestURI.startsWith('/apis/apps/v1/deployments'))!.requestURI)).toContain('labelSelector=app.kubernetes.io/part-of=o11y');
  });

  it('-n scopes the lists to the namespace, pods alongside', async () => {
    await seedHealthyStack();
    const mark = audited().length;
    const state = await readClusterState(new KubeReader(loadKubeConfig({ kubeconfig: reader })), scopeFromFlags({ namespaces: ['observability'] }));
    expect(state.workloads.map((w) => w.metadata.name).sort()).toEqual(['grafana', 'otel-gateway', 'prometheus']);
    expect(listed(audited(mark))).toEqual(['/api/v1/namespaces/observability/pods', '/api/v1/nodes',
      '/apis/apps/v1/namespaces/observability/daemonsets', '/apis/apps/v1/namespaces/observability/deployments', '/apis/apps/v1/namespaces/observability/statefulsets']);
  });

  it('--manifests: every synthesized workload must exist, a missing one is NotFound', async () => {
    await seedHealthyStack();
    const dir = mkdtempSync(join(tmpdir(), 'o11y-dist-'));
    try {
      const doc = (kind: string, name: string, namespace: string) => `apiVersion: apps/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`;
      writeFileSync(join(dir, 'backends.k8s.yaml'), [doc('Deployment', 'grafana', 'observability'), doc('Deployment', 'kube-state-metrics', 'observability'),
        doc('StatefulSet', 'prometheus', 'observability'), doc('DaemonSet', 'otel-agent', 'observability-agent')].join('---\n'));
      const mark = audited().length;
      const { code, stdout } = await check('--manifests', dir, '--no-rules', '-o', 'json');
      expect(JSON.parse(stdout).workloads.map((w: { name: string; status: string }) => `${w.name}:${w.status}`))
        .toEqual(['grafana:Current', 'kube-state-metrics:NotFound', 'prometheus:Current', 'otel-agent:Current']);
      expect(code).toBe(1);
      // Namespaces come from the manifests: per-namespace lists, no part-of selector.
      expect(listed(audited(mark)).filter((p) => p.endsWith('/deployments'))).toEqual(['/apis/apps/v1/namespaces/observability-agent/deployments', '/apis/apps/v1/namespaces/observability/deployments']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a healthy single-architecture cluster is healthy under --require-arch amd64,arm64, with warnings', async () => {
    // What the stack synthesizes with `spreadAcrossArchitectures: required`, on amd64 nodes only,
    // plus a Windows node the agent keeps off with its kubernetes.io/os selector.
    await nodes(node('amd-1', 'amd64'), node('amd-2', 'amd64'), withLabels(node('win-1', 'amd64'), { 'kubernetes.io/os': 'windows' }));
    await put('Deployment', spread(deployment('otel-gateway', { replicas: 2 }), 'DoNotSchedule'));
    await put('DaemonSet', linuxOnly(daemonSet('otel-agent', { desired: 2 })));
    await pods(pod('otel-gateway', 'otel-gateway-a', { node: 'amd-1' }), pod('otel-gateway', 'otel-gateway-b', { node: 'amd-2' }),
      ...['amd-1', 'amd-2'].map((n) => pod('otel-agent', `otel-agent-${n}`, { node: n, namespace: 'observability-agent' })));
    const { code, stdout } = await check('--no-rules', '--require-arch', 'amd64,arm64', '-n', 'observability', '-n', 'observability-agent');
    expect(stdout).toMatch(/Deployment\s+observability\s+otel-gateway\s+Current\s+2\/2\s+2\/2 replicas available\n  warning: spread not checked on arm64: no Ready, schedulable arm64 node admits its pods\n/);
    expect(stdout).toMatch(/DaemonSet\s+observability-agent\s+otel-agent\s+Current\s+2\/2\s+2\/2 daemon pods available\n/);
    expect(stdout).toMatch(/\nHEALTHY\n$/);
    expect(code).toBe(0);
  });

  it('an image that does not pull fails only after --image-pull-grace, measured from the pod start', async () => {
    await seedHealthyStack();
    await put('StatefulSet', statefulSet('prometheus', { ready: 0 }));
    await replacePod(started(pod('prometheus', 'prometheus-0', { waiting: { reason: 'ImagePullBackOff', message: MESSAGES.backOff('quay.io/prometheus/prometheus:v3.99.0') } }),
      new Date(Date.now() - 60_000).toISOString()));
    const within = await check('--no-rules', '-o', 'json');
    expect(workload(within.stdout, 'prometheus')).toMatchObject({ status: 'InProgress', message: '0 of 1 pods are ready; pod prometheus-0: ImagePullBackOff',
      pods: [{ reason: 'ImagePullBackOff', message: expect.stringMatching(/\(Failed in \d+m\d*s? unless it pulls\)$/), failsAt: expect.any(String) }] });
    const past = await check('--no-rules', '-o', 'json', '--image-pull-grace', '30s');
    expect(workload(past.stdout, 'prometheus')).toMatchObject({ status: 'Failed', message: expect.stringMatching(/^pod prometheus-0: ImagePullBackOff: .*\(not pulled for 1m\d*s?, grace 30s\)$/) });
    expect([within.code, past.code]).toEqual([1, 1]);
  });

  it('check --wait ends at once with Failed when a pod starts crash-looping (real watch events)', async () => {
    await seedHealthyStack();
    await put('StatefulSet', statefulSet('prometheus', { ready: 0 }));
    await pods(pod('prometheus', 'prometheus-0', { ready: false }));
    const mark = audited().length;
    const done = check('--no-rules', '--wait', '--timeout', '60s', '-o', 'json');
    await until(() => audited(mark).filter((e) => e.verb === 'watch').length >= 5);
    await pods(pod('prometheus', 'prometheus-0', { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' }, restarts: 3 }));
    const { code, stdout } = await done;
    expect(workload(stdout, 'prometheus')).toMatchObject({ status: 'Failed', message: expect.stringMatching(/CrashLoopBackOff/) });
    expect(code).toBe(1);
  });

  it('o11y watch (informers on real watches): ready, serves the verdict, follows a status change; --no-rules never uses the proxy', async () => {
    await seedHealthyStack();
    const mark = audited().length;
    const controller = await startController(new KubeReader(loadKubeConfig({ kubeconfig: reader })), { scope: scopeFromFlags({}), host: '127.0.0.1', port: 0 });
    const metrics = async () => (await fetch(`${controller.url}/metrics`)).text();
    try {
      await until(async () => (await fetch(`${controller.url}/readyz`)).status === 200);
      expect(await metrics()).toContain('o11y_workload_status{kind="Deployment",namespace="observability",name="grafana",status="Current"} 1');
      expect(await metrics()).toContain('o11y_rules_status{status="Skipped"} 1');
      expect(await metrics()).toContain('o11y_healthy 1');
      await put('Deployment', deployment('grafana', { updated: 0, available: 0 }));
      await until(async () => (await metrics()).includes('o11y_workload_status{kind="Deployment",namespace="observability",name="grafana",status="InProgress"} 1'));
      expect(audited(mark).filter((e) => e.verb === 'watch').length).toBeGreaterThanOrEqual(6);
      expect(audited(mark).filter((e) => e.requestURI.includes('/proxy/'))).toEqual([]);
    } finally {
      await controller.stop();
    }
  });

  it('check --wait times out with exit 1 and prints progress to stderr', async () => {
    await seedHealthyStack();
    await put('Deployment', deployment('grafana', { updated: 0, available: 0 }));
    const { code, stderr } = await check('--no-rules', '--wait', '--timeout', '2s');
    expect(stderr).toMatch(/waiting: \d\/4 workloads Current; Deployment observability\/grafana: InProgress: 0 out of 1 new replicas/);
    expect(stderr).toMatch(/timed out after 2s/);
    expect(code).toBe(1);
  });

  it('Prometheus without endpoints behind the service proxy: rules Unknown, exit 3 when nothing else is wrong', async () => {
    await seedHealthyStack();
    const service = (await api.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'prometheus', namespace: 'observability' }, spec: { ports: [{ port: 9090 }], selector: { app: 'prometheus' } } }))!;
    expect(service.status, JSON.stringify(service.body)).toBeLessThan(300);
    // What the endpoints controller writes for a service whose selector matches no ready pod.
    const endpoints = (await api.apply({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'prometheus', namespace: 'observability' } }))!;
    expect(endpoints.status, JSON.stringify(endpoints.body)).toBeLessThan(300);
    // As admin: the controller's own role reads Prometheus directly (--prometheus-url), not through the proxy.
    const { code, stdout } = await runCli('check', '--kubeconfig', api.kubeconfig('admin'), '-o', 'json');
    expect(JSON.parse(stdout).rules).toMatchObject({ status: 'Unknown', message: expect.stringMatching(/503.*no endpoints available for service "prometheus"/) });
    expect(code).toBe(3);
  });

  it('an identity RBAC does not let list nodes exits 3 with the server\'s reason', async () => {
    await seedHealthyStack();
    const { code, stderr } = await runCli('check', '--kubeconfig', api.kubeconfig('stranger'), '--no-rules');
    expect(stderr).toMatch(/cannot check: forbidden: GET \/api[\w/-]*: 403 [\w.]+ is forbidden: User "o11y-stranger" cannot list resource "[\w.]+"/);
    expect(code).toBe(3);
  });

  it('an unreachable API server exits 3 with a clear error', async () => {
    const dead = join(mkdtempSync(join(tmpdir(), 'o11y-dead-kube-')), 'config');
    try {
      writeFileSync(dead, readFileSync(reader, 'utf8').replace(api.url, `https://127.0.0.1:${await freePort()}`));
      const { code, stdout, stderr } = await runCli('check', '--kubeconfig', dead, '--no-rules');
      expect(stderr).toMatch(/cannot check: cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
      expect(stdout).toBe('');
      expect(code).toBe(3);
    } finally {
      rmSync(join(dead, '..'), { recursive: true, force: true });
    }
  });

  // Last: the audit log then holds every request the checks above sent as the reader.
  it('the read-only identity never wrote: the audit log has only get/list/watch from it', async () => {
    const before = audited();
    expect(before.filter((e) => e.verb === 'list').length).toBeGreaterThan(30);
    expect(before.filter((e) => !READS.has(e.verb)).map((e) => `${e.verb} ${e.requestURI}`)).toEqual([]);
    // The log would show a write: RBAC refuses one from the reader, and it is logged as such.
    const write = await api.request('POST', '/api/v1/namespaces/observability/configmaps', { identity: 'reader',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' } } });
    expect(write.status).toBe(403);
    expect(audited(before.length).filter((e) => !READS.has(e.verb)).map((e) => `${e.verb} ${e.responseStatus?.code}`)).toEqual(['create 403']);
  });
});

/** Waits until `cond` holds. */
const until = (cond: () => boolean | Promise<boolean>, timeoutMs = 30_000) =>
  untilReady('the condition', async () => ((await cond()) ? true : undefined), { timeoutMs, intervalMs: 50 });
