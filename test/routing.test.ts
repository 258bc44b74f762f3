import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stackContext, type ChartContext } from '../constructs/common.ts';
import { LOKI_HTTP_PORT } from '../constructs/loki.ts';
import { gatewayConfig, gatewaySettings, type OtelGatewayProps } from '../constructs/otel-gateway.ts';
import { PROMETHEUS_PORT } from '../constructs/prometheus.ts';
import { TEMPO_OTLP_GRPC_PORT } from '../constructs/tempo.ts';
import { parseConfig } from '../src/config/load.ts';
import type { StackConfig } from '../src/model/types.ts';
import { SIGNALS } from '../src/routing/gateway.ts';
import { collectorConfigViolations } from './support/manifest-checks.ts';
import { OVERLAPPING_ROUTES } from './fixtures/routing.ts';

// The gateway's routing, as pure config: every cloud reachable, every route ending at its cloud's
// backends, nothing orphaned. Where each combination of resource attributes goes (exactly one
// destination: the routing connector sends data to *every* matching route) is answered by the
// collector's own OTTL in test/ottl-real.test.ts.

const EXAMPLE = fileURLToPath(new URL('../examples/multi-cloud.yaml', import.meta.url));
const example = parseConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);

/** The props the collectors chart gives the gateway. */
const PROPS: Omit<OtelGatewayProps, keyof ReturnType<typeof gatewaySettings>> = {
  namespace: 'observability',
  agentNamespace: 'observability-agent',
  tempo: { service: 'tempo', port: TEMPO_OTLP_GRPC_PORT },
  loki: { service: 'loki', port: LOKI_HTTP_PORT },
  prometheus: { service: 'prometheus', port: PROMETHEUS_PORT },
};
const LOCAL_EXPORTERS = { traces: 'otlp_grpc/tempo', metrics: 'otlp_http/prometheus', logs: 'otlp_http/loki' };

interface Pipeline {
  receivers: string[];
  processors: string[];
  exporters: string[];
}
interface RoutingConnector {
  default_pipelines: string[];
  table: { condition: string; pipelines: string[] }[];
}
interface CollectorConfig {
  receivers: Record<string, unknown>;
  processors: Record<string, unknown>;
  exporters: Record<string, { endpoint?: string; tls?: Record<string, unknown>; auth?: unknown }>;
  connectors?: Record<string, RoutingConnector>;
  extensions: Record<string, unknown>;
  service: { extensions: string[]; pipelines: Record<string, Pipeline> };
}

const configOf = (ctx: ChartContext) => gatewayConfig(ctx, { ...PROPS, ...gatewaySettings(ctx.config) }) as CollectorConfig;

/** Config variants: the example, a bearer/mTLS switch, no extra routes, without load balancing, with gateway span metrics. */
function variant(patch: (c: StackConfig) => StackConfig): StackConfig {
  return patch(example);
}
const VARIANTS: [string, StackConfig][] = [
  ['example', example],
  ['mTLS', variant((c) => ({ ...c, crossCluster: { ...c.crossCluster, auth: 'mtls' } }))],
  ['no extra routes', variant((c) => ({ ...c, routing: { ...c.routing, routes: [] } }))],
  ['no sharding', variant((c) => ({ ...c, scale: { loadBalancing: false, spanMetricsInGateway: false, tailSampling: { ...c.scale.tailSampling, enabled: false } } }))],
  ['span metrics in the gateways', variant((c) => ({ ...c, scale: { ...c.scale, spanMetricsInGateway: true } }))],
  ['overlapping routes', variant((c) => ({ ...c, routing: OVERLAPPING_ROUTES }))],
];
const CASES = VARIANTS.flatMap(([name, config]) => config.clusters.map((cluster) => [`${name}: ${cluster.name}`, stackContext(config, cluster)] as const));

describe.each(CASES)('gateway of %s', (_, ctx) => {
  const config = configOf(ctx);
  const pipelines = config.service.pipelines;

  it('has a route in every signal for every cloud with a backend, and the default route', () => {
    for (const signal of SIGNALS) {
      const connector = config.connectors?.[`routing/${signal}`];
      expect(connector, `routing/${signal}`).toBeDefined();
      const routed = new Set(connector!.table.flatMap((r) => r.pipelines));
      for (const cloud of ctx.topology.backendClouds) expect(routed, `${signal} → ${cloud}`).toContain(`${signal}/${cloud}`);
      expect(connector!.default_pipelines).toEqual([`${signal}/${ctx.topology.defaultCloud}`]);
    }
  });

  it("sends every cloud's pipeline to that cloud's backends: local exporters in its backend cluster, its OTLP endpoint elsewhere", () => {
    for (const signal of SIGNALS) {
      for (const cloud of ctx.topology.backendClouds) {
        const pipeline = pipelines[`${signal}/${cloud}`];
        expect(pipeline?.receivers).toEqual([`routing/${signal}`]);
        const backend = ctx.topology.backendOf(cloud)!;
        if (backend.kind === 'cluster' && backend.cluster.name === ctx.cluster.name) {
          expect(pipeline!.exporters).toEqual([LOCAL_EXPORTERS[signal]]);
        } else {
          const expected = backend.kind === 'remote' ? backend.otlpEndpoint : backend.cluster.otlpEndpoint;
          expect(pipeline!.exporters).toHaveLength(1);
          const exporter = config.exporters[pipeline!.exporters[0]!]!;
          expect(exporter.endpoint).toBe(expected);
          // Cross-cluster traffic is TLS, authenticated by a bearer token or a client certificate.
          expect(exporter.tls?.ca_file).toBeTruthy();
          expect(exporter.tls?.insecure).toBeUndefined();
          expect(exporter.auth !== undefined || exporter.tls?.cert_file !== undefined).toBe(true);
        }
      }
    }
  });

  it('sends what other clusters routed here straight to the local backends (no second routing)', () => {
    const isBackend = ctx.topology.rolesOf(ctx.cluster).has('backend');
    for (const signal of SIGNALS) {
      const external = pipelines[`${signal}/external`];
      if (!isBackend) expect(external).toBeUndefined();
      else expect(external).toMatchObject({ receivers: ['otlp/external'], exporters: [LOCAL_EXPORTERS[signal]] });
    }
  });

  it('has no orphan components or pipelines', () => {
    expect(collectorConfigViolations(config)).toEqual([]);
    expect(unreachablePipelines(config)).toEqual([]);
  });
});

/** Pipelines no data can reach: fed neither by a receiver of the outside world nor by a connector some reachable pipeline exports to. */
function unreachablePipelines(config: CollectorConfig): string[] {
  const connectors = new Set(Object.keys(config.connectors ?? {}));
  const fedByLoadBalancer = Object.keys(config.exporters).some((e) => e.startsWith('load_balancing/'));
  const reachable = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [id, p] of Object.entries(config.service.pipelines)) {
      if (reachable.has(id)) continue;
      const fed = p.receivers.some((r) => {
        if (r === 'otlp/load_balanced') return fedByLoadBalancer;
        if (!connectors.has(r)) return true;
        return Object.entries(config.service.pipelines).some(([other, q]) => reachable.has(other) && q.exporters.includes(r));
      });
      if (fed) {
        reachable.add(id);
        grew = true;
      }
    }
  }
  return Object.keys(config.service.pipelines).filter((id) => !reachable.has(id));
}
