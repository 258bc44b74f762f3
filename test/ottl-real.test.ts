import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stackContext, type ChartContext } from '../constructs/common.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { re2Problem } from '../src/config/re2.ts';
import { platformProfile } from '../src/model/platforms/index.ts';
import { CLOUDS, type Cloud, type StackConfig } from '../src/model/types.ts';
import { routingTable, SIGNALS, type Signal } from '../src/routing/gateway.ts';
import { expectLocatedProblem } from './support/bad-config.ts';
import { engines } from './support/engines.ts';
import { synthesizedCollectors, type CollectorConfig } from './support/collector-configs.ts';
import {
  attributesOf,
  destinations,
  otlpAttributes,
  otlpResources,
  ottlConditions,
  ottlTransform,
  type Attributes,
} from './support/ottl-run.ts';
import { OVERLAPPING_ROUTES } from './fixtures/routing.ts';

// Every OTTL statement and condition the stack emits, run by the collector's own OTTL (`ottl-run`,
// pkg/ottl as the transform processor and the routing connector drive it) on the synthesized
// collector configs, and the agent's log-parsing regexes run by Go's regexp (through OTTL's
// ExtractPatterns, the same `regexp` package and FindStringSubmatch as stanza's regex_parser).

const found = engines(import.meta.url, ['ottl-run']);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STACKS = { default: join(ROOT, 'o11y.yaml'), 'multi-cloud': join(ROOT, 'examples/multi-cloud.yaml') };

type Operator = Record<string, unknown> & { type: string; id?: string };
interface Synthesized {
  readonly name: string;
  readonly ctx: ChartContext;
  /** The collector configs as their ConfigMaps carry them, by component (otel-gateway, otel-agent, otel-scraper). */
  readonly collectors: Record<string, CollectorConfig>;
}

function synthesized(): Synthesized[] {
  const work = mkdtempSync(join(tmpdir(), 'o11y-ottl-real-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  return Object.entries(STACKS).flatMap(([stack, file]) => {
    const config = loadConfigFile(file);
    return synthesizedCollectors(file, join(work, stack)).map(({ cluster, collectors }) => ({ name: `${stack} ${cluster}`, ctx: stackContext(config, config.clusters.find((c) => c.name === cluster)!), collectors }));
  });
}

/** The components that carry OTTL, by kind and id; `type` is the component type (before `/`). */
function ottlComponents(config: CollectorConfig): { kind: 'processor' | 'connector'; id: string; type: string }[] {
  const typeOf = (id: string) => id.split('/')[0]!;
  // tail_sampling's `ottl_condition` policies carry OTTL too.
  const hasOttlPolicy = (v: unknown) => JSON.stringify(v).includes('ottl_condition');
  return [
    ...Object.entries(config.processors ?? {})
      .filter(([id, v]) => ['transform', 'filter'].includes(typeOf(id)) || hasOttlPolicy(v))
      .map(([id]) => ({ kind: 'processor' as const, id, type: typeOf(id) })),
    ...Object.keys(config.connectors ?? {})
      .filter((id) => typeOf(id) === 'routing')
      .map((id) => ({ kind: 'connector' as const, id, type: typeOf(id) })),
  ];
}

/** The signal a connector carries: that of the pipelines exporting to it. */
function connectorSignal(config: CollectorConfig, id: string): Signal {
  const [pipeline] = Object.entries(config.service.pipelines).find(([, p]) => p.exporters.includes(id)) ?? [];
  if (!pipeline) throw new Error(`connector ${id} is fed by no pipeline`);
  return pipeline.split('/')[0] as Signal;
}

// ------------------------------------------------------------------------------------------------
// Routing: resources per cloud, tenant and namespace, and where the config says each goes
// ------------------------------------------------------------------------------------------------

