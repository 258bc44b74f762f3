/**
 * Every synthesized object against a real kube-apiserver 1.28: the default config and every cluster
 * of every example. Namespaces are really created with their Pod Security labels, every object is
 * applied by server-side dry run with strict field validation (a fresh install), then really, and a
 * pod of each workload's template is dry-run created so that PodSecurity's enforcement (the
 * namespace's level, which applies to pods, not to their workloads) is the server's own verdict.
 *
 * Kinds the server does not serve are listed, and must be none in the clusters' folders. The default
 * config is also synthesized with a `gitops` section for Argo CD and for Flux (which adds the
 * PostSync check Job to the cluster's folder); the objects of `dist/argocd` and `dist/flux`
 * (AppProject, ApplicationSet, GitRepository, Kustomization) are kinds of those projects' CRDs,
 * which this server does not have: they are out of scope here, and test/gitops-*.test.ts check them.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/load.ts';
import { synthesize } from '../src/synth.ts';
import { engines } from './support/engines.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { runCli } from './support/run-cli.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { startRealApiServer, type ApiAnswer, type RealApiServer } from './support/real-apiserver.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIGS = ['o11y.yaml', ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `examples/${f}`)];
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const GITOPS = {
  argocd: 'gitops:\n  repoURL: https://git.example.com/acme/deploy.git\n',
  flux: 'gitops:\n  flavor: flux\n  repoURL: https://git.example.com/acme/deploy.git\n  targetRevision: main\n',
};

const found = engines(import.meta.url, ['kube-apiserver']);

const id = (o: K8sObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
const copy = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

/** A pod as the workload's controller would create it from its template (StatefulSet claims bound by name). */
function podOf(w: K8sObject): K8sObject {
  const template = copy((w.spec as { template: { metadata?: Record<string, unknown>; spec: { volumes?: unknown[] } } }).template);
  const claims = ((w.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? [])
    .map((c) => ({ name: c.metadata.name, persistentVolumeClaim: { claimName: `${c.metadata.name}-${w.metadata.name}-0` } }));
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { ...template.metadata, name: `${w.metadata.name}-0`, namespace: w.metadata.namespace },
    spec: { ...template.spec, volumes: [...(template.spec.volumes ?? []), ...claims] },
  };
}

/** Creates `o` (server-side apply), then writes `status` through its status subresource. */
async function written(api: RealApiServer, o: K8sObject, status: Record<string, unknown>): Promise<void> {
  const created = (await api.apply(o))!;
  expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
  const answer = await api.request('PATCH', `${(await api.pathOf(o))!}/status`, { body: { status }, contentType: 'application/merge-patch+json' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}

async function dryRunPod(api: RealApiServer, pod: K8sObject): Promise<ApiAnswer> {
  return api.request('POST', `${await api.pathOf(pod, true)}?dryRun=All&fieldValidation=Strict`, { body: pod });
}

/**
 * The PriorityClasses the pod templates name that are neither built in (`system-*`) nor synthesized:
 * `priorityClassName` overrides name the user's own (README, per-component overrides).
 */
function userPriorityClasses(objects: K8sObject[]): K8sObject[] {
  const names = new Set(objects.filter((o) => WORKLOADS.has(o.kind))
    .map((w) => (w.spec as { template: { spec: { priorityClassName?: string } } }).template.spec.priorityClassName)
    .filter((n): n is string => !!n && !n.startsWith('system-') && !objects.some((o) => o.kind === 'PriorityClass' && o.metadata.name === n)));
  return [...names].map((name) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value: 1000 }));
}

interface Verdict {
  /** `step kind namespace/name: status message` of each refusal. */
  refused: string[];
  /** `kind namespace/name: warning`, once each. */
  warnings: string[];
  /** Objects whose kind the server does not serve. */
  unknown: string[];
}

/**
 * Namespaces created; every object applied by dry run, then really; a pod of each workload
 * dry-run created. Returns what the server refused or warned about.
 */
