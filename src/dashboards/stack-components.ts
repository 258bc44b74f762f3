/**
 * One dashboard per component of the stack: Prometheus, Alertmanager, the collectors, Loki and
 * Tempo, from their own metrics (the `o11y-stack` scrape job, whose `job` is each pod's
 * `app.kubernetes.io/name`).
 */
import { dashboard, labelVariable, type DefaultDatasources, type Panel, type Row } from './grafana-json.ts';
import { CLUSTER, clusterVariable, quantileOf as quantile, rateOf as rate } from './kubernetes/selectors.ts';
import type { DashboardFile } from './stack-health.ts';

export const TAGS = ['o11y', 'stack'];
export const sel = (job: string) => `${CLUSTER}, job="${job}"`;

/** Pods up, memory and CPU of a component's pods: the same first row on every component. */
export function processRow(job: string): Row {
  const JOB = sel(job);
  return {
    title: 'Pods',
    panels: [
      { title: 'Pods up', type: 'stat', queries: [{ expr: `sum(up{${JOB}}) or vector(0)`, instant: true }], width: 4 },
      { title: 'Resident memory by pod', unit: 'bytes', queries: [{ expr: `sum by (pod) (process_resident_memory_bytes{${JOB}})`, legend: '{{pod}}' }], width: 10 },
      { title: 'CPU by pod', unit: 'cores', queries: [{ expr: `sum by (pod) (${rate('process_cpu_seconds_total', JOB)})`, legend: '{{pod}}' }], width: 10 },
    ],
  };
}

