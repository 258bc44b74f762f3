import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { dumpYaml } from '../../src/yaml-output.ts';
import { startDaemon, type Daemon } from './daemon.ts';
import { freePort } from './free-port.ts';
import type { K8sObject } from './manifest-checks.ts';
import { startPrometheusWith } from './real-prometheus.ts';
import { toolPath } from './test-tools.ts';

type DaemonSet = K8sObject & { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { ports?: { name: string }[] }[] } } } };

/**
 * What Kubernetes pod discovery reports for the synthesized node-exporter pod on `node`: its
 * labels, its metrics port's name and its namespace, so that the synthesized job's own
 * relabelling keeps the target and names its node.
 */
export function nodeExporterPodMetaLabels(objs: readonly K8sObject[], node: string): Record<string, string> {
  const ds = objs.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'node-exporter') as DaemonSet;
  const template = ds.spec.template;
  const sanitize = (label: string) => label.replace(/[^a-zA-Z0-9_]/g, '_');
  return {
    ...Object.fromEntries(Object.entries(template.metadata.labels).map(([k, v]) => [`__meta_kubernetes_pod_label_${sanitize(k)}`, v])),
    __meta_kubernetes_pod_container_port_name: template.spec.containers[0]!.ports![0]!.name,
    __meta_kubernetes_pod_node_name: node,
    __meta_kubernetes_namespace: ds.metadata.namespace!,
  };
}

/**
 * A real node-exporter on loopback, scraped every second by a real Prometheus 3 with the
 * synthesized `node-exporter` job (its Kubernetes discovery replaced by a static target with the
 * pod's meta labels) and the given rule files, evaluated every second.
 */
export async function startNodeExporterScrape(objs: readonly K8sObject[], opts: { node: string; ruleFiles?: Record<string, string> }): Promise<{ exporter: Daemon; prometheus: Daemon; stop(): Promise<void> }> {
  const configMap = (name: string) => (objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as K8sObject & { data: Record<string, string> }).data;
  const jobs = (parseYaml(configMap('prometheus-config')['prometheus.yml']!) as { scrape_configs: { job_name: string; kubernetes_sd_configs?: unknown }[] }).scrape_configs;
  const { kubernetes_sd_configs: _discovery, ...job } = jobs.find((j) => j.job_name === 'node-exporter')!;
  const port = await freePort();
  const exporter = await startDaemon({
    binary: toolPath('node-exporter'),
    tmpPrefix: 'o11y-node-exporter-',
    url: `http://127.0.0.1:${port}`,
    readyPath: '/metrics',
    args: () => [`--web.listen-address=127.0.0.1:${port}`],
  });
  const prometheus = await startPrometheusWith({
    tmpPrefix: 'o11y-node-exporter-prometheus-',
    prepare: (dir) => {
      const ruleFiles = Object.entries(opts.ruleFiles ?? {}).map(([name, text]) => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      });
      writeFileSync(
        join(dir, 'prometheus.yml'),
        dumpYaml({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: ruleFiles,
          scrape_configs: [{ ...job, static_configs: [{ targets: [`127.0.0.1:${port}`], labels: nodeExporterPodMetaLabels(objs, opts.node) }] }],
        }),
      );
    },
  });
  return {
    exporter,
    prometheus,
    stop: async () => {
      await prometheus.stop();
      await exporter.stop();
    },
  };
}
