import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stackContext } from '../constructs/common.ts';
import { composeGateway, type GatewayFragment } from '../constructs/gateway/fragment.ts';
import { cardinalityTransform, intakeFragment } from '../constructs/gateway/intake.ts';
import { LOCAL_EXPORTERS, localBackendsFragment } from '../constructs/gateway/local-backends.ts';
import { routingFragment } from '../constructs/gateway/routing.ts';
import { loadBalancedTracesFragment } from '../constructs/gateway/load-balancing.ts';
import { spanMetricsFragment } from '../constructs/gateway/span-metrics.ts';
import { crossClusterReceiveFragment, crossClusterSendFragment } from '../constructs/gateway/cross-cluster.ts';
import { K8S_RESOLVER_RULES } from '../constructs/gateway/shards.ts';
import { gatewayFragments, gatewaySettings, type OtelGatewayProps } from '../constructs/otel-gateway.ts';
import { parseConfig } from '../src/config/load.ts';
import type { StackConfig } from '../src/model/types.ts';
import { crossClusterExporters } from '../src/routing/gateway.ts';
import { collectorConfigViolations } from './support/manifest-checks.ts';

// Each gateway fragment alone (what it contributes, in the collector's terms), the composer's
// guarantees and refusals, and composed configs for feature combinations checked like every
// synthesized collector config (test/support/manifest-checks.ts: wiring, connector use, type names
// of the contrib 0.159 distribution).

interface Pipeline {
  receivers: string[];
  processors: string[];
  exporters: string[];
}
interface Config {
  extensions: Record<string, unknown>;
  receivers: Record<string, unknown>;
  processors: Record<string, unknown>;
  connectors?: Record<string, unknown>;
  exporters: Record<string, Record<string, unknown>>;
  service: { extensions: string[]; pipelines: Record<string, Pipeline> };
}

const MEMORY = { memoryLimitMiB: 1024 };
const compose = (fragments: GatewayFragment[]) => composeGateway(fragments, MEMORY);
const configOf = (fragments: GatewayFragment[]) => compose(fragments).config as Config;

/** A minimal fragment whose one pipeline carries a signal from an otlp receiver to a debug exporter. */
const loop = (name: string, signal = 'traces', extra: Partial<GatewayFragment> = {}): GatewayFragment => ({
  name,
  receivers: { [`otlp/${name}`]: { protocols: { grpc: {} } } },
  exporters: { [`debug/${name}`]: {} },
  pipelines: { [`${signal}/${name}`]: { receivers: [`otlp/${name}`], exporters: [`debug/${name}`] } },
  ...extra,
});

const NO_CARDINALITY = { urlTemplates: [], dropAttributes: [] };
const intake = (forward = { traces: ['debug/t'], metrics: ['debug/m'], logs: ['debug/l'] }, cardinality: Parameters<typeof cardinalityTransform>[0] = NO_CARDINALITY) =>
  intakeFragment({ detectors: ['env', 'eks'], detectionEgress: [], clusterAttributes: { 'k8s.cluster.name': 'c1' }, cardinality, forward });
const sinks: GatewayFragment = { name: 'sinks', exporters: { 'debug/t': {}, 'debug/m': {}, 'debug/l': {} } };

