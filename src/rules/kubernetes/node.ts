import { w, wRange, type KubernetesGroup } from './rule.ts';

/**
 * Nodes: node-mixin-style recording rules over node-exporter (per `instance`, which is the node's
 * address; `node` names it) and the alerts a platform team expects of a node.
 */

const NE = 'job="node-exporter"';
/** Real file systems: not the in-memory and image layers a node mounts by the dozen. */
const FS = `${NE}, fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs|fuse.*|rootfs", mountpoint!=""`;
const DISKS = `${NE}, device=~"(/dev/)?(nvme[0-9]+n[0-9]+|sd[a-z]+|vd[a-z]+|xvd[a-z]+|dm-[0-9]+|md[0-9]+)"`;

export function nodeGroup(): KubernetesGroup {
  const ne = ['node-exporter'] as const;
  return {
    key: 'node',
    rules: [
      { record: 'instance:node_num_cpu:sum', expr: `count without (cpu, mode) (${w(`node_cpu_seconds_total{${NE}, mode="idle"}`)})`, requires: ne },
      {
        record: 'instance:node_cpu_utilisation:rate5m',
        expr: `1 - avg without (cpu) (sum without (mode) (${wRange('rate', `node_cpu_seconds_total{${NE}, mode=~"idle|iowait|steal"}`)}))`,
        requires: ne,
      },
      { record: 'instance:node_load1_per_cpu:ratio', expr: `${w(`node_load1{${NE}}`)} / instance:node_num_cpu:sum`, requires: ne },
      {
        record: 'instance:node_memory_utilisation:ratio',
        expr: `1 - ${w(`node_memory_MemAvailable_bytes{${NE}}`)} / ${w(`node_memory_MemTotal_bytes{${NE}}`)}`,
        requires: ne,
      },
      { record: 'instance:node_vmstat_pgmajfault:rate5m', expr: wRange('rate', `node_vmstat_pgmajfault{${NE}}`), requires: ne },
      { record: 'instance_device:node_disk_io_time_seconds:rate5m', expr: wRange('rate', `node_disk_io_time_seconds_total{${DISKS}}`), requires: ne },
      { record: 'instance_device:node_disk_io_time_weighted_seconds:rate5m', expr: wRange('rate', `node_disk_io_time_weighted_seconds_total{${DISKS}}`), requires: ne },
      ...(['receive', 'transmit'] as const).flatMap((dir) => [
        { record: `instance:node_network_${dir}_bytes_excluding_lo:rate5m`, expr: `sum without (device) (${wRange('rate', `node_network_${dir}_bytes_total{${NE}, device!="lo"}`)})`, requires: ne },
        { record: `instance:node_network_${dir}_drop_excluding_lo:rate5m`, expr: `sum without (device) (${wRange('rate', `node_network_${dir}_drop_total{${NE}, device!="lo"}`)})`, requires: ne },
      ]),
      {
        alert: 'KubeNodeNotReady',
        expr: `${w('kube_node_status_condition{job="kube-state-metrics", condition="Ready", status="true"}')} == 0`,
        for: '15m',
        severity: 'warning',
        summary: 'A node is not Ready',
        description: 'Node {{ $labels.node }} (cluster {{ $labels.cluster }}) has not been Ready for 15 minutes.',
        impact: 'Pods on it are not started or restarted; after the eviction timeout they are rescheduled elsewhere, if there is room.',
        action: '`kubectl describe node <node>`: conditions and events; check the kubelet and container runtime on the node, its network and its cloud instance.',
        requires: ['kube-state-metrics'],
      },
      {
        alert: 'KubeNodePressure',
        expr: `${w('kube_node_status_condition{job="kube-state-metrics", condition=~"MemoryPressure|DiskPressure|PIDPressure", status="true"}')} == 1`,
        for: '10m',
        severity: 'warning',
        summary: 'A node reports memory, disk or PID pressure',
        description: 'Node {{ $labels.node }} (cluster {{ $labels.cluster }}) has had {{ $labels.condition }} for 10 minutes.',
        impact: 'The kubelet evicts pods and the scheduler stops placing new ones on the node.',
        action: 'Find what uses the memory, disk or process slots on the node (node dashboard, `kubectl top pods` on it); evicted pods show in `kubectl get events`.',
        requires: ['kube-state-metrics'],
      },
      {
        alert: 'NodeFilesystemSpaceFillingUp',
        expr: `${w(`node_filesystem_avail_bytes{${FS}}`)} / ${w(`node_filesystem_size_bytes{${FS}}`)} < 0.2 and ${w(`predict_linear(node_filesystem_avail_bytes{${FS}}[6h], 24 * 3600)`)} < 0 and ${w(`node_filesystem_readonly{${FS}}`)} == 0`,
        for: '1h',
        severity: 'warning',
        summary: 'A node file system will be full within a day',
        description: '{{ $labels.mountpoint }} on {{ $labels.node }} (cluster {{ $labels.cluster }}) has {{ $value | humanizePercentage }} left and fills within 24 hours at the current rate.',
        impact: 'A full root or container file system makes the kubelet evict pods (DiskPressure) and breaks image pulls and logs.',
        action: 'Find the growing directory (container logs, images, emptyDir volumes); `crictl rmi --prune` for unused images; grow the disk.',
        requires: ['node-exporter'],
      },
      {
        alert: 'NodeFilesystemAlmostOutOfSpace',
        expr: `${w(`node_filesystem_avail_bytes{${FS}}`)} / ${w(`node_filesystem_size_bytes{${FS}}`)} < 0.05 and ${w(`node_filesystem_readonly{${FS}}`)} == 0`,
        for: '30m',
        severity: 'critical',
        summary: 'A node file system is almost full',
        description: '{{ $labels.mountpoint }} on {{ $labels.node }} (cluster {{ $labels.cluster }}) has {{ $value | humanizePercentage }} space left.',
        impact: 'Writes fail on that file system; on the root or container file system the kubelet evicts pods.',
        action: 'Free space now (logs, unused images, emptyDir data) and find what fills it; grow the disk.',
        requires: ['node-exporter'],
      },
      {
        alert: 'NodeFilesystemAlmostOutOfFiles',
        expr: `${w(`node_filesystem_files_free{${FS}}`)} / ${w(`node_filesystem_files{${FS}}`)} < 0.05 and ${w(`node_filesystem_readonly{${FS}}`)} == 0`,
        for: '1h',
        severity: 'warning',
        summary: 'A node file system is running out of inodes',
        description: '{{ $labels.mountpoint }} on {{ $labels.node }} (cluster {{ $labels.cluster }}) has {{ $value | humanizePercentage }} of its inodes left.',
        impact: 'No new file can be created there, whatever space is left.',
        action: 'Look for directories with millions of small files (caches, leaked temp files, container layers).',
        requires: ['node-exporter'],
      },
      ...(['receive', 'transmit'] as const).map((dir) => ({
        alert: dir === 'receive' ? 'NodeNetworkReceiveErrors' : 'NodeNetworkTransmitErrors',
        expr: `${wRange('rate', `node_network_${dir}_errs_total{${NE}}`, '2m')} / ${wRange('rate', `node_network_${dir}_packets_total{${NE}}`, '2m')} > 0.01`,
        for: '1h',
        severity: 'warning' as const,
        summary: `A node's network interface has ${dir} errors`,
        description: `{{ $labels.device }} on {{ $labels.node }} (cluster {{ $labels.cluster }}) fails {{ $value | humanizePercentage }} of its ${dir === 'receive' ? 'received' : 'transmitted'} packets.`,
        impact: 'Retransmissions and timeouts for every pod on the node: slow or failing requests.',
        action: 'Check the interface (`ip -s link`, `ethtool -S`), its driver, MTU mismatches and the cloud instance\'s network health.',
        requires: ['node-exporter'] as const,
      })),
      {
        alert: 'NodeClockNotSynchronising',
        expr: `${w(`min_over_time(node_timex_sync_status{${NE}}[5m])`)} == 0 and ${w(`node_timex_maxerror_seconds{${NE}}`)} >= 16`,
        for: '10m',
        severity: 'warning',
        summary: 'A node\'s clock is not synchronised',
        description: 'The clock of {{ $labels.node }} (cluster {{ $labels.cluster }}) is not synchronised by NTP.',
        impact: 'Clocks drift: certificates look not yet valid or expired, logs and traces are out of order, leader leases misbehave.',
        action: 'Check the time daemon on the node (`chronyc tracking`, `timedatectl`) and that it reaches its NTP servers.',
        requires: ['node-exporter'],
      },
      {
        alert: 'NodeClockSkewDetected',
        expr: `(${w(`node_timex_offset_seconds{${NE}}`)} > 0.05 and ${w(`deriv(node_timex_offset_seconds{${NE}}[5m])`)} >= 0) or (${w(`node_timex_offset_seconds{${NE}}`)} < -0.05 and ${w(`deriv(node_timex_offset_seconds{${NE}}[5m])`)} <= 0)`,
        for: '10m',
        severity: 'warning',
        summary: 'A node\'s clock is skewed',
        description: 'The clock of {{ $labels.node }} (cluster {{ $labels.cluster }}) is {{ $value }} s off and not converging.',
        impact: 'As for an unsynchronised clock: TLS, leases, log and trace ordering suffer.',
        action: 'Check the NTP daemon on the node and its sources; a VM may need its host clock fixed.',
        requires: ['node-exporter'],
      },
      {
        alert: 'NodeOOMKillDetected',
        expr: `${wRange('increase', `node_vmstat_oom_kill{${NE}}`)} > 0`,
        severity: 'warning',
        summary: 'The kernel killed a process for lack of memory',
        description: '{{ $value | humanize }} OOM kills on {{ $labels.node }} (cluster {{ $labels.cluster }}) in the last 5 minutes.',
        impact: 'A process (a container over its memory limit, or anything when the node is out of memory) died.',
        action: 'Find the victim in the node\'s kernel log (`dmesg`) or in pods\' last termination reason OOMKilled; raise its limit or fix the leak.',
        requires: ['node-exporter'],
      },
    ],
  };
}
