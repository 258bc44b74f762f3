import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { NODE_EXPORTER_PORT } from '../constructs/node-exporter.ts';
import { IMAGES } from '../src/model/images.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { synthesizedJobs } from '../src/monitoring/metric-catalogue.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';

// What the multi-cloud example synthesizes for Kubernetes monitoring in each of its clusters (one
// per cloud at least): the scrape jobs the catalogue says the cloud has, in Prometheus or in the
// collector scraper alike; the RBAC and flows they need; node-exporter within its exception.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const configFile = join(ROOT, 'examples/multi-cloud.yaml');
const config = loadConfigFile(configFile);
const out = mkdtempSync(join(tmpdir(), 'o11y-kubernetes-scrape-'));
const { flows } = synthesize({ configFile, outDir: out });
afterAll(() => rmSync(out, { recursive: true, force: true }));

type Obj = K8sObject & Record<string, any>;
interface Job {
  job_name: string;
  scheme?: string;
  metrics_path?: string;
  kubernetes_sd_configs: { role: string; namespaces?: { names: string[] } }[];
  relabel_configs: { source_labels?: string[]; action?: string; regex?: string; target_label?: string; replacement?: string }[];
  tls_config?: Record<string, unknown>;
  authorization?: unknown;
}

/** The scrape jobs of the cluster's scraper: Prometheus' config, or the collector scraper's receiver. */
function scrapeJobs(objs: Obj[]): Job[] {
  const data = (name: string) => objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data as Record<string, string> | undefined;
  const prometheus = data('prometheus-config');
  if (prometheus) return (parseYaml(prometheus['prometheus.yml']!) as { scrape_configs: Job[] }).scrape_configs;
  // The collector unescapes `$$` into `$`.
  const scraper = parseYaml(data('otel-scraper-config')!['config.yaml']!.replaceAll('$$', '$')) as { receivers: { prometheus: { config: { scrape_configs: Job[] } } } };
  return scraper.receivers.prometheus.config.scrape_configs;
}

const scraperApp = (objs: Obj[]) => (objs.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'prometheus') ? 'prometheus' : 'otel-scraper');

