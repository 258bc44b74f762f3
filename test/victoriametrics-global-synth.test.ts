import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../src/config/load.ts';
import { isAllowed, type Endpoint, type NetworkPolicyObject, type PodEndpoint } from '../src/policy/network-policy-eval.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { stackExpectations, STACK_CHECKS, type K8sObject } from './support/manifest-checks.ts';
import { containerArgs, globalSelectConfig } from './support/vm-mode.ts';
import { runTool } from './support/run-tool.ts';
import { workloadsFromManifests } from '../src/controller/scope.ts';

// components.victoriametrics.globalSelect over two victoriametrics-cluster backends (aws holds
// Grafana, gcp is another cluster): the global vmselect reads each backend's vmselect on its
// cluster-native port, Grafana gets one datasource for both, and the NetworkPolicies, evaluated
// with Kubernetes semantics, let exactly those connections through. Without the switch nothing changes.
// Its bad input: victoriametrics-synth.test.ts.

const EXAMPLE = fileURLToPath(new URL('../examples/victoriametrics.yaml', import.meta.url));
const pod = (app: string): PodEndpoint => ({ kind: 'pod', namespace: 'observability', labels: { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': 'o11y' }, namespaceLabels: {} });
const OTHER_CLUSTER: Endpoint = { kind: 'external', ip: '10.20.0.7' };

describe('components.victoriametrics.globalSelect', () => {
  let out: string;
  let config: string;
  const dist: Record<'grafana' | 'gcp' | 'plain', K8sObject[]> = { grafana: [], gcp: [], plain: [] };
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'o11y-vm-global-'));
    config = join(out, 'global.yaml');
    writeFileSync(config, globalSelectConfig());
    synthesize({ configFile: config, outDir: join(out, 'global') });
    synthesize({ configFile: EXAMPLE, outDir: join(out, 'plain') });
    dist.grafana = loadManifestDir(join(out, 'global', 'eu-backend'));
    dist.gcp = loadManifestDir(join(out, 'global', 'gke-backend'));
    dist.plain = loadManifestDir(join(out, 'plain', 'eu-backend'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const allowed = (objects: K8sObject[], from: Endpoint, to: Endpoint, port: number) =>
    isAllowed(objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[], { from, to, port }).allowed;

  it.each(Object.keys(STACK_CHECKS))('passes the %s checks in both backends', (check) => {
    const e = stackExpectations(loadConfigFile(config));
    expect(STACK_CHECKS[check]!(dist.grafana, e)).toEqual([]);
    expect(STACK_CHECKS[check]!(dist.gcp, e)).toEqual([]);
  });

  it('runs in the Grafana cluster over each backend\'s vmselect, in cluster order, with the scrape interval and no replication factor', () => {
    expect(containerArgs(dist.grafana, 'vmselect-global')).toEqual([
      '-storageNode=vmselect.observability.svc:8401,vmselect.gke.internal:8401',
      '-dedup.minScrapeInterval=30s',
      '-search.denyPartialResponse',
      '-httpListenAddr=:8481',
      '-cacheDataPath=/cache',
    ]);
    const deployment = dist.grafana.find((o) => o.kind === 'Deployment' && o.metadata.name === 'vmselect-global') as K8sObject & { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe(2);
    expect(dist.grafana.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'vmselect-global')).toBe(true);
    expect(dist.gcp.some((o) => o.metadata.name === 'vmselect-global')).toBe(false);
  });

  it('has both backends\' vmselects serve the cluster-native port, and the example without the switch does not', () => {
    for (const objects of [dist.grafana, dist.gcp]) {
      expect(containerArgs(objects, 'vmselect')).toContain('-clusternativeListenAddr=:8401');
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'vmselect') as K8sObject & { spec: { ports: { name: string; port: number }[] } };
      expect(svc.spec.ports.map((p) => `${p.name}:${p.port}`)).toEqual(['http-metrics:8481', 'clusternative:8401']);
    }
    expect(containerArgs(dist.plain, 'vmselect').some((a) => a.startsWith('-clusternativeListenAddr'))).toBe(false);
    expect(dist.plain.some((o) => o.metadata.name === 'vmselect-global')).toBe(false);
  });

  it('gives Grafana the datasource Prometheus (global) on the global vmselect', () => {
    const cm = dist.grafana.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-datasources') as K8sObject & { data: Record<string, string> };
    const { datasources } = parse(cm.data['datasources.yaml']!) as { datasources: { uid: string; name: string; url: string; isDefault?: boolean }[] };
    expect(datasources.find((d) => d.uid === 'prometheus-global')).toMatchObject({ name: 'Prometheus (global)', url: 'http://vmselect-global.observability.svc:8481/select/0/prometheus' });
    expect(datasources.filter((d) => d.isDefault).map((d) => d.uid)).toEqual(['prometheus-aws']);
  });

  it.each([
    ['Grafana → global vmselect', 'grafana', pod('grafana'), pod('vmselect-global'), 8481, true],
    ['global vmselect → the local vmselect\'s cluster-native port', 'grafana', pod('vmselect-global'), pod('vmselect'), 8401, true],
    ['global vmselect → the other backend, across clusters', 'grafana', pod('vmselect-global'), { kind: 'external', ip: '10.30.0.9' }, 8401, true],
    ['Loki → the local vmselect\'s cluster-native port', 'grafana', pod('loki'), pod('vmselect'), 8401, false],
    ['Loki → global vmselect', 'grafana', pod('loki'), pod('vmselect-global'), 8481, false],
    ['the global vmselect from another cluster → the gcp vmselect\'s cluster-native port', 'gcp', OTHER_CLUSTER, pod('vmselect'), 8401, true],
    ['Loki → the gcp vmselect\'s cluster-native port', 'gcp', pod('loki'), pod('vmselect'), 8401, false],
    ['another cluster → the example\'s vmselect cluster-native port (not served)', 'plain', OTHER_CLUSTER, pod('vmselect'), 8401, false],
  ] as const)('%s: %s', (_, where, from, to, port, expected) => {
    expect(allowed(dist[where], from, to, port)).toBe(expected);
  });
});

/** The data of ConfigMap `name` in `objects`. */
const configMapData = (objects: readonly K8sObject[], name: string) => (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as unknown as { data: Record<string, string> } | undefined)?.data;
/** Every Grafana dashboard the objects provision, by uid. */
const dashboards = (objects: readonly K8sObject[]) =>
  new Map(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('grafana-dashboards')).flatMap((o) => Object.values((o as unknown as { data: Record<string, string> }).data).map((j) => JSON.parse(j) as { uid: string; panels: Panel[] })).map((d) => [d.uid, d]));
type Panel = { title: string; datasource?: { uid: string }; targets?: { datasource: { uid: string }; expr?: string }[]; panels?: Panel[] };
const panelsOf = (d: { panels: Panel[] }): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

describe('the global vmselect, monitored and sized as a component of its own', () => {
  let out: string;
  const dist: Record<'grafana' | 'gcp' | 'plain' | 'promGrafana' | 'promGcp', K8sObject[]> = { grafana: [], gcp: [], plain: [], promGrafana: [], promGcp: [] };
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'o11y-vm-global-monitored-'));
    const config = join(out, 'global.yaml');
    writeFileSync(config, globalSelectConfig());
    const prom = join(out, 'prometheus-grafana.yaml');
    // The Grafana cluster in Prometheus mode (only gke-backend runs VictoriaMetrics), the global vmselect sized apart from vmselect.
    writeFileSync(prom, globalSelectConfig().replace(/^ {4}metrics: \{ mode: victoriametrics-cluster \}.*\n/m, '').replace('    globalSelect: true\n', '    globalSelect: true\n    vmselectGlobal: { replicas: 3, resources: { limits: { memory: 3Gi } } }\n    vmselect: { resources: { limits: { memory: 2Gi } } }\n'));
    for (const [name, file] of [['global', config], ['plain', EXAMPLE], ['prom', prom]] as const) synthesize({ configFile: file, outDir: join(out, name) });
    dist.grafana = loadManifestDir(join(out, 'global', 'eu-backend'));
    dist.gcp = loadManifestDir(join(out, 'global', 'gke-backend'));
    dist.plain = loadManifestDir(join(out, 'plain', 'eu-backend'));
    dist.promGrafana = loadManifestDir(join(out, 'prom', 'eu-backend'));
    dist.promGcp = loadManifestDir(join(out, 'prom', 'gke-backend'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is scraped where the Grafana cluster\'s metrics are: by vmagent, or by Prometheus in Prometheus mode (the policies come from the scrape configs)', () => {
    const policies = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
    expect(isAllowed(policies(dist.grafana), { from: pod('vmagent'), to: pod('vmselect-global'), port: 8481 }).allowed).toBe(true);
    expect(isAllowed(policies(dist.promGrafana), { from: pod('prometheus'), to: pod('vmselect-global'), port: 8481 }).allowed).toBe(true);
    expect(isAllowed(policies(dist.promGrafana), { from: pod('loki'), to: pod('vmselect-global'), port: 8481 }).allowed).toBe(false);
  });

  it('o11y check --manifests checks its rollout as every Deployment\'s, and its pods\' backends', () => {
    const { workloads } = workloadsFromManifests(join(out, 'global', 'eu-backend'));
    expect(workloads).toContainEqual({ kind: 'Deployment', namespace: 'observability', name: 'vmselect-global' });
    expect(workloadsFromManifests(join(out, 'global', 'gke-backend')).workloads.map((w) => w.name)).not.toContain('vmselect-global');
    // Its pods' backends are read where it runs (controller-vm-storage.test.ts), vminsert's storage nodes in each backend.
    expect(workloadsFromManifests(join(out, 'global', 'eu-backend')).reachability?.['vmselect-global']).toBe('observability');
    expect(workloadsFromManifests(join(out, 'global', 'gke-backend')).reachability).toEqual({ vminsert: 'observability' });
  });

  it('takes its replicas and resources from vmselectGlobal, not from vmselect', () => {
    const deployment = (objects: K8sObject[], name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as K8sObject & { spec: { replicas: number; template: { spec: { containers: { resources: { limits: { memory: string } } }[] } } } };
    const memory = (d: ReturnType<typeof deployment>) => d.spec.template.spec.containers[0]!.resources.limits.memory;
    expect([deployment(dist.promGrafana, 'vmselect-global').spec.replicas, memory(deployment(dist.promGrafana, 'vmselect-global'))]).toEqual([3, '3Gi']);
    expect([deployment(dist.promGcp, 'vmselect').spec.replicas, memory(deployment(dist.promGcp, 'vmselect'))]).toEqual([2, '2Gi']);
    // Unset, both take the size's vmselect resources (medium).
    expect(memory(deployment(dist.grafana, 'vmselect-global'))).toBe(memory(deployment(dist.grafana, 'vmselect')));
  });

  it('its alerts are evaluated where the Grafana cluster\'s metrics are stored: its vmalert, or its Prometheus; nowhere else', () => {
    const groups = (objects: K8sObject[]) => {
      const data = configMapData(objects, 'prometheus-rules-vmselect-global');
      return data ? (parse(data['vmselect-global.rules.yaml']!) as { groups: { name: string; rules: { alert: string }[] }[] }).groups.map((g) => `${g.name}: ${g.rules.map((r) => r.alert).join(', ')}`) : [];
    };
    const expected = ['o11y-stack.vmselect-global: O11yVmSelectGlobalBackendUnreachable, O11yVmSelectGlobalRefusing'];
    expect(groups(dist.grafana)).toEqual(expected);
    expect(groups(dist.promGrafana)).toEqual(expected);
    expect([groups(dist.gcp), groups(dist.promGcp), groups(dist.plain)]).toEqual([[], [], []]);
    expect(containerArgs(dist.grafana, 'vmalert')).toContain('-rule=/etc/prometheus-rules/prometheus-rules-vmselect-global/*.yaml');
    const prometheusYml = parse(configMapData(dist.promGrafana, 'prometheus-config')!['prometheus.yml']!) as { rule_files: string[] };
    expect(prometheusYml.rule_files.some((f) => f.includes('prometheus-rules-vmselect-global'))).toBe(true);
  });

  it('promtool accepts its rule file as Prometheus mode loads it; a broken twin fails', () => {
    const file = join(out, 'vmselect-global.rules.yaml');
    const text = configMapData(dist.promGrafana, 'prometheus-rules-vmselect-global')!['vmselect-global.rules.yaml']!;
    writeFileSync(file, text);
    const run = runTool('promtool', ['check', 'rules', file]);
    expect(run.status, run.output).toBe(0);
    writeFileSync(file, text.replace('== 0', '== ('));
    expect(runTool('promtool', ['check', 'rules', file]).status).not.toBe(0);
  });

  it('promtool: a backend unreachable for 5 minutes fires O11yVmSelectGlobalBackendUnreachable for its address, a reachable one does not', () => {
    const text = configMapData(dist.promGrafana, 'prometheus-rules-vmselect-global')!['vmselect-global.rules.yaml']!;
    writeFileSync(join(out, 'vmselect-global.rules.yaml'), text);
    const rule = (parse(text) as { groups: { rules: { alert: string; annotations: Record<string, string> }[] }[] }).groups[0]!.rules.find((r) => r.alert === 'O11yVmSelectGlobalBackendUnreachable')!;
    const annotations = (addr: string) => Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, v.replace('{{ $labels.addr }}', addr)]));
    const test = (firing: string) => ({
      rule_files: ['vmselect-global.rules.yaml'],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [
          { series: 'vm_tcpdialer_addr_available{job="vmselect-global", cluster="eu-backend", addr="vmselect.gke.internal:8401"}', values: '0x10' },
          { series: 'vm_tcpdialer_addr_available{job="vmselect-global", cluster="eu-backend", addr="vmselect.observability.svc:8401"}', values: '1x10' },
        ],
        alert_rule_test: [{ eval_time: '10m', alertname: 'O11yVmSelectGlobalBackendUnreachable', exp_alerts: [{ exp_labels: { severity: 'warning', cluster: 'eu-backend', addr: firing }, exp_annotations: annotations(firing) }] }],
      }],
    });
    const run = (firing: string) => {
      writeFileSync(join(out, 'global.test.yaml'), JSON.stringify(test(firing)));
      return runTool('promtool', ['test', 'rules', join(out, 'global.test.yaml')]);
    };
    const ok = run('vmselect.gke.internal:8401');
    expect(ok.status, ok.output).toBe(0);
    expect(run('vmselect.observability.svc:8401').status).not.toBe(0);
  });

  it('the VictoriaMetrics dashboard and the runbook cover it with globalSelect, and only then', () => {
    const vm = (objects: K8sObject[]) => dashboards(objects).get('o11y-victoriametrics')!;
    const exprs = (objects: K8sObject[]) => JSON.stringify(panelsOf(vm(objects)).flatMap((p) => (p.targets ?? []).map((t) => t.expr)));
    expect(exprs(dist.grafana)).toContain('vm_tcpdialer_addr_available{cluster=~\\"$cluster\\", job=\\"vmselect-global\\"}');
    expect(exprs(dist.grafana)).toContain('job=\\"vmselect-global\\", type=\\"rpcClient\\"');
    expect(exprs(dist.plain)).not.toContain('vmselect-global');
    const runbook = (objects: K8sObject[]) => JSON.stringify([...dashboards(objects).values()].find((d) => d.uid.includes('runbook')));
    expect(runbook(dist.grafana)).toContain('O11yVmSelectGlobalBackendUnreachable');
    expect(runbook(dist.plain)).not.toContain('O11yVmSelectGlobal');
  });

  it('each backend\'s vminsert labels what it stores with its cloud, so the global vmselect keeps the clouds\' series apart', () => {
    for (const [objects, cloud] of [[dist.grafana, 'aws'], [dist.gcp, 'gcp'], [dist.promGcp, 'gcp']] as const) {
      expect(containerArgs(objects, 'vminsert')).toContain('-relabelConfig=/etc/vminsert/relabel.yaml');
      expect(parse(configMapData(objects, 'vminsert-relabel')!['relabel.yaml']!)).toEqual([{ source_labels: ['cloud'], regex: '', target_label: 'cloud', replacement: cloud }]);
    }
    expect(containerArgs(dist.plain, 'vminsert').some((a) => a.startsWith('-relabelConfig'))).toBe(false);
    expect(configMapData(dist.plain, 'vminsert-relabel')).toBeUndefined();
  });

  it('the SLO panels across clouds query the global datasource once where it reads every cloud, per cloud otherwise', () => {
    const wholeService = (objects: K8sObject[]) => [...dashboards(objects).values()].flatMap((d) => panelsOf(d)).filter((p) => p.title.startsWith('Whole service'));
    const global = wholeService(dist.grafana);
    expect(global.length).toBeGreaterThan(0);
    for (const p of global) {
      expect(p.datasource?.uid).toBe('prometheus-global');
      expect(p.targets!.map((t) => t.datasource.uid)).toEqual(['prometheus-global']);
      expect(p.targets![0]!.expr).toMatch(/^(1 - \()?\(sum\(/);
    }
    // aws is a Prometheus-mode backend there: the global vmselect does not read it.
    const perCloud = wholeService(dist.promGrafana);
    expect(perCloud.length).toBe(global.length);
    for (const p of perCloud) expect(new Set(p.targets!.map((t) => t.datasource.uid))).toEqual(new Set(['prometheus-aws', 'prometheus-gcp', '__expr__']));
  });
});
