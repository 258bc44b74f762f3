import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../src/config/load.ts';
import { synthesize } from '../src/synth.ts';
import { expectLocatedProblem } from './support/bad-config.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { stackExpectations, STACK_CHECKS, type K8sObject } from './support/manifest-checks.ts';
import { containerArgs } from './support/vm-mode.ts';

// examples/victoriametrics.yaml: a backend in the victoriametrics-cluster metrics mode (three
// storage nodes, strict egress) and an apps cluster. What the mode promises in the manifests:
// no Prometheus, two or more of each component with a PodDisruptionBudget, every path to the
// metrics store pointed at vminsert or vmselect, and NetworkPolicies that let exactly those in.

const EXAMPLE = fileURLToPath(new URL('../examples/victoriametrics.yaml', import.meta.url));
const VM_APPS = ['vmstorage', 'vminsert', 'vmselect', 'vmagent', 'vmalert'];

describe('examples/victoriametrics.yaml', () => {
  let out: string;
  let backend: K8sObject[];
  let apps: K8sObject[];
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'o11y-vm-synth-'));
    synthesize({ configFile: EXAMPLE, outDir: out });
    backend = loadManifestDir(join(out, 'eu-backend'));
    apps = loadManifestDir(join(out, 'eu-apps'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const find = (kind: string, name: string) => backend.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject & { spec: any; data?: Record<string, string> };

  it.each(Object.keys(STACK_CHECKS))('passes the %s checks in both clusters', (check) => {
    const e = stackExpectations(loadConfigFile(EXAMPLE));
    expect(STACK_CHECKS[check]!(backend, e)).toEqual([]);
    expect(STACK_CHECKS[check]!(apps, e)).toEqual([]);
  });

  it('runs no Prometheus, and at least two of each component, each with a PodDisruptionBudget', () => {
    expect(backend.filter((o) => o.metadata.name === 'prometheus' && ['StatefulSet', 'Service'].includes(o.kind))).toEqual([]);
    for (const app of VM_APPS) {
      const workload = backend.find((o) => ['StatefulSet', 'Deployment'].includes(o.kind) && o.metadata.name === app) as K8sObject & { spec: any };
      expect(workload, app).toBeDefined();
      expect(workload.spec.replicas, app).toBeGreaterThanOrEqual(2);
      expect(find('PodDisruptionBudget', app).spec.maxUnavailable, app).toBe(1);
      const keys = workload.spec.template.spec.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey);
      expect(keys, app).toEqual(expect.arrayContaining(['kubernetes.io/arch', 'topology.kubernetes.io/zone', 'kubernetes.io/hostname']));
    }
    const storage = find('StatefulSet', 'vmstorage');
    expect(storage.spec.replicas).toBe(3);
    expect(storage.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('100Gi');
    expect(find('Service', 'vmstorage-headless').spec.clusterIP).toBe('None');
  });

  it('vminsert writes two copies to each of the three storage nodes, and vmselect reads them knowing that', () => {
    const nodes = (port: number) => [0, 1, 2].map((i) => `vmstorage-${i}.vmstorage-headless.observability.svc:${port}`).join(',');
    expect(containerArgs(backend, 'vminsert')).toEqual(expect.arrayContaining([`-storageNode=${nodes(8400)}`, '-replicationFactor=2']));
    expect(containerArgs(backend, 'vmselect')).toEqual(expect.arrayContaining([`-storageNode=${nodes(8401)}`, '-replicationFactor=2', '-dedup.minScrapeInterval=30s', '-search.denyPartialResponse']));
    expect(containerArgs(backend, 'vmstorage')).toEqual(expect.arrayContaining(['-retentionPeriod=30d', '-dedup.minScrapeInterval=30s']));
  });

  it('vmalert notifies every Alertmanager and fills in the labels Prometheus mode adds as external labels, only where an alert lacks them', () => {
    expect(containerArgs(backend, 'vmalert')).toEqual(expect.arrayContaining(['-notifier.config=/etc/vmalert/notifiers.yaml']));
    expect(containerArgs(backend, 'vmalert').filter((a) => a.startsWith('-notifier.url') || a.startsWith('-external.label'))).toEqual([]);
    const notifier = parse(find('ConfigMap', 'vmalert-notifiers').data!['notifiers.yaml']!);
    const am = find('StatefulSet', 'alertmanager').spec.replicas as number;
    expect(notifier.static_configs).toEqual([{ targets: Array.from({ length: am }, (_, i) => `alertmanager-${i}.alertmanager-headless.observability.svc:9093`) }]);
    const fill = (label: string, value: string) => ({ source_labels: [label], regex: '', target_label: label, replacement: value });
    expect(notifier.alert_relabel_configs).toEqual([fill('cluster', 'eu-backend'), fill('cloud', 'aws'), fill('region', 'eu-west-1')]);
  });

  it('points the gateway, Tempo, Grafana, vmalert and the controller at vminsert and vmselect', () => {
    const gateway = parse(find('ConfigMap', 'otel-gateway-config').data!['config.yaml']!) as { exporters: Record<string, { endpoint?: string }> };
    expect(gateway.exporters['otlp_http/prometheus']!.endpoint).toBe('http://vminsert.observability.svc:8480/insert/0/opentelemetry');
    const tempo = parse(find('ConfigMap', 'tempo-config').data!['tempo.yaml']!) as { metrics_generator: { storage: { remote_write: { url: string }[] } } };
    expect(tempo.metrics_generator.storage.remote_write[0]!.url).toBe('http://vminsert.observability.svc:8480/insert/0/prometheus/api/v1/write');
    expect(JSON.stringify(backend.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('grafana')))).toContain('http://vmselect.observability.svc:8481/select/0/prometheus');
    expect(containerArgs(backend, 'o11y-controller')).toContain('--prometheus-url=http://vmselect.observability.svc:8481/select/0/prometheus');
    const vmalert = containerArgs(backend, 'vmalert');
    expect(vmalert).toEqual(expect.arrayContaining(['-datasource.url=http://vmselect.observability.svc:8481/select/0/prometheus', '-remoteWrite.url=http://vminsert.observability.svc:8480/insert/0/prometheus']));
    // Every rule ConfigMap of the cluster, as Prometheus mode mounts them.
    const ruleMaps = backend.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('prometheus-rules-')).map((o) => o.metadata.name).sort();
    expect(ruleMaps.length).toBeGreaterThanOrEqual(3);
    expect(vmalert.filter((a) => a.startsWith('-rule=')).map((a) => a.split('/').at(-2)).sort()).toEqual(ruleMaps);
  });

  it('provisions the VictoriaMetrics dashboard (and the default stack, without the mode, does not)', () => {
    expect(JSON.stringify(backend.filter((o) => o.kind === 'ConfigMap'))).toContain('o11y-victoriametrics.json');
    expect(readFileSync(fileURLToPath(new URL('../dist/local/40-grafana.k8s.yaml', import.meta.url)), 'utf8')).not.toContain('o11y-victoriametrics');
  });

  it('lets into vmstorage only vminsert, vmselect and the scrapers, each on its own port; vmagent may egress to vminsert', () => {
    const from = (p: any) => p.ports.map((x: { port: number }) => `${p.from[0].podSelector.matchLabels['app.kubernetes.io/name']}:${x.port}`);
    expect(find('NetworkPolicy', 'vmstorage').spec.ingress.flatMap(from).sort()).toEqual(['vmagent:8482', 'vminsert:8400', 'vmselect:8401']);
    const egress = JSON.stringify(find('NetworkPolicy', 'vmagent').spec.egress);
    expect(egress).toContain('"app.kubernetes.io/name":"vminsert"');
    expect(JSON.stringify(find('NetworkPolicy', 'alertmanager').spec.ingress)).toContain('"app.kubernetes.io/name":"vmalert"');
  });
});