describe('composeGateway', () => {
  it('puts memory_limiter first in every pipeline and health_check among the enabled extensions, whatever the fragments', () => {
    const config = configOf([loop('a'), loop('b', 'logs', { processors: { 'batch/b': {} }, pipelines: { 'logs/b': { receivers: ['otlp/b'], processors: ['batch/b'], exporters: ['debug/b'] } } })]);
    expect(Object.keys(config.processors)[0]).toBe('memory_limiter');
    expect(config.service.pipelines['traces/a']!.processors).toEqual(['memory_limiter']);
    expect(config.service.pipelines['logs/b']!.processors).toEqual(['memory_limiter', 'batch/b']);
    expect(config.extensions).toHaveProperty('health_check');
    expect(config.service.extensions).toEqual(['health_check']);
  });

  it('gives every exporter a share of the queue memory; a load_balancing exporter queues once, not per endpoint', () => {
    const lb = loadBalancedTracesFragment({ namespace: 'o', tailSampling: { enabled: false, slowerThan: '1s', percentage: 1 }, deliver: 'debug/t' });
    const config = configOf([intake({ traces: ['load_balancing/traces'], metrics: ['debug/m'], logs: ['debug/l'] }), sinks, lb]);
    const sizes = Object.values(config.exporters).map((e) => (e.sending_queue as { queue_size: number }).queue_size);
    // 1 GiB × 0.5 shared by four exporters of 1 KiB items.
    expect(sizes).toEqual([131072, 131072, 131072, 131072]);
    expect(config.exporters['load_balancing/traces']).toMatchObject({
      sending_queue: { enabled: true },
      protocol: { otlp: { sending_queue: { enabled: false }, retry_on_failure: { enabled: false } } },
    });
  });

  it('defines a component shared by two fragments once when their settings agree', () => {
    const shared = { extensions: { bearertokenauth: { filename: '/t' } }, secretMounts: [{ volume: 'v', secretName: 's', mountPath: '/m' }] };
    const c = compose([loop('a', 'traces', shared), loop('b', 'traces', shared)]);
    expect((c.config as Config).service.extensions).toEqual(['health_check', 'bearertokenauth']);
    expect(c.secretMounts).toEqual([{ volume: 'v', secretName: 's', mountPath: '/m' }]);
  });

  it('orders pipelines: leading fragments first, then traces, metrics, logs, each in fragment order', () => {
    const config = configOf([loop('a', 'logs'), loop('b', 'traces'), loop('c', 'metrics', { leadingPipelines: true }), loop('d', 'traces')]);
    expect(Object.keys(config.service.pipelines)).toEqual(['metrics/c', 'traces/b', 'traces/d', 'logs/a']);
  });

  it.each<[string, GatewayFragment[], RegExp]>([
    ['one component id with two settings', [loop('a'), loop('b', 'traces', { exporters: { 'debug/b': {}, 'debug/a': { verbosity: 'detailed' } } })], /"b" defines exporters "debug\/a" differently from a/],
    ['a fragment redefining memory_limiter', [loop('a', 'traces', { processors: { memory_limiter: { limit_mib: 10 } } })], /defines processors "memory_limiter" differently from the composition/],
    ['a pipeline listing memory_limiter itself', [loop('a', 'traces', { pipelines: { 'traces/a': { receivers: ['otlp/a'], processors: ['memory_limiter'], exporters: ['debug/a'] } } })], /lists memory_limiter/],
    ['a receiver nobody defines', [loop('a', 'traces', { pipelines: { 'traces/a': { receivers: ['otlp/a', 'zipkin'], exporters: ['debug/a'] } } })], /receives from "zipkin", which no fragment defines/],
    ['a processor nobody defines', [loop('a', 'traces', { pipelines: { 'traces/a': { receivers: ['otlp/a'], processors: ['batch'], exporters: ['debug/a'] } } })], /processor "batch", which no fragment defines/],
    ['an exporter nobody defines', [loop('a', 'traces', { pipelines: { 'traces/a': { receivers: ['otlp/a'], exporters: ['debug/a', 'otlp_grpc/x'] } } })], /exports to "otlp_grpc\/x", which no fragment defines/],
    ['a receiver no pipeline uses', [loop('a', 'traces', { receivers: { 'otlp/a': {}, 'otlp/spare': {} } })], /receiver "otlp\/spare" is used by no pipeline/],
    ['a processor no pipeline uses', [loop('a', 'traces', { processors: { tail_sampling: {} } })], /processor "tail_sampling" is used by no pipeline/],
    ['an exporter no pipeline uses', [loop('a', 'traces', { exporters: { 'debug/a': {}, 'debug/spare': {} } })], /exporter "debug\/spare" is used by no pipeline/],
    ['a connector only ever exported to', [loop('a', 'traces', { connectors: { span_metrics: {} }, pipelines: { 'traces/a': { receivers: ['otlp/a'], exporters: ['debug/a', 'span_metrics'] } } })], /connector "span_metrics" must end one pipeline and start another/],
    ['one pipeline id from two fragments', [loop('a'), { ...loop('b'), pipelines: { 'traces/a': { receivers: ['otlp/b'], exporters: ['debug/b'] } } }], /"a" and "b" both define pipeline "traces\/a"/],
    ['one volume name for two Secrets', [loop('a', 'traces', { secretMounts: [{ volume: 'v', secretName: 's1', mountPath: '/m' }] }), loop('b', 'traces', { secretMounts: [{ volume: 'v', secretName: 's2', mountPath: '/m' }] })], /volume "v" with different settings/],
  ])('refuses %s', (_, fragments, error) => {
    expect(() => compose(fragments)).toThrow(error);
  });
});

