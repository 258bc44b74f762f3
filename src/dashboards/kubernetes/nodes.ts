/**
 * Nodes, by the USE method (utilisation, saturation, errors of each resource), from node-exporter;
 * and the overview of every cluster.
 */
import { dashboard, labelVariable, type DefaultDatasources, type Panel, type Row } from '../grafana-json.ts';
import type { DashboardFile } from '../stack-health.ts';
import { activePods, CLUSTER, clusterVariable, cpuUsage, memoryUsage, rateOf as rate } from './selectors.ts';

/** node-exporter series of the selected node. */
const NODE = `${CLUSTER}, node="$node"`;
/** Real disks' and volumes' filesystems, not the kernel's in-memory ones nor container image layers. */
const REAL_FS = `${NODE}, fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs|tracefs|fuse.lxcfs"`;
/** Physical and bond interfaces, not loopback nor the CNI's per-pod veths and tunnels. */
const NICS = `${NODE}, device!~"lo|veth.*|cali.*|cilium_.*|lxc.*|flannel.*|vxlan.*|tunl.*|genev_sys_.*|cni.*|docker.*|br-.*|kube-ipvs.*|nodelocaldns"`;
/** Cores of the node. */
const CORES = `count(node_cpu_seconds_total{${NODE}, mode="idle"})`;

const use = (title: string, description: string, utilisation: Panel, saturation: Panel, errors: Panel): Row => ({
  title,
  panels: [
    { ...utilisation, title: `Utilisation: ${utilisation.title}`, width: 8 },
    { ...saturation, title: `Saturation: ${saturation.title}`, width: 8 },
    { ...errors, title: `Errors: ${errors.title}`, width: 8, description: [description, errors.description].filter(Boolean).join(' ') },
  ],
});

