/**
 * Compute resources: what a cluster, a namespace, a workload and a pod use, against what they
 * request and what they may use (limits). Usage from cAdvisor, requests and limits from
 * kube-state-metrics (pods that hold resources only: Pending or Running).
 */
import { dashboard, LOKI, TEMPO, type DefaultDatasources, type Panel, type Row } from '../grafana-json.ts';
import type { DashboardFile } from '../stack-health.ts';
import {
  activePods,
  CLUSTER,
  clusterVariable,
  CONTAINERS,
  cpuUsage,
  kindVariable,
  memoryUsage,
  NAMESPACE,
  namespaceVariable,
  ofWorkload,
  podNetwork,
  podVariable,
  reserved,
  signalVariables,
  throttling,
  workloadVariable,
  type PodFilter,
} from './selectors.ts';

const TAGS = ['kubernetes', 'compute'];

/** Usage, requests and limits of one resource as three series of one panel. */
function usageVsReserved(resource: 'cpu' | 'memory', matchers: string, by: string, only?: PodFilter): Panel {
  const usage = resource === 'cpu' ? cpuUsage(matchers, by, only) : memoryUsage(matchers, by, only);
  const label = by ? `{{${by}}} ` : '';
  return {
    title: resource === 'cpu' ? 'CPU: usage vs requests vs limits' : 'Memory: working set vs requests vs limits',
    description: 'Usage above requests borrows idle capacity and is the first to be squeezed; memory reaching the limit is OOM-killed, CPU reaching it is throttled.',
    unit: resource === 'cpu' ? 'cores' : 'bytes',
    queries: [
      { expr: usage, legend: `${label}usage` },
      { expr: reserved('requests', resource, matchers, by, only), legend: `${label}requests` },
      { expr: reserved('limits', resource, matchers, by, only), legend: `${label}limits` },
    ],
  };
}

/** A ratio stat: `part / whole`, red from `redAbove`. */
const ratioStat = (title: string, part: string, whole: string, description: string, redAbove = 0.9): Panel => ({
  title,
  description,
  type: 'stat',
  unit: 'percentunit',
  redAbove,
  queries: [{ expr: `${part} / ${whole}`, instant: true }],
  width: 4,
});

