/**
 * The `prometheus-rules-kubernetes` rule file: recording rules and alerts for nodes, workloads,
 * resources, storage, the API server, kubelets, CoreDNS, the control plane where the cloud exposes
 * it, and the stack's Kubernetes exporters. A pure function of the jobs the cluster's cloud
 * synthesizes and the config's `monitoring.kubernetes`: a rule whose job is not scraped there is
 * not generated (no "scheduler down" on a managed control plane).
 *
 * Recorded series for dashboards (every one carries `cluster` where the series came from another
 * cluster, as every rule here does):
 *   instance:node_num_cpu:sum, instance:node_cpu_utilisation:rate5m, instance:node_load1_per_cpu:ratio,
 *   instance:node_memory_utilisation:ratio, instance:node_vmstat_pgmajfault:rate5m,
 *   instance_device:node_disk_io_time_seconds:rate5m, instance_device:node_disk_io_time_weighted_seconds:rate5m,
 *   instance:node_network_{receive,transmit}_bytes_excluding_lo:rate5m,
 *   instance:node_network_{receive,transmit}_drop_excluding_lo:rate5m          (labels: instance, node, job)
 *   node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m,
 *   node_namespace_pod_container:container_memory_working_set_bytes           (cluster, namespace, pod, container, node)
 *   namespace:kube_pod_container_resource_{requests,limits}:sum               (cluster, namespace, resource = cpu|memory; Pending and Running pods)
 *   namespace_pod:kube_pod_status_phase:active                               (cluster, namespace, pod; 1 for Pending and Running pods)
 *   namespace_workload_pod:kube_pod_owner:relabel                             (cluster, namespace, workload, workload_type = Deployment|DaemonSet|StatefulSet|Job, pod)
 */
import type { KubernetesRuleGroup, MonitoringConfig } from '../../model/types.ts';
import type { JobName } from '../../monitoring/metric-catalogue.ts';
import { apiserverGroup } from './apiserver.ts';
import { componentsGroup } from './components.ts';
import { controlPlaneGroup, etcdGroup } from './control-plane.ts';
import { corednsGroup } from './coredns.ts';
import { kubeletGroup } from './kubelet.ts';
import { nodeGroup } from './node.ts';
import { resourcesGroup } from './resources.ts';
import { alertAnchor, type RunbookLink } from '../runbook.ts';
import { isAlert, type KubernetesAlert, type KubernetesGroup, type KubernetesRule } from './rule.ts';
import { storageGroup } from './storage.ts';
import { workloadsGroup } from './workloads.ts';

export type { KubernetesAlert } from './rule.ts';

/** Name of the rule file in its ConfigMap and in `dist/<cluster>/promtool/rules/`. */
export const KUBERNETES_RULE_FILE = 'kubernetes.rules.yaml';
export const KUBERNETES_RULES_CONFIGMAP = 'prometheus-rules-kubernetes';

/** Every group, in file order, with every rule (before filtering). */
export function allKubernetesGroups(): readonly KubernetesGroup[] {
  return [nodeGroup(), workloadsGroup(), resourcesGroup(), storageGroup(), apiserverGroup(), kubeletGroup(), corednsGroup(), etcdGroup(), controlPlaneGroup(), componentsGroup()];
}

/** Every Kubernetes alert any cloud can get (README catalogue, runbook). */
export function allKubernetesAlerts(): readonly KubernetesAlert[] {
  return allKubernetesGroups().flatMap((g) => g.rules.filter(isAlert));
}

export interface KubernetesRuleOptions {
  /** The jobs the clusters whose data this Prometheus holds scrape (`synthesizedJobs(cloud)`). */
  readonly jobs: ReadonlySet<JobName>;
  readonly disabledGroups: MonitoringConfig['kubernetes']['disabledGroups'];
  readonly runbook: RunbookLink;
}

type OutputRule =
  | { readonly record: string; readonly expr: string }
  | { readonly alert: string; readonly expr: string; readonly for?: string; readonly labels: Record<string, string>; readonly annotations: Record<string, string> };

export interface KubernetesRuleFile {
  readonly groups: readonly { readonly name: string; readonly rules: readonly OutputRule[] }[];
}

export function kubernetesRules(opts: KubernetesRuleOptions): KubernetesRuleFile {
  const disabled = new Set<KubernetesRuleGroup>(opts.disabledGroups);
  const output = (r: KubernetesRule): OutputRule =>
    isAlert(r)
      ? {
          alert: r.alert,
          expr: r.expr,
          ...(r.for ? { for: r.for } : {}),
          labels: { severity: r.severity },
          annotations: { summary: r.summary, description: r.description, action: r.action, runbook_url: opts.runbook(alertAnchor(r.alert)) },
        }
      : { record: r.record, expr: r.expr };
  return {
    groups: allKubernetesGroups()
      .filter((g) => !disabled.has(g.key as KubernetesRuleGroup))
      .map((g) => ({ name: `kubernetes.${g.key}`, rules: g.rules.filter((r) => r.requires.every((job) => opts.jobs.has(job))).map(output) }))
      .filter((g) => g.rules.length > 0),
  };
}
