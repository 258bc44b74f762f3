/**
 * The default alerting rules for the stack itself: is every target up, do rules evaluate, does
 * Prometheus accept its config, do the collectors, Loki and Tempo accept the data sent to them.
 */

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

function alert(name: string, expr: string, forDuration: string, severity: 'critical' | 'warning', summary: string, description: string): AlertRule {
  return { alert: name, expr, for: forDuration, labels: { severity }, annotations: { summary, description } };
}

/** The collector's per-signal counter names for an item: spans, metric points, log records. */
const SIGNALS = ['spans', 'metric_points', 'log_records'] as const;

/**
 * `sum by (<by>)` of the per-second rate of several counters, as one union: each rate is tagged
 * with its metric (`counter` label) before `or`, so that series of different counters never
 * shadow each other, and a component that reports only one signal (a traces-only exporter, a
 * logs-only receiver) is still summed. `a + b` would be empty when either side has no series.
 */
export function sumOfRates(counters: readonly string[], by: readonly string[], range = '5m'): string {
  const union = counters.map((c) => `label_replace(rate(${c}[${range}]), "counter", "${c}", "", "")`).join(' or ');
  return `sum by (${by.join(', ')}) (${union})`;
}

/** Rule file for the stack's own health, shipped with every Prometheus of the stack. */
export function stackRules(): RuleFile {
  return {
    groups: [
      {
        name: 'o11y-stack.watchdog',
        rules: [
          {
            alert: 'Watchdog',
            expr: 'vector(1)',
            labels: { severity: 'none' },
            annotations: {
              summary: 'Always firing: proves that alerts flow from Prometheus through Alertmanager',
              description: 'This alert fires all the time. Route it to a dead-man\'s-switch service, which pages when it stops arriving.',
            },
          },
        ],
      },
      {
        name: 'o11y-stack.prometheus',
        rules: [
          alert(
            'O11yTargetDown',
            '100 * (count by (job, namespace) (up == 0) / count by (job, namespace) (up)) > 10',
            '10m',
            'warning',
            'Scrape targets are down',
            '{{ printf "%.1f" $value }}% of the {{ $labels.job }} targets in {{ $labels.namespace }} are down.',
          ),
          alert(
            'O11yPrometheusRuleEvaluationFailures',
            'increase(prometheus_rule_evaluation_failures_total[5m]) > 0',
            '5m',
            'critical',
            'Prometheus fails to evaluate rules',
            '{{ $labels.instance }} failed to evaluate {{ printf "%.0f" $value }} rules in rule group {{ $labels.rule_group }} in the last 5 minutes.',
          ),
          alert(
            'O11yPrometheusConfigReloadFailed',
            'max_over_time(prometheus_config_last_reload_successful[5m]) == 0',
            '10m',
            'critical',
            'Prometheus cannot load its configuration',
            'The last configuration reload of {{ $labels.instance }} failed; it runs on its previous configuration.',
          ),
          // A dead Alertmanager of a static target list is still "discovered": alert on what Prometheus fails to deliver.
          alert(
            'O11yPrometheusErrorSendingAlerts',
            '100 * sum by (instance, alertmanager) (rate(prometheus_notifications_errors_total[5m])) / sum by (instance, alertmanager) (rate(prometheus_notifications_sent_total[5m])) > 1',
            '15m',
            'critical',
            'Prometheus fails to send alerts to an Alertmanager',
            '{{ printf "%.1f" $value }}% of the alerts {{ $labels.instance }} sent to {{ $labels.alertmanager }} failed.',
          ),
          alert(
            'O11yPrometheusDroppingAlerts',
            'increase(prometheus_notifications_dropped_total[5m]) > 0',
            '5m',
            'critical',
            'Prometheus drops alerts before they reach any Alertmanager',
            '{{ $labels.instance }} dropped {{ printf "%.0f" $value }} alerts in the last 5 minutes (no Alertmanager reachable, or a relabel error).',
          ),
          alert(
            'O11yPrometheusAlertQueueFull',
            'min_over_time(prometheus_notifications_queue_length[5m]) > 0.9 * min_over_time(prometheus_notifications_queue_capacity[5m])',
            '15m',
            'warning',
            'Prometheus cannot send alerts as fast as it raises them',
            'The alert queue of {{ $labels.instance }} has been over 90% full for 15 minutes; alerts will be dropped.',
          ),
          alert(
            'O11yAlertmanagerFailedToSendAlerts',
            'sum by (instance, integration) (rate(alertmanager_notifications_failed_total[5m])) > 0',
            '10m',
            'warning',
            'Alertmanager fails to deliver notifications',
            'Alertmanager {{ $labels.instance }} fails to send notifications to {{ $labels.integration }}.',
          ),
        ],
      },
      {
        name: 'o11y-stack.pipeline',
        rules: [
          alert(
            'O11yCollectorRefusingData',
            `${sumOfRates(SIGNALS.map((s) => `otelcol_receiver_refused_${s}_total`), ['job', 'receiver'])} > 0`,
            '5m',
            'warning',
            'The OpenTelemetry Collector refuses incoming data',
            '{{ $labels.job }} receiver {{ $labels.receiver }} refuses data (memory limit or back-pressure).',
          ),
          alert(
            'O11yCollectorDroppingData',
            `${sumOfRates(['send', 'enqueue'].flatMap((step) => SIGNALS.map((s) => `otelcol_exporter_${step}_failed_${s}_total`)), ['job', 'exporter'])} > 0`,
            '5m',
            'critical',
            'The OpenTelemetry Collector drops data',
            '{{ $labels.job }} exporter {{ $labels.exporter }} fails to send or enqueue data; it is lost.',
          ),
          alert(
            'O11yLokiIngestionErrors',
            'sum by (job, reason) (rate(loki_discarded_samples_total[5m])) > 0 or sum by (job, route) (rate(loki_request_duration_seconds_count{route=~"otlp_v1_logs|loki_api_v1_push", status_code=~"5.."}[5m])) > 0',
            '10m',
            'warning',
            'Loki rejects or fails to ingest logs',
            'Loki ({{ $labels.job }}) discards log lines or fails pushes ({{ $labels.reason }}{{ $labels.route }}).',
          ),
          alert(
            'O11yTempoIngestionErrors',
            'sum by (job, reason) (rate(tempo_discarded_spans_total[5m])) > 0 or sum by (job, receiver) (rate(tempo_receiver_refused_spans[5m])) > 0',
            '10m',
            'warning',
            'Tempo rejects or fails to ingest spans',
            'Tempo ({{ $labels.job }}) discards or refuses spans ({{ $labels.reason }}{{ $labels.receiver }}).',
          ),
        ],
      },
    ],
  };
}
