import { missingInCluster, w, wRange, type KubernetesGroup } from './rule.ts';

/**
 * The control plane beyond the API server, where the cloud's profile lets the scrapers reach it
 * (constructs/platforms/*: kubeadm on-prem: etcd, scheduler, controller-manager; EKS: scheduler and
 * controller-manager through the API server; elsewhere none, and so none of these alerts).
 */

const ETCD = 'job="etcd"';

export function etcdGroup(): KubernetesGroup {
  const etcd = ['etcd'] as const;
  return {
    key: 'etcd',
    rules: [
      {
        alert: 'EtcdDown',
        expr: missingInCluster('etcd'),
        for: '15m',
        severity: 'critical',
        summary: 'No etcd member is scraped',
        description: 'Cluster {{ $labels.cluster }} has no etcd target up for 15 minutes.',
        impact: 'If etcd is down the API server cannot read or write anything; if only unreachable, its alerts are blind.',
        action: 'Check the etcd static pods on the control-plane nodes, and that etcd listens for metrics on the node address (`listen-metrics-urls`, see the README\'s control-plane table).',
        requires: ['etcd', 'kubelet'],
      },
      {
        alert: 'EtcdNoLeader',
        expr: `${w(`etcd_server_has_leader{${ETCD}}`)} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'An etcd member has no leader',
        description: 'etcd member {{ $labels.instance }} (cluster {{ $labels.cluster }}) has no leader.',
        impact: 'Without a leader etcd accepts no writes: the cluster state is frozen.',
        action: 'Check the members\' health (`etcdctl endpoint status`), the network between control-plane nodes and their disks.',
        requires: etcd,
      },
      {
        alert: 'EtcdHighLeaderChanges',
        expr: `${wRange('increase', `etcd_server_leader_changes_seen_total{${ETCD}}`, '15m')} >= 4`,
        for: '5m',
        severity: 'warning',
        summary: 'etcd changes leader often',
        description: 'etcd member {{ $labels.instance }} (cluster {{ $labels.cluster }}) saw {{ $value | humanize }} leader changes in 15 minutes.',
        impact: 'Each election stalls writes; frequent ones slow the whole API.',
        action: 'Slow disks (fsync latency) or a flaky network between control-plane nodes; check CPU starvation of etcd.',
        requires: etcd,
      },
      {
        alert: 'EtcdHighFsyncDurations',
        expr: `histogram_quantile(0.99, sum by (cluster, instance, le) (${wRange('rate', `etcd_disk_wal_fsync_duration_seconds_bucket{${ETCD}}`)})) > 0.5`,
        for: '10m',
        severity: 'warning',
        summary: 'etcd\'s disk is slow',
        description: 'WAL fsyncs of etcd member {{ $labels.instance }} (cluster {{ $labels.cluster }}) take {{ $value }} s at the 99th percentile.',
        impact: 'Every write waits for the disk: API latency rises, leader elections follow.',
        action: 'Give etcd a dedicated low-latency disk (SSD); look for noisy neighbours on the node.',
        requires: etcd,
      },
      {
        alert: 'EtcdDatabaseQuotaLow',
        expr: `${w(`etcd_mvcc_db_total_size_in_bytes{${ETCD}}`)} / ${w(`etcd_server_quota_backend_bytes{${ETCD}}`)} > 0.8`,
        for: '10m',
        severity: 'warning',
        summary: 'etcd\'s database is close to its quota',
        description: 'etcd member {{ $labels.instance }} (cluster {{ $labels.cluster }}) uses {{ $value | humanizePercentage }} of its space quota.',
        impact: 'At the quota etcd raises a NOSPACE alarm and refuses writes.',
        action: 'Compact and defragment etcd; find objects that pile up (events, CRs); raise the quota.',
        requires: etcd,
      },
    ],
  };
}

export function controlPlaneGroup(): KubernetesGroup {
  const down = (alert: string, job: 'kube-scheduler' | 'kube-controller-manager', what: string, impact: string) => ({
    alert,
    expr: missingInCluster(job),
    for: '15m',
    severity: 'critical' as const,
    summary: `No ${what} is scraped`,
    description: `Cluster {{ $labels.cluster }} has no ${what} target up for 15 minutes.`,
    impact,
    action: `Check the ${what} pods on the control-plane nodes (on-prem: that it listens on the node address, \`bind-address\`, see the README's control-plane table); on EKS, the scraper's RBAC for metrics.eks.amazonaws.com.`,
    requires: [job, 'kubelet'] as const,
  });
  return {
    key: 'control-plane',
    rules: [
      down('KubeSchedulerDown', 'kube-scheduler', 'kube-scheduler', 'If the scheduler is down, new pods stay Pending.'),
      down('KubeControllerManagerDown', 'kube-controller-manager', 'kube-controller-manager', 'If the controller-manager is down, Deployments, ReplicaSets, Jobs and node lifecycle stop being reconciled.'),
      {
        alert: 'KubeSchedulerPendingPods',
        expr: `sum by (cluster) (${w('scheduler_pending_pods{job="kube-scheduler", queue="unschedulable"}')}) > 0`,
        for: '30m',
        severity: 'warning',
        summary: 'Pods stay unschedulable',
        description: '{{ $value }} pods in cluster {{ $labels.cluster }} have been unschedulable for 30 minutes.',
        impact: 'Those pods do not run: too little capacity, or constraints nothing satisfies.',
        action: '`kubectl get pods -A --field-selector=status.phase=Pending` and their events: resources, taints, affinity, volume topology.',
        requires: ['kube-scheduler'],
      },
    ],
  };
}
