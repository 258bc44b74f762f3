/**
 * The VictoriaMetrics cluster of the `victoriametrics-cluster` metrics mode, one row per component,
 * from their own metrics (names read off the 1.150 binaries' /metrics; the engine tests check them).
 */
import { GLOBAL_VMSELECT } from '../model/types.ts';
import { dashboard, type DefaultDatasources, type Row } from './grafana-json.ts';
import { clusterVariable, rateOf as rate } from './kubernetes/selectors.ts';
import { processRow, sel, TAGS } from './stack-components.ts';
import type { DashboardFile } from './stack-health.ts';

/** With `globalSelect`, a row for the global vmselect of the Grafana cluster and its pods. */
export function victoriaMetricsDashboard(defaults: DefaultDatasources, opts: { globalSelect?: boolean } = {}): DashboardFile {
  const [S, I, Q, A, R, G] = ['vmstorage', 'vminsert', 'vmselect', 'vmagent', 'vmalert', GLOBAL_VMSELECT].map(sel);
  const byPod = (title: string, unit: string, expr: string) => ({ title, unit, queries: [{ expr: `sum by (pod) (${expr})`, legend: '{{pod}}' }] });
  const rows: Row[] = [
    {
      title: 'Storage nodes',
      panels: [
        byPod('Rows added', 'ops', rate('vm_rows_added_to_storage_total', S!)),
        byPod('Free disk', 'bytes', `vm_free_disk_space_bytes{${S}}`),
        byPod('Data size', 'bytes', `vm_data_size_bytes{${S}}`),
        byPod('Read-only (disk below the limit)', 'short', `vm_storage_is_read_only{${S}}`),
      ],
    },
    {
      title: 'Ingestion and queries',
      panels: [
        byPod('Rows inserted (vminsert)', 'ops', rate('vm_rows_inserted_total', I!)),
        {
          title: 'Storage nodes reachable from vminsert',
          description: 'Below the node count, samples go to fewer nodes; one more loss would lose data.',
          unit: 'short',
          queries: [{ expr: `sum by (pod) (vm_rpc_vmstorage_is_reachable{${I}})`, legend: '{{pod}}' }],
        },
        byPod('Rows dropped on overload (vminsert)', 'ops', rate('vm_rpc_rows_dropped_on_overload_total', I!)),
        // Partial answers are refused (-search.denyPartialResponse) and count no vm_partial_results_total: failed storage requests show why.
        byPod('Failed storage requests (vmselect)', 'ops', rate('vm_request_errors_total', `${Q!}, type="rpcClient"`)),
        byPod('Query requests (vmselect)', 'reqps', rate('vm_http_requests_total', Q!)),
      ],
    },
    {
      title: 'Scrapers and rules',
      panels: [
        byPod('Scrape targets (vmagent)', 'short', `vm_promscrape_targets{${A}}`),
        byPod('Pending remote write (vmagent)', 'bytes', `vmagent_remotewrite_pending_data_bytes{${A}}`),
        byPod('Packets dropped (vmagent)', 'ops', rate('vmagent_remotewrite_packets_dropped_total', A!)),
        byPod('Rule evaluation errors (vmalert)', 'ops', rate('vmalert_execution_errors_total', R!)),
        byPod('Alerts sent (vmalert)', 'ops', rate('vmalert_alerts_sent_total', R!)),
        byPod('Alert send errors (vmalert)', 'ops', rate('vmalert_alerts_send_errors_total', R!)),
      ],
    },
    ...(opts.globalSelect
      ? [
          {
            title: 'Global vmselect (every backend)',
            panels: [
              {
                title: 'Backends reachable from the global vmselect',
                description: 'One backend down and every query of Prometheus (global) is refused.',
                unit: 'short',
                queries: [{ expr: `min by (addr) (vm_tcpdialer_addr_available{${G}})`, legend: '{{addr}}' }],
              },
              {
                title: 'Failed requests to backends (global vmselect)',
                unit: 'ops',
                queries: [{ expr: `sum by (addr) (${rate('vm_request_errors_total', `${G}, type="rpcClient"`)})`, legend: '{{addr}}' }],
              },
              byPod('Query requests (global vmselect)', 'reqps', rate('vm_http_requests_total', G!)),
            ],
          },
        ]
      : []),
    ...['vmstorage', 'vminsert', 'vmselect', 'vmagent', 'vmalert', ...(opts.globalSelect ? [GLOBAL_VMSELECT] : [])].map((job) => ({ ...processRow(job), title: `Pods: ${job}` })),
  ];
  return dashboard(
    {
      uid: 'o11y-victoriametrics',
      title: 'Observability stack / VictoriaMetrics',
      description: 'Is the VictoriaMetrics cluster keeping every sample: storage nodes reachable and writable, rows dropped, failed storage requests, scraper queues, rule evaluation and alert delivery.',
      tags: TAGS,
      variables: [clusterVariable()],
      rows,
    },
    defaults,
  );
}
