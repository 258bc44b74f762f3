import { platformProfile } from '../model/platforms/index.ts';
import type { Topology } from '../model/topology.ts';
import type { Cloud, ClusterConfig, RouteConfig, StackConfig } from '../model/types.ts';

/** What routing is a function of: the model of the stack and of this cluster (the constructs' context is one). */
export interface RoutingScope {
  readonly config: Pick<StackConfig, 'crossCluster' | 'routing'>;
  readonly cluster: Pick<ClusterConfig, 'name'>;
  readonly topology: Topology;
}

/**
 * How a gateway's telemetry reaches each cloud's backends: the routing connector table, the
 * per-cloud pipelines and their exporters. Pure functions of the model, so the wiring can
 * be tested without synthesizing (see test/routing.test.ts).
 */

export const SIGNALS = ['traces', 'metrics', 'logs'] as const;
export type Signal = (typeof SIGNALS)[number];

/** Where the in-cluster backends live, for the cloud whose backend is this cluster. */
export interface LocalBackends {
  readonly traces: string;
  readonly metrics: string;
  readonly logs: string;
}

/** Files mounted in the gateway for cross-cluster OTLP. */
export const CROSS_CLUSTER_TLS_DIR = '/etc/otel/tls';
export const CROSS_CLUSTER_TOKEN_FILE = '/etc/otel/auth/token';
/** The authenticator used on both ends (the extension is a server and a client authenticator). */
export const BEARER_AUTH = 'bearertokenauth';

/** Exporter id per signal for a destination cloud. */
export function exportersFor(ctx: RoutingScope, cloud: Cloud, local: LocalBackends): Record<Signal, string> {
  const backend = ctx.topology.backendOf(cloud);
  if (backend?.kind === 'cluster' && backend.cluster.name === ctx.cluster.name) return local;
  // One OTLP exporter per remote cloud carries all three signals to that cloud's gateway.
  const id = `otlp_grpc/${cloud}`;
  return { traces: id, metrics: id, logs: id };
}

/** `host:port` of a remote cloud's OTLP endpoint; undefined when the cloud's backend is this cluster. */
export function remoteEndpoint(ctx: RoutingScope, cloud: Cloud): string | undefined {
  const backend = ctx.topology.backendOf(cloud);
  if (!backend) return undefined;
  if (backend.kind === 'remote') return backend.otlpEndpoint;
  return backend.cluster.name === ctx.cluster.name ? undefined : backend.cluster.otlpEndpoint;
}

/** An OTLP exporter to another cloud's gateway. */
export interface CrossClusterExporter {
  readonly endpoint: string;
  readonly tls: object;
  readonly auth?: object;
}

/** The cross-cluster exporters this gateway needs, by id. TLS always; bearer token or client certificate. The gateway adds their queues. */
export function crossClusterExporters(ctx: RoutingScope): Record<string, CrossClusterExporter> {
  const mtls = ctx.config.crossCluster.auth === 'mtls';
  const exporters: Record<string, CrossClusterExporter> = {};
  for (const cloud of ctx.topology.backendClouds) {
    const endpoint = remoteEndpoint(ctx, cloud);
    if (!endpoint) continue;
    exporters[`otlp_grpc/${cloud}`] = {
      endpoint,
      tls: {
        ca_file: `${CROSS_CLUSTER_TLS_DIR}/ca.crt`,
        ...(mtls ? { cert_file: `${CROSS_CLUSTER_TLS_DIR}/tls.crt`, key_file: `${CROSS_CLUSTER_TLS_DIR}/tls.key` } : {}),
      },
      ...(mtls ? {} : { auth: { authenticator: BEARER_AUTH } }),
    };
  }
  return exporters;
}

/** OTTL condition matching an extra route. */
function routeCondition(route: RouteConfig): string {
  const parts = [
    ...(route.tenant !== undefined ? [`attributes["tenant"] == ${JSON.stringify(route.tenant)}`] : []),
    ...(route.namespace !== undefined ? [`attributes["k8s.namespace.name"] == ${JSON.stringify(route.namespace)}`] : []),
  ];
  return parts.join(' and ');
}

/** OTTL condition matching a cloud's own telemetry. On-prem telemetry has no `cloud.provider`. */
function cloudCondition(cloud: Cloud): string {
  const provider = platformProfile(cloud).cloudProvider;
  return provider ? `attributes["cloud.provider"] == ${JSON.stringify(provider)}` : 'attributes["cloud.provider"] == nil';
}

export interface RoutingTable {
  readonly default_pipelines: string[];
  readonly error_mode: 'ignore';
  readonly table: { condition: string; pipelines: string[] }[];
}

/**
 * The routing connector for one signal. The routing connector sends data to *every* matching route
 * (`match_once` is gone since v0.120), so the conditions are made mutually exclusive: extra routes
 * first, in config order (a route applies only if no earlier one matched), then each cloud's own
 * telemetry unless an extra route took it.
 */
export function routingTable(ctx: RoutingScope, signal: Signal): RoutingTable {
  const { routes } = ctx.config.routing;
  const pipeline = (cloud: Cloud) => `${signal}/${cloud}`;
  const extra = routes.map(routeCondition);
  const unless = (taken: string[]) => (taken.length ? ` and not (${taken.map((c) => `(${c})`).join(' or ')})` : '');
  return {
    default_pipelines: [pipeline(ctx.topology.defaultCloud)],
    error_mode: 'ignore',
    table: [
      ...routes.map((route, i) => ({ condition: `${extra[i]!}${unless(extra.slice(0, i))}`, pipelines: [pipeline(route.cloud)] })),
      ...ctx.topology.backendClouds.map((cloud) => ({ condition: `${cloudCondition(cloud)}${unless(extra)}`, pipelines: [pipeline(cloud)] })),
    ],
  };
}

/** Routing is needed as soon as telemetry can go to more than one place. */
export function needsRouting(ctx: RoutingScope): boolean {
  return ctx.topology.backendClouds.length > 1 || ctx.config.routing.routes.length > 0;
}