describe('fragments', () => {
  it('intake: OTLP on the pod IP; metadata, then synth-time attributes, then detection that never overrides; forwards where told', () => {
    const f = intake({ traces: ['x', 'y'], metrics: ['m'], logs: ['l'] });
    expect(f.receivers).toEqual({ otlp: { protocols: { grpc: { endpoint: '${env:MY_POD_IP}:4317' }, http: { endpoint: '${env:MY_POD_IP}:4318' } } } });
    expect(f.pipelines).toEqual({
      'traces/in': { receivers: ['otlp'], processors: ['k8s_attributes', 'resource/cluster', 'resource_detection'], exporters: ['x', 'y'] },
      'metrics/in': { receivers: ['otlp'], processors: ['k8s_attributes', 'resource/cluster', 'resource_detection'], exporters: ['m'] },
      'logs/in': { receivers: ['otlp'], processors: ['k8s_attributes', 'resource/cluster', 'resource_detection'], exporters: ['l'] },
    });
    expect(f.processors).toMatchObject({ resource_detection: { detectors: ['env', 'eks'], override: false }, 'resource/cluster': { attributes: [{ key: 'k8s.cluster.name', value: 'c1', action: 'insert' }] } });
    expect(f.processors).not.toHaveProperty('transform/cardinality');
    expect(f.rbac!.flatMap((r) => r.resources)).toEqual(['pods', 'namespaces', 'nodes', 'replicasets']);
    expect(new Set(f.rbac!.flatMap((r) => r.verbs))).toEqual(new Set(['get', 'list', 'watch']));
  });

  it.each<[string, Parameters<typeof cardinalityTransform>[0], object | undefined]>([
    ['nothing configured', NO_CARDINALITY, undefined],
    [
      'a URL template (URL and path, both semantic conventions; what they do: test/ottl-real.test.ts)',
      { urlTemplates: [{ pattern: '/users/\\d+', template: '/users/{id}' }], dropAttributes: [] },
      {
        error_mode: 'ignore',
        trace_statements: ['url.full', 'url.path', 'http.url', 'http.target'].map((a) => `replace_pattern(span.attributes["${a}"], "/users/\\\\d+", "/users/{id}")`),
        log_statements: [],
        metric_statements: [],
      },
    ],
    [
      'a dropped attribute (spans, log records, data points)',
      { urlTemplates: [], dropAttributes: ['user.email'] },
      {
        error_mode: 'ignore',
        trace_statements: ['delete_key(span.attributes, "user.email")'],
        log_statements: ['delete_key(log.attributes, "user.email")'],
        metric_statements: ['delete_key(datapoint.attributes, "user.email")'],
      },
    ],
  ])('intake cardinality guard: %s', (_, cardinality, expected) => {
    expect(cardinalityTransform(cardinality)).toEqual(expected);
    const f = intake(undefined, cardinality);
    expect(f.pipelines!['logs/in']!.processors!.at(-1) === 'transform/cardinality').toBe(expected !== undefined);
  });

  it('local backends: Tempo over OTLP gRPC, Loki and Prometheus over their native OTLP HTTP paths, one egress flow each', () => {
    const f = localBackendsFragment({ namespace: 'obs', tempo: { service: 'tempo', port: 4317 }, loki: { service: 'loki', port: 3100 }, prometheus: { service: 'prometheus', port: 9090 } });
    expect(f.exporters).toEqual({
      [LOCAL_EXPORTERS.traces]: { endpoint: 'tempo.obs.svc:4317', tls: { insecure: true } },
      [LOCAL_EXPORTERS.logs]: { endpoint: 'http://loki.obs.svc:3100/otlp' },
      [LOCAL_EXPORTERS.metrics]: { endpoint: 'http://prometheus.obs.svc:9090/api/v1/otlp' },
    });
    expect(f.egress!.map((e) => [e.to, e.ports])).toEqual([
      [{ app: 'tempo', namespace: 'obs' }, [4317]],
      [{ app: 'loki', namespace: 'obs' }, [3100]],
      [{ app: 'prometheus', namespace: 'obs' }, [9090]],
    ]);
  });

  it.each([
    ['disabled', false, '1s', undefined],
    ['kept when slower than 2s', true, '2s', 2000],
    ['kept when slower than 500ms', true, '500ms', 500],
  ])('trace-ID load balancing, tail sampling %s', (_, enabled, slowerThan, thresholdMs) => {
    const f = loadBalancedTracesFragment({ namespace: 'obs', tailSampling: { enabled, slowerThan, percentage: 10 }, deliver: 'routing/traces' });
    expect(f.exporters).toEqual({ 'load_balancing/traces': { routing_key: 'traceID', protocol: { otlp: { tls: { insecure: true } } }, resolver: { k8s: { service: 'otel-gateway-lb.obs', ports: [4320] } } } });
    expect(f.receivers).toEqual({ 'otlp/load_balanced': { protocols: { grpc: { endpoint: '${env:MY_POD_IP}:4320' } } } });
    expect(f.pipelines).toEqual({ 'traces/sampled': { receivers: ['otlp/load_balanced'], processors: enabled ? ['tail_sampling'] : [], exporters: ['routing/traces'] } });
    const policies = (f.processors as { tail_sampling?: { policies: { type: string; latency?: { threshold_ms: number } }[] } }).tail_sampling?.policies;
    if (thresholdMs === undefined) expect(policies).toBeUndefined();
    else {
      expect(policies!.map((p) => p.type)).toEqual(['status_code', 'latency', 'probabilistic']);
      expect(policies![1]!.latency!.threshold_ms).toBe(thresholdMs);
    }
    expect(f.shardPorts).toEqual([{ name: 'otlp-lb', port: 4320 }]);
    expect(f.rbac).toEqual(K8S_RESOLVER_RULES);
  });

  it('span metrics: spans sharded by service into the span_metrics connector, whose metrics leave where told', () => {
    const f = spanMetricsFragment({ namespace: 'obs', deliver: 'otlp_http/prometheus' });
    expect(f.exporters).toEqual({ 'load_balancing/span_metrics': { routing_key: 'service', protocol: { otlp: { tls: { insecure: true } } }, resolver: { k8s: { service: 'otel-gateway-lb.obs', ports: [4321] } } } });
    expect(f.pipelines).toEqual({
      'traces/span_metrics': { receivers: ['otlp/span_metrics'], exporters: ['span_metrics'] },
      'metrics/span_metrics': { receivers: ['span_metrics'], exporters: ['otlp_http/prometheus'] },
    });
    expect(f.connectors).toHaveProperty('span_metrics.exemplars.enabled', true);
    expect(f.shardPorts).toEqual([{ name: 'otlp-spans', port: 4321 }]);
  });

  it('routing: a routing connector per signal, and per signal a pipeline to each cloud with a backend, ending at its exporter', () => {
    const ctx = stackContext(example, example.clusters.find((c) => c.name === 'aws-backend')!);
    const f = routingFragment(ctx, LOCAL_EXPORTERS);
    expect(Object.keys(f.connectors!)).toEqual(['routing/traces', 'routing/metrics', 'routing/logs']);
    expect(f.connectors!['routing/logs']).toMatchObject({ default_pipelines: ['logs/onprem'], error_mode: 'ignore' });
    const clouds = ctx.topology.backendClouds;
    expect(Object.keys(f.pipelines!)).toEqual(['traces', 'metrics', 'logs'].flatMap((s) => clouds.map((c) => `${s}/${c}`)));
    // This cluster is aws' backend: aws telemetry stays here; the other clouds' leaves over their OTLP exporter.
    expect(f.pipelines!['metrics/aws']).toEqual({ receivers: ['routing/metrics'], exporters: ['otlp_http/prometheus'] });
    expect(f.pipelines!['metrics/gcp']).toEqual({ receivers: ['routing/metrics'], exporters: ['otlp_grpc/gcp'] });
  });

  const crossCluster = (auth: 'bearer' | 'mtls') => ({ auth, tokenSecret: 'tok', tlsSecret: 'tls' });
  it.each([
    ['bearer', ['tok', 'tls'], ['cross-cluster-tls', 'cross-cluster-token']],
    ['mtls', ['tls'], ['cross-cluster-tls']],
  ] as const)('cross-cluster receive with %s auth: TLS receiver behind a LoadBalancer, straight to the local backends', (auth, secrets, volumes) => {
    const f = crossClusterReceiveFragment({ crossCluster: crossCluster(auth), local: LOCAL_EXPORTERS, serviceAnnotations: { a: 'b' } });
    const grpc = (f.receivers!['otlp/external'] as { protocols: { grpc: { endpoint: string; tls: Record<string, string>; auth?: { authenticator: string } } } }).protocols.grpc;
    expect(grpc.endpoint).toBe('${env:MY_POD_IP}:4319');
    expect(grpc.tls).toMatchObject({ cert_file: '/etc/otel/tls/tls.crt', key_file: '/etc/otel/tls/tls.key' });
    // mTLS: the client's certificate must chain to our CA; bearer: the token authenticates.
    expect(grpc.tls.client_ca_file).toBe(auth === 'mtls' ? '/etc/otel/tls/ca.crt' : undefined);
    expect(grpc.auth).toEqual(auth === 'bearer' ? { authenticator: 'bearertokenauth' } : undefined);
    expect(Object.keys(f.extensions ?? {})).toEqual(auth === 'bearer' ? ['bearertokenauth'] : []);
    expect(f.externalSecrets).toEqual(secrets);
    expect(f.secretMounts!.map((m) => m.volume)).toEqual(volumes);
    expect(f.pipelines).toEqual({
      'traces/external': { receivers: ['otlp/external'], exporters: ['otlp_grpc/tempo'] },
      'metrics/external': { receivers: ['otlp/external'], exporters: ['otlp_http/prometheus'] },
      'logs/external': { receivers: ['otlp/external'], exporters: ['otlp_http/loki'] },
    });
    expect(f.services).toEqual([{ name: 'otel-gateway-external', annotations: { a: 'b' }, ports: [{ name: 'otlp-grpc', port: 4317, targetPort: 'otlp-external' }] }]);
    expect(f.ingress).toEqual([expect.objectContaining({ from: { internet: true }, ports: [4319] })]);
  });

  it('cross-cluster send: the exporters as given, egress once per remote port, the same credentials as receiving (they compose)', () => {
    const exporters = { 'otlp_grpc/aws': { endpoint: 'a.example:4317', tls: {} }, 'otlp_grpc/gcp': { endpoint: 'g.example:4317', tls: {} }, 'otlp_grpc/onprem': { endpoint: 'dc.example:443', tls: {} } };
    const send = crossClusterSendFragment({ crossCluster: crossCluster('bearer'), exporters });
    expect(send.exporters).toBe(exporters);
    expect(send.egress!.map((e) => e.ports)).toEqual([[4317], [443]]);
    const receive = crossClusterReceiveFragment({ crossCluster: crossCluster('bearer'), local: LOCAL_EXPORTERS, serviceAnnotations: {} });
    expect([send.extensions, send.secretMounts, send.externalSecrets]).toEqual([receive.extensions, receive.secretMounts, receive.externalSecrets]);
  });
});

