import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { synthesizedJobs } from '../src/monitoring/metric-catalogue.ts';
import { KUBERNETES_RULE_FILE, kubernetesRules } from '../src/rules/kubernetes/index.ts';
import { anchorLink } from '../src/rules/runbook.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { startPrometheusWith } from '../test/support/real-prometheus.ts';
import { remoteWrite, type Series } from '../test/support/remote-write.ts';
import { prng } from '../test/support/prng.ts';
import { stackConfig } from './multicloud.ts';
import { coldSynthSeconds } from './synth.ts';
import type { BenchResult } from './types.ts';

/**
 * Issue 12: what the Kubernetes monitoring costs. Cold synth of the default and the 50-cluster
 * config with it, against the commit the work started from (checked out with `git archive` into a
 * temp folder, same node_modules), and the evaluation cost of the Kubernetes rule groups in a real
 * Prometheus 3 holding a synthetic cluster of 100 nodes and 5,000 pods.
 */

const ROOT = resolve(import.meta.dirname, '..');
/** The commit issue 12 started from. */
const BASELINE = 'a592763';
const RUNS = 3;
const NODES = 100;
const PODS = 5000;
const STEPS = 16;
const STEP_MS = 60_000;

function baselineTree(dir: string): string {
  const tree = join(dir, 'baseline');
  execFileSync('mkdir', ['-p', tree]);
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${BASELINE} | tar -x -C "${tree}"`]);
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  return tree;
}

/** Cold synth in `root` (this tree or the baseline's). */
function synthIn(root: string, configFile: string | undefined, out: string): number {
  return coldSynthSeconds(configFile, out, RUNS, root);
}

// ---------------------------------------------------------------------------------------------
// A synthetic cluster, labelled as the synthesized jobs label their series
// ---------------------------------------------------------------------------------------------

type Labels = Record<string, string>;

/** Series of one cluster of `NODES` nodes and `PODS` pods (or fewer); counters grow by a random rate per minute, gauges stay put. */
export function syntheticCluster(endMs: number, size: { nodes: number; pods: number } = { nodes: NODES, pods: PODS }): Series[] {
  const { nodes: NODES, pods: PODS } = size;
  const random = prng(12);
  const series: Series[] = [];
  const times = Array.from({ length: STEPS }, (_, i) => endMs - (STEPS - 1 - i) * STEP_MS);
  const gauge = (labels: Labels, value: number) => series.push({ labels, samples: times.map((t) => [value, t] as const) });
  /** Cumulative values of a counter growing by about `perMinute` (±20%) a minute; `share` scales one shared growth. */
  const growth = (perMinute: number) => {
    let total = 0;
    return times.map((_, i) => (i === 0 ? 0 : (total += perMinute * (0.8 + 0.4 * random()))));
  };
  const counter = (labels: Labels, perMinute: number) => {
    const start = Math.floor(random() * 1e6);
    const values = growth(perMinute);
    series.push({ labels, samples: times.map((t, i) => [start + values[i]!, t] as const) });
  };
  /** Buckets that grow together, each `le` holding a larger share of the requests, as a real histogram's do. */
  const histogram = (name: string, labels: Labels, buckets: readonly number[], perMinute: number) => {
    const values = growth(perMinute);
    const les = [...buckets.map(String), '+Inf'];
    les.forEach((le, k) => series.push({ labels: { __name__: `${name}_bucket`, ...labels, le }, samples: times.map((t, i) => [(values[i]! * (k + 1)) / les.length, t] as const) }));
    series.push({ labels: { __name__: `${name}_count`, ...labels }, samples: times.map((t, i) => [values[i]!, t] as const) });
    series.push({ labels: { __name__: `${name}_sum`, ...labels }, samples: times.map((t, i) => [values[i]! * 0.05, t] as const) });
  };
  const ksm = { job: 'kube-state-metrics', instance: '10.1.0.5:8080' };
  const nodeName = (n: number) => `node-${String(n).padStart(3, '0')}`;

  for (let n = 0; n < NODES; n++) {
    const node = nodeName(n);
    const ip = `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    const ne = { job: 'node-exporter', instance: `${ip}:9100`, node };
    gauge({ __name__: 'up', ...ne }, 1);
    for (let cpu = 0; cpu < 8; cpu++) {
      for (const mode of ['idle', 'user', 'system', 'iowait', 'steal', 'nice', 'irq', 'softirq']) counter({ __name__: 'node_cpu_seconds_total', ...ne, cpu: String(cpu), mode }, mode === 'idle' ? 40 : 3);
    }
    gauge({ __name__: 'node_load1', ...ne }, 2 + random() * 4);
    gauge({ __name__: 'node_memory_MemAvailable_bytes', ...ne }, 12e9 * random());
    gauge({ __name__: 'node_memory_MemTotal_bytes', ...ne }, 32e9);
    counter({ __name__: 'node_vmstat_pgmajfault', ...ne }, 10);
    counter({ __name__: 'node_vmstat_oom_kill', ...ne }, 0);
    for (const [device, fstype, mountpoint] of [['/dev/nvme0n1p1', 'ext4', '/'], ['/dev/nvme1n1', 'xfs', '/var/lib/containerd'], ['tmpfs', 'tmpfs', '/run']]) {
      const fs = { ...ne, device: device!, fstype: fstype!, mountpoint: mountpoint! };
      gauge({ __name__: 'node_filesystem_avail_bytes', ...fs }, 4e10 * random());
      gauge({ __name__: 'node_filesystem_size_bytes', ...fs }, 1e11);
      gauge({ __name__: 'node_filesystem_files_free', ...fs }, 5e6);
      gauge({ __name__: 'node_filesystem_files', ...fs }, 6e6);
      gauge({ __name__: 'node_filesystem_readonly', ...fs }, 0);
    }
    for (const device of ['nvme0n1', 'nvme1n1']) {
      counter({ __name__: 'node_disk_io_time_seconds_total', ...ne, device }, 6);
      counter({ __name__: 'node_disk_io_time_weighted_seconds_total', ...ne, device }, 9);
    }
    for (const device of ['eth0', 'eth1', 'lo']) {
      for (const dir of ['receive', 'transmit']) {
        for (const [what, rate] of [['bytes', 6e7], ['packets', 5e4], ['drop', 1], ['errs', 0]] as const) counter({ __name__: `node_network_${dir}_${what}_total`, ...ne, device }, rate);
      }
    }
    gauge({ __name__: 'node_timex_sync_status', ...ne }, 1);
    gauge({ __name__: 'node_timex_maxerror_seconds', ...ne }, 0.01);
    gauge({ __name__: 'node_timex_offset_seconds', ...ne }, 0.0001);

    const kubelet = { job: 'kubelet', instance: `${ip}:10250`, node, arch: n % 2 ? 'arm64' : 'amd64' };
    gauge({ __name__: 'up', ...kubelet }, 1);
    gauge({ __name__: 'kubelet_running_pods', ...kubelet }, PODS / NODES);
    gauge({ __name__: 'kubelet_certificate_manager_client_ttl_seconds', ...kubelet }, 2e7);
    histogram('kubelet_pleg_relist_duration_seconds', kubelet, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], 60);
    for (let v = 0; v < 5; v++) {
      const pvc = { ...kubelet, namespace: `ns-${(n * 5 + v) % 50}`, persistentvolumeclaim: `data-db-${n}-${v}` };
      gauge({ __name__: 'kubelet_volume_stats_available_bytes', ...pvc }, 5e9);
      gauge({ __name__: 'kubelet_volume_stats_capacity_bytes', ...pvc }, 1e10);
      gauge({ __name__: 'kubelet_volume_stats_used_bytes', ...pvc }, 5e9);
    }
    gauge({ __name__: 'kube_node_info', ...ksm, node, kernel_version: '6.8.0', os_image: 'Ubuntu 24.04', container_runtime_version: 'containerd://2.1.1' }, 1);
    for (const condition of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']) {
      for (const status of ['true', 'false', 'unknown']) gauge({ __name__: 'kube_node_status_condition', ...ksm, node, condition, status }, (condition === 'Ready') === (status === 'true') ? 1 : 0);
    }
    for (const [resource, unit, value] of [['pods', 'integer', 110], ['cpu', 'core', 8], ['memory', 'byte', 32e9]] as const) gauge({ __name__: 'kube_node_status_capacity', ...ksm, node, resource, unit }, value);
  }

  // 5,000 pods over 50 namespaces: Deployments of 5 (80%), StatefulSets of 5 (10%), 5 DaemonSets on every node.
  const deploymentPods = PODS * 0.8;
  const statefulPods = PODS * 0.1;
  for (let p = 0; p < PODS; p++) {
    const node = nodeName(p % NODES);
    let owner: Labels;
    let pod: string;
    let namespace: string;
    if (p < deploymentPods) {
      const d = Math.floor(p / 5);
      pod = `app-${d}-7d9f8c-${p % 5}`;
      namespace = `ns-${d % 50}`;
      owner = { owner_kind: 'ReplicaSet', owner_name: `app-${d}-7d9f8c` };
    } else if (p < deploymentPods + statefulPods) {
      const s = Math.floor((p - deploymentPods) / 5);
      pod = `db-${s}-${p % 5}`;
      namespace = `ns-${s % 50}`;
      owner = { owner_kind: 'StatefulSet', owner_name: `db-${s}` };
    } else {
      const ds = (p - deploymentPods - statefulPods) % 5;
      pod = `agent-${ds}-${p}`;
      namespace = 'kube-system';
      owner = { owner_kind: 'DaemonSet', owner_name: `agent-${ds}` };
    }
    const uid = `uid-${p}`;
    const podLabels = { ...ksm, namespace, pod, uid };
    gauge({ __name__: 'kube_pod_info', ...podLabels, node, host_ip: '10.0.0.1', pod_ip: `10.244.${p % 250}.${p % 200}`, created_by_kind: owner.owner_kind!, created_by_name: owner.owner_name! }, 1);
    gauge({ __name__: 'kube_pod_owner', ...podLabels, ...owner, owner_is_controller: 'true' }, 1);
    for (const phase of ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']) gauge({ __name__: 'kube_pod_status_phase', ...podLabels, phase }, phase === 'Running' ? 1 : 0);
    for (const condition of ['true', 'false', 'unknown']) gauge({ __name__: 'kube_pod_status_ready', ...podLabels, condition }, condition === 'true' ? 1 : 0);
    const container = { ...podLabels, container: 'main' };
    counter({ __name__: 'kube_pod_container_status_restarts_total', ...container }, 0);
    for (const kind of ['requests', 'limits']) {
      gauge({ __name__: `kube_pod_container_resource_${kind}`, ...container, node, resource: 'cpu', unit: 'core' }, 0.25);
      gauge({ __name__: `kube_pod_container_resource_${kind}`, ...container, node, resource: 'memory', unit: 'byte' }, 512e6);
    }
    const cadvisor = { job: 'cadvisor', instance: `10.0.0.${(p % NODES) + 1}:10250`, node, namespace, pod, container: 'main', image: `registry.example/app:${p % 7}`, id: `/kubepods/burstable/pod${uid}/c${p}`, name: `c${p}` };
    counter({ __name__: 'container_cpu_usage_seconds_total', ...cadvisor }, 6);
    gauge({ __name__: 'container_memory_working_set_bytes', ...cadvisor }, 2e8 + 2e8 * random());
    counter({ __name__: 'container_cpu_cfs_periods_total', ...cadvisor }, 600);
    counter({ __name__: 'container_cpu_cfs_throttled_periods_total', ...cadvisor }, 10);
  }
  for (let d = 0; d < deploymentPods / 5; d++) {
    const dep = { ...ksm, namespace: `ns-${d % 50}`, deployment: `app-${d}` };
    gauge({ __name__: 'kube_replicaset_owner', ...ksm, namespace: dep.namespace, replicaset: `app-${d}-7d9f8c`, owner_kind: 'Deployment', owner_name: `app-${d}`, owner_is_controller: 'true' }, 1);
    gauge({ __name__: 'kube_deployment_spec_replicas', ...dep }, 5);
    gauge({ __name__: 'kube_deployment_status_replicas_available', ...dep }, 5);
    gauge({ __name__: 'kube_deployment_status_replicas_updated', ...dep }, 5);
    for (const condition of ['Available', 'Progressing']) for (const status of ['true', 'false', 'unknown']) gauge({ __name__: 'kube_deployment_status_condition', ...dep, condition, status }, status === 'true' ? 1 : 0);
    if (d % 5 === 0) {
      const hpa = { ...ksm, namespace: dep.namespace, horizontalpodautoscaler: `app-${d}` };
      gauge({ __name__: 'kube_horizontalpodautoscaler_status_current_replicas', ...hpa }, 5);
      gauge({ __name__: 'kube_horizontalpodautoscaler_spec_max_replicas', ...hpa }, 10);
    }
  }
  for (let s = 0; s < statefulPods / 5; s++) {
    const sts = { ...ksm, namespace: `ns-${s % 50}`, statefulset: `db-${s}` };
    for (const name of ['replicas', 'status_replicas_ready', 'status_replicas_updated']) gauge({ __name__: `kube_statefulset_${name}`, ...sts }, 5);
    gauge({ __name__: 'kube_statefulset_status_current_revision', ...sts, revision: `db-${s}-5c` }, 1);
    gauge({ __name__: 'kube_statefulset_status_update_revision', ...sts, revision: `db-${s}-5c` }, 1);
  }
  for (let ds = 0; ds < 5; ds++) {
    const d = { ...ksm, namespace: 'kube-system', daemonset: `agent-${ds}` };
    for (const name of ['updated_number_scheduled', 'desired_number_scheduled', 'number_available']) gauge({ __name__: `kube_daemonset_status_${name}`, ...d }, NODES);
  }
  for (let ns = 0; ns < 50; ns++) {
    for (const resource of ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']) {
      for (const type of ['used', 'hard']) gauge({ __name__: 'kube_resourcequota', ...ksm, namespace: `ns-${ns}`, resourcequota: 'compute', resource, type }, type === 'used' ? 10 : 40);
    }
    gauge({ __name__: 'kube_job_failed', ...ksm, namespace: `ns-${ns}`, job_name: `nightly-${ns}`, condition: 'true' }, 0);
  }
  for (let pv = 0; pv < 500; pv++) for (const phase of ['Available', 'Bound', 'Released', 'Failed', 'Pending']) gauge({ __name__: 'kube_persistentvolume_status_phase', ...ksm, persistentvolume: `pvc-${pv}`, phase }, phase === 'Bound' ? 1 : 0);

  // Control plane: three API servers, CoreDNS, etcd, scheduler, controller-manager.
  const verbs = ['GET', 'LIST', 'WATCH', 'POST', 'PUT', 'PATCH', 'DELETE'];
  const resources = ['pods', 'nodes', 'services', 'endpointslices', 'configmaps', 'secrets', 'deployments', 'replicasets', 'events', 'leases', 'namespaces', 'jobs', 'statefulsets', 'daemonsets', 'persistentvolumeclaims', 'serviceaccounts', 'roles', 'rolebindings', 'customresourcedefinitions', 'horizontalpodautoscalers'];
  for (let a = 0; a < 3; a++) {
    const api = { job: 'apiserver', instance: `10.0.255.${a + 1}:6443` };
    gauge({ __name__: 'up', ...api }, 1);
    for (const verb of verbs) {
      for (const resource of resources) {
        for (const code of ['200', '201', '404', '500']) counter({ __name__: 'apiserver_request_total', ...api, verb, resource, code, group: '', version: 'v1', scope: 'namespace', component: 'apiserver' }, code === '500' ? 0.1 : 50);
        histogram('apiserver_request_duration_seconds', { ...api, verb, resource, subresource: '', group: '', version: 'v1', scope: 'namespace', component: 'apiserver' }, [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60], 50);
      }
    }
    histogram('apiserver_client_certificate_expiration_seconds', api, [1800, 3600, 7200, 21600, 43200, 86400, 172800, 345600, 604800, 2592000, 7776000, 15552000, 31104000], 5);
    gauge({ __name__: 'aggregator_unavailable_apiservice', ...api, name: 'v1beta1.metrics.k8s.io' }, 0);
  }
  for (let c = 0; c < 2; c++) {
    const dns = { job: 'coredns', instance: `10.244.0.${c + 10}:9153`, pod: `coredns-5d-${c}`, container: 'coredns', node: nodeName(c) };
    gauge({ __name__: 'up', ...dns }, 1);
    for (const rcode of ['NOERROR', 'NXDOMAIN', 'SERVFAIL']) counter({ __name__: 'coredns_dns_responses_total', ...dns, server: 'dns://:53', zone: '.', rcode, plugin: 'cache' }, rcode === 'SERVFAIL' ? 0 : 3000);
    histogram('coredns_dns_request_duration_seconds', { ...dns, server: 'dns://:53', zone: '.', type: 'A' }, [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192], 3000);
  }
  for (let e = 0; e < 3; e++) {
    const cp = { node: `cp-${e}`, arch: 'amd64' };
    const etcd = { job: 'etcd', instance: `10.0.255.${e + 1}:2381`, ...cp };
    for (const [job, port] of [['etcd', 2381], ['kube-scheduler', 10259], ['kube-controller-manager', 10257]] as const) gauge({ __name__: 'up', job, instance: `10.0.255.${e + 1}:${port}`, ...cp }, 1);
    gauge({ __name__: 'etcd_server_has_leader', ...etcd }, 1);
    counter({ __name__: 'etcd_server_leader_changes_seen_total', ...etcd }, 0);
    histogram('etcd_disk_wal_fsync_duration_seconds', etcd, [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192], 600);
    gauge({ __name__: 'etcd_mvcc_db_total_size_in_bytes', ...etcd }, 1e9);
    gauge({ __name__: 'etcd_server_quota_backend_bytes', ...etcd }, 8e9);
    gauge({ __name__: 'scheduler_pending_pods', job: 'kube-scheduler', instance: `10.0.255.${e + 1}:10259`, ...cp, queue: 'unschedulable' }, 0);
  }
  return series;
}

