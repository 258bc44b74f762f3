import { GLOBAL_VMSELECT, VM_REPLICATION_FACTOR } from '../model/types.ts';
import type { RunbookLink } from './runbook.ts';
import { alert, alertRuleFile, withCluster, type RuleFile, type StackAlert } from './stack-rules.ts';

/**
 * Metric names the VictoriaMetrics alerts read, by the job (app) that exports them: read off the
 * real 1.150 binaries' /metrics (test/victoriametrics-faults.test.ts checks them there).
 */
export const VM_ALERT_METRICS = {
  vminsert: ['vm_rpc_vmstorage_is_reachable', 'vm_rpc_rows_dropped_on_overload_total'],
  vmstorage: ['vm_storage_is_read_only'],
  // Failed RPCs to each storage node: with -search.denyPartialResponse a refused query moves no vm_partial_results_total (test/victoriametrics-select-refusing.test.ts).
  vmselect: ['vm_request_errors_total'],
  vmagent: ['vmagent_remotewrite_packets_dropped_total', 'vmagent_remotewrite_pending_data_bytes'],
  vmalert: ['vmalert_execution_errors_total', 'vmalert_alerts_send_errors_total', 'vmalert_remotewrite_errors_total'],
  // Its backends' vmselects are its storage nodes: per address, dialled or not, and failed requests (test/victoriametrics-global.test.ts).
  [GLOBAL_VMSELECT]: ['vm_tcpdialer_addr_available', 'vm_request_errors_total'],
} as const;

/** The ConfigMap and file of the rules below, loaded by vmalert in the `victoriametrics-cluster` metrics mode only. */
export const VM_RULES_CONFIGMAP = 'prometheus-rules-victoriametrics';
export const VM_RULES_FILE = 'victoriametrics.rules.yaml';

/** The global vmselect's rules: loaded by the backend that stores the Grafana cluster's metrics (Prometheus or vmalert), whatever its mode. */
export const GLOBAL_SELECT_RULES_CONFIGMAP = 'prometheus-rules-vmselect-global';
export const GLOBAL_SELECT_RULES_FILE = 'vmselect-global.rules.yaml';

/** The health of the VictoriaMetrics cluster itself: storage reachable and writable, nothing dropped, rules evaluated and delivered. */
export function victoriaMetricsRules(runbook: RunbookLink): RuleFile {
  return alertRuleFile(victoriaMetricsAlertGroups(), runbook);
}

/** The global vmselect's health (`components.victoriametrics.globalSelect`): every backend reachable, no query refused. */
export function globalSelectRules(runbook: RunbookLink): RuleFile {
  return alertRuleFile([globalSelectAlertGroup()], runbook);
}

/** Every VictoriaMetrics alert, in file order (runbook); the global vmselect's with `globalSelect`. */
export function allVictoriaMetricsAlerts(opts: { globalSelect?: boolean } = {}): readonly StackAlert[] {
  return [...victoriaMetricsAlertGroups(), ...(opts.globalSelect ? [globalSelectAlertGroup()] : [])].flatMap((g) => g.rules);
}

function globalSelectAlertGroup(): { readonly name: string; readonly rules: readonly StackAlert[] } {
  const job = `job="${GLOBAL_VMSELECT}"`;
  return {
    name: 'o11y-stack.vmselect-global',
    rules: [
      alert('O11yVmSelectGlobalBackendUnreachable', `min by (cluster, addr) (${withCluster(`vm_tcpdialer_addr_available{${job}}`)}) == 0`, '5m', 'warning', {
        summary: 'The global vmselect cannot reach a backend',
        description: 'The global vmselect has not connected to the backend vmselect {{ $labels.addr }} for 5 minutes.',
        impact: 'Every query of the datasource Prometheus (global) is refused (-search.denyPartialResponse): the multi-cloud SLO panels show errors. Each cloud\'s own datasource still answers.',
        action: 'Check that backend\'s vmselect pods (`o11y check` in its cluster), its clusternativeEndpoint on port 8401, and the private network and NetworkPolicies between the clusters.',
      }),
      alert('O11yVmSelectGlobalRefusing', `sum by (cluster, addr) (${withCluster(`increase(vm_request_errors_total{${job}, type="rpcClient"}[5m])`)}) > 0`, '5m', 'warning', {
        summary: 'A backend fails the global vmselect\'s requests',
        description: 'Requests of the global vmselect to the backend vmselect {{ $labels.addr }} failed in the last 5 minutes.',
        impact: 'Queries of the datasource Prometheus (global) that read that backend are refused rather than answered for fewer clouds.',
        action: 'Read that backend\'s vmselect alerts (O11yVmSelectRefusingQueries) and logs: its storage nodes may be down, or the connection between the clusters drops.',
      }),
    ],
  };
}