const EXAMPLE = fileURLToPath(new URL('../examples/multi-cloud.yaml', import.meta.url));
const example = parseConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
const single = parseConfig('clusters: [{ name: c1, cloud: aws, region: r1 }]\n', 'single.yaml');
const PROPS: Omit<OtelGatewayProps, keyof ReturnType<typeof gatewaySettings>> = {
  namespace: 'observability',
  agentNamespace: 'observability-agent',
  tempo: { service: 'tempo', port: 4317 },
  loki: { service: 'loki', port: 3100 },
  prometheus: { service: 'prometheus', port: 9090 },
};

/** Every on/off combination of load balancing, tail sampling, span metrics and the cardinality guard, with bearer and mTLS. */
function combinations(base: StackConfig): [string, StackConfig][] {
  const out: [string, StackConfig][] = [];
  for (let bits = 0; bits < 32; bits++) {
    const on = (i: number) => (bits & (1 << i)) !== 0;
    const name = ['lb', 'tail', 'spans', 'cardinality', 'mtls'].filter((_, i) => on(i)).join('+') || 'plain';
    out.push([
      name,
      {
        ...base,
        scale: { loadBalancing: on(0), tailSampling: { ...base.scale.tailSampling, enabled: on(1) }, spanMetricsInGateway: on(2) },
        cardinality: { ...base.cardinality, ...(on(3) ? { urlTemplates: [{ pattern: '/u/\\d+', template: '/u/{id}' }], dropAttributes: ['user.email'] } : { urlTemplates: [], dropAttributes: [] }) },
        crossCluster: { ...base.crossCluster, auth: on(4) ? 'mtls' : 'bearer' },
      },
    ]);
  }
  return out;
}

