/**
 * The "Stack health" Grafana dashboard: is every part of the pipeline up and accepting data.
 * A pure function, so that its JSON is deterministic and testable.
 */
import type { SpanMetricsSeries } from '../model/span-metrics.ts';
import { datasourceName } from './datasources.ts';

/** Grafana 13 migrates older dashboards on every load; 42 is the last schema of its v1 dashboard API. */
export const SCHEMA_VERSION = 42;

export interface DashboardFile {
  readonly fileName: string;
  readonly json: object;
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly queries: readonly { readonly expr: string; readonly legend: string }[];
  /** Show the queried histograms' exemplars, each a link to its trace. */
  readonly exemplar?: boolean;
}

const PANELS: readonly Panel[] = [
  { title: 'Targets up', unit: 'none', queries: [{ expr: 'sum by (job) (up)', legend: '{{job}} up' }, { expr: 'sum by (job) (1 - up)', legend: '{{job}} down' }] },
  {
    title: 'Rule evaluation failures',
    unit: 'ops',
    queries: [{ expr: 'sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total[$__rate_interval]))', legend: '{{rule_group}}' }],
  },
  {
    title: 'Collector: accepted vs refused spans',
    unit: 'ops',
    queries: [
      { expr: 'sum by (job) (rate(otelcol_receiver_accepted_spans_total[$__rate_interval]))', legend: '{{job}} accepted' },
      { expr: 'sum by (job) (rate(otelcol_receiver_refused_spans_total[$__rate_interval]))', legend: '{{job}} refused' },
    ],
  },
  {
    title: 'Collector: failed exports',
    unit: 'ops',
    queries: [
      { expr: 'sum by (job, exporter) (rate(otelcol_exporter_send_failed_spans_total[$__rate_interval]))', legend: '{{exporter}} spans' },
      { expr: 'sum by (job, exporter) (rate(otelcol_exporter_send_failed_log_records_total[$__rate_interval]))', legend: '{{exporter}} logs' },
      { expr: 'sum by (job, exporter) (rate(otelcol_exporter_send_failed_metric_points_total[$__rate_interval]))', legend: '{{exporter}} metrics' },
    ],
  },
  { title: 'Loki: discarded log lines', unit: 'ops', queries: [{ expr: 'sum by (reason) (rate(loki_discarded_samples_total[$__rate_interval]))', legend: '{{reason}}' }] },
  { title: 'Tempo: discarded spans', unit: 'ops', queries: [{ expr: 'sum by (reason) (rate(tempo_discarded_spans_total[$__rate_interval]))', legend: '{{reason}}' }] },
  { title: 'Prometheus: head series', unit: 'short', queries: [{ expr: 'prometheus_tsdb_head_series', legend: '{{pod}}' }] },
  {
    title: 'Ready pods per architecture',
    unit: 'short',
    queries: [
      {
        // Ready pods per node, then the node's architecture.
        expr: 'sum by (arch) (sum by (node) (kube_pod_status_ready{condition="true"} * on (namespace, pod) group_left (node) kube_pod_info) * on (node) group_left (arch) label_replace(kube_node_labels, "arch", "$1", "label_kubernetes_io_arch", "(.*)"))',
        legend: '{{arch}}',
      },
    ],
  },
];

/** Span latency per service, from whichever component computes span metrics. */
function latencyPanel(spanMetrics: SpanMetricsSeries): Panel {
  const by = spanMetrics.serviceLabel;
  return {
    title: 'Span latency p95 by service',
    unit: 's',
    exemplar: true,
    queries: [{ expr: `histogram_quantile(0.95, sum by (le, ${by}) (rate(${spanMetrics.latencyBucket}[$__rate_interval])))`, legend: `{{${by}}}` }],
  };
}

/**
 * A `datasource` template variable over the Prometheus datasources: with one Prometheus per cloud,
 * it is the dashboard's cloud selector.
 */
export function cloudVariable(defaultUid: string): object {
  return {
    name: 'datasource',
    label: 'Cloud',
    type: 'datasource',
    query: 'prometheus',
    current: { text: datasourceName(defaultUid), value: defaultUid },
    hide: 0,
    refresh: 1,
  };
}

