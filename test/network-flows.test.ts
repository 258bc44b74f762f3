import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import type { Flow, Peer } from '../constructs/network-policy.ts';
import type { PortRef } from '../src/model/network.ts';
import { isAllowed, type Connection, type Endpoint, type NetworkPolicyObject, type PodEndpoint } from '../src/policy/network-policy-eval.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { writeDerivedConfig } from './support/config-file.ts';

// Reachability over the synthesized NetworkPolicies, evaluated with Kubernetes semantics
// (src/policy/network-policy-eval.ts): every flow of the cluster's flow table is allowed end to end,
// and traffic the table does not declare is denied. For the default config, the multi-cloud
// example and the variants that change who talks to whom.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-flows-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DEFAULT = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8');
const MULTI = readFileSync(join(ROOT, 'examples/multi-cloud.yaml'), 'utf8');
/** A config with `patch` merged in at the top level (shallowly per key). */
function variant(base: string, patch: Record<string, unknown>): string {
  const config = parseYaml(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) config[k] = v && typeof v === 'object' && !Array.isArray(v) ? { ...(config[k] as object), ...v } : v;
  return stringify(config);
}
const defaultComponents = (parseYaml(DEFAULT) as { components?: Record<string, unknown> }).components ?? {};

const STACKS: Record<string, string> = {
  default: DEFAULT,
  'multi-cloud': MULTI,
  'no agents': variant(DEFAULT, { components: { ...defaultComponents, collector: { ...(defaultComponents.collector as object), agent: false } } }),
  'strict egress': variant(DEFAULT, { networkPolicy: { egress: 'strict' } }),
  'multi-cloud, strict egress': variant(MULTI, { networkPolicy: { egress: 'strict' } }),
  'gitops hook': variant(DEFAULT, { gitops: { repoURL: 'https://github.com/acme/o11y-deploy.git' } }),
};

interface Synthesized {
  objects: K8sObject[];
  flows: readonly Flow[];
  strict: boolean;
}
const clusters: [string, Synthesized][] = Object.entries(STACKS).flatMap(([name, text]) => {
  const dir = join(work, name.replace(/\W+/g, '-'));
  const file = writeDerivedConfig(`${dir}-config`, text, name.startsWith('multi-cloud') ? join(ROOT, 'examples/multi-cloud.yaml') : undefined);
  const { flows } = synthesize({ configFile: file, outDir: dir });
  const strict = /egress: strict/.test(text);
  return Object.entries(flows).map(([cluster, list]) => [`${name} / ${cluster}`, { objects: loadManifestDir(join(dir, cluster)), flows: list, strict }] as [string, Synthesized]);
});
const cluster = (name: string): Synthesized => clusters.find(([n]) => n === name)![1];

// Stand-ins for what is not a stack pod.
const APP_POD: PodEndpoint = { kind: 'pod', namespace: 'shop', labels: { app: 'checkout' }, namespaceLabels: { 'kubernetes.io/metadata.name': 'shop' } };
const API_SERVER_IP = '172.20.0.10';
const NODE_IP = '10.0.1.5';
const INTERNET_IP = '198.51.100.7';

function policies(s: Synthesized): NetworkPolicyObject[] {
  return s.objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
}