/** One node: CPU, memory, disk and network by the USE method, and the clock. */
export function nodeDashboard(defaults: DefaultDatasources): DashboardFile {
  const rows: Row[] = [
    {
      title: 'Overview',
      panels: [
        { title: 'CPU busy', type: 'stat', unit: 'percentunit', redAbove: 0.9, queries: [{ expr: `1 - avg(${rate('node_cpu_seconds_total', `${NODE}, mode="idle"`)})`, instant: true }], width: 4 },
        { title: 'Load (1m) per core', type: 'stat', unit: 'short', redAbove: 1, queries: [{ expr: `sum(node_load1{${NODE}}) / ${CORES}`, instant: true }], width: 4 },
        {
          title: 'Memory used',
          type: 'stat',
          unit: 'percentunit',
          redAbove: 0.9,
          queries: [{ expr: `1 - sum(node_memory_MemAvailable_bytes{${NODE}}) / sum(node_memory_MemTotal_bytes{${NODE}})`, instant: true }],
          width: 4,
        },
        {
          title: 'Fullest filesystem',
          type: 'stat',
          unit: 'percentunit',
          redAbove: 0.85,
          queries: [{ expr: `max(1 - node_filesystem_avail_bytes{${REAL_FS}} / node_filesystem_size_bytes{${REAL_FS}})`, instant: true }],
          width: 4,
        },
        { title: 'Uptime', type: 'stat', unit: 's', queries: [{ expr: `time() - max(node_boot_time_seconds{${NODE}})`, instant: true }], width: 4 },
        { title: 'Clock offset', type: 'stat', unit: 's', redAbove: 0.05, queries: [{ expr: `max(abs(node_timex_offset_seconds{${NODE}}))`, instant: true }], width: 4 },
      ],
    },
    use(
      'CPU',
      'CPUs report no errors; a container at its CPU limit is throttled (see the pod dashboard).',
      {
        title: 'busy by mode',
        unit: 'percentunit',
        queries: [{ expr: `sum by (mode) (${rate('node_cpu_seconds_total', `${NODE}, mode!="idle"`)}) / scalar(${CORES})`, legend: '{{mode}}' }],
      },
      {
        title: 'load per core',
        description: 'Runnable and uninterruptible tasks per core; above 1, work waits for a CPU.',
        unit: 'short',
        queries: ['1', '5', '15'].map((m) => ({ expr: `sum(node_load${m}{${NODE}}) / scalar(${CORES})`, legend: `${m}m` })),
      },
      {
        title: 'steal and iowait',
        description: 'Time the hypervisor took from the node (steal), and CPUs idle waiting for disk (iowait).',
        unit: 'percentunit',
        queries: [{ expr: `sum by (mode) (${rate('node_cpu_seconds_total', `${NODE}, mode=~"steal|iowait"`)}) / scalar(${CORES})`, legend: '{{mode}}' }],
      },
    ),
    use(
      'Memory',
      '',
      { title: 'used', unit: 'percentunit', max: 1, queries: [{ expr: `1 - node_memory_MemAvailable_bytes{${NODE}} / node_memory_MemTotal_bytes{${NODE}}`, legend: 'used' }] },
      {
        title: 'major page faults and swapping',
        description: 'Pages read back from disk: the node is short of memory for its working sets.',
        unit: 'ops',
        queries: [
          { expr: rate('node_vmstat_pgmajfault', NODE), legend: 'major faults' },
          { expr: rate('node_vmstat_pswpin', NODE), legend: 'swap in' },
          { expr: rate('node_vmstat_pswpout', NODE), legend: 'swap out' },
        ],
      },
      {
        title: 'OOM kills',
        description: 'Processes the kernel killed for memory (containers at their limit, or the node out of memory).',
        unit: 'short',
        queries: [{ expr: `increase(node_vmstat_oom_kill{${NODE}}[$__rate_interval])`, legend: 'OOM kills' }],
      },
    ),
    use(
      'Disk',
      '',
      {
        title: 'time busy by device',
        unit: 'percentunit',
        max: 1,
        queries: [{ expr: rate('node_disk_io_time_seconds_total', NODE), legend: '{{device}}' }],
      },
      {
        title: 'average queue length by device',
        description: 'I/O requests in flight on average; well above 1 on a single disk, requests wait.',
        unit: 'short',
        queries: [{ expr: rate('node_disk_io_time_weighted_seconds_total', NODE), legend: '{{device}}' }],
      },
      {
        title: 'filesystems unreadable or read-only',
        description: 'A filesystem the kernel remounted read-only (after I/O errors), or one node-exporter could not stat.',
        unit: 'short',
        queries: [
          { expr: `node_filesystem_device_error{${REAL_FS}}`, legend: '{{mountpoint}} error' },
          { expr: `node_filesystem_readonly{${REAL_FS}}`, legend: '{{mountpoint}} read-only' },
        ],
      },
    ),
    {
      title: 'Filesystems',
      panels: [
        {
          title: 'Space used by mount point',
          unit: 'percentunit',
          max: 1,
          queries: [{ expr: `1 - node_filesystem_avail_bytes{${REAL_FS}} / node_filesystem_size_bytes{${REAL_FS}}`, legend: '{{mountpoint}}' }],
          width: 8,
        },
        {
          title: 'Inodes used by mount point',
          description: 'A filesystem out of inodes refuses new files while it still has space.',
          unit: 'percentunit',
          max: 1,
          queries: [{ expr: `1 - node_filesystem_files_free{${REAL_FS}} / node_filesystem_files{${REAL_FS}}`, legend: '{{mountpoint}}' }],
          width: 8,
        },
        {
          title: 'Disk throughput by device',
          unit: 'Bps',
          queries: [
            { expr: rate('node_disk_read_bytes_total', NODE), legend: '{{device}} read' },
            { expr: rate('node_disk_written_bytes_total', NODE), legend: '{{device}} written' },
          ],
          width: 8,
        },
      ],
    },
    use(
      'Network',
      '',
      {
        title: 'throughput by interface',
        unit: 'Bps',
        queries: [
          { expr: rate('node_network_receive_bytes_total', NICS), legend: '{{device}} received' },
          { expr: rate('node_network_transmit_bytes_total', NICS), legend: '{{device}} sent' },
        ],
      },
      {
        title: 'dropped packets by interface',
        description: 'Packets the interface dropped: full queues or buffers.',
        unit: 'pps',
        queries: [
          { expr: rate('node_network_receive_drop_total', NICS), legend: '{{device}} received' },
          { expr: rate('node_network_transmit_drop_total', NICS), legend: '{{device}} sent' },
        ],
      },
      {
        title: 'packet errors by interface',
        unit: 'pps',
        queries: [
          { expr: rate('node_network_receive_errs_total', NICS), legend: '{{device}} received' },
          { expr: rate('node_network_transmit_errs_total', NICS), legend: '{{device}} sent' },
        ],
      },
    ),
    {
      title: 'Kernel tables and clock',
      panels: [
        {
          title: 'Conntrack entries / limit',
          description: 'At the limit the kernel drops new connections (services, NAT).',
          unit: 'percentunit',
          max: 1,
          queries: [{ expr: `node_nf_conntrack_entries{${NODE}} / node_nf_conntrack_entries_limit{${NODE}}`, legend: 'conntrack' }],
          width: 8,
        },
        {
          title: 'File descriptors / limit',
          unit: 'percentunit',
          max: 1,
          queries: [{ expr: `node_filefd_allocated{${NODE}} / node_filefd_maximum{${NODE}}`, legend: 'file descriptors' }],
          width: 8,
        },
        {
          title: 'Clock offset and sync',
          description: 'Offset from the time source, and whether the kernel considers the clock synchronised (1).',
          unit: 's',
          queries: [
            { expr: `node_timex_offset_seconds{${NODE}}`, legend: 'offset' },
            { expr: `node_timex_sync_status{${NODE}}`, legend: 'synchronised' },
          ],
          width: 8,
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'k8s-node',
      title: 'Kubernetes / Nodes / Node',
      description: "One node's CPU, memory, disk and network by the USE method (utilisation, saturation, errors), its filesystems, kernel tables and clock, from node-exporter.",
      tags: ['kubernetes', 'nodes'],
      variables: [clusterVariable(), labelVariable('node', 'Node', `label_values(node_uname_info{${CLUSTER}}, node)`)],
      rows,
    },
    defaults,
  );
}

/** Every cluster on one page: nodes, pods, capacity and firing alerts, one series per cluster. */
export function multiClusterDashboard(defaults: DefaultDatasources): DashboardFile {
  const by = 'cluster';
  const allocatable = (resource: string) => `sum by (cluster) (kube_node_status_allocatable{${CLUSTER}, resource="${resource}"})`;
  const table = (title: string, expr: string, unit = 'short', description?: string): Panel => ({ title, description, unit, queries: [{ expr, legend: '{{cluster}}' }], width: 8 });
  const rows: Row[] = [
    {
      title: 'Clusters',
      panels: [
        table('Nodes', `count by (cluster) (kube_node_info{${CLUSTER}})`),
        table('Nodes not ready', `count by (cluster) (kube_node_status_condition{${CLUSTER}, condition="Ready", status!="true"} == 1) or count by (cluster) (kube_node_info{${CLUSTER}}) * 0`, 'short', 'Nodes whose Ready condition is false or unknown.'),
        table('Running pods', `count by (cluster) (${activePods(CLUSTER)})`),
        table('CPU used / allocatable', `${cpuUsage(CLUSTER, by)} / ${allocatable('cpu')}`, 'percentunit'),
        table('Memory used / allocatable', `${memoryUsage(CLUSTER, by)} / ${allocatable('memory')}`, 'percentunit'),
        table('Pods not ready', `sum by (cluster) (kube_pod_status_ready{${CLUSTER}, condition!="true"})`),
        table('Container restarts', `sum by (cluster) (increase(kube_pod_container_status_restarts_total{${CLUSTER}}[$__rate_interval]))`),
        table('Scrape targets down', `count by (cluster) (up{${CLUSTER}} == 0) or count by (cluster) (up{${CLUSTER}}) * 0`),
        {
          title: 'Firing alerts',
          description: 'Alerts the cluster\'s rules fire, by cluster and severity.',
          unit: 'short',
          queries: [{ expr: `count by (cluster, severity) (ALERTS{${CLUSTER}, alertstate="firing"})`, legend: '{{cluster}} {{severity}}' }],
          width: 8,
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'k8s-multi-cluster',
      title: 'Kubernetes / Compute / Multi-cluster overview',
      description: 'Every cluster that reports to this Prometheus side by side: nodes and their readiness, pods, CPU and memory used against allocatable, restarts, targets down and firing alerts.',
      tags: ['kubernetes', 'compute'],
      variables: [clusterVariable(true)],
      rows,
    },
    defaults,
  );
}