/** The whole cluster: how full it is, and which namespaces use, request and reserve what. */
export function clusterComputeDashboard(defaults: DefaultDatasources): DashboardFile {
  const allocatable = (resource: string) => `sum(kube_node_status_allocatable{${CLUSTER}, resource="${resource}"})`;
  const rows: Row[] = [
    {
      title: 'How full is the cluster',
      panels: [
        ratioStat('CPU used / allocatable', cpuUsage(CLUSTER, ''), allocatable('cpu'), 'Cores in use over the cores the nodes offer to pods.'),
        ratioStat('CPU requested / allocatable', reserved('requests', 'cpu', CLUSTER, ''), allocatable('cpu'), 'Near 100%, new pods stay Pending.'),
        ratioStat('CPU limits / allocatable', reserved('limits', 'cpu', CLUSTER, ''), allocatable('cpu'), 'Above 100%: the cluster is overcommitted.', 1.5),
        ratioStat('Memory used / allocatable', memoryUsage(CLUSTER, ''), allocatable('memory'), 'Working set over the memory the nodes offer to pods.'),
        ratioStat('Memory requested / allocatable', reserved('requests', 'memory', CLUSTER, ''), allocatable('memory'), 'Near 100%, new pods stay Pending.'),
        ratioStat('Memory limits / allocatable', reserved('limits', 'memory', CLUSTER, ''), allocatable('memory'), 'Above 100%: pods may be OOM-killed or evicted when they all grow.', 1.5),
        {
          title: 'Pods per node / capacity',
          description: 'Nodes near their pod capacity refuse new pods whatever their CPU and memory.',
          unit: 'percentunit',
          max: 1,
          queries: [
            {
              expr: `sum by (node) (kube_pod_info{${CLUSTER}} * on (cluster, namespace, pod) group_left () ${activePods(CLUSTER)}) / sum by (node) (kube_node_status_allocatable{${CLUSTER}, resource="pods"})`,
              legend: '{{node}}',
            },
          ],
          width: 24,
        },
      ],
    },
    {
      title: 'By namespace',
      panels: [
        { title: 'CPU usage by namespace', unit: 'cores', queries: [{ expr: cpuUsage(CLUSTER, 'namespace'), legend: '{{namespace}}' }] },
        { title: 'Memory working set by namespace', unit: 'bytes', queries: [{ expr: memoryUsage(CLUSTER, 'namespace'), legend: '{{namespace}}' }] },
        {
          title: 'CPU: requests and usage by namespace',
          description: 'Requested cores next to used ones: a namespace using far less than it requests holds capacity others cannot schedule on.',
          type: 'table',
          unit: 'cores',
          queries: [
            { expr: cpuUsage(CLUSTER, 'namespace'), instant: true },
            { expr: reserved('requests', 'cpu', CLUSTER, 'namespace'), instant: true },
            { expr: reserved('limits', 'cpu', CLUSTER, 'namespace'), instant: true },
          ],
          columns: ['usage', 'requests', 'limits'],
        },
        {
          title: 'Memory: requests and usage by namespace',
          type: 'table',
          unit: 'bytes',
          queries: [
            { expr: memoryUsage(CLUSTER, 'namespace'), instant: true },
            { expr: reserved('requests', 'memory', CLUSTER, 'namespace'), instant: true },
            { expr: reserved('limits', 'memory', CLUSTER, 'namespace'), instant: true },
          ],
          columns: ['usage', 'requests', 'limits'],
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'k8s-cluster-compute',
      title: 'Kubernetes / Compute / Cluster',
      description: 'How full the cluster is (used, requested and limited CPU and memory against allocatable) and which namespaces take it.',
      tags: TAGS,
      variables: [clusterVariable()],
      rows,
    },
    defaults,
  );
}

/** One namespace: usage vs requests vs limits, quota, pods and their restarts. */
export function namespaceComputeDashboard(defaults: DefaultDatasources): DashboardFile {
  const rows: Row[] = [
    { title: 'Namespace total', panels: [usageVsReserved('cpu', NAMESPACE, ''), usageVsReserved('memory', NAMESPACE, '')] },
    {
      title: 'By pod',
      panels: [
        { title: 'CPU usage by pod', unit: 'cores', queries: [{ expr: cpuUsage(NAMESPACE, 'pod'), legend: '{{pod}}' }] },
        { title: 'Memory working set by pod', unit: 'bytes', queries: [{ expr: memoryUsage(NAMESPACE, 'pod'), legend: '{{pod}}' }] },
        { title: 'CPU throttling by pod', description: 'Share of CPU periods in which the pod hit its CPU limit.', unit: 'percentunit', max: 1, queries: [{ expr: throttling(NAMESPACE, 'pod'), legend: '{{pod}}' }] },
        {
          title: 'Container restarts by pod',
          unit: 'short',
          queries: [{ expr: `sum by (pod) (increase(kube_pod_container_status_restarts_total{${NAMESPACE}}[$__rate_interval]))`, legend: '{{pod}}' }],
        },
      ],
    },
    {
      title: 'Quota and pods',
      panels: [
        {
          title: 'Resource quota: used / hard',
          description: 'At 100% the API server refuses new objects of that resource in the namespace.',
          unit: 'percentunit',
          max: 1,
          queries: [
            {
              expr: `sum by (resourcequota, resource) (kube_resourcequota{${NAMESPACE}, type="used"}) / sum by (resourcequota, resource) (kube_resourcequota{${NAMESPACE}, type="hard"} > 0)`,
              legend: '{{resourcequota}} {{resource}}',
            },
          ],
        },
        { title: 'Pods by phase', unit: 'short', queries: [{ expr: `sum by (phase) (kube_pod_status_phase{${NAMESPACE}})`, legend: '{{phase}}' }] },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'k8s-namespace-compute',
      title: 'Kubernetes / Compute / Namespace',
      description: 'What a namespace uses against what it requests and may use, its quota, and which pods use or restart most.',
      tags: TAGS,
      variables: [clusterVariable(), namespaceVariable()],
      rows,
    },
    defaults,
  );
}

/** Logs of streams matching `streamMatchers`, and traces of spans matching `spanFilter`, of the selected cluster. */
function signalsRow(streamMatchers: string, spanFilter: string): Row {
  return {
    title: 'Logs and traces',
    panels: [
      {
        title: 'Logs',
        description: 'Container output and OTLP logs of these pods, from Loki (stream labels the collector sets from k8s.* resource attributes).',
        type: 'logs',
        datasource: LOKI,
        height: 10,
        queries: [{ expr: `{k8s_cluster_name=~"$cluster", ${streamMatchers}}` }],
      },
      {
        title: 'Recent traces',
        description: "Traces with spans from these pods, from Tempo; a trace id opens the trace.",
        type: 'traces',
        datasource: TEMPO,
        height: 10,
        queries: [{ expr: `{resource.k8s.cluster.name=~"$cluster" && ${spanFilter}}` }],
      },
    ],
  };
}

/** One workload (Deployment, StatefulSet, DaemonSet): its pods' resources, restarts, network, logs and traces. */
export function workloadDashboard(defaults: DefaultDatasources): DashboardFile {
  const rows: Row[] = [
    {
      title: 'Pods',
      panels: [
        {
          title: 'Ready pods',
          type: 'stat',
          queries: [{ expr: `sum(${ofWorkload(`kube_pod_status_ready{${NAMESPACE}, condition="true"}`)})`, instant: true }],
        },
        {
          title: 'Pods not ready',
          type: 'stat',
          redAbove: 1,
          queries: [{ expr: `sum(${ofWorkload(`kube_pod_status_ready{${NAMESPACE}, condition!="true"}`)}) or vector(0)`, instant: true }],
        },
        {
          title: 'Restarts in the range',
          type: 'stat',
          redAbove: 1,
          queries: [{ expr: `sum(${ofWorkload(`increase(kube_pod_container_status_restarts_total{${NAMESPACE}}[$__range])`)}) or vector(0)`, instant: true }],
        },
        {
          title: 'OOM-killed containers',
          description: 'Containers whose last termination was an OOM kill.',
          type: 'stat',
          redAbove: 1,
          queries: [{ expr: `sum(${ofWorkload(`kube_pod_container_status_last_terminated_reason{${NAMESPACE}, reason="OOMKilled"}`)}) or vector(0)`, instant: true }],
        },
      ],
    },
    { title: 'Workload total', panels: [usageVsReserved('cpu', NAMESPACE, '', ofWorkload), usageVsReserved('memory', NAMESPACE, '', ofWorkload)] },
    {
      title: 'By pod',
      panels: [
        { title: 'CPU usage by pod', unit: 'cores', queries: [{ expr: cpuUsage(NAMESPACE, 'pod', ofWorkload), legend: '{{pod}}' }] },
        { title: 'Memory working set by pod', unit: 'bytes', queries: [{ expr: memoryUsage(NAMESPACE, 'pod', ofWorkload), legend: '{{pod}}' }] },
        { title: 'CPU throttling by pod', unit: 'percentunit', max: 1, queries: [{ expr: throttling(NAMESPACE, 'pod', ofWorkload), legend: '{{pod}}' }] },
        {
          title: 'Network by pod',
          unit: 'Bps',
          queries: [
            { expr: podNetwork('receive', NAMESPACE, 'pod', ofWorkload), legend: '{{pod}} received' },
            { expr: podNetwork('transmit', NAMESPACE, 'pod', ofWorkload), legend: '{{pod}} sent' },
          ],
        },
      ],
    },
    signalsRow('k8s_namespace_name="$namespace", k8s_${kind}_name="$workload"', 'resource.k8s.namespace.name="$namespace" && resource.k8s.${kind}.name="$workload"'),
  ];
  return dashboard(
    {
      uid: 'k8s-workload',
      title: 'Kubernetes / Compute / Workload',
      description: "A Deployment, StatefulSet or DaemonSet: its pods' readiness, restarts, CPU, memory and network against requests and limits, with their logs and traces.",
      tags: TAGS,
      variables: [clusterVariable(), namespaceVariable(), kindVariable(), workloadVariable(), ...signalVariables(defaults)],
      rows,
    },
    defaults,
  );
}

/** One pod: per container usage vs requests vs limits, throttling, restarts and why, network, logs and traces. */
export function podDashboard(defaults: DefaultDatasources): DashboardFile {
  const POD = `${NAMESPACE}, pod="$pod"`;
  const rows: Row[] = [
    {
      title: 'Status',
      panels: [
        { title: 'Phase', type: 'stat', queries: [{ expr: `kube_pod_status_phase{${POD}} == 1`, legend: '{{phase}}', instant: true }], width: 4 },
        { title: 'Ready', type: 'stat', queries: [{ expr: `kube_pod_status_ready{${POD}, condition="true"}`, instant: true }], width: 4 },
        { title: 'Node', type: 'stat', queries: [{ expr: `kube_pod_info{${POD}}`, legend: '{{node}}', instant: true }], width: 4 },
        {
          title: 'Restarts by container',
          type: 'table',
          queries: [{ expr: `sum by (container) (kube_pod_container_status_restarts_total{${POD}})`, instant: true }],
          columns: ['restarts'],
        },
        {
          title: 'Last termination reason',
          description: 'OOMKilled: the container reached its memory limit; Error: it exited non-zero.',
          type: 'table',
          queries: [{ expr: `kube_pod_container_status_last_terminated_reason{${POD}} == 1`, instant: true }],
          width: 12,
        },
      ],
    },
    { title: 'CPU and memory by container', panels: [usageVsReserved('cpu', POD, 'container'), usageVsReserved('memory', POD, 'container')] },
    {
      title: 'Pressure and network',
      panels: [
        { title: 'CPU throttling by container', unit: 'percentunit', max: 1, queries: [{ expr: throttling(POD, 'container'), legend: '{{container}}' }] },
        {
          title: 'Network',
          unit: 'Bps',
          queries: [
            { expr: podNetwork('receive', POD, 'interface'), legend: '{{interface}} received' },
            { expr: podNetwork('transmit', POD, 'interface'), legend: '{{interface}} sent' },
          ],
        },
        {
          title: 'Filesystem writes by container',
          unit: 'Bps',
          queries: [{ expr: `sum by (container) (rate(container_fs_writes_bytes_total{${POD}, ${CONTAINERS}}[$__rate_interval]))`, legend: '{{container}}' }],
        },
      ],
    },
    signalsRow('k8s_namespace_name="$namespace", k8s_pod_name="$pod"', 'resource.k8s.namespace.name="$namespace" && resource.k8s.pod.name="$pod"'),
  ];
  return dashboard(
    {
      uid: 'k8s-pod',
      title: 'Kubernetes / Compute / Pod',
      description: "A pod's containers: CPU and memory against requests and limits, throttling, restarts and why, network, with the pod's logs and traces.",
      tags: TAGS,
      variables: [clusterVariable(), namespaceVariable(), podVariable(), ...signalVariables(defaults)],
      rows,
    },
    defaults,
  );
}
