import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { REDACTED_LINES_QUERY } from '../src/dashboards/stack-health.ts';
import { REDACTION_PROCESSOR, SALT_ENV } from '../src/redaction/statements.ts';
import { synthesizedCollectors, type CollectorConfig } from './support/collector-configs.ts';
import { writeDerivedConfig } from './support/config-file.ts';
import { engines } from './support/engines.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { attributesOf, otlpAttributes, ottlTransform } from './support/ottl-run.ts';

// Redaction (issue 22) proven with the collector's own OTTL (`ottl-run`): exactly the statements of
// the synthesized agent and gateway ConfigMaps run on a corpus per preset (test/fixtures/
// redaction-corpus/), in every scope; and the pipeline structure of every synthesized config puts
// redaction between what enters a collector and every exporter and connector.

const found = engines(import.meta.url, ['ottl-run']);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/redaction.yaml');
const CORPUS = join(ROOT, 'test/fixtures/redaction-corpus');
/** ottl-run does not expand `${env:…}`: the test puts the salt where the collector would. */
const SALT = 'c0ffee-salt-for-tests';

const work = mkdtempSync(join(tmpdir(), 'o11y-redaction-real-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The example with `edit` applied to its parsed config, synthesized; its one cluster's collectors. */
function variant(name: string, edit: (config: Record<string, any>) => void): Record<string, CollectorConfig> {
  const config = parseYaml(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>;
  edit(config);
  const file = writeDerivedConfig(join(work, name), stringify(config), EXAMPLE);
  return synthesizedCollectors(file, join(work, name, 'dist'))[0]!.collectors;
}

interface Corpus {
  readonly rule: string;
  readonly positive: readonly { readonly text: string; readonly secrets: readonly string[] }[];
  readonly negative: readonly string[];
}
const corpora: Corpus[] = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => parseYaml(readFileSync(join(CORPUS, f), 'utf8')) as Corpus);

/** What each action makes of a secret, written from the README's definition, not from the statements. */
type Action = { kind: 'mask'; keepLast: number } | { kind: 'hash' };
function redacted(rule: string, action: Action, secret: string): string {
  if (action.kind === 'hash') return `[sha256:${rule}:${createHash('sha256').update(SALT + secret).digest('hex')}]`;
  return `[redacted:${rule}]${action.keepLast ? secret.slice(-action.keepLast) : ''}`;
}
function expectedText(rule: string, action: Action, text: string, secrets: readonly string[], encode: (s: string) => string = (s) => s): string {
  return secrets.reduce((t, s) => t.replaceAll(encode(s), redacted(rule, action, encode(s))), encode(text));
}

/** One transform processor of a collector config, with the salt put in as the collector would. */
function redactionOf(config: CollectorConfig): object {
  const processor = config.processors?.[REDACTION_PROCESSOR];
  expect(processor, 'the config has no redaction processor').toBeDefined();
  return JSON.parse(JSON.stringify(processor).replaceAll(`\${env:${SALT_ENV}}`, SALT)) as object;
}

type Value = { stringValue?: string; kvlistValue?: { values?: { key: string; value: Value }[] } };
const str = (v: Value | undefined) => v?.stringValue;

/** Every value of every scope a text is put in, in and out of the real OTTL. */
interface Placed {
  logBody?: string;
  jsonBody?: string;
  mapBody?: Record<string, unknown>;
  logAttribute?: string;
  spanAttribute?: string;
  eventAttribute?: string;
  resourceAttribute?: string;
  pointAttribute?: string;
}

/** Runs `texts` through the processor in every scope: each text in a log body (plain, JSON text, map), a log, span, span event, resource and data point attribute. */
function runEverywhere(binary: string, processor: object, texts: readonly string[], namespace = 'shop'): Placed[] {
  const resource = (t: string) => ({ attributes: otlpAttributes({ 'k8s.namespace.name': namespace, 'service.name': 'checkout', 'app.note': t }) });
  const logs = ottlTransform(binary, {
    signal: 'logs',
    config: processor,
    input: {
      resourceLogs: texts.map((t) => ({
        resource: resource(t),
        scopeLogs: [
          {
            logRecords: [
              { body: { stringValue: t }, attributes: otlpAttributes({ note: t }) },
              { body: { stringValue: JSON.stringify({ msg: t, level: 'info' }) } },
              { body: { kvlistValue: { values: otlpAttributes({ msg: t, level: 'info' }) } } },
            ],
          },
        ],
      })),
    },
  }) as { resourceLogs: { resource: { attributes: never[] }; scopeLogs: { logRecords: { body: Value; attributes?: never[] }[] }[] }[] };
  const traces = ottlTransform(binary, {
    signal: 'traces',
    config: processor,
    input: {
      resourceSpans: texts.map((t) => ({
        resource: resource(t),
        scopeSpans: [{ spans: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', name: 'query', attributes: otlpAttributes({ 'db.statement': t }), events: [{ name: 'exception', timeUnixNano: '1700000000000000000', attributes: otlpAttributes({ 'exception.message': t }) }] }] }],
      })),
    },
  }) as { resourceSpans: { scopeSpans: { spans: { traceId: string; attributes?: never[]; events: { attributes?: never[] }[] }[] }[] }[] };
  const metrics = ottlTransform(binary, {
    signal: 'metrics',
    config: processor,
    input: { resourceMetrics: texts.map((t) => ({ resource: resource(t), scopeMetrics: [{ metrics: [{ name: 'requests', gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: '1700000000000000000', attributes: otlpAttributes({ 'user.input': t }) }] } }] }] })) },
  }) as { resourceMetrics: { scopeMetrics: { metrics: { gauge: { dataPoints: { attributes?: never[] }[] } }[] }[] }[] };
  return texts.map((_, i) => {
    const [plain, json, map] = logs.resourceLogs[i]!.scopeLogs[0]!.logRecords;
    const span = traces.resourceSpans[i]!.scopeSpans[0]!.spans[0]!;
    expect(span.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    return {
      logBody: str(plain!.body),
      jsonBody: str(json!.body),
      mapBody: attributesOf(map!.body.kvlistValue?.values as never),
      logAttribute: attributesOf(plain!.attributes).note as string,
      spanAttribute: attributesOf(span.attributes)['db.statement'] as string,
      eventAttribute: attributesOf(span.events[0]!.attributes)['exception.message'] as string,
      resourceAttribute: attributesOf(logs.resourceLogs[i]!.resource.attributes)['app.note'] as string,
      pointAttribute: attributesOf(metrics.resourceMetrics[i]!.scopeMetrics[0]!.metrics[0]!.gauge.dataPoints[0]!.attributes)['user.input'] as string,
    };
  });
}

/** What every scope must hold for a text whose secrets `expect` rewrites. */
function expectedPlaced(text: string, rewrite: (t: string, encode?: (s: string) => string) => string): Placed {
  const value = rewrite(text);
  const jsonEncode = (s: string) => JSON.stringify(s).slice(1, -1);
  return {
    logBody: value,
    jsonBody: `{"msg":"${rewrite(text, jsonEncode)}","level":"info"}`,
    mapBody: { msg: value, level: 'info' },
    logAttribute: value,
    spanAttribute: value,
    eventAttribute: value,
    resourceAttribute: value,
    pointAttribute: value,
  };
}

/** The example's actions: cards masked to the last 4, e-mails hashed, the loyalty card to the last 2, the rest masked. */
const EXAMPLE_ACTIONS: Record<string, Action> = { 'payment-card': { kind: 'mask', keepLast: 4 }, email: { kind: 'hash' }, 'loyalty-card': { kind: 'mask', keepLast: 2 } };
const exampleAction = (rule: string): Action => EXAMPLE_ACTIONS[rule] ?? { kind: 'mask', keepLast: 0 };

describe.runIf(found)('redaction with the real OTTL, on the synthesized configs', () => {
  const binary = found?.['ottl-run'] ?? '';
  const example = found ? variant('example', () => {}) : {};
  const hashed = found
    ? variant('every-preset-hashed', (c) => {
        c.redaction.presets = Object.fromEntries(corpora.filter((k) => k.rule !== 'loyalty-card').map((k) => [k.rule, { action: 'hash' }]));
        c.redaction.patterns = c.redaction.patterns.map((p: Record<string, unknown>) => (p.name === 'loyalty-card' ? { name: p.name, pattern: p.pattern, action: 'hash' } : p));
      })
    : {};

  it('the agent and the gateway carry the same redaction statements, and the salt from the Secret', () => {
    expect(example['otel-agent']!.processors![REDACTION_PROCESSOR]).toEqual(example['otel-gateway']!.processors![REDACTION_PROCESSOR]);
    expect(JSON.stringify(example['otel-agent']!.processors![REDACTION_PROCESSOR])).toContain(`\${env:${SALT_ENV}}`);
  });

  it('each ${env:…} of the agent\'s and the gateway\'s config is set in its container: the salt from the Secret the config names', () => {
    const objects = loadManifestDir(join(work, 'example', 'dist', 'local'));
    for (const [kind, name] of [['DaemonSet', 'otel-agent'], ['Deployment', 'otel-gateway']] as const) {
      const workload = objects.find((o) => o.kind === kind && o.metadata.name === name)!;
      const env = (workload.spec as { template: { spec: { containers: { env: { name: string }[] }[] } } }).template.spec.containers[0]!.env;
      const references = [...JSON.stringify(example[name]).matchAll(/\$\{env:(\w+)\}/g)].map((m) => m[1]!);
      expect(references, name).toContain(SALT_ENV);
      expect(env.map((e) => e.name), name).toEqual(expect.arrayContaining(references));
      expect(env.find((e) => e.name === SALT_ENV), name).toEqual({ name: SALT_ENV, valueFrom: { secretKeyRef: { name: 'o11y-redaction-salt', key: 'salt' } } });
    }
  });

  describe.each([
    ['agent', 'otel-agent'],
    ['gateway', 'otel-gateway'],
  ])('the %s (the example: cards keep 4, e-mails hashed)', (_, component) => {
    it.each(corpora)('$rule: every positive sample redacted in every scope, every negative unchanged', ({ rule, positive, negative }) => {
      const processor = redactionOf(example[component]!);
      const out = runEverywhere(binary, processor, [...positive.map((p) => p.text), ...negative]);
      const want = [
        ...positive.map((p) => expectedPlaced(p.text, (t, encode) => expectedText(rule, exampleAction(rule), t, p.secrets, encode))),
        ...negative.map((n) => expectedPlaced(n, (t, encode) => (encode ? encode(t) : t))),
      ];
      expect(out).toEqual(want);
    });
  });

  it.each(corpora)('every preset hashed, $rule: hash = SHA-256 of the salt and the secret, the context kept', ({ rule, positive }) => {
    const out = runEverywhere(binary, redactionOf(hashed['otel-agent']!), positive.map((p) => p.text));
    expect(out).toEqual(positive.map((p) => expectedPlaced(p.text, (t, encode) => expectedText(rule, { kind: 'hash' }, t, p.secrets, encode))));
  });

  it('the same value hashes the same in the agent and the gateway (it still correlates), and differently with another salt', () => {
    const text = 'login jane@example.com';
    const agent = runEverywhere(binary, redactionOf(example['otel-agent']!), [text])[0]!;
    const gateway = runEverywhere(binary, redactionOf(example['otel-gateway']!), [text])[0]!;
    expect(agent.logBody).toBe(gateway.logBody);
    const other = JSON.parse(JSON.stringify(example['otel-agent']!.processors![REDACTION_PROCESSOR]).replaceAll(`\${env:${SALT_ENV}}`, 'another-salt')) as object;
    expect(runEverywhere(binary, other, [text])[0]!.logBody).not.toBe(agent.logBody);
  });

  it('the gateway\'s second pass over what the agent redacted changes nothing (markers and hashes match no rule)', () => {
    const texts = corpora.flatMap((k) => k.positive.map((p) => p.text));
    const once = runEverywhere(binary, redactionOf(example['otel-agent']!), texts);
    const gatewayOnce = redactionOf(example['otel-gateway']!);
    expect(runEverywhere(binary, gatewayOnce, once.map((o) => o.logBody!))).toEqual(once.map((o) => expectedPlaced(o.logBody!, (t, encode) => (encode ? encode(t) : t))));
  });

  it('the exempt namespace (payments-debug) passes unchanged; the same text elsewhere does not', () => {
    const text = 'card 4111 1111 1111 1111 for jane@example.com';
    const processor = redactionOf(example['otel-agent']!);
    expect(runEverywhere(binary, processor, [text], 'payments-debug')[0]).toEqual(expectedPlaced(text, (t, encode) => (encode ? encode(t) : t)));
    expect(runEverywhere(binary, processor, [text], 'payments')[0]!.logBody).toBe(`card [redacted:payment-card]1111 for ${redacted('email', { kind: 'hash' }, 'jane@example.com')}`);
  });

  it('a namespace\'s own pattern (merchant-ref in payments) runs there only', () => {
    const processor = redactionOf(example['otel-agent']!);
    expect(runEverywhere(binary, processor, ['refund MREF-123456'], 'payments')[0]).toEqual(expectedPlaced('refund MREF-123456', (t, encode) => expectedText('merchant-ref', { kind: 'mask', keepLast: 0 }, t, ['MREF-123456'], encode)));
    expect(runEverywhere(binary, processor, ['refund MREF-123456'], 'shop')[0]!.logBody).toBe('refund MREF-123456');
  });

  it('drop (session-cookie): the listed attribute is deleted when its value matches, kept when not; a matching string body is replaced', () => {
    const cookie = `sess-${'0123456789abcdef'.repeat(2)}`;
    const processor = redactionOf(example['otel-gateway']!);
    const spans = ottlTransform(binary, {
      signal: 'traces',
      config: processor,
      input: {
        resourceSpans: [cookie, 'theme=dark'].map((v) => ({
          resource: {},
          scopeSpans: [{ spans: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', name: 'GET', attributes: otlpAttributes({ 'http.request.header.cookie': v, 'http.request.method': 'GET' }) }] }],
        })),
      },
    }) as { resourceSpans: { scopeSpans: { spans: { attributes: never[] }[] }[] }[] };
    expect(spans.resourceSpans.map((r) => attributesOf(r.scopeSpans[0]!.spans[0]!.attributes))).toEqual([{ 'http.request.method': 'GET' }, { 'http.request.header.cookie': 'theme=dark', 'http.request.method': 'GET' }]);
    expect(runEverywhere(binary, processor, [`cookie ${cookie}`])[0]!.logBody).toBe('[dropped:session-cookie]');
  });

  it('allow-list mode: only the listed keys survive in log, span and span event attributes; resource and data point attributes are kept', () => {
    const strict = variant('allow-list', (c) => {
      c.redaction = { enabled: true, defaults: false, allowedKeys: ['db.statement', 'http.request.method'] };
    });
    const processor = redactionOf(strict['otel-agent']!);
    const out = runEverywhere(binary, processor, ['select 1'])[0]!;
    expect(out).toMatchObject({ logAttribute: undefined, spanAttribute: 'select 1', eventAttribute: undefined, resourceAttribute: 'select 1', pointAttribute: 'select 1' });
  });

  it('scopes limit where redaction runs: with logBodies only, attributes keep the secret', () => {
    const bodies = variant('bodies-only', (c) => {
      c.redaction = { enabled: true, scopes: ['logBodies'] };
    });
    const out = runEverywhere(binary, redactionOf(bodies['otel-agent']!), ['key AKIAIOSFODNN7EXAMPLE'])[0]!;
    expect(out).toMatchObject({ logBody: 'key [redacted:cloud-keys]', logAttribute: 'key AKIAIOSFODNN7EXAMPLE', spanAttribute: 'key AKIAIOSFODNN7EXAMPLE' });
  });

  it('a statement the collector cannot parse fails the run (exit 1, naming it)', () => {
    const processor = redactionOf(example['otel-agent']!) as { log_statements: { statements: string[] }[] };
    processor.log_statements[0]!.statements[0] = 'replace_all_patterns(resource.attributes, "value", "(?<=x)y", "z")';
    expect(() => runEverywhere(binary, processor, ['x'])).toThrow(/exited 1: .*replace_all_patterns.* is not a valid pattern: error parsing regexp/);
  });
});

// ------------------------------------------------------------------------------------------------
// Pipeline structure: redaction sits between whatever enters a collector and every exporter and connector
// ------------------------------------------------------------------------------------------------

/** The port a load_balancing exporter sends to (the gateway's own sharded tiers), or a receiver listens on. */
const exporterPort = (e: Record<string, unknown>) => String((e.resolver as { k8s?: { ports?: number[] } } | undefined)?.k8s?.ports?.[0]);
const receiverPort = (r: CollectorConfig['receivers'][string]) => r.protocols?.grpc?.endpoint?.split(':').pop();

/**
 * Pipelines through which something can reach an exporter or a connector unredacted: one is clean
 * when it runs the redaction processor, or when everything it receives comes from clean pipelines
 * (through a connector, or a load_balancing exporter to the gateway's own shards). Empty is right.
 */
function unredactedPipelines(config: CollectorConfig): string[] {
  const pipelines = Object.entries(config.service.pipelines);
  const shardPorts = new Set(Object.entries(config.exporters).filter(([id]) => id.startsWith('load_balancing/')).map(([, e]) => exporterPort(e)));
  /** The pipelines that feed a receiver or connector; undefined when it takes data from outside. */
  const feeders = (id: string) => {
    if (config.connectors?.[id]) return pipelines.filter(([, p]) => p.exporters.includes(id));
    const port = receiverPort(config.receivers[id]!);
    if (port === undefined || !shardPorts.has(port)) return undefined;
    return pipelines.filter(([, p]) => p.exporters.some((e) => e.startsWith('load_balancing/') && exporterPort(config.exporters[e]!) === port));
  };
  const clean = new Set(pipelines.filter(([, p]) => p.processors?.includes(REDACTION_PROCESSOR)).map(([id]) => id));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [id, p] of pipelines) {
      if (clean.has(id) || !p.receivers.every((r) => feeders(r)?.every(([f]) => clean.has(f)))) continue;
      clean.add(id);
      changed = true;
    }
  }
  return pipelines.filter(([id]) => !clean.has(id)).map(([id]) => id);
}

const CONFIGS = ['o11y.yaml', ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `examples/${f}`)];

describe('pipeline structure of every synthesized config', () => {
  const synthesized = CONFIGS.flatMap((file) => synthesizedCollectors(join(ROOT, file), join(work, 'structure', file)).map((c) => ({ name: `${file} ${c.cluster}`, ...c })));
  // The multi-cloud example with redaction on: routing connectors, span metrics, sharded tiers, other clusters' OTLP.
  const multi = parseYaml(readFileSync(join(ROOT, 'examples/multi-cloud.yaml'), 'utf8')) as Record<string, unknown>;
  const multiFile = writeDerivedConfig(join(work, 'multi-redacted'), stringify({ ...multi, redaction: { enabled: true } }), join(ROOT, 'examples/multi-cloud.yaml'));
  const redactedMulti = synthesizedCollectors(multiFile, join(work, 'multi-redacted', 'dist')).map((c) => ({ name: `multi-cloud with redaction ${c.cluster}`, ...c }));
  const all = [...synthesized, ...redactedMulti];
  const on = all.filter((s) => Object.values(s.collectors).some((c) => c.processors?.[REDACTION_PROCESSOR]));

  it('redaction is off unless configured: only examples/redaction.yaml and the redacted variant carry it', () => {
    expect([...new Set(on.map((s) => s.name.split(' ')[0]))].sort()).toEqual(['examples/redaction.yaml', 'multi-cloud']);
  });

  // The scraper (Prometheus scrapes in the stack's namespace) sends only to its cluster's gateway, whose intake redacts: checked below.
  it.each(on.flatMap((s) => Object.entries(s.collectors).filter(([component]) => component !== 'otel-scraper').map(([component, config]) => [`${s.name} ${component}`, config] as const)))('%s: no path from a receiver to an exporter or connector skips redaction; it runs after k8s_attributes', (_, config) => {
    expect(unredactedPipelines(config)).toEqual([]);
    for (const [id, p] of Object.entries(config.service.pipelines)) {
      const processors = p.processors ?? [];
      if (processors.includes(REDACTION_PROCESSOR) && processors.includes('k8s_attributes')) expect(processors.indexOf(REDACTION_PROCESSOR), id).toBeGreaterThan(processors.indexOf('k8s_attributes'));
    }
  });

  it.each(on.filter((s) => s.collectors['otel-agent']).map((s) => [s.name, s.collectors['otel-agent']!] as const))('%s agent: trace context is read from log lines in the file_log receiver, before any processor; the logs pipeline redacts', (_, agent) => {
    expect(agent.receivers.file_log!.operators!.map((o) => o.type)).toContain('trace_parser');
    expect(agent.service.pipelines.logs!.receivers).toContain('file_log');
    expect(agent.service.pipelines.logs!.processors).toContain(REDACTION_PROCESSOR);
  });

  it.each(on.filter((s) => s.collectors['otel-scraper']).map((s) => [s.name, s.collectors] as const))('%s scraper: exports only to its cluster\'s gateway, whose metrics intake redacts', (_, collectors) => {
    const scraper = collectors['otel-scraper']!;
    expect(Object.values(scraper.service.pipelines).flatMap((p) => p.exporters.map((e) => String(scraper.exporters[e]!.endpoint)))).toEqual([expect.stringMatching(/^otel-gateway\./)]);
    expect(collectors['otel-gateway']!.service.pipelines['metrics/in']).toMatchObject({ receivers: ['otlp'], processors: expect.arrayContaining([REDACTION_PROCESSOR]) });
  });

  /** The stack-health dashboard's panel titles and Loki queries, as a synthesized Grafana ConfigMap carries them. */
  const stackHealth = (file: string) => {
    const objects = loadManifestDir(join(work, 'structure', file, 'local'));
    const json = objects.flatMap((o) => Object.entries((o.kind === 'ConfigMap' ? o.data : undefined) ?? {})).find(([k]) => k === 'stack-health.json')![1] as string;
    return (JSON.parse(json) as { panels: { title: string; datasource: { type: string }; targets: { expr: string }[] }[] }).panels;
  };

  it('the stack-health dashboard counts redacted lines in Loki where redaction is on, and has no such panel where it is off', () => {
    expect(stackHealth('examples/redaction.yaml').filter((p) => p.datasource.type === 'loki')).toEqual([expect.objectContaining({ title: 'Redacted log lines by rule', targets: [expect.objectContaining({ expr: REDACTED_LINES_QUERY })] })]);
    expect(stackHealth('o11y.yaml').filter((p) => p.datasource.type === 'loki')).toEqual([]);
  });

  it('the span-metrics connector only gets redacted spans (multi-cloud with redaction)', () => {
    const gateways = redactedMulti.map((s) => s.collectors['otel-gateway']!).filter((g) => g.connectors?.span_metrics);
    expect(gateways.length).toBeGreaterThan(0);
    for (const g of gateways) expect(unredactedPipelines(g)).toEqual([]);
  });

  it('the check finds a pipeline that skips redaction (the intake without it, and through it the sharded and span-metrics tiers)', () => {
    const gateway = structuredClone(redactedMulti.find((s) => s.collectors['otel-gateway']?.connectors?.span_metrics)!.collectors['otel-gateway']!);
    const traces = gateway.service.pipelines['traces/in']!;
    traces.processors = traces.processors!.filter((p) => p !== REDACTION_PROCESSOR);
    expect(unredactedPipelines(gateway)).toEqual(expect.arrayContaining(['traces/in', 'traces/span_metrics', 'traces/sampled']));
  });
});
