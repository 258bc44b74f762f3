import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { loadConfigFile } from '../src/config/load.ts';
import { resolveTopology } from '../src/model/topology.ts';
import type { StackConfig } from '../src/model/types.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { podTemplates, stackExpectations, STACK_CHECKS, type K8sObject } from './support/manifest-checks.ts';
import { readTree, treeDifferences } from './support/tree.ts';

// The multi-cloud example, synthesized for real (and a variant without gateway sharding): every
// cluster gets exactly what its roles say, passes every foundation check, synthesizes
// byte-identically twice, and has RBAC that matches the components it runs.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'multi-cloud.yaml');
const work = mkdtempSync(join(tmpdir(), 'o11y-multicloud-'));
/** The example without load balancing or tail sampling, beside it so that the SLO globs resolve the same way. */
const UNSHARDED = join(ROOT, 'examples', `.multi-cloud-unsharded-${process.pid}.yaml`);

const example = loadConfigFile(EXAMPLE);
let unsharded: StackConfig;
const out = { first: join(work, 'first'), second: join(work, 'second'), unsharded: join(work, 'unsharded') };

beforeAll(() => {
  const raw = parseYaml(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
  delete raw.scale;
  writeFileSync(UNSHARDED, stringify(raw));
  unsharded = loadConfigFile(UNSHARDED);
  synthesize({ configFile: EXAMPLE, outDir: out.first });
  synthesize({ configFile: EXAMPLE, outDir: out.second });
  synthesize({ configFile: UNSHARDED, outDir: out.unsharded });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(UNSHARDED, { force: true });
});

describe('the multi-cloud example', () => {
  it('covers every cloud, both architectures, a remote backend, a Grafana cluster, extra routes by tenant and namespace', () => {
    expect(new Set(example.clusters.map((c) => c.cloud))).toEqual(new Set(['aws', 'alibaba', 'azure', 'gcp', 'onprem']));
    expect(example.architectures).toEqual(['amd64', 'arm64']);
    const topology = resolveTopology(example);
    expect(topology.backendClouds).toEqual(['aws', 'alibaba', 'azure', 'gcp', 'onprem']);
    expect(Object.keys(example.backends)).toEqual(['onprem']);
    expect(example.routing.routes.some((r) => r.tenant) && example.routing.routes.some((r) => r.namespace)).toBe(true);
    expect(example.scale.tailSampling.enabled).toBe(true);
    expect(example.components.prometheus.remoteWrite.map((w) => w.kind)).toContain('mimir');
    expect(example.slos.length).toBeGreaterThan(0);
  });

  it('synthesizes one folder per cluster, byte-identical twice', () => {
    expect(readdirSync(out.first).sort()).toEqual([...example.clusters.map((c) => c.name), 'promtool'].sort());
    expect(treeDifferences(readTree(out.first), readTree(out.second))).toEqual([]);
  });
});

const CLUSTERS = [
  ...example.clusters.map((c) => ['example', c.name] as const),
  ...example.clusters.map((c) => ['unsharded', c.name] as const),
];

describe.each(CLUSTERS)('%s cluster %s', (variant, name) => {
  let objs: K8sObject[];
  let config: StackConfig;
  beforeAll(() => {
    config = variant === 'example' ? example : unsharded;
    objs = loadManifestDir(join(variant === 'example' ? out.first : out.unsharded, name));
  });

  it.each(Object.keys(STACK_CHECKS))('passes the %s checks', (check) => {
    expect(STACK_CHECKS[check]!(objs, stackExpectations(config))).toEqual([]);
  });

  it('runs exactly what its roles say: agents, node-exporter and a gateway everywhere, backends in the backend cluster, Grafana in one', () => {
    const cluster = config.clusters.find((c) => c.name === name)!;
    const roles = resolveTopology(config).rolesOf(cluster);
    const workloads = objs.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)).map((o) => o.metadata.name).sort();
    const expected = [
      'node-exporter',
      'otel-agent',
      'otel-gateway',
      ...(roles.has('backend') ? ['alertmanager', 'loki', 'o11y-controller', 'prometheus', 'tempo'] : ['kube-state-metrics', 'otel-scraper']),
      ...(roles.has('grafana') ? ['grafana'] : []),
    ];
    // kube-state-metrics runs in backend clusters too (Prometheus scrapes it).
    expect(workloads.filter((w) => w !== 'kube-state-metrics')).toEqual(expected.filter((w) => w !== 'kube-state-metrics').sort());
    if (!roles.has('backend')) expect(workloads).toContain('kube-state-metrics');
  });

  it('grants only read verbs, but for the gateway\'s own leader-election lease', () => {
    const writes = objs
      .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
      .flatMap((o) => rulesOf(o).flatMap((r) => r.verbs.filter((v) => !['get', 'list', 'watch'].includes(v)).map((v) => `${o.kind} ${o.metadata.name}: ${v} ${r.resources?.join(',')} ${(r as { resourceNames?: string[] }).resourceNames?.join(',') ?? '*'}`)));
    // Creating a lease cannot be limited to a name; renewing it is.
    expect(writes).toEqual([
      'Role otel-gateway-events: create leases *',
      'Role otel-gateway-events: update leases otel-gateway-events',
      'Role otel-gateway-events: patch leases otel-gateway-events',
    ]);
  });

  it('grants EndpointSlices only to what watches them: a load-balancing gateway, a scraper discovering endpointslice targets', () => {
    const gatewayConfig = parseYaml(configTexts(objs, 'otel-gateway')[0]!) as { exporters: Record<string, { resolver?: { k8s?: unknown } }> };
    const k8sResolver = Object.entries(gatewayConfig.exporters).some(([id, e]) => id.split('/')[0] === 'load_balancing' && e.resolver?.k8s);
    expect(k8sResolver).toBe(variant === 'example');
    const watchers = [...new Set(objs.map((o) => o.metadata.labels?.['app.kubernetes.io/name']).filter((app): app is string => !!app))]
      .filter((app) => (app === 'otel-gateway' ? k8sResolver : configTexts(objs, app).some((t) => /\brole: endpointslice\b/.test(t))))
      .sort();
    expect(grantees(objs, 'endpointslices')).toEqual(watchers);
  });

  it('grants nodes/stats only to the node agent, which reads the kubelet', () => {
    expect(grantees(objs, 'nodes/stats')).toEqual(['otel-agent']);
  });

  it('binds every ClusterRole to a ServiceAccount that a workload of this cluster runs as', () => {
    const serviceAccounts = new Set(podTemplates(objs).map((t) => `${t.namespace}/${t.spec.serviceAccountName}`));
    const unbound = objs
      .filter((o) => o.kind === 'ClusterRoleBinding')
      .flatMap((b) => (b.subjects as { name: string; namespace: string }[]).map((s) => `${s.namespace}/${s.name}`))
      .filter((sa) => !serviceAccounts.has(sa));
    expect(unbound).toEqual([]);
  });
});

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}
const rulesOf = (o: K8sObject) => (o.rules as Rule[] | undefined) ?? [];

/** The config files in an app's ConfigMaps. */
function configTexts(objs: readonly K8sObject[], app: string): string[] {
  return objs
    .filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.['app.kubernetes.io/name'] === app)
    .flatMap((o) => Object.values((o.data as Record<string, string> | undefined) ?? {}));
}

/** Apps (`app.kubernetes.io/name`) whose ClusterRole grants the resource. */
function grantees(objs: readonly K8sObject[], resource: string): string[] {
  return objs
    .filter((o) => o.kind === 'ClusterRole' && rulesOf(o).some((r) => r.resources?.includes(resource)))
    .map((o) => o.metadata.labels!['app.kubernetes.io/name']!)
    .sort();
}
