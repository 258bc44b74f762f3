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
