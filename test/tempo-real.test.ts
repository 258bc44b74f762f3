import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments, type Document } from 'yaml';
import { clusterResourceAttributes } from '../constructs/otel-collector.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { EXEMPLAR_TRACE_ID_LABELS, spanMetricsSeries } from '../src/model/span-metrics.ts';
import { synthesize } from '../src/synth.ts';
import { SPAN, stackSeries, TRACE_ID } from './fixtures/stack-series.ts';
import type { Daemon } from './support/daemon.ts';
import { engines } from './support/engines.ts';
import { configMapData, dashboardTargets, provisionedDatasources, substitute, traceToMetricsQueries } from './support/grafana-provisioning.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { exportTraces, type ResourceSpans } from './support/otlp-grpc.ts';
import { pathsUnder, removePodFiles } from './support/pod-files.ts';
import { unknownFlags } from './support/real-engine-checks.ts';
import { startPrometheusWith } from './support/real-prometheus.ts';
import { startTempo, tempoVerify, type LiveTempo } from './support/real-tempo.ts';
import { until } from './support/until.ts';

// Every Tempo config the stack synthesizes, run by the real Tempo 3: verified with the container's
// own args on its files as the pod mounts them, then the default one live on loopback: OTLP traces
// in as the gateway sends them, found by id and by the TraceQL of our dashboards, and its metrics
// generator remote-writing span metrics and service graphs to a real Prometheus 3 under the names
// and labels Grafana's links and panels query.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const found = engines(import.meta.url, ['tempo']);
const work = mkdtempSync(join(tmpdir(), 'o11y-tempo-real-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removePodFiles();
});

const DEFAULT = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8');

/** The default config's variants: each size (the size's retention applies), and span metrics in the gateways. */
const VARIANTS: Record<string, string> = {
  ...Object.fromEntries(['small', 'large'].map((size) => [`size ${size}`, DEFAULT.replace(/^ {2}tempo:.*\n/m, '').replace('architectures:', `size: ${size}\narchitectures:`)])),
  'span metrics in the gateways': `${DEFAULT}scale: { spanMetricsInGateway: true }\n`,
};

/** `<stack> <cluster>` → that cluster's objects, for each cluster that runs Tempo. */
function synthTempoClusters(stack: string, file: string): [string, K8sObject[]][] {
  const out = join(work, stack.replace(/\W+/g, '-'));
  synthesize({ configFile: file, outDir: out });
  return loadConfigFile(file)
    .clusters.map((c) => [`${stack} ${c.name}`, loadManifestDir(join(out, c.name))] as [string, K8sObject[]])
    .filter(([, objs]) => objs.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'tempo'));
}

function synthText(stack: string, text: string): [string, K8sObject[]][] {
  // Beside o11y.yaml, so that its SLO globs resolve the same way.
  const file = join(ROOT, `.tempo-real-${stack.replace(/\W+/g, '-')}-${process.pid}.yaml`);
  writeFileSync(file, text);
  try {
    return synthTempoClusters(stack, file);
  } finally {
    rmSync(file, { force: true });
  }
}

const cases: [string, K8sObject[]][] = found
  ? [
      ...synthTempoClusters('default', join(ROOT, 'o11y.yaml')),
      ...synthTempoClusters('multi-cloud', join(ROOT, 'examples/multi-cloud.yaml')),
      ...Object.entries(VARIANTS).flatMap(([name, text]) => synthText(name, text)),
    ]
  : [];

type TempoYaml = {
  usage_report?: { reporting_enabled?: boolean };
  storage: { trace: { backend: string } };
  overrides: { defaults: { metrics_generator: { processors: string[] }; compaction: { block_retention: string } } };
};
const tempoYaml = (objs: readonly K8sObject[]) => parseYaml(configMapData(objs, 'tempo-config')['tempo.yaml']!) as TempoYaml;
const tempoArgs = (objs: readonly K8sObject[]) =>
  (objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'tempo')!.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!;

