import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { isAllowed, type NetworkPolicyObject, type PodEndpoint } from '../src/policy/network-policy-eval.ts';
import { clusterFromManifests, scrapeTargets, type DiscoveredPod, type Manifest } from '../src/scrape/targets.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { writeDerivedConfig } from './support/config-file.ts';

// Every scrape the synthesized scrapers make inside the stack reaches its pod through the
// synthesized NetworkPolicies. The scrape configs are read from the ConfigMaps the engines read
// (prometheus.yml, the otel-scraper's collector config); their targets come from emulating
// Kubernetes discovery and relabelling over the synthesized pods and Services
// (src/scrape/targets.ts); each (scraper pod → target pod:port) is then evaluated with Kubernetes
// NetworkPolicy semantics (src/policy/network-policy-eval.ts).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-scrape-flows-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const DEFAULT = parseYaml(read('o11y.yaml')) as Record<string, any>;
const MULTI = parseYaml(read('examples/multi-cloud.yaml')) as Record<string, any>;
const with_ = (base: Record<string, any>, key: string, value: Record<string, unknown>) => ({ ...base, [key]: { ...base[key], ...value } });

/** A user job inside the stack's namespace: kube-state-metrics' own telemetry port, which no generated job scrapes. */
const KSM_TELEMETRY_JOB = {
  job_name: 'ksm-telemetry',
  kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: ['observability'] } }],
  relabel_configs: [
    { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], action: 'keep', regex: 'kube-state-metrics' },
    { source_labels: ['__meta_kubernetes_pod_container_port_name'], action: 'keep', regex: 'telemetry' },
  ],
};

/** Config files (text), by name; make-it-yours is synthesized in place (its user files are relative to it). */
const STACKS: Record<string, string> = {
  default: join(ROOT, 'o11y.yaml'),
  'multi-cloud': join(ROOT, 'examples/multi-cloud.yaml'),
  'agent: false': stringify(with_(DEFAULT, 'components', { collector: { ...DEFAULT.components?.collector, agent: false } })),
  'strict egress': stringify(with_(DEFAULT, 'networkPolicy', { egress: 'strict' })),
  'multi-cloud, strict egress': stringify(with_(MULTI, 'networkPolicy', { egress: 'strict' })),
  'a user job in the stack namespace': stringify(with_(DEFAULT, 'scrape', { extraConfigs: [KSM_TELEMETRY_JOB] })),
  'make-it-yours': join(ROOT, 'examples/make-it-yours.yaml'),
  victoriametrics: join(ROOT, 'examples/victoriametrics.yaml'),
};

function synthesized(name: string, source: string): [string, K8sObject[]][] {
  const dir = join(work, name.replace(/\W+/g, '-'));
  let configFile = source;
  if (!source.startsWith('/')) configFile = writeDerivedConfig(`${dir}-config`, source, name.startsWith('multi-cloud') ? join(ROOT, 'examples/multi-cloud.yaml') : undefined);
  const { flows } = synthesize({ configFile, outDir: dir });
  return Object.keys(flows).map((cluster) => [`${name} / ${cluster}`, loadManifestDir(join(dir, cluster))]);
}
const clusters = Object.entries(STACKS).flatMap(([name, source]) => synthesized(name, source));

/** The scraper of a cluster and the scrape configs it reads, from its ConfigMap. */
function scraper(objects: K8sObject[]): { app: string; jobs: Record<string, unknown>[] } {
  const data = (name: string) => (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data as Record<string, string> | undefined);
  const prometheus = data('prometheus-config');
  if (prometheus) return { app: 'prometheus', jobs: parseYaml(prometheus['prometheus.yml']!).scrape_configs };
  const vmagent = data('vmagent-config');
  if (vmagent) return { app: 'vmagent', jobs: parseYaml(vmagent['scrape.yaml']!).scrape_configs };
  const collector = data('otel-scraper-config');
  if (!collector) throw new Error('the cluster runs no scraper');
  // The collector config escapes `$` as `$$`; Prometheus' config parser inside it sees single ones.
  const jobs = parseYaml(collector['config.yaml']!).receivers.prometheus.config.scrape_configs;
  return { app: 'otel-scraper', jobs: JSON.parse(JSON.stringify(jobs).replaceAll('$$', '$')) };
}

