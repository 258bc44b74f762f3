import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stackContext, type ChartContext } from '../constructs/common.ts';
import { LOKI_HTTP_PORT } from '../constructs/loki.ts';
import { gatewayConfig, gatewaySettings, type OtelGatewayProps } from '../constructs/otel-gateway.ts';
import { platformProfile } from '../src/model/platforms/index.ts';
import { PROMETHEUS_PORT } from '../constructs/prometheus.ts';
import { TEMPO_OTLP_GRPC_PORT } from '../constructs/tempo.ts';
import { parseConfig } from '../src/config/load.ts';
import { CLOUDS, type Cloud, type StackConfig } from '../src/model/types.ts';
import { SIGNALS } from '../src/routing/gateway.ts';
import { collectorConfigViolations } from './support/manifest-checks.ts';

// The gateway's routing, as pure config: every cloud reachable, every route ending at its cloud's
// backends, nothing orphaned, and exactly one destination for every combination of resource
// attributes (the routing connector sends data to *every* matching route).

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
  [
    'overlapping routes',
    variant((c) => ({
      ...c,
      routing: {
        default: 'aws',
        routes: [
          { tenant: 'payments', cloud: 'gcp' },
          { tenant: 'payments', namespace: 'china-apps', cloud: 'alibaba' },
          { namespace: 'china-apps', cloud: 'azure' },
        ],
      },
    })),
  ],
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

  it('routes every sample of resource attributes to exactly one destination, the expected one', () => {
    for (const signal of SIGNALS) {
      const connector = config.connectors![`routing/${signal}`]!;
      for (const attributes of samples(ctx.config)) {
        const matched = connector.table.filter((r) => evaluate(r.condition, attributes));
        const destinations = matched.length ? matched.flatMap((r) => r.pipelines) : connector.default_pipelines;
        expect(destinations, JSON.stringify(attributes)).toEqual([`${signal}/${expectedCloud(ctx, attributes)}`]);
      }
    }
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

type Attributes = Readonly<Record<string, string | undefined>>;

/** Every combination of cloud.provider (each cloud's, none, a foreign one), tenant and namespace the routes mention, plus unrelated values. */
function samples(config: StackConfig): Attributes[] {
  const providers = [...new Set([...CLOUDS.map((c) => platformProfile(c).cloudProvider), 'oracle_cloud'])];
  const tenants = [undefined, 'unrelated', ...config.routing.routes.flatMap((r) => (r.tenant ? [r.tenant] : []))];
  const namespaces = [undefined, 'default', ...config.routing.routes.flatMap((r) => (r.namespace ? [r.namespace] : []))];
  return providers.flatMap((provider) =>
    tenants.flatMap((tenant) => namespaces.map((namespace) => ({ 'cloud.provider': provider, tenant, 'k8s.namespace.name': namespace }))),
  );
}

/** Where the config says telemetry goes, written independently of the routing table: the first extra route that matches, else its own cloud, else the default. */
function expectedCloud(ctx: ChartContext, attributes: Attributes): Cloud {
  const route = ctx.config.routing.routes.find(
    (r) => (r.tenant === undefined || r.tenant === attributes.tenant) && (r.namespace === undefined || r.namespace === attributes['k8s.namespace.name']),
  );
  if (route) return route.cloud;
  const own = CLOUDS.find((c) => platformProfile(c).cloudProvider === attributes['cloud.provider']);
  return own && ctx.topology.backendOf(own) ? own : ctx.topology.defaultCloud;
}

/**
 * A tiny evaluator for the OTTL subset the routing tables use: `attributes["k"] == "v"`,
 * `== nil`, `!=`, `and`, `or`, `not` and parentheses (precedence not > and > or).
 */
export function evaluate(condition: string, attributes: Attributes): boolean {
  const tokens = condition.match(/attributes\["(?:[^"\\]|\\.)*"\]|"(?:[^"\\]|\\.)*"|==|!=|\(|\)|\w+/g) ?? [];
  expect(tokens.join(''), `unknown syntax in ${condition}`).toBe(condition.replace(/\s+/g, ''));
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (t === undefined || (expected !== undefined && t !== expected)) throw new Error(`expected ${expected ?? 'a token'} at ${i} in ${condition}`);
    return t;
  };
  const value = (t: string): string | undefined => {
    if (t === 'nil') return undefined;
    if (t.startsWith('attributes[')) return attributes[JSON.parse(t.slice('attributes['.length, -1)) as string];
    if (t.startsWith('"')) return JSON.parse(t) as string;
    throw new Error(`unexpected ${t} in ${condition}`);
  };
  const or = (): boolean => {
    let v = and();
    while (peek() === 'or') {
      take();
      v = and() || v;
    }
    return v;
  };
  const and = (): boolean => {
    let v = unary();
    while (peek() === 'and') {
      take();
      v = unary() && v;
    }
    return v;
  };
  const unary = (): boolean => {
    if (peek() === 'not') {
      take();
      return !unary();
    }
    if (peek() === '(') {
      take();
      const v = or();
      take(')');
      return v;
    }
    const left = value(take());
    const op = take();
    const right = value(take());
    if (op === '==') return left === right;
    if (op === '!=') return left !== right;
    throw new Error(`unknown operator ${op} in ${condition}`);
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`trailing tokens in ${condition}`);
  return result;
}

describe('the OTTL subset evaluator', () => {
  const attrs = { 'cloud.provider': 'aws', tenant: 'payments' };
  it.each([
    ['attributes["cloud.provider"] == "aws"', true],
    ['attributes["cloud.provider"] == nil', false],
    ['attributes["k8s.namespace.name"] == nil', true],
    ['attributes["tenant"] != "payments"', false],
    ['attributes["cloud.provider"] == "aws" and not (attributes["tenant"] == "payments")', false],
    ['attributes["cloud.provider"] == "gcp" or attributes["tenant"] == "payments" and attributes["cloud.provider"] == "aws"', true],
    ['not (attributes["cloud.provider"] == "gcp" or attributes["tenant"] == "x")', true],
  ])('%s → %s', (condition, expected) => {
    expect(evaluate(condition, attrs)).toBe(expected);
  });
});