/** A pod of stack component `app` in `namespace`, with its template's labels and its namespace's labels. */
function componentPod(s: Synthesized, app: string, namespace: string): PodEndpoint {
  const workload = s.objects.find(
    (o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind) && o.metadata.namespace === namespace && (o.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels['app.kubernetes.io/name'] === app,
  );
  if (!workload) throw new Error(`no workload runs pods of ${namespace}/${app}`);
  const ns = s.objects.find((o) => o.kind === 'Namespace' && o.metadata.name === namespace);
  if (!ns) throw new Error(`namespace ${namespace} is not synthesized`);
  return { kind: 'pod', namespace, labels: (workload.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels, namespaceLabels: ns.metadata.labels ?? {} };
}

function endpoint(s: Synthesized, p: Peer): Endpoint {
  if ('app' in p) return componentPod(s, p.app, p.namespace);
  if ('anyPod' in p) return APP_POD;
  if ('apiServer' in p) return { kind: 'external', ip: API_SERVER_IP };
  if ('nodes' in p) return { kind: 'external', ip: NODE_IP };
  if ('internet' in p) return { kind: 'external', ip: INTERNET_IP };
  if ('namespacePods' in p) return { kind: 'pod', namespace: p.namespacePods, labels: { app: 'controller' }, namespaceLabels: { 'kubernetes.io/metadata.name': p.namespacePods } };
  return { kind: 'external', ip: p.cidr.split('/')[0]! };
}

const portRefs = (ports: Flow['ports']): PortRef[] => (ports.length ? ports.map((p) => (typeof p === 'number' ? { port: p } : p)) : [{ port: 8080 }]);
const describePeer = (p: Peer) => ('app' in p ? `${p.namespace}/${p.app}` : Object.keys(p)[0] === 'cidr' ? (p as { cidr: string }).cidr : Object.keys(p)[0]);

function connect(s: Synthesized, from: Endpoint, to: Endpoint, port: PortRef) {
  const c: Connection = { from, to, port: port.port, protocol: port.protocol ?? 'TCP' };
  return isAllowed(policies(s), c);
}

describe.each(clusters)('%s', (_, s) => {
  it('has flows to check, and a NetworkPolicy per component', () => {
    expect(s.flows.length).toBeGreaterThan(5);
    expect(policies(s).length).toBeGreaterThan(5);
  });

  it('allows every flow of the table end to end', () => {
    const blocked = s.flows.flatMap((f) =>
      portRefs(f.ports).flatMap((port) => {
        const d = connect(s, endpoint(s, f.from), endpoint(s, f.to), port);
        return d.allowed ? [] : [`${describePeer(f.from)} → ${describePeer(f.to)}:${port.port}/${port.protocol ?? 'TCP'} (${f.why}): egress ${JSON.stringify(d.egress)}, ingress ${JSON.stringify(d.ingress)}`];
      }),
    );
    expect(blocked).toEqual([]);
  });

  it('denies an application pod every stack port the table does not open to any pod', () => {
    const open = s.flows.filter((f) => 'anyPod' in f.from);
    const leaks = s.flows
      .filter((f) => 'app' in f.to)
      .flatMap((f) => portRefs(f.ports).map((port) => ({ to: f.to, port })))
      .filter(({ to, port }) => !open.some((o) => describePeer(o.to) === describePeer(to) && (o.ports.length === 0 || portRefs(o.ports).some((p) => p.port === port.port))))
      .filter(({ to, port }) => connect(s, APP_POD, endpoint(s, to), port).allowed)
      .map(({ to, port }) => `${describePeer(to)}:${port.port}`);
    expect(leaks).toEqual([]);
  });

  it('denies stack components ports the table does not declare (here: 1, on every component)', () => {
    const components = [...new Set(s.flows.flatMap((f) => [f.from, f.to]).filter((p): p is { app: string; namespace: string } => 'app' in p).map(describePeer))];
    const peers = components.map((c) => ({ app: c.split('/')[1]!, namespace: c.split('/')[0]! }));
    const leaks = peers.flatMap((from) => peers.filter((to) => connect(s, endpoint(s, from), endpoint(s, to), { port: 1 }).allowed).map((to) => `${describePeer(from)} → ${describePeer(to)}:1`));
    // Components whose flow table entry opens every port (none today) would show up here.
    expect(leaks).toEqual([]);
  });

  it(s.strict ? 'denies egress the table does not declare (SMTP to the internet)' : 'leaves egress open', () => {
    const gateway = componentPod(s, 'otel-gateway', s.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'otel-gateway')!.metadata.namespace!);
    expect(connect(s, gateway, { kind: 'external', ip: INTERNET_IP }, { port: 25 }).allowed).toBe(!s.strict);
  });

  it('lets every pod resolve names: kube-dns pods and NodeLocal DNSCache', () => {
    const kubeDns: PodEndpoint = { kind: 'pod', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' } };
    const workloads = s.objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind));
    const unresolved = workloads.flatMap((w) => {
      const pod = componentPod(s, (w.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels['app.kubernetes.io/name']!, w.metadata.namespace!);
      return [kubeDns, { kind: 'external', ip: '169.254.20.10' } as Endpoint].flatMap((dns) =>
        (['UDP', 'TCP'] as const).filter((protocol) => !connect(s, pod, dns, { port: 53, protocol }).allowed).map((protocol) => `${w.metadata.name} → ${dns.kind === 'pod' ? 'kube-dns' : dns.ip}:53/${protocol}`),
      );
    });
    expect(unresolved).toEqual([]);
  });
});

// The day-one breaks of the hand-written policies, each now a flow of the table.
describe('flows that used to be blocked', () => {
  it('the Argo CD PostSync hook reaches Prometheus', () => {
    const s = cluster('gitops hook / local');
    const hook = componentPod(s, 'o11y-check', 'observability');
    expect(connect(s, hook, componentPod(s, 'prometheus', 'observability'), { port: 9090 }).allowed).toBe(true);
    expect(s.flows.some((f) => 'app' in f.from && f.from.app === 'o11y-check' && 'app' in f.to && f.to.app === 'prometheus')).toBe(true);
  });

  it('without node agents, applications send OTLP to the gateway; with them, only the agent may', () => {
    const gatewayOf = (s: Synthesized) => componentPod(s, 'otel-gateway', 'observability');
    const direct = cluster('no agents / local');
    expect(connect(direct, APP_POD, gatewayOf(direct), { port: 4317 }).allowed).toBe(true);
    expect(connect(direct, APP_POD, gatewayOf(direct), { port: 4318 }).allowed).toBe(true);
    const withAgents = cluster('default / local');
    expect(connect(withAgents, APP_POD, gatewayOf(withAgents), { port: 4317 }).allowed).toBe(false);
  });

  it('with strict egress, the gateway reaches the instance metadata its detectors read, and Loki/Tempo the identity endpoints of their cloud', () => {
    const s = cluster('multi-cloud, strict egress / aws-backend');
    const imds = { kind: 'external', ip: '169.254.169.254' } as const;
    expect(connect(s, componentPod(s, 'otel-gateway', 'observability'), imds, { port: 80 }).allowed).toBe(true);
    expect(connect(s, componentPod(s, 'loki', 'observability'), { kind: 'external', ip: '169.254.170.23' }, { port: 80 }).allowed).toBe(true);
    expect(connect(s, componentPod(s, 'prometheus', 'observability'), imds, { port: 80 }).allowed).toBe(false);
    const gke = cluster('multi-cloud, strict egress / gke-backend');
    expect(connect(gke, componentPod(gke, 'tempo', 'observability'), { kind: 'external', ip: '169.254.169.252' }, { port: 988 }).allowed).toBe(true);
  });

  it('with strict egress, kubelet scrapes go to the configured node CIDRs only', () => {
    const text = variant(DEFAULT, { networkPolicy: { egress: 'strict', nodeCidrs: ['10.0.0.0/16'] } });
    const dir = join(work, 'node-cidrs');
    synthesize({ configFile: writeDerivedConfig(`${dir}-config`, text), outDir: dir });
    const s: Synthesized = { objects: loadManifestDir(join(dir, 'local')), flows: [], strict: true };
    const prometheus = componentPod(s, 'prometheus', 'observability');
    expect(connect(s, prometheus, { kind: 'external', ip: NODE_IP }, { port: 10250 }).allowed).toBe(true);
    expect(connect(s, prometheus, { kind: 'external', ip: '192.168.7.7' }, { port: 10250 }).allowed).toBe(false);
  });
});