async function admit(api: RealApiServer, objects: K8sObject[]): Promise<Verdict> {
  const verdict: Verdict = { refused: [], warnings: [], unknown: [] };
  const record = (step: string, o: K8sObject, a: ApiAnswer | undefined) => {
    if (!a) return void (verdict.unknown.includes(id(o)) || verdict.unknown.push(id(o)));
    if (a.status >= 300) verdict.refused.push(`${step} ${id(o)}: ${a.status} ${a.body?.message ?? a.body}`);
    for (const w of a.warnings) if (!verdict.warnings.includes(`${id(o)}: ${w}`)) verdict.warnings.push(`${id(o)}: ${w}`);
  };
  for (const pc of userPriorityClasses(objects)) record('prerequisite', pc, await api.apply(pc));
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  for (const ns of namespaces) record('create', ns, await api.apply(ns));
  for (const o of objects) record('dry-run', o, await api.apply(o, { dryRun: true }));
  for (const o of objects) if (o.kind !== 'Namespace') record('create', o, await api.apply(o));
  for (const w of objects.filter((o) => WORKLOADS.has(o.kind))) record('pod of', podOf(w), await dryRunPod(api, podOf(w)));
  return verdict;
}

/**
 * Deletes what {@link admit} created but the namespaces (no namespace controller runs to empty
 * them), so the next cluster's objects of the same names are created afresh.
 */