describe('the victoriametrics-cluster mode refuses what it cannot do, located', () => {
  const BASE = `clusters:
  - name: hub
    cloud: aws
    region: eu-west-1
    roles: [backend, grafana]
    otlpEndpoint: otlp.hub.example.com:4317
    metrics: { mode: victoriametrics-cluster }
  - name: apps
    cloud: aws
    region: us-east-1
`;
  // A backend in another cluster, for the global vmselect (components.victoriametrics.globalSelect).
  const FAR = `  - name: far
    cloud: gcp
    region: europe-west4
    roles: [backend]
    otlpEndpoint: otlp.far.example.com:4317
    query: { prometheus: https://p.far.example.com, loki: https://l.far.example.com, tempo: https://t.far.example.com }
`;
  const vm = (extra: string) => `    metrics: { mode: victoriametrics-cluster${extra} }\n`;
  const GLOBAL = 'components:\n  victoriametrics:\n    globalSelect: true\n';
  it.each([
    ['metrics on a cluster that is no backend', `${BASE}    metrics: { mode: victoriametrics-cluster }\n`, '11:14 clusters[1].metrics', /is not a backend and stores no metrics/],
    ['remote write to another store', `${BASE}components:\n  prometheus:\n    remoteWrite: [{ url: "https://m.example.com/api/v1/push", kind: mimir }]\n`, '13:18 components.prometheus.remoteWrite', /not supported with clusters\[0\]\.metrics\.mode victoriametrics-cluster/],
    ['one storage node', `${BASE}components:\n  victoriametrics:\n    vmstorage: { replicas: 1 }\n`, '13:28 components.victoriametrics.vmstorage.replicas', /must be >= 2/],
    ['an unknown mode', BASE.replace('mode: victoriametrics-cluster', 'mode: thanos'), '7:22 clusters[0].metrics.mode', /victoriametrics-cluster/],
    ['globalSelect without a backend in this mode', `${BASE.replace('    metrics: { mode: victoriametrics-cluster }\n', '')}${FAR}${GLOBAL}`, '18:19 components.victoriametrics.globalSelect', /no backend cluster runs metrics.mode victoriametrics-cluster/],
    ['globalSelect over a backend in another cluster without clusternativeEndpoint', `${BASE}${FAR}${vm('')}${GLOBAL}`, '17:14 clusters[2].metrics', /needs clusternativeEndpoint: host:port/],
    ['clusternativeEndpoint without globalSelect', `${BASE}${FAR}${vm(', clusternativeEndpoint: vmselect.far.internal:8401')}`, '17:70 clusters[2].metrics.clusternativeEndpoint', /only read with components.victoriametrics.globalSelect/],
    ['a clusternativeEndpoint that is no host:port', `${BASE}${FAR}${vm(', clusternativeEndpoint: vmselect.far.internal')}${GLOBAL}`, '17:70 clusters[2].metrics.clusternativeEndpoint', /host:port/],
    ['the global vmselect\'s overrides without globalSelect', `${BASE}components:\n  victoriametrics:\n    vmselectGlobal: { extraArgs: [-search.maxQueryDuration=1m] }\n`, '13:34 components.victoriametrics.vmselectGlobal.extraArgs', /no cluster runs vmselectGlobal \(it runs in the Grafana cluster with components.victoriametrics.globalSelect: true\)/],
    ['the global vmselect\'s overrides on a cluster without Grafana', `${BASE}${FAR}${vm(', clusternativeEndpoint: vmselect.far.internal:8401')}    components: { victoriametrics: { vmselectGlobal: { priorityClassName: high } } }\n${GLOBAL}`, '18:54 clusters[2].components.victoriametrics.vmselectGlobal', /cluster "far" does not run vmselectGlobal \(it runs in: hub\)/],
    ['one global vmselect', `${BASE}components:\n  victoriametrics:\n    globalSelect: true\n    vmselectGlobal: { replicas: 1 }\n`, '14:33 components.victoriametrics.vmselectGlobal.replicas', /must be >= 2/],
  ])('%s', (_, text, at, message) => expectLocatedProblem(text, at, message));
});
