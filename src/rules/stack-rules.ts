/**
 * The default alerting rules for the stack itself: is every target up, do rules evaluate, does
 * Prometheus accept its config, store its data and deliver its alerts, do the collectors, Loki and
 * Tempo accept and answer, and does the o11y controller find the stack healthy.
 *
 * Every alert names the cluster where the problem is: series pushed from another cluster carry its
 * `k8s.cluster.name` resource attribute (promoted to `k8s_cluster_name`), which becomes the alert's
 * `cluster` label; series of the evaluating cluster have none, and Prometheus' external `cluster`
 * label fills it in (external labels never replace a label an alert already has).
 */
import { alertAnchor, type RunbookAlert, type RunbookLink } from './runbook.ts';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** Absent: fires on the first evaluation that matches. */
  readonly for?: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly AlertRule[];
}

export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

type Severity = 'critical' | 'warning';

/** A stack alert and its runbook text: `summary` says what is wrong, `impact` what it breaks, `action` what to do. */
export interface StackAlert extends RunbookAlert {
  readonly expr: string;
}

type AlertText = Pick<RunbookAlert, 'summary' | 'description' | 'impact' | 'action' | 'silence'>;

export function alert(name: string, expr: string, forDuration: string, severity: Severity, text: AlertText): StackAlert {
  return { alert: name, expr, for: forDuration, severity, ...text };
}

/** `expr` with a `cluster` label taken from `k8s_cluster_name` where a series has one (pushed from another cluster). */
export function withCluster(expr: string): string {
  return `label_replace(${expr}, "cluster", "$1", "k8s_cluster_name", "(.+)")`;
}

/** The collector's per-signal counter names for an item: spans, metric points, log records. */
const SIGNALS = ['spans', 'metric_points', 'log_records'] as const;

/**
 * `sum by (cluster, <by>)` of `fn(counter[range])` over several counters, as one union: each is
 * tagged with its metric (`counter` label) before `or`, so series of different counters never
 * shadow each other, and a component that reports only one signal (a traces-only exporter, a
 * logs-only receiver) is still summed. `a + b` would be empty when either side has no series.
 */
export function sumOverCounters(counters: readonly string[], by: readonly string[], opts: { fn?: 'rate' | 'increase'; range?: string } = {}): string {
  const fn = opts.fn ?? 'rate';
  const range = opts.range ?? '5m';
  const union = counters.map((c) => `label_replace(${withCluster(`${fn}(${c}[${range}])`)}, "counter", "${c}", "", "")`).join(' or ');
  return `sum by (${['cluster', ...by].join(', ')}) (${union})`;
}

/** 100 × errors / all of a request-duration histogram's `_count`, per cluster, job and route. */
function errorPercent(metric: string, routes: string): string {
  const sum = (matchers: string) => `sum by (cluster, job, route) (${withCluster(`rate(${metric}{${matchers}}[5m])`)})`;
  return `100 * ${sum(`route=~"${routes}", status_code=~"5.."`)} / ${sum(`route=~"${routes}"`)}`;
}

/** Persistent volumes of the stack's StatefulSets (claim template `data`). */
const STACK_VOLUMES = 'persistentvolumeclaim=~"data-(prometheus|alertmanager|loki|tempo)-[0-9]+"';
/** Loki's query routes (HTTP API), as its request-duration histogram labels them. */
const LOKI_QUERY_ROUTES = 'loki_api_v1_query|loki_api_v1_query_range|loki_api_v1_series|loki_api_v1_labels|loki_api_v1_label_name_values|loki_api_v1_index_stats';
/** TSDB failure counters of Prometheus 3 (checked against the real binary's /metrics in the live test). */
const TSDB_FAILURES = [
  'prometheus_tsdb_compactions_failed_total',
  'prometheus_tsdb_head_truncations_failed_total',
  'prometheus_tsdb_reloads_failures_total',
  'prometheus_tsdb_wal_corruptions_total',
  'prometheus_tsdb_wal_truncations_failed_total',
  'prometheus_tsdb_wal_writes_failed_total',
  'prometheus_tsdb_checkpoint_creations_failed_total',
];