async function removeAll(api: RealApiServer, objects: K8sObject[]): Promise<void> {
  for (const o of [...objects].reverse().filter((x) => x.kind !== 'Namespace')) {
    const path = await api.pathOf(o);
    if (!path) continue;
    await api.request('DELETE', path);
    // pvc-protection's finalizer waits for a controller that does not run.
    if (o.kind === 'PersistentVolumeClaim') await api.request('PATCH', path, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
  }
}

describe.runIf(found)('a real kube-apiserver 1.28 admits every synthesized object', () => {
  let api: RealApiServer;
  // A suite not run is still collected: synthesize only when it will run.
  const work = found ? mkdtempSync(join(tmpdir(), 'o11y-apiserver-real-')) : '';
  /** The default config with a gitops section, beside a copy of its SLO files. */
  const withGitops = (flavor: keyof typeof GITOPS) => {
    const dir = join(work, `config-${flavor}`);
    mkdirSync(dir);
    cpSync(join(ROOT, 'slos'), join(dir, 'slos'), { recursive: true });
    writeFileSync(join(dir, 'o11y.yaml'), `${readFileSync(join(ROOT, 'o11y.yaml'), 'utf8')}${GITOPS[flavor]}`);
    return join(dir, 'o11y.yaml');
  };
  const configs = (): [string, string][] => [...CONFIGS.map((f) => [f, join(ROOT, f)] as [string, string]),
    ...(Object.keys(GITOPS) as (keyof typeof GITOPS)[]).map((flavor) => [`o11y.yaml with gitops ${flavor}`, withGitops(flavor)] as [string, string])];
  const outs = (found ? configs() : []).map(([name, file]) => {
    const out = join(work, name.replace(/\W/g, '-'));
    synthesize({ configFile: file, outDir: out });
    return { name, file, out };
  });
  const clusters: [string, K8sObject[]][] = outs.flatMap(({ name, file, out }) =>
    loadConfigFile(file).clusters.map((c) => [`${name} ${c.name}`, loadManifestDir(join(out, c.name))] as [string, K8sObject[]]));
  const defaults = clusters[0]?.[1] ?? [];
  /** Every object of the gitops tools' own folders (`dist/argocd`, `dist/flux/<cluster>`). */
  const gitopsObjects = outs.flatMap(({ out }) => ['argocd', 'flux'].flatMap((tool) => {
    const dir = join(out, tool);
    try {
      const subdirs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'patches').map((d) => join(dir, d.name));
      return [dir, ...subdirs].flatMap((d) => loadManifestDir(d));
    } catch {
      return [];
    }
  }));

  beforeAll(async () => {
    api = await startRealApiServer(found!['kube-apiserver']);
  }, 180_000);
  afterAll(async () => {
    await api?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('covers the default config (also with gitops) and every cluster of every example', () => {
    expect(clusters.map(([name]) => name)).toEqual(expect.arrayContaining(['o11y.yaml local', 'examples/multi-cloud.yaml aws-apps', 'examples/make-it-yours.yaml edge',
      'o11y.yaml with gitops argocd local', 'o11y.yaml with gitops flux local']));
    expect(clusters.length).toBeGreaterThanOrEqual(13);
    // The Argo CD flavour puts its PostSync check Job in the cluster's folder: admitted like the rest.
    expect(clusters.find(([name]) => name === 'o11y.yaml with gitops argocd local')![1].some((o) => o.kind === 'Job')).toBe(true);
  });

  it('out of scope: the Argo CD and Flux objects are kinds of CRDs this server does not serve', async () => {
    const kinds = [...new Set(gitopsObjects.map((o) => `${o.apiVersion} ${o.kind}`))].sort();
    expect(kinds.some((k) => k.startsWith('argoproj.io/')) && kinds.some((k) => k.includes('fluxcd.io/'))).toBe(true);
    for (const o of gitopsObjects) expect(await api.pathOf(o), `${o.apiVersion} ${o.kind}`).toBeUndefined();
  });

  it.each(clusters)('%s: no refusal, every kind served, Pod Security warnings only for the agent namespace', async (_, objects) => {
    const verdict = await admit(api, objects);
    try {
      expect(verdict.unknown).toEqual([]);
      expect(verdict.refused).toEqual([]);
      // The agent namespace enforces `privileged` but warns at `restricted` by design (README, Security).
      const agentNs = objects.find((o) => o.kind === 'Namespace' && o.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'privileged')?.metadata.name;
      const others = verdict.warnings.filter((w) => !(agentNs && w.includes(` ${agentNs}/`) && /would violate PodSecurity "restricted:v1.28"/.test(w)));
      expect(others).toEqual([]);
    } finally {
      await removeAll(api, objects);
    }
  }, 120_000);

  it('the synthesized controller, as its own ServiceAccount through its own RBAC, checks the stack it was synthesized with and only reads', async () => {
    const dist = join(work, 'o11y-yaml', 'local');
    const verdict = await admit(api, defaults);
    const workloads = defaults.filter((o) => WORKLOADS.has(o.kind));
    const nodes = ['amd64', 'arm64'].map((arch) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${arch}`,
      labels: { 'kubernetes.io/arch': arch, 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': `node-${arch}` } } }));
    const created: K8sObject[] = [];
    try {
      expect(verdict.refused).toEqual([]);
      const controller = workloads.find((o) => o.kind === 'Deployment' && o.metadata.name === 'o11y-controller')!;
      const sa = (controller.spec as { template: { spec: { serviceAccountName: string } } }).template.spec.serviceAccountName;
      const kubeconfig = await api.serviceAccountKubeconfig(controller.metadata.namespace!, sa);
      const user = `system:serviceaccount:${controller.metadata.namespace}:${sa}`;
      const check = async () => {
        const { code, stdout, stderr } = await runCli('check', '--kubeconfig', kubeconfig, '--manifests', dist, '--no-rules', '--require-arch', 'amd64,arm64', '-o', 'json');
        expect(stderr).toBe('');
        return { code, report: JSON.parse(stdout) as { healthy: boolean; workloads: { name: string; status: string; message: string }[] } };
      };
      // Every synthesized workload is found and readable; no controller runs here, so none has rolled out.
      const fresh = await check();
      expect(fresh.report.workloads.length).toBe(workloads.length);
      expect(fresh.report.workloads.filter((w) => w.status !== 'InProgress')).toEqual([]);
      expect(fresh.code).toBe(1);
      // Rolled out as the controllers and the kubelet would report it, on an amd64 and an arm64 node.
      for (const n of nodes) {
        created.push(n);
        await written(api, n, { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }], nodeInfo: { architecture: n.metadata.labels['kubernetes.io/arch'] } });
        // The node lifecycle controller lifts the not-ready taint admission put on the new node.
        await api.request('PATCH', (await api.pathOf(n))!, { body: { spec: { taints: null } }, contentType: 'application/merge-patch+json' });
      }
      for (const w of workloads) {
        const replicas = w.kind === 'DaemonSet' ? nodes.length : ((w.spec as { replicas?: number }).replicas ?? 1);
        for (let i = 0; i < replicas; i++) {
          const p = podOf(w);
          p.metadata.name = `${w.metadata.name}-${i}`;
          (p.spec as { nodeName?: string }).nodeName = nodes[i % nodes.length]!.metadata.name;
          created.push(p);
          const containers = (p.spec as { containers: { name: string; image: string }[] }).containers;
          await written(api, p, { phase: 'Running', startTime: new Date().toISOString(),
            conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True' })),
            containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: new Date().toISOString() } } })) });
        }
        const generation = (await api.request('GET', (await api.pathOf(w))!)).body.metadata.generation;
        const counts = { Deployment: { replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas,
          conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] },
        StatefulSet: { replicas, readyReplicas: replicas, currentReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas, currentRevision: 'r1', updateRevision: 'r1' },
        DaemonSet: { desiredNumberScheduled: replicas, currentNumberScheduled: replicas, updatedNumberScheduled: replicas, numberReady: replicas, numberAvailable: replicas, numberMisscheduled: 0 } };
        const pass = await api.request('PATCH', `${(await api.pathOf(w))!}/status`, { body: { status: { observedGeneration: generation, ...counts[w.kind as keyof typeof counts] } },
          contentType: 'application/merge-patch+json' });
        expect(pass.status, JSON.stringify(pass.body)).toBe(200);
      }
      const rolledOut = await check();
      expect(rolledOut.report.workloads.filter((w) => w.status !== 'Current')).toEqual([]);
      expect(rolledOut.report.healthy).toBe(true);
      expect(rolledOut.code).toBe(0);
      const requests = api.auditEvents().filter((e) => e.user.username === user);
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.filter((e) => !['get', 'list', 'watch'].includes(e.verb) || (e.responseStatus?.code ?? 200) >= 400)).toEqual([]);
    } finally {
      for (const o of created.reverse()) await api.request('DELETE', `${(await api.pathOf(o))!}?gracePeriodSeconds=0`);
      await removeAll(api, defaults);
    }
  }, 180_000);

  describe('refusals (negative cases)', () => {
    const restricted = () => {
      const w = copy(defaults.find((o) => o.kind === 'Deployment' && o.metadata.namespace === 'observability')!);
      expect(defaults.find((o) => o.kind === 'Namespace' && o.metadata.name === 'observability')!.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      return w;
    };
    const container = (w: K8sObject) => (w.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!;

    beforeAll(async () => {
      for (const ns of defaults.filter((o) => o.kind === 'Namespace')) expect((await api.apply(ns))!.status).toBeLessThan(300);
      for (const sa of defaults.filter((o) => o.kind === 'ServiceAccount')) expect((await api.apply(sa))!.status).toBeLessThan(300);
    });

    it('a privileged container in the restricted namespace: its pod is refused, its Deployment warned about', async () => {
      const w = restricted();
      container(w).securityContext = { ...(container(w).securityContext as object), privileged: true, allowPrivilegeEscalation: true };
      const pod = await dryRunPod(api, podOf(w));
      expect(pod.status, pod.body.message).toBe(403);
      expect(pod.body.message).toMatch(/violates PodSecurity "restricted:v1.28": .*privileged \(container "[\w-]+" must not set securityContext.privileged=true\)/);
      const deployment = (await api.apply(w, { dryRun: true }))!;
      expect(deployment.warnings.join('\n')).toMatch(/would violate PodSecurity "restricted:v1.28": .*privileged/);
      // Unchanged, the same pod is admitted: the refusal is the mutation's.
      expect((await dryRunPod(api, podOf(restricted()))).status).toBe(201);
    });

    it('the node agent\'s pod, admitted in its own namespace, is refused in the restricted one', async () => {
      const agent = copy(defaults.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'otel-agent')!);
      expect((await dryRunPod(api, podOf(agent))).status).toBe(201);
      agent.metadata.namespace = 'observability';
      // Its service account too, so that Pod Security is what refuses it.
      const sa = copy(defaults.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'otel-agent')!);
      expect((await api.apply({ ...sa, metadata: { ...sa.metadata, namespace: 'observability' } }))!.status).toBeLessThan(300);
      const pod = await dryRunPod(api, podOf(agent));
      expect(pod.status).toBe(403);
      expect(pod.body.message).toMatch(/violates PodSecurity "restricted:v1.28": .*restricted volume types \(volumes "pod-logs", "checkpoints" use restricted volume type "hostPath"\)/);
    });

    it.each([
      ['a field the schema does not have', (w: K8sObject) => void (container(w).livenessProbes = container(w).livenessProbe), /\.spec\.template\.spec\.containers\[name="[\w-]+"\]\.livenessProbes: field not declared in schema/],
      ['a misspelt top-level field', (w: K8sObject) => void ((w as Record<string, unknown>).specs = w.spec), /\.specs: field not declared in schema/],
      ['a wrong type', (w: K8sObject) => void ((w.spec as Record<string, unknown>).replicas = 'two'), /replicas.*(integer|int32|expected)/i],
    ])('%s is refused under strict field validation', async (_, mutate, message) => {
      const w = restricted();
      mutate(w);
      const answer = (await api.apply(w, { dryRun: true }))!;
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.body.message).toMatch(message);
    });
  });
});
