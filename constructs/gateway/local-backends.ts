import type { LocalBackends } from '../../src/routing/gateway.ts';
import { serviceHost } from '../common.ts';
import type { GatewayFragment } from './fragment.ts';

/** A backend the gateway exports to: a Service in the stack namespace. */
export interface GatewayBackend {
  readonly service: string;
  readonly port: number;
  /** URL path of its OTLP/HTTP endpoint, before `/v1/<signal>`. @default the backend's usual one */
  readonly path?: string;
}

/** Exporter ids of the in-cluster backends, per signal. */
export const LOCAL_EXPORTERS: LocalBackends = { traces: 'otlp_grpc/tempo', metrics: 'otlp_http/prometheus', logs: 'otlp_http/loki' };

export interface LocalBackendsInputs {
  readonly namespace: string;
  /** Tempo's OTLP gRPC endpoint. */
  readonly tempo: GatewayBackend;
  /** Loki's HTTP endpoint (native OTLP at `/otlp`). */
  readonly loki: GatewayBackend;
  /** Prometheus' HTTP endpoint (native OTLP at `/api/v1/otlp`). */
  readonly prometheus: GatewayBackend;
}

/** Export to this cluster's Tempo, Loki and Prometheus over OTLP (a backend cluster). */
export function localBackendsFragment({ namespace, tempo, loki, prometheus }: LocalBackendsInputs): GatewayFragment {
  const host = (b: GatewayBackend) => `${serviceHost(b.service, namespace)}:${b.port}`;
  return {
    name: 'local backends',
    exporters: {
      [LOCAL_EXPORTERS.traces]: { endpoint: host(tempo), tls: { insecure: true } },
      [LOCAL_EXPORTERS.logs]: { endpoint: `http://${host(loki)}/otlp` },
      [LOCAL_EXPORTERS.metrics]: { endpoint: `http://${host(prometheus)}${prometheus.path ?? '/api/v1/otlp'}` },
    },
    egress: [tempo, loki, prometheus].map((b) => ({ to: { app: b.service, namespace }, ports: [b.port], why: `the gateway exports to ${b.service}` })),
  };
}
