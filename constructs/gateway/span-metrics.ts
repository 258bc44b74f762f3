import { SPAN_METRICS_CONNECTOR } from '../../src/model/span-metrics.ts';
import type { GatewayFragment } from './fragment.ts';
import { K8S_RESOLVER_RULES, shardExporter, shardReceiver } from './shards.ts';

/** Port of the gateway's service-sharded receiver, where the span_metrics connector gets its spans. */
export const SPAN_METRICS_PORT = 4321;
/** Where spans enter the span-metrics tier (a tap beside the traces' own destination). */
export const SPAN_METRICS_ENTRY = 'load_balancing/span_metrics';

export interface SpanMetricsInputs {
  /** Namespace of the gateway (and of its headless Service). */
  readonly namespace: string;
  /** Where span metrics go: an exporter or connector another fragment defines. */
  readonly deliver: string;
}

/**
 * Span metrics in the gateway: spans sharded by service, so that each service's series come from
 * one replica, into the span_metrics connector; its metrics leave like every other metric.
 */
export function spanMetricsFragment({ namespace, deliver }: SpanMetricsInputs): GatewayFragment {
  return {
    name: 'span metrics',
    receivers: { 'otlp/span_metrics': shardReceiver(SPAN_METRICS_PORT) },
    connectors: {
      // Request rate, errors and latency per service, span name and kind, as Tempo's span-metrics processor
      // would; the names Grafana queries follow from the namespace and unit (span-metrics.ts).
      span_metrics: {
        namespace: SPAN_METRICS_CONNECTOR.namespace,
        histogram: { unit: SPAN_METRICS_CONNECTOR.unit, explicit: { buckets: ['5ms', '25ms', '100ms', '250ms', '1s', '2.5s', '10s'] } },
        dimensions: [{ name: 'http.response.status_code' }],
        // Trace ids on the histogram: the latency panel's exemplars link to the traces.
        exemplars: { enabled: true },
      },
    },
    // All spans of a service reach one replica, so that its span metrics are one series, not one per replica.
    exporters: { [SPAN_METRICS_ENTRY]: shardExporter('service', namespace, SPAN_METRICS_PORT) },
    pipelines: {
      'traces/span_metrics': { receivers: ['otlp/span_metrics'], exporters: ['span_metrics'] },
      'metrics/span_metrics': { receivers: ['span_metrics'], exporters: [deliver] },
    },
    leadingPipelines: true,
    shardPorts: [{ name: 'otlp-spans', port: SPAN_METRICS_PORT }],
    rbac: K8S_RESOLVER_RULES,
  };
}
