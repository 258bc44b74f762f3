/**
 * The control plane as the cluster sees it: the API server (its own metrics, reachable on every
 * cloud through the `kubernetes` Service), the kubelets and CoreDNS.
 */
import { dashboard, labelVariable, type DefaultDatasources, type Panel, type Row } from '../grafana-json.ts';
import type { DashboardFile } from '../stack-health.ts';
import { CLUSTER, clusterVariable, quantileOf as quantile, rateOf as rate } from './selectors.ts';

const TAGS = ['kubernetes', 'control-plane'];

const targetsUp = (job: string): Panel => ({
  title: 'Targets up',
  type: 'stat',
  queries: [{ expr: `sum(up{${CLUSTER}, job="${job}"}) or vector(0)`, instant: true }],
  width: 4,
});

/** Requests by code and verb, errors, latency, in-flight load, admission webhooks, etcd, aggregated APIs. */
export function apiServerDashboard(defaults: DefaultDatasources): DashboardFile {
  const API = `${CLUSTER}, job="apiserver"`;
  /** Long-running requests (watches, exec, logs) stay open for minutes: they are not latency. */
  const SHORT = `${API}, verb!~"WATCH|CONNECT"`;
  const rows: Row[] = [
    {
      title: 'Availability',
      panels: [
        targetsUp('apiserver'),
        {
          title: '5xx ratio',
          type: 'stat',
          unit: 'percentunit',
          redAbove: 0.01,
          queries: [{ expr: `sum(${rate('apiserver_request_total', `${API}, code=~"5.."`)}) / sum(${rate('apiserver_request_total', API)})`, instant: true }],
          width: 4,
        },
        {
          title: 'Unavailable aggregated APIs',
          description: 'APIService objects (metrics.k8s.io, …) the API server cannot reach: kubectl top, HPAs and discovery fail.',
          type: 'stat',
          redAbove: 1,
          queries: [{ expr: `sum(max by (name) (aggregator_unavailable_apiservice{${API}})) or vector(0)`, instant: true }],
          width: 4,
        },
        {
          title: 'Requests by code',
          unit: 'reqps',
          queries: [{ expr: `sum by (code) (${rate('apiserver_request_total', API)})`, legend: '{{code}}' }],
        },
      ],
    },
    {
      title: 'Latency and load',
      panels: [
        { title: 'p99 latency by verb', unit: 's', queries: [{ expr: quantile(0.99, 'apiserver_request_duration_seconds_bucket', SHORT, 'verb'), legend: '{{verb}}' }] },
        {
          title: 'p99 latency by resource (slowest 10)',
          unit: 's',
          queries: [{ expr: `topk(10, ${quantile(0.99, 'apiserver_request_duration_seconds_bucket', SHORT, 'resource')})`, legend: '{{resource}}' }],
        },
        {
          title: 'In-flight requests',
          description: 'Requests being served, by kind (mutating or read-only); near the max-in-flight limits, requests are rejected with 429.',
          unit: 'short',
          queries: [{ expr: `sum by (request_kind) (apiserver_current_inflight_requests{${API}})`, legend: '{{request_kind}}' }],
        },
        {
          title: 'Requests rejected by priority and fairness',
          unit: 'reqps',
          queries: [{ expr: `sum by (priority_level, reason) (${rate('apiserver_flowcontrol_rejected_requests_total', API)})`, legend: '{{priority_level}} {{reason}}' }],
        },
      ],
    },
    {
      title: 'Dependencies',
      panels: [
        {
          title: 'Admission webhooks p99 latency',
          description: 'A slow or failing webhook slows or blocks every matching write.',
          unit: 's',
          queries: [{ expr: quantile(0.99, 'apiserver_admission_webhook_admission_duration_seconds_bucket', API, 'name'), legend: '{{name}}' }],
        },
        {
          title: 'Admission webhook rejections',
          unit: 'reqps',
          queries: [{ expr: `sum by (name, error_type) (${rate('apiserver_admission_webhook_rejection_count', API)})`, legend: '{{name}} {{error_type}}' }],
        },
        {
          title: 'etcd request p99 latency by operation',
          description: "The API server's requests to its storage, as it measures them (etcd itself is not reachable on managed clouds).",
          unit: 's',
          queries: [{ expr: quantile(0.99, 'etcd_request_duration_seconds_bucket', API, 'operation'), legend: '{{operation}}' }],
        },
        {
          title: 'Objects stored by resource (largest 10)',
          unit: 'short',
          queries: [{ expr: `topk(10, max by (resource) (apiserver_storage_objects{${API}}))`, legend: '{{resource}}' }],
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'k8s-apiserver',
      title: 'Kubernetes / Control plane / API server',
      description: 'Is the API server up, failing (5xx) or slow (p99 by verb and resource), overloaded (in-flight, priority and fairness), and are its webhooks, etcd and aggregated APIs healthy.',
      tags: TAGS,
      variables: [clusterVariable()],
      rows,
    },
    defaults,
  );
}

/** Kubelets: pods and containers run, pod start latency, PLEG, runtime operations and errors. */
export function kubeletDashboard(defaults: DefaultDatasources): DashboardFile {
  const KUBELET = `${CLUSTER}, job="kubelet", node=~"$node"`;
  const rows: Row[] = [
    {
      title: 'Kubelets',
      panels: [
        targetsUp('kubelet'),
        { title: 'Running pods', type: 'stat', queries: [{ expr: `sum(kubelet_running_pods{${KUBELET}})`, instant: true }], width: 4 },
        { title: 'Running containers', type: 'stat', queries: [{ expr: `sum(kubelet_running_containers{${KUBELET}, container_state="running"})`, instant: true }], width: 4 },
        { title: 'Running pods by node', unit: 'short', queries: [{ expr: `sum by (node) (kubelet_running_pods{${KUBELET}})`, legend: '{{node}}' }] },
      ],
    },
    {
      title: 'Latency',
      panels: [
        {
          title: 'PLEG relist p99 by node',
          description: 'The pod lifecycle event generator relists containers every second; above a few seconds, the node is marked NotReady.',
          unit: 's',
          queries: [{ expr: quantile(0.99, 'kubelet_pleg_relist_duration_seconds_bucket', KUBELET, 'node'), legend: '{{node}}' }],
        },
        {
          title: 'Pod start p99 by node',
          description: 'From the kubelet seeing the pod to its containers running (image pulls included).',
          unit: 's',
          queries: [{ expr: quantile(0.99, 'kubelet_pod_start_duration_seconds_bucket', KUBELET, 'node'), legend: '{{node}}' }],
        },
        {
          title: 'Container runtime operations p99 by type',
          unit: 's',
          queries: [{ expr: quantile(0.99, 'kubelet_runtime_operations_duration_seconds_bucket', KUBELET, 'operation_type'), legend: '{{operation_type}}' }],
        },
        {
          title: 'Container runtime operation errors by type',
          unit: 'ops',
          queries: [{ expr: `sum by (operation_type) (${rate('kubelet_runtime_operations_errors_total', KUBELET)})`, legend: '{{operation_type}}' }],
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'k8s-kubelet',
      title: 'Kubernetes / Control plane / Kubelet',
      description: 'Are the kubelets up, how many pods and containers they run, and are they slow to relist (PLEG), start pods or talk to the container runtime.',
      tags: TAGS,
      variables: [clusterVariable(), labelVariable('node', 'Node', `label_values(kubelet_running_pods{${CLUSTER}}, node)`, { all: true })],
      rows,
    },
    defaults,
  );
}

/** CoreDNS: queries, response codes, latency, cache, upstream forwarding. */
export function coreDnsDashboard(defaults: DefaultDatasources): DashboardFile {
  const DNS = `${CLUSTER}, job="coredns"`;
  const rows: Row[] = [
    {
      title: 'Queries',
      panels: [
        targetsUp('coredns'),
        {
          title: 'SERVFAIL ratio',
          type: 'stat',
          unit: 'percentunit',
          redAbove: 0.01,
          queries: [{ expr: `sum(${rate('coredns_dns_responses_total', `${DNS}, rcode="SERVFAIL"`)}) / sum(${rate('coredns_dns_responses_total', DNS)})`, instant: true }],
          width: 4,
        },
        { title: 'Requests by type', unit: 'reqps', queries: [{ expr: `sum by (type) (${rate('coredns_dns_requests_total', DNS)})`, legend: '{{type}}' }] },
        { title: 'Responses by code', unit: 'reqps', queries: [{ expr: `sum by (rcode) (${rate('coredns_dns_responses_total', DNS)})`, legend: '{{rcode}}' }] },
        {
          title: 'Request latency',
          unit: 's',
          queries: [0.5, 0.99].map((q) => ({ expr: quantile(q, 'coredns_dns_request_duration_seconds_bucket', DNS, ''), legend: `p${q * 100}` })),
        },
      ],
    },
    {
      title: 'Cache and upstreams',
      panels: [
        {
          title: 'Cache hit ratio',
          unit: 'percentunit',
          max: 1,
          queries: [
            {
              expr: `sum(${rate('coredns_cache_hits_total', DNS)}) / (sum(${rate('coredns_cache_hits_total', DNS)}) + sum(${rate('coredns_cache_misses_total', DNS)}))`,
              legend: 'hits',
            },
          ],
        },
        {
          title: 'Forwarded requests and upstream latency p99',
          description: 'Queries CoreDNS sends to upstream resolvers, and how long they take.',
          unit: 's',
          queries: [{ expr: quantile(0.99, 'coredns_forward_request_duration_seconds_bucket', DNS, 'to'), legend: '{{to}}' }],
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'k8s-coredns',
      title: 'Kubernetes / Control plane / CoreDNS',
      description: "Is cluster DNS answering, failing (SERVFAIL) or slow, how well its cache works and how its upstreams respond.",
      tags: TAGS,
      variables: [clusterVariable()],
      rows,
    },
    defaults,
  );
}