function victoriaMetricsAlertGroups(): readonly { readonly name: string; readonly rules: readonly StackAlert[] }[] {
  const sum = (by: string, expr: string) => `sum by (cluster, ${by}) (${withCluster(expr)})`;
  return [
    {
      name: 'o11y-stack.victoriametrics',
      rules: [
        alert('O11yVmStorageUnreachable', `min by (cluster, addr) (${withCluster('vm_rpc_vmstorage_is_reachable{job="vminsert"}')}) == 0`, '5m', 'warning', {
          summary: 'vminsert cannot reach a storage node',
          description: 'vminsert has not reached vmstorage {{ $labels.addr }} for 5 minutes: its copies go to the other nodes, and one more loss would lose data.',
          impact: 'No sample is lost while the other storage nodes take the copies, but the replication factor no longer covers another loss: one more node down and samples are lost.',
          action: 'Check the vmstorage pod (`o11y check`), its volume and the NetworkPolicy between vminsert and vmstorage.',
        }),
        alert('O11yVmStorageReadOnly', `max by (cluster, instance) (${withCluster('vm_storage_is_read_only{job="vmstorage"}')}) == 1`, '5m', 'critical', {
          summary: 'A storage node is read-only',
          description: 'vmstorage {{ $labels.instance }} has less free disk than -storage.minFreeDiskSpaceBytes and refuses writes.',
          impact: 'New samples go to the other storage nodes only; once they are read-only too, ingestion stops and every series shows a gap.',
          action: 'Grow its PVC (components.prometheus.storage), shorten the retention, or add storage nodes.',
        }),
        alert('O11yVmInsertDroppingRows', `${sum('instance', 'increase(vm_rpc_rows_dropped_on_overload_total{job="vminsert"}[5m])')} > 0`, '5m', 'critical', {
          summary: 'vminsert drops samples',
          description: 'vminsert {{ $labels.instance }} drops samples because the storage nodes cannot keep up.',
          impact: 'Samples are lost: dashboards show gaps and alerts that read the lost series may not fire.',
          action: 'Add vmstorage replicas or resources (components.victoriametrics.vmstorage).',
        }),
        // vmselect answers while fewer storage nodes fail than the replication factor and refuses beyond;
        // a malformed query fails no storage RPC (test/victoriametrics-select-refusing.test.ts).
        alert('O11yVmSelectRefusingQueries', `count by (cluster, instance) (sum by (cluster, instance, addr) (${withCluster('increase(vm_request_errors_total{job="vmselect", type="rpcClient"}[5m])')}) > 0) >= ${VM_REPLICATION_FACTOR}`, '5m', 'critical', {
          summary: 'vmselect refuses queries: storage nodes fail',
          description: 'vmselect {{ $labels.instance }} failed requests to {{ $value }} storage nodes in the last 5 minutes, as many as the replication factor: with that many down it refuses queries.',
          impact: 'Queries are refused rather than answered incompletely (-search.denyPartialResponse): dashboards show errors, rules fail to evaluate and their alerts cannot fire.',
          action: 'More storage nodes are down or unreachable than the replication factor covers: check the vmstorage pods (`o11y check`, O11yVmStorageUnreachable), their volumes and the NetworkPolicy between vmselect and vmstorage.',
        }),
        alert('O11yVmAgentDroppingSamples', `${sum('instance', 'increase(vmagent_remotewrite_packets_dropped_total{job="vmagent"}[5m])')} > 0`, '5m', 'critical', {
          summary: 'vmagent drops scraped samples',
          description: 'vmagent {{ $labels.instance }} drops samples it could not deliver to vminsert.',
          impact: 'Scraped samples are lost: dashboards show gaps and alerts that read them may not fire.',
          action: 'Check vminsert (pods, NetworkPolicy); the queue is full.',
        }),
        alert('O11yVmAgentQueueGrowing', `max by (cluster, instance) (${withCluster('vmagent_remotewrite_pending_data_bytes{job="vmagent"}')}) > 256 * 1024 * 1024`, '15m', 'warning', {
          summary: 'vmagent queues samples on disk',
          description: 'vmagent {{ $labels.instance }} holds {{ $value | humanize1024 }}B it could not send to vminsert yet.',
          impact: 'Scraped data reaches storage late: dashboards and alerts lag behind; once the queue is full, samples are dropped.',
          action: 'Check vminsert; the queue spills over at 1.5 GiB and then drops samples.',
        }),
        alert('O11yVmAlertEvaluationErrors', `${sum('instance', 'increase(vmalert_execution_errors_total{job="vmalert"}[5m])')} > 0`, '10m', 'warning', {
          summary: 'vmalert fails to evaluate rules',
          description: 'vmalert {{ $labels.instance }} fails rule evaluations: alerts of those groups may not fire.',
          impact: 'The alerts and recorded series of the failing groups are not computed: their alerts cannot fire.',
          action: 'Read lastError of the groups (`o11y check`, or vmalert\'s /api/v1/rules through vmselect).',
        }),
        alert('O11yVmAlertDeliveryErrors', `${sum('instance', 'increase(vmalert_alerts_send_errors_total{job="vmalert"}[5m]) or increase(vmalert_remotewrite_errors_total{job="vmalert"}[5m])')} > 0`, '10m', 'critical', {
          summary: 'vmalert cannot deliver alerts or recording-rule results',
          description: 'vmalert {{ $labels.instance }} fails to notify Alertmanager or to write to vminsert.',
          impact: 'Alerts or recorded series may be lost; with both replicas failing, nobody is notified.',
          action: 'Check Alertmanager and vminsert (pods, NetworkPolicies); the other vmalert replica may still deliver.',
        }),
      ],
    },
  ];
}