describe.runIf(found)('every synthesized Tempo config, checked by the real Tempo 3', () => {
  it('covers the default cluster, each object store of the multi-cloud backends, each size, and span metrics on and off', () => {
    expect(cases.map(([name]) => name)).toEqual([
      'default local',
      'multi-cloud aws-backend',
      'multi-cloud ack-backend',
      'multi-cloud aks-backend',
      'multi-cloud gke-backend',
      'size small local',
      'size large local',
      'span metrics in the gateways local',
    ]);
    const configs = cases.map(([, objs]) => tempoYaml(objs));
    expect(new Set(configs.map((c) => c.storage.trace.backend))).toEqual(new Set(['local', 's3', 'azure', 'gcs']));
    expect(new Set(configs.map((c) => c.overrides.defaults.metrics_generator.processors.join()))).toEqual(new Set(['service-graphs,span-metrics', 'service-graphs']));
    expect(new Set(configs.map((c) => c.overrides.defaults.compaction.block_retention))).toEqual(new Set(['168h', '336h']));
  });

  describe.each(cases)('%s', (_, objs) => {
    it('tempo -config.verify=true accepts tempo.yaml as mounted, with the container\'s args, without a warning', () => {
      const run = tempoVerify(found!.tempo, objs);
      expect(run.output).not.toMatch(/CONFIGURATION WARNINGS|failed parsing config/);
      expect(run.status, run.output).toBe(0);
    });

    it('every flag of the container is one the binary knows', () => {
      expect(tempoArgs(objs).args.length).toBeGreaterThan(0);
      expect(unknownFlags(objs, 'tempo', 'tempo', { engine: found!.tempo })).toEqual([]);
    });

    it('usage reporting to Grafana Labs is off', () => {
      expect(tempoYaml(objs).usage_report?.reporting_enabled).toBe(false);
    });
  });

  // The checks above can fail: each is shown a broken copy of the default stack.
  describe('the checks catch a broken Tempo', () => {
    const broken = (): K8sObject[] => JSON.parse(JSON.stringify(cases[0]![1])) as K8sObject[];

    it('a Tempo 2 block that Tempo 3 removed (ingester)', () => {
      const objs = broken();
      const data = configMapData(objs, 'tempo-config');
      data['tempo.yaml'] = `${data['tempo.yaml']}ingester:\n  max_block_duration: 5m\n`;
      const run = tempoVerify(found!.tempo, objs);
      expect(run.output).toMatch(/field ingester not found/);
      expect(run.status).not.toBe(0);
    });

    it('a config Tempo accepts with a warning (a local backend outside monolithic mode)', () => {
      const objs = broken();
      const args = tempoArgs(objs).args;
      args.splice(args.indexOf('-target=all'), 1, '-target=querier');
      const run = tempoVerify(found!.tempo, objs);
      expect(run.output).toMatch(/CONFIGURATION WARNINGS/);
      expect(run.status).not.toBe(0);
    });

    it('an unknown flag (Tempo 2\'s ingester flags are gone)', () => {
      const objs = broken();
      tempoArgs(objs).args.push('-ingester.max-block-duration=5m');
      expect(unknownFlags(objs, 'tempo', 'tempo', { engine: found!.tempo })).toEqual(['ingester.max-block-duration']);
    });
  });
});

// ----- live: the default stack's Tempo on loopback, remote-writing to a real Prometheus -----

const live = found ? cases[0]![1] : [];
const cluster = loadConfigFile(join(ROOT, 'o11y.yaml')).clusters[0]!;
const CLIENT_SPAN = 'a3ce929d0e0e4736';
const SERVER_SPAN = '00f067aa0ba902b7';
/** The span's pod runs in a Deployment: the workload dashboard's `$kind` / `$workload`. */
const WORKLOAD = { kind: 'deployment', name: 'checkout' };

/**
 * A client span of `checkout` (failed) calling a server span of `cart`, each resource as the
 * gateway forwards it: the cluster's static attributes, then k8s_attributes' pod metadata.
 */
