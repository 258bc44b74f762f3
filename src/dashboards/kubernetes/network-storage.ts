/**
 * Pod networking (cAdvisor) and persistent volumes (kubelet volume stats, kube-state-metrics).
 */
import { dashboard, type DefaultDatasources, type Row } from '../grafana-json.ts';
import type { DashboardFile } from '../stack-health.ts';
import { CLUSTER, clusterVariable, namespaceVariable, podNetwork, rateOf } from './selectors.ts';

/** The selected cluster and namespace (All by default). */
const NAMESPACES = `${CLUSTER}, namespace=~"$namespace"`;
const rate = (metric: string) => rateOf(metric, NAMESPACES);

/** Traffic, drops and errors of pods, by namespace and the busiest pods. */
export function networkingDashboard(defaults: DefaultDatasources): DashboardFile {
  const rows: Row[] = [
    {
      title: 'By namespace',
      panels: [
        { title: 'Received by namespace', unit: 'Bps', queries: [{ expr: podNetwork('receive', NAMESPACES, 'namespace'), legend: '{{namespace}}' }] },
        { title: 'Sent by namespace', unit: 'Bps', queries: [{ expr: podNetwork('transmit', NAMESPACES, 'namespace'), legend: '{{namespace}}' }] },
        {
          title: 'Dropped packets by namespace',
          description: 'Packets the pods\' interfaces dropped: full queues, or traffic a policy denies at the interface.',
          unit: 'pps',
          queries: [
            { expr: `sum by (namespace) (${rate('container_network_receive_packets_dropped_total')})`, legend: '{{namespace}} received' },
            { expr: `sum by (namespace) (${rate('container_network_transmit_packets_dropped_total')})`, legend: '{{namespace}} sent' },
          ],
        },
        {
          title: 'Packet errors by namespace',
          unit: 'pps',
          queries: [
            { expr: `sum by (namespace) (${rate('container_network_receive_errors_total')})`, legend: '{{namespace}} received' },
            { expr: `sum by (namespace) (${rate('container_network_transmit_errors_total')})`, legend: '{{namespace}} sent' },
          ],
        },
      ],
    },
    {
      title: 'Busiest pods',
      panels: [
        { title: 'Top 10 pods by bytes received', unit: 'Bps', queries: [{ expr: `topk(10, ${podNetwork('receive', NAMESPACES, 'namespace, pod')})`, legend: '{{namespace}}/{{pod}}' }] },
        { title: 'Top 10 pods by bytes sent', unit: 'Bps', queries: [{ expr: `topk(10, ${podNetwork('transmit', NAMESPACES, 'namespace, pod')})`, legend: '{{namespace}}/{{pod}}' }] },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'k8s-networking',
      title: 'Kubernetes / Network & Storage / Networking',
      description: 'How much pods send and receive, by namespace and the busiest pods, and the packets their interfaces drop or fail on (cAdvisor; pods on the host network count the host\'s interfaces).',
      tags: ['kubernetes', 'network'],
      variables: [clusterVariable(), namespaceVariable(true)],
      rows,
    },
    defaults,
  );
}

/** Volumes: how full, how fast they fill, inodes, and claims or volumes in a bad phase. */
export function persistentVolumesDashboard(defaults: DefaultDatasources): DashboardFile {
  const used = (kind: 'bytes' | 'inodes') =>
    `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_${kind === 'bytes' ? 'used_bytes' : 'inodes_used'}{${NAMESPACES}}) / max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_${kind === 'bytes' ? 'capacity_bytes' : 'inodes'}{${NAMESPACES}})`;
  const rows: Row[] = [
    {
      title: 'Claims',
      panels: [
        { title: 'Space used by claim', unit: 'percentunit', max: 1, queries: [{ expr: used('bytes'), legend: '{{namespace}}/{{persistentvolumeclaim}}' }] },
        {
          title: 'Inodes used by claim',
          description: 'A volume out of inodes refuses new files while it still has space.',
          unit: 'percentunit',
          max: 1,
          queries: [{ expr: used('inodes'), legend: '{{namespace}}/{{persistentvolumeclaim}}' }],
        },
        {
          title: 'Days until full at the last 6h rate',
          description: 'Claims whose free space shrinks: free bytes over the rate they shrank at in the last 6 hours.',
          type: 'table',
          unit: 'd',
          queries: [
            {
              expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes{${NAMESPACES}}) / (max by (namespace, persistentvolumeclaim) (-deriv(kubelet_volume_stats_available_bytes{${NAMESPACES}}[6h])) > 0) / 86400`,
              instant: true,
            },
          ],
        },
        {
          title: 'Claims not bound and volumes failed',
          description: 'Pending claims keep their pods from starting; a Failed volume lost its reclaim.',
          type: 'table',
          queries: [
            { expr: `kube_persistentvolumeclaim_status_phase{${NAMESPACES}, phase!="Bound"} == 1`, instant: true },
            { expr: `kube_persistentvolume_status_phase{${CLUSTER}, phase=~"Failed|Pending"} == 1`, instant: true },
          ],
        },
        {
          title: 'Requested size by claim',
          unit: 'bytes',
          queries: [{ expr: `kube_persistentvolumeclaim_resource_requests_storage_bytes{${NAMESPACES}}`, legend: '{{namespace}}/{{persistentvolumeclaim}}' }],
          width: 24,
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'k8s-persistent-volumes',
      title: 'Kubernetes / Network & Storage / Persistent volumes',
      description: 'Which claims are filling up (space and inodes) and when they will be full, and which claims or volumes are not Bound.',
      tags: ['kubernetes', 'storage'],
      variables: [clusterVariable(), namespaceVariable(true)],
      rows,
    },
    defaults,
  );
}