/** Every combination of cloud.provider (each cloud's, none, empty, a foreign one), tenant and namespace the routes mention, plus unrelated values. */
function samples(config: StackConfig): Attributes[] {
  const providers = [...new Set([...CLOUDS.map((c) => platformProfile(c).cloudProvider), '', 'oracle_cloud'])];
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

/** The routing connector's verdict for every sample: exactly one pipeline each, the expected cloud's. */
function expectRoutedAsConfigured(binary: string, ctx: ChartContext, signal: Signal, config: object, connector?: string): void {
  const sample = samples(ctx.config);
  // A whole collector config and the connector's id, or one routing connector's config.
  const { default_pipelines } = (connector ? (config as CollectorConfig).connectors![connector]! : config) as { default_pipelines: string[] };
  const matches = ottlConditions(binary, { signal, config, connector, input: otlpResources(signal, sample) });
  expect(matches).toHaveLength(sample.length);
  const got = destinations(matches, default_pipelines);
  const want = sample.map((a) => [`${signal}/${expectedCloud(ctx, a)}`]);
  const wrong = sample.flatMap((a, i) => (JSON.stringify(got[i]) === JSON.stringify(want[i]) ? [] : [`${JSON.stringify(a)} → ${got[i]!.join(', ') || 'nothing'}, expected ${want[i]![0]}`]));
  expect(wrong).toEqual([]);
}

describe.runIf(found)('the real OTTL on the synthesized collector configs', () => {
  const binary = found?.['ottl-run'] ?? '';
  // Synthesized only when the suite runs (the tables below are built from them).
  const stacks = found ? synthesized() : [];

  it('synthesizes the default cluster and every cluster of the multi-cloud example', () => {
    expect(stacks.map((s) => s.name)).toEqual(expect.arrayContaining(['default local', 'multi-cloud aws-apps', 'multi-cloud dc1', 'multi-cloud gke-backend']));
  });

  // What the stack emits: transform processors and routing connectors. Another OTTL-carrying
  // component (a filter processor, an ottl_condition sampling policy) fails here until covered.
  it('finds the OTTL where the stack puts it: the multi-cloud gateways\' routing and cardinality guard, nothing in the default stack', () => {
    const inventory = (name: string) => Object.entries(stacks.find((s) => s.name === name)!.collectors).flatMap(([c, config]) => ottlComponents(config).map((o) => `${c} ${o.id}`));
    expect(inventory('default local')).toEqual([]);
    expect(inventory('multi-cloud aws-apps').sort()).toEqual(['otel-gateway routing/logs', 'otel-gateway routing/metrics', 'otel-gateway routing/traces', 'otel-gateway transform/cardinality']);
  });

  it.each(stacks)('$name: every OTTL-carrying component is a transform processor or a routing connector, and each parses', ({ collectors }) => {
    for (const [component, config] of Object.entries(collectors)) {
      for (const { kind, id, type } of ottlComponents(config)) {
        expect(['processor transform', 'connector routing'], `${component} ${kind} ${id}`).toContain(`${kind} ${type}`);
        if (type === 'transform') ottlTransform(binary, { signal: 'traces', config, processor: id, input: { resourceSpans: [] } });
        else ottlConditions(binary, { signal: connectorSignal(config, id), config, connector: id, input: otlpResources(connectorSignal(config, id), []) });
      }
    }
  });

  it('the multi-cloud gateways route, and the default (one cloud, no extra routes) does not', () => {
    const routed = stacks.filter((s) => Object.keys(s.collectors['otel-gateway']?.connectors ?? {}).some((c) => c.startsWith('routing/')));
    expect(routed.map((s) => s.name).sort()).toEqual(stacks.filter((s) => s.name.startsWith('multi-cloud ')).map((s) => s.name).sort());
  });

  describe.each(stacks.filter((s) => s.collectors['otel-gateway']?.connectors?.['routing/logs']))('$name gateway', ({ ctx, collectors }) => {
    it.each(SIGNALS)('routes every %s resource (each cloud.provider, none, unknown; every tenant and namespace) to exactly one pipeline, the expected one', (signal) => {
      expectRoutedAsConfigured(binary, ctx, signal, collectors['otel-gateway']!, `routing/${signal}`);
    });
  });

  // Routes that overlap (a tenant in a namespace another route sends elsewhere) or none at all, on
  // the routing tables the gateway would carry (src/routing/gateway.ts), every cluster of the example.
  const example = loadConfigFile(STACKS['multi-cloud']);
  const variants: [string, StackConfig][] = [
    ['no extra routes', { ...example, routing: { ...example.routing, routes: [] } }],
    ['overlapping routes', { ...example, routing: OVERLAPPING_ROUTES }],
  ];
  it.each(variants.flatMap(([name, config]) => config.clusters.map((c) => [name, c.name, stackContext(config, c)] as const)))('%s, %s: every resource to exactly one pipeline, the expected one', (_, __, ctx) => {
    for (const signal of SIGNALS) expectRoutedAsConfigured(binary, ctx, signal, routingTable(ctx, signal));
  });

  it('refuses a routing condition that does not parse (exit 1, naming it)', () => {
    const config = structuredClone(stacks.find((s) => s.name === 'multi-cloud aws-apps')!.collectors['otel-gateway']!);
    config.connectors!['routing/logs']!.table[0]!.condition = 'attributes["cloud.provider"] == == "aws"';
    expect(() => ottlConditions(binary, { signal: 'logs', config, connector: 'routing/logs', input: otlpResources('logs', [{}]) })).toThrow(
      /exited 1: .*== == \\"aws\\".* does not parse/,
    );
  });

  describe('the cardinality guard (transform/cardinality) of the multi-cloud gateways', () => {
    const gateway = () => stacks.find((s) => s.name === 'multi-cloud aws-apps')!.collectors['otel-gateway']!;
    const transform = (signal: 'traces' | 'logs' | 'metrics', input: object) => ottlTransform(binary, { signal, config: gateway(), processor: 'transform/cardinality', input });
    type Out = { resourceSpans: { scopeSpans: { spans: { attributes?: never[] }[] }[] }[] };

    it('is the example\'s: two URL templates and two dropped attributes', () => {
      expect(example.cardinality).toMatchObject({
        urlTemplates: [{ pattern: '/users/\\d+', template: '/users/{userId}' }, { pattern: '/orders/[0-9a-f-]+', template: '/orders/{orderId}' }],
        dropAttributes: ['http.request.header.authorization', 'user.email'],
      });
    });

    // Client spans carry the whole URL (`url.full`, formerly `http.url`), server spans the path
    // (`url.path`, formerly `http.target`): https://opentelemetry.io/docs/specs/semconv/http/http-spans/
    it.each<[string, Attributes, Attributes]>([
      [
        'a client span: url.full templated, secrets dropped, the rest kept',
        { 'url.full': 'https://api.example.com/users/42/orders/9f1c-07?page=2', 'http.request.method': 'GET', 'user.email': 'a@example.com', 'http.request.header.authorization': 'Bearer x' },
        { 'url.full': 'https://api.example.com/users/{userId}/orders/{orderId}?page=2', 'http.request.method': 'GET' },
      ],
      ['a client span, old conventions (http.url)', { 'http.url': 'http://checkout:8080/users/7' }, { 'http.url': 'http://checkout:8080/users/{userId}' }],
      ['a server span (url.path)', { 'url.path': '/users/42/orders/ab12', 'http.route': '/users/:id/orders/:order' }, { 'url.path': '/users/{userId}/orders/{orderId}', 'http.route': '/users/:id/orders/:order' }],
      ['a server span, old conventions (http.target)', { 'http.target': '/users/42?debug=1' }, { 'http.target': '/users/{userId}?debug=1' }],
      ['a span without URL attributes', { 'rpc.method': 'Charge' }, { 'rpc.method': 'Charge' }],
      ['a path the templates do not know', { 'url.path': '/users/me' }, { 'url.path': '/users/me' }],
    ])('%s', (_, attributes, expected) => {
      const span = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', name: 'GET', attributes: otlpAttributes(attributes) };
      const out = transform('traces', { resourceSpans: [{ resource: {}, scopeSpans: [{ spans: [span] }] }] }) as Out;
      expect(attributesOf(out.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes)).toEqual(expected);
    });

    it('drops the attributes from log records and metric data points, keeping the others and the resource\'s', () => {
      const attributes = otlpAttributes({ 'user.email': 'a@example.com', 'http.request.header.authorization': 'Bearer x', 'http.response.status_code': '200' });
      const resource = { attributes: otlpAttributes({ 'service.name': 'checkout' }) };
      const logs = transform('logs', { resourceLogs: [{ resource, scopeLogs: [{ logRecords: [{ body: { stringValue: 'paid' }, attributes }] }] }] }) as {
        resourceLogs: { resource: { attributes: never[] }; scopeLogs: { logRecords: { attributes?: never[] }[] }[] }[];
      };
      expect(attributesOf(logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes)).toEqual({ 'http.response.status_code': '200' });
      expect(attributesOf(logs.resourceLogs[0]!.resource.attributes)).toEqual({ 'service.name': 'checkout' });
      const point = { asDouble: 1, timeUnixNano: '1700000000000000000', attributes };
      const metrics = transform('metrics', {
        resourceMetrics: [{ resource, scopeMetrics: [{ metrics: [{ name: 'requests', sum: { dataPoints: [point], aggregationTemporality: 2, isMonotonic: true } }, { name: 'inflight', gauge: { dataPoints: [point] } }] }] }],
      }) as { resourceMetrics: { scopeMetrics: { metrics: { sum?: { dataPoints: { attributes?: never[] }[] }; gauge?: { dataPoints: { attributes?: never[] }[] } }[] }[] }[] };
      for (const m of metrics.resourceMetrics[0]!.scopeMetrics[0]!.metrics) {
        expect(attributesOf((m.sum ?? m.gauge)!.dataPoints[0]!.attributes)).toEqual({ 'http.response.status_code': '200' });
      }
    });

    it.each([
      ['a statement that does not parse', 'delete_key(span.attributes, "user.email"'],
      ['a URL pattern Go\'s regexp refuses (lookbehind)', 'replace_pattern(span.attributes["url.path"], "(?<=/users/)\\\\d+", "{userId}")'],
    ])('refuses %s (exit 1, naming it)', (_, statement) => {
      const config = structuredClone(gateway());
      (config.processors!['transform/cardinality']!.trace_statements as string[]).push(statement);
      expect(() => ottlTransform(binary, { signal: 'traces', config, processor: 'transform/cardinality', input: { resourceSpans: [] } })).toThrow(/exited 1: /);
    });
  });
  // A user's URL pattern goes into replace_pattern as written: the loader refuses what Go's regexp
  // refuses (src/config/re2.ts), and Go's regexp is asked for each verdict here.
  describe('cardinality.urlTemplates patterns: the loader\'s verdict is Go\'s', () => {
    const goRefuses = (pattern: string) => {
      const config = { trace_statements: [`replace_pattern(span.attributes["url.path"], ${JSON.stringify(pattern)}, "x")`] };
      try {
        ottlTransform(binary, { signal: 'traces', config, input: { resourceSpans: [] } });
        return false;
      } catch (e) {
        expect((e as Error).message).toMatch(/exited 1: /);
        return true;
      }
    };
    it.each<[string, boolean]>([
      ['/users/\\d+', true],
      ['/orders/[0-9a-f-]+', true],
      ['(?i)/Users/(?P<id>\\d+)', true],
      ['/users/(?<id>\\d+)', true],
      ['/items/[[:digit:]]{1,12}?', true],
      ['/a\\(b\\)/[()]+/x{2}', true],
      ['/{id}+', true],
      ['/v\\Q(1)\\E/\\d+', true],
      ['/users/\\d???', false],
      ['/users/(?=\\d)\\d+', false],
      ['/users/(?!me)\\w+', false],
      ['(?<=/users/)\\d+', false],
      ['(?<!/admin)/users/\\d+', false],
      ['/(\\w+)/\\1', false],
      ['/(?<seg>\\w+)/\\k<seg>', false],
      ['/users/(?>\\d+)', false],
      ['/users/\\d++', false],
      ['/users/\\d*+', false],
      ['/users/\\d{2}+', false],
      ['/users/\\d{1001}', false],
      ['*/users', false],
      ['/users/(\\d+', false],
      ['/users/\\d+)', false],
      ['/users/[0-9', false],
    ])('%s: accepted %s', (pattern, accepted) => {
      expect(goRefuses(pattern), 'Go\'s verdict').toBe(!accepted);
      expect(re2Problem(pattern), 'the loader\'s verdict').toEqual(accepted ? undefined : expect.any(String));
    });

    it('a refused pattern is a located error of the config', () => {
      const text = 'clusters:\n  - { name: c, cloud: aws, region: eu-west-1 }\ncardinality:\n  urlTemplates:\n    - { pattern: "(?<=/users/)\\\\d+", template: "{id}" }\n';
      expectLocatedProblem(text, '5:18 cardinality.urlTemplates[0].pattern', /lookahead and lookbehind .* are not supported by the collector's regular expressions/);
    });
  });
  // Logs → traces for container stdout: the agent's file_log operators after the container parser
  // (one regex_parser per key spelling family and one for W3C traceparent, each merging its named
  // captures into one map; a trace_parser reading the ids from that map; its removal). Each regex
  // runs in Go through ExtractPatterns on the log body; stanza's merge of the maps, in operator
  // order, is written out below.
  describe('the agent lifts the trace context out of container log lines (Go\'s regexp)', () => {
    const agents = stacks.flatMap((s) => (s.collectors['otel-agent'] ? [s.collectors['otel-agent'].receivers['file_log']!.operators!] : []));
    const operators = agents[0] ?? [];
    const capture = 'attributes.trace_context';
    const parsers = operators.filter((o) => o.type === 'regex_parser');

    it('every agent runs the same operators: the container parser, regex parsers into one map, the trace parser reading it, its removal', () => {
      expect(agents.length).toBeGreaterThanOrEqual(2);
      for (const other of agents) expect(other).toEqual(operators);
      expect(operators.map((o) => o.type)).toEqual(['container', ...parsers.map(() => 'regex_parser'), 'trace_parser', 'remove']);
      for (const p of parsers) expect(p).toEqual({ type: 'regex_parser', id: p.id, regex: expect.any(String), parse_to: capture, on_error: 'send_quiet' });
      expect(operators.at(-2)).toMatchObject({ trace_id: { parse_from: `${capture}.trace_id` }, span_id: { parse_from: `${capture}.span_id` }, trace_flags: { parse_from: `${capture}.trace_flags` } });
      expect(operators.at(-1)).toMatchObject({ field: capture });
    });

    /** What the trace parser receives for each line: every parser's Go captures merged in order (a line a parser does not match leaves the map as it was). */
    const traceContexts = (regexes: readonly Operator[], lines: readonly string[]) => {
      const config = {
        error_mode: 'propagate',
        log_statements: regexes.map((p) => `set(log.attributes[${JSON.stringify(p.id)}], ExtractPatterns(log.body, ${JSON.stringify(p.regex)}))`),
      };
      const input = { resourceLogs: [{ resource: {}, scopeLogs: [{ logRecords: lines.map((line) => ({ body: { stringValue: line } })) }] }] };
      const out = ottlTransform(binary, { signal: 'logs', config, input }) as { resourceLogs: { scopeLogs: { logRecords: { attributes?: never[] }[] }[] }[] };
      return out.resourceLogs[0]!.scopeLogs[0]!.logRecords.map((r) => {
        const captures = attributesOf(r.attributes);
        return Object.assign({}, ...regexes.map((p) => captures[p.id!])) as Record<string, string>;
      });
    };

    // W3C Trace Context's example ids (https://www.w3.org/TR/trace-context/#examples-of-http-traceparent-headers).
    const T = '4bf92f3577b34da6a3ce929d0e0e4736';
    const S = '00f067aa0ba902b7';
    const LINES: [string, string, Record<string, string>][] = [
      ['JSON, OpenTelemetry field names', `{"level":"info","msg":"card charged","trace_id":"${T}","span_id":"${S}"}`, { trace_id: T, span_id: S }],
      ['JSON, camel case (Java MDC, log4j), spaces around the colon', `{"message":"card charged", "traceId" : "${T}", "spanId":"${S}"}`, { trace_id: T, span_id: S }],
      ['JSON, Go initialism', `{"level":"debug","traceID":"${T}","spanID":"${S}","msg":"query"}`, { trace_id: T, span_id: S }],
      ['JSON, .NET (Serilog, ILogger scopes)', `{"@t":"2024-05-01T12:00:00Z","@m":"paid","TraceId":"${T}","SpanId":"${S}"}`, { trace_id: T, span_id: S }],
      ['logfmt', `level=info msg="card charged" trace_id=${T} span_id=${S}`, { trace_id: T, span_id: S }],
      ['logfmt, quoted values', `level=info trace_id="${T}" span_id="${S}" msg=done`, { trace_id: T, span_id: S }],
      ['logfmt as Loki, Tempo and Grafana write it', `level=info ts=2024-05-01T12:00:00.000Z caller=http.go:194 traceID=${T} orgID=fake msg="GET /ready (200) 1.2ms"`, { trace_id: T }],
      ['logfmt, the key first on the line', `traceID=${T} spanID=${S} msg=ok`, { trace_id: T, span_id: S }],
      ['logfmt, kebab case', `level=warn trace-id=${T} span-id=${S} msg=retry`, { trace_id: T, span_id: S }],
      ['a text line with trace-id:', `2024-05-01 12:00:00 INFO [checkout] trace-id: ${T} span-id: ${S} order placed`, { trace_id: T, span_id: S }],
      ['a Python dict', `INFO extra={'trace_id': '${T}', 'span_id': '${S}'}`, { trace_id: T, span_id: S }],
      ['a W3C traceparent header', `GET /checkout 200 traceparent: 00-${T}-${S}-01`, { trace_id: T, span_id: S, trace_flags: '01' }],
      ['a traceparent inside JSON', `{"msg":"incoming","traceparent":"00-${T}-${S}-00"}`, { trace_id: T, span_id: S, trace_flags: '00' }],
      ['a trace id only', `trace_id=${T} msg=queued`, { trace_id: T }],
      ['no trace context', 'GET /healthz 200 1.2ms', {}],
      ['a longer key ending in trace_id', `xtrace_id=${T} msg=x`, {}],
      ['a key starting with trace_id', `trace_idx=${T} msg=x`, {}],
      ['another id of the same length', `request_id=${T} msg=x`, {}],
      ['a 31-digit trace id', `trace_id=${T.slice(1)} msg=x`, {}],
      ['a hex string longer than a trace id', `trace_id=${T}00ff msg=x`, {}],
      ['a parent span id is not the span id (snake, kebab, camel case)', `parent_span_id=${S} parent-span-id=${S} parentSpanId=${S} msg=x`, {}],
    ];

    it.each(LINES)('%s', (_, line, expected) => {
      expect(traceContexts(parsers, [line])[0]).toEqual(expected);
    });

    it('refuses a regex Go\'s regexp cannot compile (a lookbehind): the collector would not start', () => {
      const lookbehind = { type: 'regex_parser', id: 'trace-id-field', regex: `(?<![\\w-])trace_?id=(?P<trace_id>[0-9a-f]{32})` };
      expect(() => traceContexts([lookbehind], [`trace_id=${T}`])).toThrow(/exited 1: /);
    });
  });
});
