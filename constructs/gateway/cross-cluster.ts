import { dirname } from 'node:path';
import type { CrossClusterConfig } from '../../src/model/types.ts';
import { BEARER_AUTH, CROSS_CLUSTER_TLS_DIR, CROSS_CLUSTER_TOKEN_FILE, SIGNALS, type LocalBackends } from '../../src/routing/gateway.ts';
import { OTLP_GRPC_PORT } from '../otel-collector.ts';
import type { GatewayFragment } from './fragment.ts';

/** LoadBalancer Service where other clusters send their telemetry (backend clusters only). */
export const EXTERNAL_SERVICE = 'otel-gateway-external';
/** Port of the cross-cluster OTLP receiver (TLS + auth), behind the `otel-gateway-external` Service. */
export const EXTERNAL_OTLP_PORT = 4319;

/**
 * The cross-cluster credentials, on both ends: TLS files always, the bearer token file unless
 * mTLS, and the bearer authenticator (a server and a client authenticator) with it.
 */
function credentials({ auth, tokenSecret, tlsSecret }: CrossClusterConfig): Pick<GatewayFragment, 'extensions' | 'secretMounts' | 'externalSecrets'> {
  const tls = { volume: 'cross-cluster-tls', secretName: tlsSecret, mountPath: CROSS_CLUSTER_TLS_DIR };
  if (auth === 'mtls') return { secretMounts: [tls], externalSecrets: [tlsSecret] };
  return {
    extensions: { [BEARER_AUTH]: { filename: CROSS_CLUSTER_TOKEN_FILE } },
    secretMounts: [tls, { volume: 'cross-cluster-token', secretName: tokenSecret, mountPath: dirname(CROSS_CLUSTER_TOKEN_FILE) }],
    externalSecrets: [tokenSecret, tlsSecret],
  };
}

export interface CrossClusterReceiveInputs {
  readonly crossCluster: CrossClusterConfig;
  /** Exporters of this cluster's backends, per signal (another fragment defines them). */
  readonly local: LocalBackends;
  /** The platform's annotations for the LoadBalancer Service. */
  readonly serviceAnnotations: Readonly<Record<string, string>>;
  /** Processors for what other clusters send (redaction), defined by another fragment. @default none */
  readonly redaction?: readonly string[];
}

/**
 * Receiving other clusters' telemetry (a backend cluster): an OTLP receiver with TLS and bearer or
 * client-certificate auth behind a LoadBalancer, straight to the local backends: the sender
 * already routed it, so it is not routed again.
 */
export function crossClusterReceiveFragment({ crossCluster, local, serviceAnnotations, redaction = [] }: CrossClusterReceiveInputs): GatewayFragment {
  const mtls = crossCluster.auth === 'mtls';
  return {
    name: 'cross-cluster receive',
    ...credentials(crossCluster),
    receivers: {
      'otlp/external': {
        protocols: {
          grpc: {
            endpoint: `\${env:MY_POD_IP}:${EXTERNAL_OTLP_PORT}`,
            tls: {
              cert_file: `${CROSS_CLUSTER_TLS_DIR}/tls.crt`,
              key_file: `${CROSS_CLUSTER_TLS_DIR}/tls.key`,
              ...(mtls ? { client_ca_file: `${CROSS_CLUSTER_TLS_DIR}/ca.crt` } : {}),
            },
            ...(mtls ? {} : { auth: { authenticator: BEARER_AUTH } }),
          },
        },
      },
    },
    pipelines: Object.fromEntries(SIGNALS.map((signal) => [`${signal}/external`, { receivers: ['otlp/external'], ...(redaction.length ? { processors: [...redaction] } : {}), exporters: [local[signal]] }])),
    ports: [{ name: 'otlp-external', port: EXTERNAL_OTLP_PORT }],
    services: [{ name: EXTERNAL_SERVICE, annotations: serviceAnnotations, ports: [{ name: 'otlp-grpc', port: OTLP_GRPC_PORT, targetPort: 'otlp-external' }] }],
    // Other clusters come through a load balancer, from addresses outside the pod network.
    ingress: [{ from: { internet: true }, ports: [EXTERNAL_OTLP_PORT], why: "other clusters' gateways send telemetry through the load balancer" }],
  };
}

export interface CrossClusterSendInputs {
  readonly crossCluster: CrossClusterConfig;
  /** The exporters to other clouds' endpoints, by id (src/routing/gateway.ts crossClusterExporters). */
  readonly exporters: Readonly<Record<string, { readonly endpoint: string }>>;
}

/** Sending to other clouds' backends: their OTLP exporters, the credentials they use, the egress to their ports. */
export function crossClusterSendFragment({ crossCluster, exporters }: CrossClusterSendInputs): GatewayFragment {
  const ports = [...new Set(Object.values(exporters).map((e) => Number(e.endpoint.split(':')[1])))];
  return {
    name: 'cross-cluster send',
    ...credentials(crossCluster),
    exporters,
    egress: ports.map((port) => ({ to: { internet: true }, ports: [port], why: 'the gateway exports to the backends of other clouds' })),
  };
}