/**
 * Log lines carrying a redaction marker (src/redaction/statements.ts), by rule: Loki's `regexp`
 * stage keeps the first marker of a line, so a line is counted once, for its first rule.
 */
export const REDACTED_LINES_QUERY =
  'sum by (rule) (count_over_time({service_name=~".+"} |~ "\\\\[(redacted|sha256|dropped):" | regexp "\\\\[(?:redacted|sha256|dropped):(?P<rule>[a-z0-9-]+)" [$__auto]))';

function redactionPanel(lokiUid: string, id: number, y: number): object {
  const ds = { type: 'loki', uid: lokiUid };
  return {
    id,
    type: 'timeseries',
    title: 'Redacted log lines by rule',
    description: 'Log lines the collectors redacted, by the rule that matched first (the marker names the rule, never the value).',
    datasource: ds,
    gridPos: { x: 0, y, w: 24, h: 8 },
    fieldConfig: { defaults: { unit: 'short' }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: [{ refId: 'A', datasource: ds, expr: REDACTED_LINES_QUERY, legendFormat: '{{rule}}', queryType: 'range' }],
  };
}

/**
 * The dashboard JSON; panels query the Prometheus picked in the cloud selector. With `redaction`
 * (some cluster redacts), a last panel counts redacted log lines in that Loki.
 */
export function stackHealthDashboard(defaultPrometheusUid: string, spanMetrics: SpanMetricsSeries, redaction?: { readonly lokiUid: string }): DashboardFile {
  const ds = { type: 'prometheus', uid: '${datasource}' };
  const panels = [...PANELS, latencyPanel(spanMetrics)].map((p, i) => ({
    id: i + 1,
    type: 'timeseries',
    title: p.title,
    datasource: ds,
    gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: p.queries.map((q, j) => ({
      refId: String.fromCharCode(65 + j),
      datasource: ds,
      expr: q.expr,
      legendFormat: q.legend,
      ...(p.exemplar ? { exemplar: true } : {}),
    })),
  }));
  return {
    fileName: 'stack-health.json',
    json: {
      uid: 'o11y-stack-health',
      title: 'o11y / Stack health',
      tags: ['o11y'],
      schemaVersion: SCHEMA_VERSION,
      editable: false,
      time: { from: 'now-6h', to: 'now' },
      refresh: '1m',
      templating: { list: [cloudVariable(defaultPrometheusUid)] },
      panels: redaction ? [...panels, redactionPanel(redaction.lokiUid, panels.length + 1, Math.ceil(panels.length / 2) * 8)] : panels,
    },
  };
}

/**
 * The global overview: one row per cloud, each panel on that cloud's Prometheus, so that one screen
 * shows whether every cloud's pipeline is up and taking data.
 */
export function globalOverviewDashboard(clouds: readonly { readonly cloud: string; readonly prometheusUid: string }[]): DashboardFile {
  const stats = [
    { title: 'Targets up', expr: 'sum(up) / count(up)', unit: 'percentunit' },
    { title: 'Spans accepted /s', expr: 'sum(rate(otelcol_receiver_accepted_spans_total[5m]))', unit: 'ops' },
    { title: 'Log records accepted /s', expr: 'sum(rate(otelcol_receiver_accepted_log_records_total[5m]))', unit: 'ops' },
    { title: 'Firing alerts', expr: 'count(ALERTS{alertstate="firing"}) or vector(0)', unit: 'none' },
  ];
  const panels = clouds.flatMap((c, row) =>
    stats.map((s, col) => ({
      id: row * stats.length + col + 1,
      type: 'stat',
      title: `${c.cloud}: ${s.title}`,
      datasource: { type: 'prometheus', uid: c.prometheusUid },
      gridPos: { x: col * 6, y: row * 4, w: 6, h: 4 },
      fieldConfig: { defaults: { unit: s.unit }, overrides: [] },
      targets: [{ refId: 'A', datasource: { type: 'prometheus', uid: c.prometheusUid }, expr: s.expr }],
    })),
  );
  return {
    fileName: 'global-overview.json',
    json: { uid: 'o11y-global-overview', title: 'o11y / Global overview', tags: ['o11y'], schemaVersion: SCHEMA_VERSION, editable: false, time: { from: 'now-1h', to: 'now' }, refresh: '1m', templating: { list: [] }, panels },
  };
}
