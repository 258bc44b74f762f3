import type { JobName } from '../../monitoring/metric-catalogue.ts';
import type { RunbookAlert } from '../runbook.ts';
import { withCluster } from '../stack-rules.ts';

/**
 * Building blocks of the Kubernetes rules. Every series a rule reads goes through `withCluster`
 * ({@link w}): series pushed from another cluster carry `k8s_cluster_name`, which becomes `cluster`,
 * so that one backend Prometheus holding several clusters never mixes them; every aggregation keeps
 * `cluster`, every join matches on it. Series of the evaluating cluster have no `cluster` until
 * Prometheus' external label adds it to the alert.
 */

export type Severity = 'critical' | 'warning';

/** An alert and what the runbook says about it; `requires` are the scrape jobs its expression reads. */
export interface KubernetesAlert extends RunbookAlert {
  readonly expr: string;
  readonly severity: Severity;
  readonly requires: readonly JobName[];
}

export interface KubernetesRecord {
  readonly record: string;
  readonly expr: string;
  readonly requires: readonly JobName[];
}

export type KubernetesRule = KubernetesAlert | KubernetesRecord;

/** One switchable group (`monitoring.kubernetes.disabledGroups`). */
export interface KubernetesGroup {
  readonly key: string;
  readonly rules: readonly KubernetesRule[];
}

/** `selector` with `cluster` from `k8s_cluster_name` where a series has one. */
export const w = withCluster;

/** `fn(metric{matchers}[range])` with `cluster` set. */
export const wRange = (fn: string, selector: string, range = '5m') => w(`${fn}(${selector}[${range}])`);

/**
 * Fires per cluster when a job has no target up while its kubelets are scraped: a control-plane
 * component (or kube-state-metrics) that is down or no longer discovered. `absent()` would not
 * say which of several clusters lost it.
 */
export function missingInCluster(job: string): string {
  return `count by (cluster) (${w('up{job="kubelet"}')}) unless on (cluster) count by (cluster) (${w(`up{job="${job}"} == 1`)})`;
}

export const isAlert = (r: KubernetesRule): r is KubernetesAlert => 'alert' in r;