function traceBatches(nowNs: bigint): ResourceSpans[] {
  const pod = (service: string, name: string) => ({
    ...clusterResourceAttributes(cluster),
    'service.name': service,
    'k8s.namespace.name': SPAN['k8s.namespace.name'],
    'k8s.pod.name': name,
    'k8s.deployment.name': service,
    'k8s.node.name': 'node-a',
  });
  const start = nowNs - 2_000_000_000n;
  const end = nowNs - 1_000_000_000n;
  return [
    {
      resource: pod(SPAN['service.name'], SPAN['k8s.pod.name']),
      spans: [{ traceId: TRACE_ID, spanId: CLIENT_SPAN, name: 'POST /cart', kind: 3, startNs: start, endNs: end, status: 2, attributes: { 'http.request.method': 'POST', 'server.address': 'cart' } }],
    },
    {
      resource: pod('cart', 'cart-6c8b7d5f4-q9w2e'),
      spans: [{ traceId: TRACE_ID, spanId: SERVER_SPAN, parentSpanId: CLIENT_SPAN, name: 'POST /cart', kind: 2, startNs: start + 100_000_000n, endNs: end - 100_000_000n, attributes: { 'http.request.method': 'POST', 'http.route': '/cart' } }],
    },
  ];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

type PromSeries = { metric: Record<string, string>; value: [number, string] };
const promQuery = async (prometheus: Daemon, query: string) =>
  (await getJson<{ data: { result: PromSeries[] } }>(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query })}`)).data.result;

/** Trace ids Tempo's search returns for a TraceQL query over the last hour (as Grafana asks), leading zeros restored. */
async function search(tempo: Daemon, q: string): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const body = await getJson<{ traces?: { traceID: string }[] }>(`${tempo.url}/api/search?${new URLSearchParams({ q, start: String(now - 3600), end: String(now + 60), limit: '20' })}`);
  return (body.traces ?? []).map((t) => t.traceID.padStart(32, '0'));
}

/** The config Tempo runs with, defaults filled in (`/status/config`: a `GET …` document, then the config). */
async function runningConfig(tempo: Daemon): Promise<Record<string, unknown>> {
  const docs = parseAllDocuments(await (await fetch(`${tempo.url}/status/config`)).text());
  return (docs as Document[]).at(-1)!.toJS() as Record<string, unknown>;
}

/** The TraceQL queries of the synthesized dashboards, with Grafana's variables set to the span's. */
const dashboardTraceQl = (objs: readonly K8sObject[], values: Record<string, string>): { where: string; q: string }[] =>
  dashboardTargets(objs)
    .filter(({ target }) => target.queryType === 'traceql')
    .map(({ where, target }) => ({ where, q: substitute(target.query as string, values) }));

describe.runIf(found)('the default stack\'s Tempo, live: traces in, found, and their span metrics and service graph in Prometheus', () => {
  let prometheus: Daemon;
  let tempo: LiveTempo;
  const spanMetrics = spanMetricsSeries(false);
  const checkout = traceBatches(0n)[0]!.resource;
  /** Waits up to `seconds` for `probe`, with the end of Tempo's log in the failure message. */
  const eventually = <T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> =>
    until(what, probe, { timeoutMs: seconds * 1000, intervalMs: 1000, context: () => `Tempo:\n${tempo?.output().slice(-4000) ?? ''}` });

  beforeAll(async () => {
    // The flags that decide what the stack's Prometheus accepts: remote write, exemplar storage.
    const promArgs = (live.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'prometheus')!.spec as { template: { spec: { containers: { name: string; args: string[] }[] } } }).template.spec.containers.find((c) => c.name === 'prometheus')!.args;
    const flags = promArgs.filter((a) => a === '--web.enable-remote-write-receiver' || a === '--enable-feature=exemplar-storage');
    expect(flags).toHaveLength(2);
    prometheus = await startPrometheusWith({ tmpPrefix: 'o11y-tempo-prometheus-', flags, prepare: (dir) => writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n') });
    tempo = await startTempo(found!.tempo, live, prometheus.url);
    // The distributor may refuse pushes until the live-store's partition is active.
    await eventually('OTLP export accepted', 60, async () => {
      await exportTraces(tempo.otlpGrpc, traceBatches(BigInt(Date.now()) * 1_000_000n));
      return true;
    });
  }, 180_000);

  afterAll(async () => {
    // Tempo 3.0.3 may hang on SIGTERM after a query: stop() sends SIGKILL after a timeout.
    await Promise.all([tempo?.stop(), prometheus?.stop()]);
  });

  it('the gateway exports OTLP/gRPC to the port of the receiver the test sends to', () => {
    const gateway = parseYaml(configMapData(live, 'otel-gateway-config')['config.yaml']!) as { exporters: Record<string, { endpoint: string }> };
    const receiver = (tempo.mounted.config as { distributor: { receivers: { otlp: { protocols: { grpc: { endpoint: string } } } } } }).distributor.receivers.otlp.protocols.grpc.endpoint;
    expect(gateway.exporters['otlp_grpc/tempo']?.endpoint).toBe(`tempo.observability.svc:${receiver.split(':').pop()}`);
  });

  it('finds the trace by id, both spans with the resource attributes Grafana\'s trace → logs link maps', async () => {
    type Attr = { key: string; value: { stringValue?: string } };
    type Trace = { trace: { resourceSpans: { resource: { attributes: Attr[] }; scopeSpans: { spans: { spanId: string }[] }[] }[] } };
    const trace = await eventually('trace by id', 60, async () => {
      const res = await fetch(`${tempo.url}/api/v2/traces/${TRACE_ID}`, { headers: { Accept: 'application/json' } });
      return res.status === 200 ? ((await res.json()) as Trace) : undefined;
    });
    const spans = trace.trace.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ id: Buffer.from(s.spanId, 'base64').toString('hex'), resource: Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue])) }))));
    expect(spans.map((s) => s.id).sort()).toEqual([CLIENT_SPAN, SERVER_SPAN].sort());
    const tempoDatasource = provisionedDatasources(live).find((d) => d.type === 'tempo')!;
    const logTags = (tempoDatasource.jsonData.tracesToLogsV2 as { tags: { key: string }[] }).tags.map((t) => t.key);
    expect(logTags).toEqual(['k8s.namespace.name', 'k8s.pod.name']);
    const client = spans.find((s) => s.id === CLIENT_SPAN)!.resource;
    for (const key of [...logTags, 'service.name', 'k8s.cluster.name']) expect(client[key], key).toBe(checkout[key]);
  });

  it('finds it by each TraceQL query of the dashboards, and not with another namespace', async () => {
    const values = { cluster: cluster.name, namespace: SPAN['k8s.namespace.name'], pod: SPAN['k8s.pod.name'], kind: WORKLOAD.kind, workload: WORKLOAD.name };
    const queries = dashboardTraceQl(live, values);
    expect(queries.map((q) => q.where)).toEqual([expect.stringContaining('"Recent traces"'), expect.stringContaining('"Recent traces"')]);
    // Recent traces become searchable once the live-store has cut them (after they sit idle).
    for (const { where, q } of queries) {
      await eventually(`${where}: ${q}`, 120, async () => ((await search(tempo, q)).includes(TRACE_ID) ? true : undefined));
    }
    for (const { q } of dashboardTraceQl(live, { ...values, namespace: 'elsewhere' })) expect(await search(tempo, q), q).toEqual([]);
  }, 300_000);

  it('remote-writes span metrics and the service graph under the names and labels Grafana queries', async () => {
    const [calls] = await eventually('span metrics in Prometheus', 120, async () => {
      const r = await promQuery(prometheus, `${spanMetrics.calls}{${spanMetrics.serviceLabel}="${checkout['service.name']}"}`);
      return r.length ? r : undefined;
    });
    // Tempo's registry writes the stack's external labels, and the span's kind and failed status.
    expect(calls!.metric).toMatchObject({ source: 'tempo', cluster: cluster.name, span_name: 'POST /cart', span_kind: 'SPAN_KIND_CLIENT', status_code: 'STATUS_CODE_ERROR' });
    // Grafana's service map (its Tempo datasource's serviceMap) reads these, per client and server.
    for (const name of ['traces_service_graph_request_total', 'traces_service_graph_request_failed_total', 'traces_service_graph_request_server_seconds_bucket', 'traces_service_graph_request_client_seconds_bucket']) {
      await eventually(name, 120, async () => ((await promQuery(prometheus, `${name}{client="checkout", server="cart"}`)).length ? true : undefined));
    }
  }, 300_000);

  it('Grafana\'s trace → metrics queries and the dashboards\' span-metric panels find the span\'s service', async () => {
    const queries = [
      ...traceToMetricsQueries(live, checkout, {}),
      ...dashboardTargets(live)
        .map(({ where, target }) => ({ where, expr: String(target.expr ?? '') }))
        .filter(({ expr }) => expr.includes(spanMetrics.calls) || expr.includes(spanMetrics.latencyBucket))
        .map(({ where, expr }) => ({ where, expr: substitute(expr, { __rate_interval: '5m' }) })),
    ];
    expect(queries.length).toBeGreaterThanOrEqual(4);
    // rate() needs two samples of the generator's (15 s) collections.
    for (const { where, expr } of queries) await eventually(`${where}: ${expr}`, 120, async () => ((await promQuery(prometheus, expr)).length ? true : undefined));
  }, 300_000);

  it('the latency histogram carries the trace id as an exemplar, under a label the Prometheus datasource links to Tempo', async () => {
    const links = new Set(provisionedDatasources(live).filter((d) => d.type === 'prometheus').flatMap((d) => (d.jsonData.exemplarTraceIdDestinations as { name: string }[]).map((x) => x.name)));
    expect([...links].sort()).toEqual([...EXEMPLAR_TRACE_ID_LABELS].sort());
    const ids = await eventually('exemplars', 120, async () => {
      const now = Date.now() / 1000;
      const params = new URLSearchParams({ query: `${spanMetrics.latencyBucket}{${spanMetrics.serviceLabel}="${checkout['service.name']}"}`, start: String(now - 3600), end: String(now + 60) });
      const data = (await getJson<{ data: { exemplars: { labels: Record<string, string> }[] }[] }>(`${prometheus.url}/api/v1/query_exemplars?${params}`)).data;
      const ids = data.flatMap((s) => s.exemplars).flatMap((e) => Object.entries(e.labels).filter(([label]) => links.has(label)).map(([, id]) => id.padStart(32, '0')));
      return ids.length ? ids : undefined;
    });
    expect(ids).toContain(TRACE_ID);
  }, 300_000);

  it('writes the Tempo series of the dashboard fixture (test/fixtures/stack-series.ts) under the same names and labels', async () => {
    const fixture = stackSeries({ tempo: cluster.name }, Date.now()).filter((s) => s.labels.__name__!.startsWith('traces_'));
    expect(fixture.length).toBeGreaterThan(3);
    for (const series of fixture) {
      const name = series.labels.__name__!;
      const real = await eventually(name, 120, async () => {
        const r = await promQuery(prometheus, `${name}{${spanMetrics.serviceLabel}="${checkout['service.name']}"}`);
        return r.length ? r : undefined;
      });
      const labelNames = new Set(real.flatMap((s) => Object.keys(s.metric)));
      expect(Object.keys(series.labels).filter((l) => !labelNames.has(l)), name).toEqual([]);
    }
  }, 300_000);

  it('does not report usage to Grafana Labs: the running config says so, and no usage-report module starts', async () => {
    const config = (await runningConfig(tempo)) as { usage_report: { reporting_enabled: boolean } };
    expect(config.usage_report.reporting_enabled).toBe(false);
    expect(await (await fetch(`${tempo.url}/status/usage-stats`)).text()).toMatch(/usage-stats is not enabled/);
    expect(tempo.output()).toMatch(/msg=starting module=distributor/);
    expect(tempo.output()).not.toMatch(/module=usage-report|reporting cluster stats/);
  });

  it('every module that runs writes where tempo.yaml says (on the data volume), none to a default folder', async () => {
    const config = await runningConfig(tempo);
    const started = new Set([...tempo.output().matchAll(/msg=starting module=([\w-]+)/g)].map((m) => m[1]!));
    expect([...started]).toEqual(expect.arrayContaining(['live-store', 'backend-scheduler', 'metrics-generator']));
    const { dataMounts, root } = tempo.mounted.pod;
    // Top-level sections whose effective config keeps an in-pod path: a default, not moved under the temp root.
    const defaults = Object.entries(config).filter(([, v]) => pathsUnder(v, dataMounts).some((p) => !p.startsWith(root)));
    expect(defaults.map(([section]) => section).filter((s) => started.has(s.replaceAll('_', '-')))).toEqual([]);
  });

  it('sets Go\'s memory limit from the container\'s (automemlimit): it is not left unlimited', async () => {
    const metrics = await (await fetch(`${tempo.url}/metrics`)).text();
    const limit = Number(/^go_gc_gomemlimit_bytes (\S+)$/m.exec(metrics)?.[1]);
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThan(2 ** 63 - 1024);
  });
});