describe.each(config.clusters.map((c) => [c.name, c.cloud] as const))('cluster %s (%s)', (name, cloud) => {
  const objs = loadManifestDir(join(out, name)) as Obj[];
  const jobs = scrapeJobs(objs);
  const app = scraperApp(objs);
  const role = objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === `${config.namespace}-${app}`)!;

  it('scrapes exactly the jobs the metric catalogue says its cloud synthesizes', () => {
    expect(jobs.map((j) => j.job_name).sort()).toEqual([...synthesizedJobs(cloud)].sort());
  });

  it('scrapes the API server through the kubernetes Service, verifying its certificate', () => {
    const api = jobs.find((j) => j.job_name === 'apiserver')!;
    expect(api.kubernetes_sd_configs).toEqual([{ role: 'endpointslice', namespaces: { names: ['default'] } }]);
    expect(api.relabel_configs[0]).toEqual({ source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpointslice_port_name'], action: 'keep', regex: 'kubernetes;https' });
    expect(api.tls_config).toEqual({ ca_file: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', server_name: 'kubernetes' });
  });

  it('scrapes CoreDNS pods in kube-system on port 9153 and node-exporter with its node', () => {
    const dns = jobs.find((j) => j.job_name === 'coredns')!;
    expect(dns.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['kube-system'] } }]);
    expect(dns.relabel_configs).toEqual(expect.arrayContaining([
      { source_labels: ['__meta_kubernetes_pod_label_k8s_app'], action: 'keep', regex: 'kube-dns' },
      { source_labels: ['__meta_kubernetes_pod_container_port_number'], action: 'keep', regex: '9153' },
    ]));
    const ne = jobs.find((j) => j.job_name === 'node-exporter')!;
    expect(ne.relabel_configs).toEqual(expect.arrayContaining([{ source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' }]));
    expect(ne.relabel_configs.some((r) => r.target_label === 'instance')).toBe(false);
    // The stack's own job does not scrape it a second time.
    const stack = jobs.find((j) => j.job_name === 'o11y-stack')!;
    expect(stack.relabel_configs).toEqual(expect.arrayContaining([{ source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: 'node-exporter', action: 'drop' }]));
  });

  it('reads control-plane metrics the way its cloud allows, with the RBAC that needs and no more', () => {
    const eksRule = role.rules.find((r: { apiGroups?: string[] }) => r.apiGroups?.includes('metrics.eks.amazonaws.com'));
    const controlPlane = jobs.filter((j) => ['etcd', 'kube-scheduler', 'kube-controller-manager'].includes(j.job_name));
    if (cloud === 'aws') {
      expect(eksRule).toEqual({ apiGroups: ['metrics.eks.amazonaws.com'], resources: ['ksh/metrics', 'kcm/metrics'], verbs: ['get'] });
      expect(controlPlane.map((j) => [j.job_name, j.metrics_path])).toEqual([
        ['kube-scheduler', '/apis/metrics.eks.amazonaws.com/v1/ksh/container/metrics'],
        ['kube-controller-manager', '/apis/metrics.eks.amazonaws.com/v1/kcm/container/metrics'],
      ]);
    } else expect(eksRule).toBeUndefined();
    if (cloud === 'onprem') {
      expect(controlPlane.map((j) => [j.job_name, j.scheme, j.relabel_configs[1]!.replacement])).toEqual([
        ['etcd', 'http', '$1:2381'],
        ['kube-scheduler', 'https', '$1:10259'],
        ['kube-controller-manager', 'https', '$1:10257'],
      ]);
      for (const j of controlPlane) expect(j.relabel_configs[0]).toEqual({ source_labels: ['__meta_kubernetes_node_labelpresent_node_role_kubernetes_io_control_plane'], action: 'keep', regex: 'true' });
    }
    if (!['aws', 'onprem'].includes(cloud)) expect(controlPlane).toEqual([]);
    // The API server's /metrics (and the scheduler's and controller-manager's, authorized against it).
    expect(role.rules).toContainEqual({ nonResourceURLs: ['/metrics', '/metrics/cadvisor'], verbs: ['get'] });
  });

  it('declares the flows to node-exporter and the control plane on node addresses, and to the API server', () => {
    const from = flows[name]!.filter((f) => 'app' in f.from && f.from.app === app);
    const toNodes = from.filter((f) => 'nodes' in f.to).flatMap((f) => f.ports);
    expect(toNodes).toEqual(expect.arrayContaining([10250, NODE_EXPORTER_PORT]));
    expect(toNodes.includes(2381) && toNodes.includes(10257) && toNodes.includes(10259)).toBe(cloud === 'onprem');
    expect(from.some((f) => 'apiServer' in f.to)).toBe(true);
  });

  it('runs node-exporter on every node within the agent namespace\'s exception', () => {
    const ds = objs.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'node-exporter')!;
    const pod = ds.spec.template.spec;
    const c = pod.containers[0];
    expect(ds.metadata.namespace).toBe(config.agentNamespace);
    expect(pod.hostNetwork).toBe(true);
    expect(pod.hostPID).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.tolerations).toEqual(config.components.collector.agentTolerations);
    expect(pod.volumes.map((v: { hostPath: { path: string } }) => v.hostPath.path)).toEqual(['/proc', '/sys', '/']);
    expect(c.volumeMounts.every((m: { readOnly: boolean }) => m.readOnly)).toBe(true);
    expect(c.image).toBe(IMAGES.nodeExporter);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.args).toContain(`--web.listen-address=$(NODE_IP):${NODE_EXPORTER_PORT}`);
    expect(c.env).toEqual([{ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }]);
  });
});
