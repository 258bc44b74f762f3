/**
 * Every dashboard the stack provisions, in Grafana folders by area. Grafana's file provisioning
 * gives one provider per folder (constructs/grafana.ts), each reading its own directory.
 */
import type { DefaultDatasources } from './grafana-json.ts';
import { clusterComputeDashboard, namespaceComputeDashboard, podDashboard, workloadDashboard } from './kubernetes/compute.ts';
import { apiServerDashboard, coreDnsDashboard, kubeletDashboard } from './kubernetes/control-plane.ts';
import { networkingDashboard, persistentVolumesDashboard } from './kubernetes/network-storage.ts';
import { multiClusterDashboard, nodeDashboard } from './kubernetes/nodes.ts';
import { sloOverviewDashboard } from './slo-overview.ts';
import { alertmanagerDashboard, collectorDashboard, lokiDashboard, prometheusDashboard, tempoDashboard } from './stack-components.ts';
import type { DashboardFile } from './stack-health.ts';

export interface DashboardFolder {
  /** Names the folder's ConfigMap, volume and directory; the folder's uid is `o11y-<name>`. */
  readonly name: string;
  /**
   * What Grafana shows. No `/`: Grafana's provisioning splits such a title into nested folders
   * (grafana/grafana#91826) and its alerting refuses such folders (grafana/grafana#54021).
   */
  readonly title: string;
  readonly dashboards: readonly DashboardFile[];
}

/** The dashboards the stack already had: stack health (and the global overview), and one per SLO service. */
export interface StackDashboards {
  readonly stack: readonly DashboardFile[];
  readonly slos: readonly DashboardFile[];
}

/** The folders and their dashboards, in the order Grafana lists them. */
export function dashboardFolders(defaults: DefaultDatasources, existing: StackDashboards): DashboardFolder[] {
  const folder = (name: string, title: string, make: readonly ((d: DefaultDatasources) => DashboardFile)[], extra: readonly DashboardFile[] = []): DashboardFolder => ({
    name,
    title,
    dashboards: [...make.map((m) => m(defaults)), ...extra],
  });
  return [
    folder('kubernetes-compute', 'Kubernetes - Compute', [multiClusterDashboard, clusterComputeDashboard, namespaceComputeDashboard, workloadDashboard, podDashboard]),
    folder('kubernetes-nodes', 'Kubernetes - Nodes', [nodeDashboard]),
    folder('kubernetes-network-storage', 'Kubernetes - Network and storage', [networkingDashboard, persistentVolumesDashboard]),
    folder('kubernetes-control-plane', 'Kubernetes - Control plane', [apiServerDashboard, kubeletDashboard, coreDnsDashboard]),
    folder('observability-stack', 'Observability stack', [prometheusDashboard, alertmanagerDashboard, collectorDashboard, lokiDashboard, tempoDashboard], existing.stack),
    folder('slos', 'SLOs', [sloOverviewDashboard], existing.slos),
  ];
}