async function prometheusMetric(url: string, name: string): Promise<{ labels: string; value: number }[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))].map((m) => ({ labels: m[1]!, value: Number(m[2]) }));
}

/** Rule evaluation cost on the synthetic cluster (`npx tsx -e` can run it alone while tuning rules). */
export async function ruleEvaluationCost(): Promise<BenchResult[]> {
  const rules = kubernetesRules({ jobs: synthesizedJobs('onprem'), disabledGroups: [], runbook: anchorLink('https://runbooks.example.com/o11y.md') });
  const groups = rules.groups.map((g) => g.name);
  const prometheus = await startPrometheusWith({
    tmpPrefix: 'o11y-bench-kubernetes-',
    prepare: (dir) => {
      writeFileSync(join(dir, KUBERNETES_RULE_FILE), dumpYaml(rules));
      writeFileSync(join(dir, 'prometheus.yml'), stringify({ global: { evaluation_interval: '10s' }, rule_files: [join(dir, KUBERNETES_RULE_FILE)] }));
    },
    flags: ['--web.enable-remote-write-receiver'],
  });
  try {
    const series = syntheticCluster(Date.now() - 30_000);
    for (let i = 0; i < series.length; i += 5000) await remoteWrite(prometheus.url, series.slice(i, i + 5000));
    // Two full evaluations of every group after the push, on all the data.
    const iterations = async () => new Map((await prometheusMetric(prometheus.url, 'prometheus_rule_group_iterations_total')).map((m) => [/;([^"]+)"/.exec(m.labels)![1]!, m.value]));
    const before = await iterations();
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
      const now = await iterations();
      if (groups.every((g) => (now.get(g) ?? 0) >= (before.get(g) ?? 0) + 2)) break;
    }
    const durations = (await prometheusMetric(prometheus.url, 'prometheus_rule_group_last_duration_seconds'))
      .map((m) => ({ group: /;([^"]+)"/.exec(m.labels)![1]!, seconds: m.value }))
      .filter((d) => groups.includes(d.group));
    // The rules ran on the whole cluster, not on nothing.
    const count = async (expr: string) => Number(((await (await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query: `count(${expr})` })}`)).json()) as { data: { result: { value: [number, string] }[] } }).data.result[0]?.value[1] ?? 0);
    const nodesRecorded = await count('instance:node_cpu_utilisation:rate5m');
    const podsRecorded = await count('namespace_workload_pod:kube_pod_owner:relabel');
    const slowest = durations.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    const rulesApi = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; evaluationTime: number }[] }[] } };
    const slowestRules = rulesApi.data.groups.flatMap((g) => g.rules).sort((a, b) => b.evaluationTime - a.evaluationTime).slice(0, 3);
    return [
      {
        name: `Kubernetes rule groups, total last evaluation (${NODES} nodes, ${PODS} pods)`,
        value: durations.reduce((sum, d) => sum + d.seconds, 0) * 1000,
        unit: 'ms',
        note: `${series.length} series pushed by remote write (${STEPS} minutes); ${groups.length} groups; the node rules recorded ${nodesRecorded} nodes, the workload mapping ${podsRecorded} pods`,
      },
      { name: 'slowest Kubernetes rule group', value: slowest.seconds * 1000, unit: 'ms', target: '< 1 s per group', note: slowest.group },
      ...slowestRules.map((r, i) => ({ name: `slowest Kubernetes rule #${i + 1}`, value: r.evaluationTime * 1000, unit: 'ms', note: r.name })),
      ...durations.map((d) => ({ name: `rule group ${d.group}`, value: d.seconds * 1000, unit: 'ms' })),
    ];
  } finally {
    await prometheus.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'o11y-bench-kubernetes-'));
  try {
    const baseline = baselineTree(work);
    const fifty = join(work, 'o11y-50.yaml');
    writeFileSync(fifty, stringify(stackConfig(50)));
    const defaultNow = synthIn(ROOT, undefined, join(work, 'default-now'));
    const defaultBefore = synthIn(baseline, undefined, join(work, 'default-before'));
    const fiftyNow = synthIn(ROOT, fifty, join(work, 'fifty-now'));
    const fiftyBefore = synthIn(baseline, fifty, join(work, 'fifty-before'));
    return [
      { name: 'cold `cdk8s synth`, default config, with Kubernetes monitoring', value: defaultNow, unit: 's', target: `≤ 2 × before (${(2 * defaultBefore).toFixed(2)} s)`, note: `median of ${RUNS}` },
      { name: `cold \`cdk8s synth\`, default config, before (commit ${BASELINE})`, value: defaultBefore, unit: 's', note: `same run, median of ${RUNS}` },
      { name: 'cold `cdk8s synth`, 50 clusters on 5 clouds, with Kubernetes monitoring', value: fiftyNow, unit: 's', note: `median of ${RUNS}` },
      { name: `cold \`cdk8s synth\`, 50 clusters on 5 clouds, before (commit ${BASELINE})`, value: fiftyBefore, unit: 's', note: `same run, median of ${RUNS}` },
      ...(await ruleEvaluationCost()),
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
