/**
 * The default alerting rules for the stack itself: is every target up, do rules evaluate, does
 * Prometheus accept its config, do the collectors, Loki and Tempo accept the data sent to them.
 */

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
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

/** Rule file for the stack's own health, shipped with every Prometheus of the stack. */
export function stackRules(): RuleFile {
  return {
    groups: [
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
          alert(
            'O11yPrometheusNotConnectedToAlertmanagers',
            'max_over_time(prometheus_notifications_alertmanagers_discovered[5m]) < 1',
            '10m',
            'critical',
            'Prometheus reaches no Alertmanager',
            '{{ $labels.instance }} has discovered no Alertmanager, so alerts are not delivered.',
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
            'sum by (job, receiver) (rate(otelcol_receiver_refused_spans_total[5m]) + rate(otelcol_receiver_refused_metric_points_total[5m]) + rate(otelcol_receiver_refused_log_records_total[5m])) > 0',
            '5m',
            'warning',
            'The OpenTelemetry Collector refuses incoming data',
            '{{ $labels.job }} receiver {{ $labels.receiver }} refuses data (memory limit or back-pressure).',
          ),
          alert(
            'O11yCollectorDroppingData',
            'sum by (job, exporter) (rate(otelcol_exporter_send_failed_spans_total[5m]) + rate(otelcol_exporter_send_failed_metric_points_total[5m]) + rate(otelcol_exporter_send_failed_log_records_total[5m]) + rate(otelcol_exporter_enqueue_failed_spans_total[5m]) + rate(otelcol_exporter_enqueue_failed_metric_points_total[5m]) + rate(otelcol_exporter_enqueue_failed_log_records_total[5m])) > 0',
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
