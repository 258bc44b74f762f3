/**
 * Span metrics as Prometheus stores them. Tempo's metrics-generator and the gateways' `span_metrics`
 * connector name them differently, so Grafana's trace → metrics queries and the latency panel take
 * their names from here, for the producer the config picks (`scale.spanMetricsInGateway`).
 */
export interface SpanMetricsSeries {
  /** Counter of spans, per service, span name, kind and status code. */
  readonly calls: string;
  /** Buckets of the span duration histogram, in seconds. */
  readonly latencyBucket: string;
  /** Label holding the span's `service.name`. */
  readonly serviceLabel: string;
}

/** The connector settings that its metric names follow. */
export const SPAN_METRICS_CONNECTOR = { namespace: 'traces.span.metrics', unit: 's' } as const;

/** Where the span metrics of a stack come from, and so what they are called. */
export function spanMetricsSeries(inGateway: boolean): SpanMetricsSeries {
  if (!inGateway) {
    // Tempo's span-metrics processor, remote-written as it names them (docs: metrics-generator/span_metrics).
    return { calls: 'traces_spanmetrics_calls_total', latencyBucket: 'traces_spanmetrics_latency_bucket', serviceLabel: 'service' };
  }
  // `<namespace>.calls` and `<namespace>.duration` through Prometheus' OTLP translation
  // (UnderscoreEscapingWithSuffixes): dots to underscores, `_total` on counters, the unit as a suffix.
  const prefix = SPAN_METRICS_CONNECTOR.namespace.replaceAll('.', '_');
  return { calls: `${prefix}_calls_total`, latencyBucket: `${prefix}_duration_seconds_bucket`, serviceLabel: 'service_name' };
}

/**
 * Exemplar labels that carry the trace id: `traceID` from Tempo's remote write, `trace_id` from
 * Prometheus' OTLP translation (the connector's exemplars, and applications' own).
 */
export const EXEMPLAR_TRACE_ID_LABELS = ['traceID', 'trace_id'] as const;