/** Ingestion, series, rule evaluation, queries, notifications and remote write. */
export function prometheusDashboard(defaults: DefaultDatasources): DashboardFile {
  const P = sel('prometheus');
  const rows: Row[] = [
    processRow('prometheus'),
    {
      title: 'Ingestion and storage',
      panels: [
        { title: 'Head series', unit: 'short', queries: [{ expr: `sum by (pod) (prometheus_tsdb_head_series{${P}})`, legend: '{{pod}}' }] },
        { title: 'Samples appended', unit: 'ops', queries: [{ expr: `sum by (pod) (${rate('prometheus_tsdb_head_samples_appended_total', P)})`, legend: '{{pod}}' }] },
        {
          title: 'Scrape duration by job (slowest target)',
          description: 'Close to the scrape interval, targets are scraped late or time out.',
          unit: 's',
          queries: [{ expr: `max by (job) (scrape_duration_seconds{${CLUSTER}})`, legend: '{{job}}' }],
        },
        {
          title: 'Samples rejected',
          description: 'Out-of-order or duplicate samples, and samples over a target\'s limit.',
          unit: 'ops',
          queries: [
            { expr: `sum(${rate('prometheus_tsdb_out_of_order_samples_total', P)})`, legend: 'out of order' },
            { expr: `sum(${rate('prometheus_target_scrapes_sample_duplicate_timestamp_total', P)})`, legend: 'duplicate timestamp' },
            { expr: `sum(${rate('prometheus_target_scrapes_exceeded_sample_limit_total', P)})`, legend: 'over the sample limit' },
          ],
        },
        { title: 'Storage used by blocks', unit: 'bytes', queries: [{ expr: `sum by (pod) (prometheus_tsdb_storage_blocks_bytes{${P}})`, legend: '{{pod}}' }] },
        {
          title: 'TSDB failures',
          unit: 'short',
          queries: ['compactions_failed', 'head_truncations_failed', 'wal_corruptions', 'reloads_failures'].map((m) => ({
            expr: `sum(increase(prometheus_tsdb_${m}_total{${P}}[$__rate_interval]))`,
            legend: m.replaceAll('_', ' '),
          })),
        },
      ],
    },
    {
      title: 'Rules and queries',
      panels: [
        {
          title: 'Rule group evaluation time / interval',
          description: 'Above 1 a group misses evaluations.',
          unit: 'percentunit',
          queries: [{ expr: `max by (rule_group) (prometheus_rule_group_last_duration_seconds{${P}} / prometheus_rule_group_interval_seconds{${P}})`, legend: '{{rule_group}}' }],
        },
        { title: 'Rule evaluation failures', unit: 'ops', queries: [{ expr: `sum by (rule_group) (${rate('prometheus_rule_evaluation_failures_total', P)})`, legend: '{{rule_group}}' }] },
        {
          title: 'Query time p99 by stage',
          unit: 's',
          queries: [{ expr: `max by (slice) (prometheus_engine_query_duration_seconds{${P}, quantile="0.99"})`, legend: '{{slice}}' }],
        },
        {
          title: 'HTTP API p99 latency by handler',
          unit: 's',
          queries: [{ expr: `topk(10, ${quantile(0.99, 'prometheus_http_request_duration_seconds_bucket', P, 'handler')})`, legend: '{{handler}}' }],
        },
      ],
    },
    {
      title: 'Alerting and remote write',
      panels: [
        {
          title: 'Notifications sent and failed',
          unit: 'ops',
          queries: [
            { expr: `sum(${rate('prometheus_notifications_sent_total', P)})`, legend: 'sent' },
            { expr: `sum(${rate('prometheus_notifications_errors_total', P)})`, legend: 'failed' },
            { expr: `sum(${rate('prometheus_notifications_dropped_total', P)})`, legend: 'dropped' },
          ],
        },
        {
          title: 'Remote write: samples failed and lag',
          description: 'Samples the remote end refused, and how far the newest sent sample lags the newest stored one.',
          unit: 'short',
          queries: [
            { expr: `sum by (remote_name) (${rate('prometheus_remote_storage_samples_failed_total', P)})`, legend: '{{remote_name}} failed/s' },
            {
              expr: `max by (remote_name) (prometheus_remote_storage_highest_timestamp_in_seconds{${P}} - ignoring (remote_name, url) group_right () prometheus_remote_storage_queue_highest_sent_timestamp_seconds{${P}})`,
              legend: '{{remote_name}} lag (s)',
            },
          ],
        },
        {
          title: 'Config reload successful',
          type: 'stat',
          queries: [{ expr: `min(prometheus_config_last_reload_successful{${P}})`, instant: true }],
          width: 4,
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'o11y-prometheus',
      title: 'Observability stack / Prometheus',
      description: 'Is Prometheus keeping up: series and samples ingested, samples rejected, storage, rule groups against their interval, query latency, notifications and remote write.',
      tags: TAGS,
      variables: [clusterVariable()],
      rows,
    },
    defaults,
  );
}

/** Alerts held, notifications by integration, silences and the cluster of replicas. */
export function alertmanagerDashboard(defaults: DefaultDatasources): DashboardFile {
  const A = sel('alertmanager');
  const rows: Row[] = [
    processRow('alertmanager'),
    {
      title: 'Alerts and notifications',
      panels: [
        { title: 'Alerts by state', unit: 'short', queries: [{ expr: `max by (state) (alertmanager_alerts{${A}})`, legend: '{{state}}' }] },
        {
          title: 'Alerts received and invalid',
          unit: 'ops',
          queries: [
            { expr: `sum(${rate('alertmanager_alerts_received_total', A)})`, legend: 'received' },
            { expr: `sum(${rate('alertmanager_alerts_invalid_total', A)})`, legend: 'invalid' },
          ],
        },
        {
          title: 'Notifications by integration',
          unit: 'ops',
          queries: [
            { expr: `sum by (integration) (${rate('alertmanager_notifications_total', A)})`, legend: '{{integration}} sent' },
            { expr: `sum by (integration) (${rate('alertmanager_notifications_failed_total', A)})`, legend: '{{integration}} failed' },
          ],
        },
        {
          title: 'Notification p99 latency by integration',
          unit: 's',
          queries: [{ expr: quantile(0.99, 'alertmanager_notification_latency_seconds_bucket', A, 'integration'), legend: '{{integration}}' }],
        },
        { title: 'Silences by state', unit: 'short', queries: [{ expr: `max by (state) (alertmanager_silences{${A}})`, legend: '{{state}}' }] },
        {
          title: 'Cluster members seen by each replica',
          description: 'Every replica should see all of them; fewer means the gossip mesh is split and notifications may be duplicated.',
          unit: 'short',
          queries: [{ expr: `max by (pod) (alertmanager_cluster_members{${A}})`, legend: '{{pod}}' }],
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'o11y-alertmanager',
      title: 'Observability stack / Alertmanager',
      description: 'What Alertmanager holds (alerts, silences), whether its notifications reach their integrations and how fast, and whether its replicas see each other.',
      tags: TAGS,
      variables: [clusterVariable()],
      rows,
    },
    defaults,
  );
}

/** The collector's per-signal counter suffixes. */
const SIGNALS = [
  ['spans', 'spans'],
  ['metric_points', 'metric points'],
  ['log_records', 'log records'],
] as const;

/** One panel per signal of a collector counter family (`otelcol_<family>_<signal>_total`), by `by`. */
const perSignal = (family: string, matchers: string, by: string, title: string, description?: string): Panel => ({
  title,
  description,
  unit: 'ops',
  queries: SIGNALS.map(([signal, name]) => ({ expr: `sum by (${by}) (${rate(`otelcol_${family}_${signal}_total`, matchers)})`, legend: `{{${by}}} ${name}` })),
});

/** Agents, gateways and scraper: accepted, refused, dropped and failed items, queue fill. */
export function collectorDashboard(defaults: DefaultDatasources): DashboardFile {
  const C = `${CLUSTER}, job=~"$collector"`;
  const rows: Row[] = [
    {
      title: 'Receivers',
      panels: [
        perSignal('receiver_accepted', C, 'receiver', 'Accepted by receiver'),
        perSignal('receiver_refused', C, 'receiver', 'Refused by receiver', 'Items the pipeline refused, usually the memory limiter under pressure: senders retry or drop them.'),
      ],
    },
    {
      title: 'Processors',
      panels: [
        {
          title: 'Items in − items out by processor',
          description: 'What each processor removed: filtered, sampled out, or dropped.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (processor, otel_signal) (${rate('otelcol_processor_incoming_items_total', C)}) - sum by (processor, otel_signal) (${rate('otelcol_processor_outgoing_items_total', C)})`,
              legend: '{{processor}} {{otel_signal}}',
            },
          ],
          width: 24,
        },
      ],
    },
    {
      title: 'Exporters',
      panels: [
        perSignal('exporter_sent', C, 'exporter', 'Sent by exporter'),
        perSignal('exporter_send_failed', C, 'exporter', 'Failed sends by exporter', 'Items an exporter failed to send after its retries: lost.'),
        perSignal('exporter_enqueue_failed', C, 'exporter', 'Dropped at a full queue, by exporter', 'Items refused because the sending queue was full: lost.'),
        {
          title: 'Sending queue fill by exporter',
          description: 'Batches queued over the queue\'s capacity; near 1, the backend is slower than the input and items will be dropped.',
          unit: 'percentunit',
          max: 1,
          queries: [{ expr: `max by (exporter) (otelcol_exporter_queue_size{${C}} / otelcol_exporter_queue_capacity{${C}})`, legend: '{{exporter}}' }],
        },
      ],
    },
    {
      title: 'Process',
      panels: [
        { title: 'Resident memory by pod', unit: 'bytes', queries: [{ expr: `sum by (pod) (otelcol_process_memory_rss_bytes{${C}})`, legend: '{{pod}}' }] },
        { title: 'CPU by pod', unit: 'cores', queries: [{ expr: `sum by (pod) (${rate('otelcol_process_cpu_seconds_total', C)})`, legend: '{{pod}}' }] },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'o11y-collector',
      title: 'Observability stack / Collector pipeline',
      description: 'Where telemetry is lost between applications and backends: accepted and refused by each receiver, removed by processors, failed or dropped by each exporter, and how full the sending queues are.',
      tags: TAGS,
      variables: [clusterVariable(), { ...labelVariable('collector', 'Collector', `label_values(otelcol_process_uptime_seconds_total{${CLUSTER}}, job)`, { all: true }), multi: true }],
      rows,
    },
    defaults,
  );
}

/** Lines and bytes in, discarded lines, request latency, streams. */
export function lokiDashboard(defaults: DefaultDatasources): DashboardFile {
  const L = sel('loki');
  const rows: Row[] = [
    processRow('loki'),
    {
      title: 'Ingestion and queries',
      panels: [
        {
          title: 'Lines and bytes received',
          unit: 'short',
          queries: [
            { expr: `sum(${rate('loki_distributor_lines_received_total', L)})`, legend: 'lines/s' },
            { expr: `sum(${rate('loki_distributor_bytes_received_total', L)})`, legend: 'bytes/s' },
          ],
        },
        {
          title: 'Discarded lines by reason',
          description: 'Lines Loki refused: rate limits, too old, too long, stream limits. They are lost.',
          unit: 'ops',
          queries: [{ expr: `sum by (reason) (${rate('loki_discarded_samples_total', L)})`, legend: '{{reason}}' }],
        },
        { title: 'Streams in memory', unit: 'short', queries: [{ expr: `sum(loki_ingester_memory_streams{${L}})`, legend: 'streams' }] },
        { title: 'Request p99 latency by route', unit: 's', queries: [{ expr: quantile(0.99, 'loki_request_duration_seconds_bucket', L, 'route'), legend: '{{route}}' }] },
        {
          title: 'Requests failed (5xx) by route',
          unit: 'reqps',
          queries: [{ expr: `sum by (route) (${rate('loki_request_duration_seconds_count', `${L}, status_code=~"5.."`)})`, legend: '{{route}}' }],
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'o11y-loki',
      title: 'Observability stack / Loki',
      description: 'Is Loki taking logs in (lines and bytes), refusing them (discarded by reason), holding too many streams, or slow or failing to answer.',
      tags: TAGS,
      variables: [clusterVariable()],
      rows,
    },
    defaults,
  );
}

/** Spans in, discarded spans, request latency. */
export function tempoDashboard(defaults: DefaultDatasources): DashboardFile {
  const T = sel('tempo');
  const rows: Row[] = [
    processRow('tempo'),
    {
      title: 'Ingestion and queries',
      panels: [
        { title: 'Spans received', unit: 'ops', queries: [{ expr: `sum(${rate('tempo_distributor_spans_received_total', T)})`, legend: 'spans' }] },
        {
          title: 'Discarded spans by reason',
          description: 'Spans Tempo refused: rate limits, trace too large, live-trace limits. They are lost.',
          unit: 'ops',
          queries: [{ expr: `sum by (reason) (${rate('tempo_discarded_spans_total', T)})`, legend: '{{reason}}' }],
        },
        { title: 'Request p99 latency by route', unit: 's', queries: [{ expr: quantile(0.99, 'tempo_request_duration_seconds_bucket', T, 'route'), legend: '{{route}}' }] },
        {
          title: 'Requests failed (5xx) by route',
          unit: 'reqps',
          queries: [{ expr: `sum by (route) (${rate('tempo_request_duration_seconds_count', `${T}, status_code=~"5.."`)})`, legend: '{{route}}' }],
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'o11y-tempo',
      title: 'Observability stack / Tempo',
      description: 'Is Tempo taking spans in, refusing them (discarded by reason), or slow or failing to answer queries.',
      tags: TAGS,
      variables: [clusterVariable()],
      rows,
    },
    defaults,
  );
}
