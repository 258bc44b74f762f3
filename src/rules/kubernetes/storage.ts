import { w, type KubernetesGroup } from './rule.ts';

/** Persistent volumes: space from the kubelet's volume stats, phase from kube-state-metrics. */

const KUBELET = 'job="kubelet"';
/** The stack's own volumes have O11yVolumeFillingUp (stack rules); the predictive alert leaves them out. */
const NOT_STACK_VOLUMES = 'persistentvolumeclaim!~"data-(prometheus|alertmanager|loki|tempo)-[0-9]+"';

export function storageGroup(): KubernetesGroup {
  const ratio = (matchers: string) => `${w(`kubelet_volume_stats_available_bytes{${matchers}}`)} / ${w(`kubelet_volume_stats_capacity_bytes{${matchers}}`)}`;
  return {
    key: 'storage',
    rules: [
      {
        alert: 'KubePersistentVolumeFillingUp',
        expr: `${ratio(KUBELET)} < 0.03 and ${w(`kubelet_volume_stats_used_bytes{${KUBELET}}`)} > 0`,
        for: '1m',
        severity: 'critical',
        summary: 'A persistent volume is almost full',
        description: 'Volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} (cluster {{ $labels.cluster }}) has {{ $value | humanizePercentage }} free.',
        impact: 'Writes to it fail very soon: databases stop, queues lose data.',
        action: 'Expand the PVC (if its StorageClass allows volume expansion) or delete data; find what grows.',
        requires: ['kubelet'],
      },
      {
        alert: 'KubePersistentVolumeFillingUpPredicted',
        expr: `${ratio(`${KUBELET}, ${NOT_STACK_VOLUMES}`)} < 0.15 and ${w(`predict_linear(kubelet_volume_stats_available_bytes{${KUBELET}, ${NOT_STACK_VOLUMES}}[6h], 4 * 24 * 3600)`)} < 0`,
        for: '1h',
        severity: 'warning',
        summary: 'A persistent volume will be full within 4 days',
        description: 'Volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} (cluster {{ $labels.cluster }}) has {{ $value | humanizePercentage }} free and fills within 4 days at the current rate.',
        impact: 'Writes will fail when it is full.',
        action: 'Plan the expansion of the PVC, or a retention change, before it is full.',
        requires: ['kubelet'],
      },
      {
        alert: 'KubePersistentVolumeErrors',
        expr: `${w('kube_persistentvolume_status_phase{job="kube-state-metrics", phase=~"Failed|Pending"}')} > 0`,
        for: '5m',
        severity: 'critical',
        summary: 'A persistent volume is Failed or Pending',
        description: 'Persistent volume {{ $labels.persistentvolume }} (cluster {{ $labels.cluster }}) is {{ $labels.phase }}.',
        impact: 'The claim bound to it (or waiting for it) cannot be used; its pod does not start.',
        action: '`kubectl describe pv <name>`: the provisioner\'s or CSI driver\'s error, the reclaim policy, the cloud disk.',
        requires: ['kube-state-metrics'],
      },
    ],
  };
}