const CASES = [...combinations(single).map(([n, c]) => [`one cluster, ${n}`, c] as const), ...combinations(example).map(([n, c]) => [`multi-cloud, ${n}`, c] as const)];

describe.each(CASES)('the composed gateway of %s', (_, config) => {
  it.each(config.clusters.map((c) => [c.name, c] as const))('%s: a valid collector config, memory_limiter first everywhere, the right features present', (_, cluster) => {
    const ctx = stackContext(config, cluster);
    const fragments = gatewayFragments(ctx, { ...PROPS, ...gatewaySettings(config) });
    const composed = composeGateway(fragments, MEMORY);
    const c = composed.config as Config;
    expect(collectorConfigViolations(c)).toEqual([]);
    for (const p of Object.values(c.service.pipelines)) expect(p.processors[0]).toBe('memory_limiter');
    const names = fragments.map((f) => f.name);
    expect(names.includes('load balancing')).toBe(config.scale.loadBalancing || config.scale.tailSampling.enabled);
    expect('tail_sampling' in c.processors).toBe(config.scale.tailSampling.enabled);
    expect('span_metrics' in (c.connectors ?? {})).toBe(config.scale.spanMetricsInGateway);
    expect('transform/cardinality' in c.processors).toBe(config.cardinality.dropAttributes.length > 0);
    expect(names.includes('routing')).toBe(ctx.topology.backendClouds.length > 1);
    // Cross-cluster exporters carry the credentials the workload mounts.
    const remote = Object.keys(crossClusterExporters(ctx));
    for (const id of remote) expect(c.exporters).toHaveProperty([id]);
    if (remote.length || names.includes('cross-cluster receive')) {
      expect(composed.secretMounts.map((m) => m.secretName)).toEqual(config.crossCluster.auth === 'mtls' ? ['o11y-otlp-tls'] : ['o11y-otlp-tls', 'o11y-otlp-token']);
    } else expect(composed.secretMounts).toEqual([]);
  });
});

describe('adding a feature is adding a fragment', () => {
  it('a further logs pipeline (receiver, extension, export to Loki) composes with the stack without touching the others', () => {
    const ctx = stackContext(single);
    const events: GatewayFragment = {
      name: 'extra logs source',
      extensions: { 'leader/x': {} },
      receivers: { 'file_log/x': {} },
      pipelines: { 'logs/x': { receivers: ['file_log/x'], exporters: [LOCAL_EXPORTERS.logs] } },
      rbac: [{ apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] }],
    };
    const composed = composeGateway([...gatewayFragments(ctx, { ...PROPS, ...gatewaySettings(ctx.config) }), events], MEMORY);
    const c = composed.config as Config;
    expect(collectorConfigViolations(c)).toEqual([]);
    expect(c.service.pipelines['logs/x']).toEqual({ receivers: ['file_log/x'], processors: ['memory_limiter'], exporters: ['otlp_http/loki'] });
    expect(c.service.extensions).toContain('leader/x');
    expect(composed.rbac.flatMap((r) => r.resources)).toContain('events');
  });
});
