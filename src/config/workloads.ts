import type { Topology } from '../model/topology.ts';
import { metricsMode, type ClusterConfig, type ClusterRole, type PodOverridesConfig, type StackConfig } from '../model/types.ts';

/**
 * Every workload the stack deploys that takes per-component overrides, with where its settings sit
 * in the config (under `components`, and under `clusters[].components`) and which clusters run it.
 * A new workload is one line here (its resources per size go in SIZE_PRESETS).
 */
export const WORKLOADS = {
  prometheus: { keys: ['prometheus'], runsIn: 'prometheus' },
  alertmanager: { keys: ['alertmanager'], runsIn: 'backend' },
  loki: { keys: ['loki'], runsIn: 'backend' },
  tempo: { keys: ['tempo'], runsIn: 'backend' },
  controller: { keys: ['controller'], runsIn: 'backend' },
  grafana: { keys: ['grafana'], runsIn: 'grafana' },
  kubeStateMetrics: { keys: ['kubeStateMetrics'], runsIn: 'every' },
  otelGateway: { keys: ['collector', 'gateway'], runsIn: 'every' },
  otelAgent: { keys: ['collector', 'agent'], runsIn: 'agents' },
  otelScraper: { keys: ['collector', 'scraper'], runsIn: 'non-backend' },
  nodeExporter: { keys: ['nodeExporter'], runsIn: 'every' },
  vmstorage: { keys: ['victoriametrics', 'vmstorage'], runsIn: 'victoriametrics' },
  vminsert: { keys: ['victoriametrics', 'vminsert'], runsIn: 'victoriametrics' },
  vmselect: { keys: ['victoriametrics', 'vmselect'], runsIn: 'victoriametrics' },
  vmagent: { keys: ['victoriametrics', 'vmagent'], runsIn: 'victoriametrics' },
  vmalert: { keys: ['victoriametrics', 'vmalert'], runsIn: 'victoriametrics' },
  vmselectGlobal: { keys: ['victoriametrics', 'vmselectGlobal'], runsIn: 'globalSelect' },
} as const satisfies Record<string, { keys: readonly string[]; runsIn: WorkloadPlacement }>;

/**
 * Which clusters run a workload: by role, every cluster, those without a backend, wherever node
 * agents are enabled, the backends of one metrics mode, or the Grafana cluster with
 * `components.victoriametrics.globalSelect`.
 */
type WorkloadPlacement = ClusterRole | 'every' | 'non-backend' | 'agents' | 'prometheus' | 'victoriametrics' | 'globalSelect';

export type Workload = keyof typeof WORKLOADS;
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as Workload[];

/** The per-component override keys; anything else under a component is that component's own setting. */
export const OVERRIDE_KEYS = ['resources', 'nodeSelector', 'tolerations', 'affinity', 'priorityClassName', 'podAnnotations', 'podLabels', 'extraArgs', 'extraEnv'] as const satisfies readonly (keyof PodOverridesConfig)[];

/** Whether `cluster` runs `workload`. */
export function runsWorkload(config: Pick<StackConfig, 'components'>, topology: Topology, cluster: ClusterConfig, workload: Workload): boolean {
  const roles = topology.rolesOf(cluster);
  const placement: WorkloadPlacement = WORKLOADS[workload].runsIn;
  switch (placement) {
    case 'every':
      return true;
    case 'non-backend':
      return !roles.has('backend');
    case 'agents':
      return config.components.collector.agent.enabled;
    case 'prometheus':
      return roles.has('backend') && metricsMode(cluster) === 'prometheus';
    case 'victoriametrics':
      return roles.has('backend') && metricsMode(cluster) === 'victoriametrics-cluster';
    case 'globalSelect':
      return roles.has('grafana') && config.components.victoriametrics.globalSelect;
    default:
      return roles.has(placement);
  }
}

/** The mapping at `keys` under `root` (a component section), if there is one. */
export function sectionAt(root: unknown, keys: readonly string[]): Record<string, unknown> | undefined {
  let node = root;
  for (const key of keys) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>) : undefined;
}

/** Only the override keys of a component section. */
export function overridesOf(section: Record<string, unknown> | undefined): PodOverridesConfig {
  if (!section) return {};
  return Object.fromEntries(OVERRIDE_KEYS.filter((k) => section[k] !== undefined).map((k) => [k, section[k]])) as PodOverridesConfig;
}