/** The stack's alerts by rule group, with their runbook text. */
function stackAlertGroups(): readonly { readonly name: string; readonly rules: readonly StackAlert[] }[] {
  return [
    {
      name: 'o11y-stack.watchdog',
      rules: [
        {
          alert: 'Watchdog',
          expr: 'vector(1)',
          severity: 'none',
          summary: 'Always firing: proves that alerts flow from Prometheus through Alertmanager',
          description: "This alert fires all the time. Route it to a dead-man's-switch service, which pages when it stops arriving.",
          impact: 'None while it fires. When it stops arriving, no other alert of this Prometheus reaches anyone either.',
          action: 'Nothing while it fires; if it stops arriving, Prometheus, Alertmanager or the route to the receiver is broken.',
          silence:
            "Never silence it: the dead-man's-switch would page for a silence as for an outage. To keep it out of a channel, route it " +
            '(`components.alertmanager.watchdogReceiver: true` gives it its own receiver) instead.',
        },
      ],
    },
    {
      name: 'o11y-stack.controller',
      rules: [
        alert('O11yStackUnhealthy', 'min by (cluster) (o11y_healthy) == 0', '15m', 'critical', {
          summary: 'The o11y controller finds the stack unhealthy',
          description: 'For 15 minutes the o11y controller has reported a workload that is not Current or rules that are not healthy.',
          impact: 'Some part of the stack does not run as declared: telemetry of some kind may be missing, or rules may not evaluate (so alerts may not fire).',
          action: 'Run `o11y check` (or read the o11y controller\'s log) to see which workload or rule group fails and why.',
        }),
        alert('O11yControllerAbsent', 'absent(o11y_healthy)', '15m', 'warning', {
          summary: 'No verdict from the o11y controller',
          description: 'Prometheus has had no o11y_healthy series for 15 minutes: the controller is down or not scraped.',
          impact: 'Nobody checks the stack\'s rollout and rule health: O11yStackUnhealthy cannot fire.',
          action: 'Check the o11y-controller Deployment and its NetworkPolicy; `kubectl -n <namespace> logs deploy/o11y-controller`.',
        }),
      ],
    },
    {
      name: 'o11y-stack.prometheus',
      rules: [
        alert(
          'O11yTargetDown',
          `100 * (count by (cluster, job, namespace) (${withCluster('up == 0')}) / count by (cluster, job, namespace) (${withCluster('up')})) > 10`,
          '10m',
          'warning',
          {
            summary: 'Scrape targets are down',
            description: '{{ printf "%.1f" $value }}% of the {{ $labels.job }} targets in {{ $labels.namespace }} (cluster {{ $labels.cluster }}) are down.',
            impact: 'The metrics of those targets are missing: their dashboards are empty and the alerts that read them cannot fire.',
            action: 'Open Prometheus\' Targets page for the scrape error; check the pods, their NetworkPolicy and the scraper\'s egress.',
          },
        ),
        alert('O11yPrometheusRuleEvaluationFailures', `sum by (cluster, instance, rule_group) (${withCluster('increase(prometheus_rule_evaluation_failures_total[5m])')}) > 0`, '5m', 'critical', {
          summary: 'Prometheus fails to evaluate rules',
          description: '{{ $labels.instance }} failed to evaluate {{ printf "%.0f" $value }} rules in rule group {{ $labels.rule_group }} in the last 5 minutes.',
          impact: 'The alerts and recorded series of that group are not computed: its alerts cannot fire, dashboards reading its series show gaps.',
          action: 'Read lastError of the group on Prometheus\' Rules page (or `o11y check`); alerts of that group may not fire.',
        }),
        alert('O11yPrometheusConfigReloadFailed', `max by (cluster, instance) (${withCluster('max_over_time(prometheus_config_last_reload_successful[5m])')}) == 0`, '10m', 'critical', {
          summary: 'Prometheus cannot load its configuration',
          description: 'The last configuration reload of {{ $labels.instance }} failed; it runs on its previous configuration.',
          impact: 'Prometheus keeps its previous configuration: changes to scrape jobs, rules or Alertmanagers do not take effect, and a restart would fail.',
          action: 'Read Prometheus\' log for the reload error; run `promtool check config` on the synthesized prometheus.yml.',
        }),
        // A dead Alertmanager of a static target list is still "discovered": alert on what Prometheus fails to deliver.
        alert(
          'O11yPrometheusErrorSendingAlerts',
          `100 * sum by (cluster, instance, alertmanager) (${withCluster('rate(prometheus_notifications_errors_total[5m])')}) / sum by (cluster, instance, alertmanager) (${withCluster('rate(prometheus_notifications_sent_total[5m])')}) > 1`,
          '15m',
          'critical',
          {
            summary: 'Prometheus fails to send alerts to an Alertmanager',
            description: '{{ printf "%.1f" $value }}% of the alerts {{ $labels.instance }} sent to {{ $labels.alertmanager }} failed.',
            impact: 'Alerts sent to that Alertmanager are lost; with one Alertmanager, nobody is notified of anything.',
            action: 'Check the Alertmanager pods and the NetworkPolicy between Prometheus and Alertmanager.',
          },
        ),
        alert('O11yPrometheusDroppingAlerts', `sum by (cluster, instance) (${withCluster('increase(prometheus_notifications_dropped_total[5m])')}) > 0`, '5m', 'critical', {
          summary: 'Prometheus drops alerts before they reach any Alertmanager',
          description: '{{ $labels.instance }} dropped {{ printf "%.0f" $value }} alerts in the last 5 minutes (no Alertmanager reachable, or a relabel error).',
          impact: 'Alerts are lost before any Alertmanager sees them: nobody is notified.',
          action: 'Check that an Alertmanager is up and reachable; alerts are being lost.',
        }),
        alert(
          'O11yPrometheusAlertQueueFull',
          `min by (cluster, instance) (${withCluster('min_over_time(prometheus_notifications_queue_length[5m])')}) > 0.9 * min by (cluster, instance) (${withCluster('min_over_time(prometheus_notifications_queue_capacity[5m])')})`,
          '15m',
          'warning',
          {
            summary: 'Prometheus cannot send alerts as fast as it raises them',
            description: 'The alert queue of {{ $labels.instance }} has been over 90% full for 15 minutes; alerts will be dropped.',
            impact: 'Once the queue is full, new alerts are dropped and nobody is notified of them.',
            action: 'Look for an alert storm (many firing series) or a slow Alertmanager.',
          },
        ),
        alert('O11yPrometheusTsdbFailures', `${sumOverCounters(TSDB_FAILURES, ['instance', 'counter'], { fn: 'increase', range: '3h' })} > 0`, '5m', 'critical', {
          summary: 'Prometheus fails to compact, truncate, reload or write its TSDB',
          description: '{{ $labels.instance }}: {{ $labels.counter }} rose by {{ printf "%.0f" $value }} in 3 hours.',
          impact: 'Samples may be lost or queries may return gaps; failed compactions let the data volume grow until it is full.',
          action: 'Read Prometheus\' log; check the data volume (space, I/O errors). A corrupt WAL segment loses its samples.',
        }),
        alert(
          'O11yRemoteWriteFailing',
          `sum by (cluster, instance, remote_name) (${withCluster('rate(prometheus_remote_storage_samples_failed_total[5m])')}) > 0`,
          '15m',
          'warning',
          {
            summary: 'Prometheus fails to remote-write samples',
            description: '{{ $labels.instance }} fails to send {{ printf "%.0f" $value }} samples/s to {{ $labels.remote_name }}; they are lost.',
            impact: 'Samples that fail are lost for the long-term store: its dashboards and the other clusters\' views show gaps.',
            action: 'Check the long-term store\'s health, the credentials Secret and the egress to its URL.',
          },
        ),
        alert(
          'O11yRemoteWriteBehind',
          `max by (cluster, instance, remote_name) (${withCluster('max_over_time(prometheus_remote_storage_highest_timestamp_in_seconds[5m])')} - ignoring(remote_name, url) group_right ${withCluster('max_over_time(prometheus_remote_storage_queue_highest_sent_timestamp_seconds[5m])')}) > 120`,
          '15m',
          'warning',
          {
            summary: 'Remote write falls behind',
            description: '{{ $labels.instance }} is {{ printf "%.0f" $value }} s behind in sending to {{ $labels.remote_name }}.',
            impact: 'The long-term store\'s data is late; once the delay exceeds the WAL\'s two hours, samples are lost.',
            action: 'The long-term store is slow or throttling; if it does not catch up, samples older than the WAL are lost.',
          },
        ),
        alert(
          'O11yVolumeFillingUp',
          `${withCluster(`kubelet_volume_stats_available_bytes{${STACK_VOLUMES}}`)} / ${withCluster(`kubelet_volume_stats_capacity_bytes{${STACK_VOLUMES}}`)} < 0.15 and ${withCluster(`predict_linear(kubelet_volume_stats_available_bytes{${STACK_VOLUMES}}[6h], 4 * 24 * 3600)`)} < 0`,
          '1h',
          'warning',
          {
            summary: 'A volume of the stack fills up',
            description: 'Volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} has {{ $value | humanizePercentage }} left and fills within 4 days at the current rate.',
            impact: 'When the volume is full the component stops writing: Prometheus, Loki or Tempo lose new data, Alertmanager its silences.',
            action: 'Grow the PVC (or lower retention) before it is full; a full volume stops writes.',
          },
        ),
        alert('O11yAlertmanagerFailedToSendAlerts', `sum by (cluster, instance, integration) (${withCluster('rate(alertmanager_notifications_failed_total[5m])')}) > 0`, '10m', 'warning', {
          summary: 'Alertmanager fails to deliver notifications',
          description: 'Alertmanager {{ $labels.instance }} fails to send notifications to {{ $labels.integration }}.',
          impact: 'Notifications to that integration are lost: the people it reaches are not told about firing alerts.',
          action: 'Check the receiver\'s URL in the user-owned Secret and Alertmanager\'s egress; read its log.',
        }),
      ],
    },
    {
      name: 'o11y-stack.pipeline',
      rules: [
        alert('O11yCollectorRefusingData', `${sumOverCounters(SIGNALS.map((s) => `otelcol_receiver_refused_${s}_total`), ['job', 'receiver'])} > 0`, '5m', 'warning', {
          summary: 'The OpenTelemetry Collector refuses incoming data',
          description: '{{ $labels.job }} receiver {{ $labels.receiver }} refuses data (memory limit or back-pressure).',
          impact: 'Senders retry and may drop telemetry; spans, metrics or logs go missing.',
          action: 'The collector is at its memory limit or its exporters are blocked: scale the gateway or find the slow backend.',
        }),
        alert(
          'O11yCollectorDroppingData',
          `${sumOverCounters(['send', 'enqueue'].flatMap((step) => SIGNALS.map((s) => `otelcol_exporter_${step}_failed_${s}_total`)), ['job', 'exporter'])} > 0`,
          '5m',
          'critical',
          {
            summary: 'The OpenTelemetry Collector drops data',
            description: '{{ $labels.job }} exporter {{ $labels.exporter }} fails to send or enqueue data; it is lost.',
            impact: 'Spans, metrics or logs are lost for good.',
            action: 'Check the exporter\'s backend (Tempo, Loki, Prometheus or another cluster\'s gateway) and the flow to it.',
          },
        ),
        alert(
          'O11yLokiIngestionErrors',
          `sum by (cluster, job, reason) (${withCluster('rate(loki_discarded_samples_total[5m])')}) > 0 or sum by (cluster, job, route) (${withCluster('rate(loki_request_duration_seconds_count{route=~"otlp_v1_logs|loki_api_v1_push", status_code=~"5.."}[5m])')}) > 0`,
          '10m',
          'warning',
          {
            summary: 'Loki rejects or fails to ingest logs',
            description: 'Loki ({{ $labels.job }}) discards log lines or fails pushes ({{ $labels.reason }}{{ $labels.route }}).',
            impact: 'The refused log lines are lost.',
            action: 'The reason label says which limit (rate, line size, too old) was hit; raise it or fix the sender.',
          },
        ),
        alert('O11yLokiQueryErrors', `${errorPercent('loki_request_duration_seconds_count', LOKI_QUERY_ROUTES)} > 5`, '15m', 'warning', {
          summary: 'Loki fails queries',
          description: '{{ printf "%.1f" $value }}% of Loki\'s {{ $labels.route }} requests fail.',
          impact: 'Log queries in Grafana, and the rules reading logs, fail or return partial results.',
          action: 'Read Loki\'s log; check its volume and object storage.',
        }),
        // Tempo 3 counts refused spans in tempo_discarded_spans_total (reason label); older releases also had the receiver's own counter.
        alert(
          'O11yTempoIngestionErrors',
          `sum by (cluster, job, reason) (${withCluster('rate(tempo_discarded_spans_total[5m])')}) > 0 or sum by (cluster, job, receiver) (${withCluster('rate({__name__=~"tempo_receiver_refused_spans(_total)?"}[5m])')}) > 0`,
          '10m',
          'warning',
          {
            summary: 'Tempo rejects or fails to ingest spans',
            description: 'Tempo ({{ $labels.job }}) discards or refuses spans ({{ $labels.reason }}{{ $labels.receiver }}).',
            impact: 'The refused spans are lost: traces are missing or incomplete.',
            action: 'The reason label says which limit (rate, trace size, live traces) was hit; raise it in Tempo\'s overrides.',
          },
        ),
        alert('O11yTempoQueryErrors', `${errorPercent('tempo_request_duration_seconds_count', 'api_.*')} > 5`, '15m', 'warning', {
          summary: 'Tempo fails queries',
          description: '{{ printf "%.1f" $value }}% of Tempo\'s {{ $labels.route }} requests fail.',
          impact: 'Trace searches and trace links from logs and exemplars fail.',
          action: 'Read Tempo\'s log; check its volume and object storage.',
        }),
      ],
    },
  ];
}

/** Every stack alert, in file order (README catalogue, runbook). */
export function allStackAlerts(): readonly StackAlert[] {
  return stackAlertGroups().flatMap((g) => g.rules);
}

/** Rule file for the stack's own health, shipped with every Prometheus of the stack; each alert links to its runbook section. */
export function stackRules(runbook: RunbookLink): RuleFile {
  return alertRuleFile(stackAlertGroups(), runbook);
}

/** A rule file of alert groups, each alert linking to its runbook section. */
export function alertRuleFile(groups: readonly { name: string; rules: readonly StackAlert[] }[], runbook: RunbookLink): RuleFile {
  return {
    groups: groups.map((g) => ({
      name: g.name,
      rules: g.rules.map((a) => ({
        alert: a.alert,
        expr: a.expr,
        ...(a.for ? { for: a.for } : {}),
        labels: { severity: a.severity },
        annotations: { summary: a.summary, description: a.description, action: a.action, runbook_url: runbook(alertAnchor(a.alert)) },
      })),
    })),
  };
}
