import type { StackContext } from '../constructs/common.ts';
import { PROMETHEUS_PORT } from '../constructs/prometheus.ts';
import { SELECT_PATH, VM_PORTS } from '../constructs/victoriametrics/common.ts';
import { metricsMode } from '../src/model/types.ts';

/** A Service of the stack namespace, its port and a URL path. */
export interface MetricsEndpoint {
  readonly service: string;
  readonly port: number;
  readonly path: string;
}

/** Where a backend cluster's metrics are queried, pushed and alerted from, in its metrics mode. */
export interface MetricsEndpoints {
  /** The Prometheus query API (append `/api/v1/query`): Grafana's datasource, `o11y check`. */
  readonly query: MetricsEndpoint;
  /** OTLP/HTTP metrics (append `/v1/metrics`): the gateway's exporter. */
  readonly otlp: MetricsEndpoint;
  /** Prometheus remote write: Tempo's span metrics and service graphs. */
  readonly remoteWrite: MetricsEndpoint;
  /** The app that evaluates rules and sends alerts to Alertmanager. */
  readonly alertSender: string;
}

/** The endpoints of the metrics mode of `ctx`'s cluster (a backend). */
export function metricsEndpoints(ctx: StackContext): MetricsEndpoints {
  if (metricsMode(ctx.cluster) === 'victoriametrics-cluster') {
    const insert = (path: string) => ({ service: 'vminsert', port: VM_PORTS.vminsert, path: `/insert/0/${path}` });
    return {
      query: { service: 'vmselect', port: VM_PORTS.vmselect, path: SELECT_PATH },
      otlp: insert('opentelemetry'),
      remoteWrite: insert('prometheus/api/v1/write'),
      alertSender: 'vmalert',
    };
  }
  const prometheus = (path: string) => ({ service: 'prometheus', port: PROMETHEUS_PORT, path });
  return { query: prometheus(''), otlp: prometheus('/api/v1/otlp'), remoteWrite: prometheus('/api/v1/write'), alertSender: 'prometheus' };
}