const podEndpoint = (objects: K8sObject[], pod: DiscoveredPod): PodEndpoint => ({
  kind: 'pod',
  namespace: pod.namespace,
  labels: pod.labels,
  namespaceLabels: objects.find((o) => o.kind === 'Namespace' && o.metadata.name === pod.namespace)?.metadata.labels ?? {},
});

/** Every scrape of a stack pod, with whether the policies let it through (and why not). */
function scrapes(objects: K8sObject[]) {
  const cluster = clusterFromManifests(objects as unknown as Manifest[]);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
  const { app, jobs } = scraper(objects);
  const self = cluster.pods.find((p) => p.labels['app.kubernetes.io/name'] === app)!;
  return jobs.flatMap((job) =>
    scrapeTargets(cluster, job, self.namespace)
      // Host-network pods (node-exporter) are reached on the node address; no policy selects them.
      .filter((t) => !t.pod.hostNetwork)
      .map((t) => {
        const portName = t.pod.containers.flatMap((c) => c.ports).find((p) => p.containerPort === t.port)?.name;
        const d = isAllowed(policies, { from: podEndpoint(objects, self), to: podEndpoint(objects, t.pod), port: t.port, ...(portName ? { portName } : {}) });
        return { what: `${app} → ${t.pod.namespace}/${t.pod.labels['app.kubernetes.io/name']}:${t.port} (job ${t.job})`, allowed: d.allowed, why: `egress ${JSON.stringify(d.egress)}, ingress ${JSON.stringify(d.ingress)}` };
      }),
  );
}

describe.each(clusters)('%s', (_, objects) => {
  it('the policies admit every scrape of a stack pod', () => {
    const all = scrapes(objects);
    // Not vacuous: the scraper reaches stack pods (itself and the collectors at least).
    expect(all.length).toBeGreaterThan(2);
    expect(all.filter((s) => !s.allowed).map((s) => `${s.what}: ${s.why}`)).toEqual([]);
  });
});

describe('the check', () => {
  const [, objects] = clusters.find(([name]) => name === 'default / local')!;

  it('reaches Grafana, kube-state-metrics and the collectors in the default stack', () => {
    const targets = new Set(scrapes(objects).map((s) => s.what.replace(/ \(job .*\)$/, '')));
    for (const t of ['prometheus → observability/grafana:3000', 'prometheus → observability/kube-state-metrics:8080', 'prometheus → observability/otel-gateway:8888', 'prometheus → observability-agent/otel-agent:8888', 'prometheus → observability/prometheus:9090']) {
      expect(targets).toContain(t);
    }
  });

  it('fails on a Grafana policy that admits nothing (the policy before scrape flows were derived)', () => {
    const closed = objects.map((o) => (o.kind === 'NetworkPolicy' && o.metadata.name === 'grafana' ? { ...o, spec: { ...(o.spec as object), ingress: [] } } : o));
    expect(scrapes(closed).filter((s) => !s.allowed).map((s) => s.what)).toEqual(['prometheus → observability/grafana:3000 (job o11y-stack)']);
  });

  it('admits a user job\'s target in the stack namespace on the port it keeps', () => {
    const [, user] = clusters.find(([name]) => name === 'a user job in the stack namespace / local')!;
    expect(scrapes(user).filter((s) => s.what.includes('(job ksm-telemetry)')).map((s) => [s.what, s.allowed])).toEqual([['prometheus → observability/kube-state-metrics:8081 (job ksm-telemetry)', true]]);
  });
});
