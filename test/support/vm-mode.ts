import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { synthesize } from '../../src/synth.ts';
import { loadManifestDir } from './load-manifests.ts';
import type { K8sObject } from './manifest-checks.ts';
import type { PodFiles } from './pod-files.ts';
import { flagValue, withFlags } from './real-engine-checks.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The repository's default config (its SLOs included) with its backend switched to the victoriametrics-cluster metrics mode. */
export function vmModeConfig(): string {
  const text = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8').replace('slos: [slos/*.yaml]', `slos: [${join(ROOT, 'slos')}/*.yaml]`);
  const switched = text.replace(/^( +)region: dc1\n/m, '$1region: dc1\n$1metrics: { mode: victoriametrics-cluster }\n');
  if (switched === text) throw new Error('o11y.yaml changed shape: cannot switch its backend to the victoriametrics-cluster mode');
  return switched;
}

/** The first container's args of workload `name`. */
export function containerArgs(objects: readonly K8sObject[], name: string): string[] {
  const workload = objects.find((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind) && o.metadata.name === name);
  if (!workload) throw new Error(`no workload named ${name}`);
  return [...(workload.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args];
}

/**
 * vmalert's synthesized args as they run from its laid-out pod files: the `-rule` patterns and
 * `-notifier.config` moved under the pod root, that file's Alertmanager targets replaced by
 * `notifier` (host:port), its relabelling kept. Without `notifier`, notifications are dropped
 * (`-notifier.blackhole`, which vmalert takes only without `-notifier.config`).
 */
export function vmalertPodArgs(pod: PodFiles, notifier?: string): string[] {
  const config = flagValue(pod.args, 'notifier.config');
  if (!config) throw new Error('vmalert has no -notifier.config');
  const file = pod.hostPath(config);
  if (notifier) writeFileSync(file, stringify({ ...parse(readFileSync(file, 'utf8')), static_configs: [{ targets: [notifier] }] }));
  const rules = pod.args.filter((a) => a.startsWith('-rule=')).map((a) => `-rule=${pod.hostPath(a.slice('-rule='.length))}`);
  const notifications = notifier ? { 'notifier.config': file } : { 'notifier.config': undefined, 'notifier.blackhole': 'true' };
  return withFlags([...pod.args.filter((a) => !a.startsWith('-rule=')), ...rules], notifications, '-');
}

/**
 * examples/victoriametrics.yaml with a second victoriametrics-cluster backend in another cloud,
 * read by a global vmselect in the Grafana cluster (`eu-backend`) through `clusternativeEndpoint`.
 */
export function globalSelectConfig(): string {
  // Its SLO files by absolute path: the config is written elsewhere.
  const text = readFileSync(join(ROOT, 'examples', 'victoriametrics.yaml'), 'utf8').replace(/^slos: \[.*\]$/m, (line) => line.replaceAll('slos/', `${join(ROOT, 'examples', 'slos')}/`));
  const gcp = `  - name: gke-backend
    cloud: gcp
    region: europe-west4
    roles: [backend]
    otlpEndpoint: otlp.gke.example.com:4317
    query: { prometheus: https://prometheus.gke.example.com, loki: https://loki.gke.example.com, tempo: https://tempo.gke.example.com }
    identity: { gcpServiceAccount: o11y-storage@acme-o11y.iam.gserviceaccount.com }
    objectStorage: { type: gcs, traces: acme-o11y-traces-gcp, logs: acme-o11y-logs-gcp }
    metrics: { mode: victoriametrics-cluster, clusternativeEndpoint: vmselect.gke.internal:8401 }
components:
`;
  const withGcp = text.replace(/^components:\n/m, gcp).replace(/^(  victoriametrics:\n)/m, '$1    globalSelect: true\n');
  if (!withGcp.includes('globalSelect: true') || !withGcp.includes('gke-backend')) throw new Error('examples/victoriametrics.yaml changed shape: cannot add a second backend and the global vmselect');
  return withGcp;
}

/** Synthesizes {@link vmModeConfig} into `work/dist` and returns the objects of its `local` cluster. */
export function synthesizeVmMode(work: string): K8sObject[] {
  writeFileSync(join(work, 'o11y.yaml'), vmModeConfig());
  synthesize({ configFile: join(work, 'o11y.yaml'), outDir: join(work, 'dist') });
  return loadManifestDir(join(work, 'dist', 'local'));
}
