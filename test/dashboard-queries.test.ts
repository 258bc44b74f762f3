import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfigFile } from '../src/config/load.ts';
import { synthesize } from '../src/synth.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { WHOLE_SERVICE } from '../src/slo/dashboard.ts';
import { SPAN, sloRecordedSeries, stackSeries, TRACE_ID, type SpanMetricsProducer } from './fixtures/stack-series.ts';
import type { Daemon } from './support/daemon.ts';
import { configMapData, dashboardFiles, provisionedDatasources, substitute, traceToMetricsQueries } from './support/grafana-provisioning.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { startPrometheusWith } from './support/real-prometheus.ts';
import { remoteWrite } from './support/remote-write.ts';

// Every query Grafana runs on Prometheus (the dashboards' panels and the Tempo datasources' trace →
// metrics links) against a real Prometheus 3 holding what the stack writes (fixtures/stack-series.ts)
// and evaluating the stack's rule files: a query that returns nothing asks for a name or a label
// that no component writes. One Prometheus per stack, so that one stack's span metrics cannot answer
// the other's queries.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-dashboard-queries-'));

/** What Grafana substitutes in these queries, with values the fixture has data for. */
const VARIABLES: Record<string, string> = { __rate_interval: '2m', __interval: '1m' };

interface Query {
  readonly where: string;
  readonly expr: string;
  readonly exemplar: boolean;
  /** A query of a whole-service SLO panel (one cloud's recorded errors or requests of an SLO placed in several). */
  readonly wholeService: boolean;
}

interface Stack {
  readonly name: string;
  readonly objs: K8sObject[];
  readonly producer: SpanMetricsProducer;
  /** Dashboards of SLOs on the stack's own components; the example's SLOs are on applications it does not run (only their whole-service panels are queried). */
  readonly sloDashboards: boolean;
  prometheus?: Daemon;
}

const configFile = <T>(objs: K8sObject[], name: string, key: string): T => parseYaml(configMapData(objs, name)[key]!) as T;
/**
 * Dashboards on series the fixture writes: stack health, the global overview and the SLO
 * dashboards. The Kubernetes and stack-component dashboards read kube-state-metrics, cAdvisor,
 * node-exporter and the components' own metrics; test/kubernetes-dashboards*.test.ts checks them.
 */
const onFixture = (dashboard: { uid: string; tags: string[] }) => ['o11y-stack-health', 'o11y-global-overview'].includes(dashboard.uid) || dashboard.tags.includes('slo');

/** Tempo computes span metrics unless the gateways' span_metrics connector does. */
function producerOf(cluster: string, objs: K8sObject[]): SpanMetricsProducer {
  const tempo = configFile<{ overrides: { defaults: { metrics_generator: { processors: string[] } } } }>(objs, 'tempo-config', 'tempo.yaml');
  if (tempo.overrides.defaults.metrics_generator.processors.includes('span-metrics')) return { tempo: cluster };
  type Connector = { namespace?: string; histogram?: { unit?: 'ms' | 's' }; dimensions?: { name: string }[] };
  const connectors = configFile<{ connectors?: Record<string, Connector> }>(objs, 'otel-gateway-config', 'config.yaml').connectors ?? {};
  const connector = Object.entries(connectors).find(([id]) => id.split('/')[0] === 'span_metrics')?.[1];
  if (!connector) throw new Error(`${cluster}: neither Tempo nor the gateway computes span metrics`);
  return { connector: { namespace: connector.namespace ?? 'traces.span.metrics', unit: connector.histogram?.unit ?? 'ms', dimensions: (connector.dimensions ?? []).map((d) => d.name) } };
}

/** The Grafana cluster of a config, synthesized; it runs a Prometheus too in both stacks. */
function grafanaStack(name: string, file: string, sloDashboards: boolean): Stack {
  const out = join(work, name);
  synthesize({ configFile: join(ROOT, file), outDir: out });
  const clusters = loadConfigFile(join(ROOT, file)).clusters.map((c) => ({ name: c.name, objs: loadManifestDir(join(out, c.name)) }));
  const { name: cluster, objs } = clusters.find((c) => c.objs.some((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana'))!;
  return { name, objs, producer: producerOf(cluster, objs), sloDashboards };
}

const stacks: Stack[] = [grafanaStack('default', 'o11y.yaml', true), grafanaStack('multi-cloud', 'examples/multi-cloud.yaml', false)];

type Panel = {
  title?: string;
  type?: string;
  panels?: Panel[];
  targets?: { refId: string; expr?: string; exemplar?: boolean; datasource?: { type?: string } }[];
};

/**
 * Every Prometheus query of the dashboards, Grafana's variables substituted (Grafana's math
 * expressions read those queries, not Prometheus). The example's SLOs are on applications it does
 * not run: of their dashboards, only the whole-service panels' queries, which read the recordings.
 */
function dashboardQueries(stack: Stack): Query[] {
  return dashboardFiles(stack.objs).flatMap(([file, text]) => {
    const dashboard = JSON.parse(text) as { uid: string; tags: string[]; panels: Panel[] };
    if (!onFixture(dashboard)) return [];
    const slo = dashboard.tags.includes('slo');
    const panels = dashboard.panels
      .flatMap((p) => [p, ...(p.panels ?? [])])
      .filter((p) => !slo || stack.sloDashboards || p.title?.startsWith(WHOLE_SERVICE));
    return panels.flatMap((p) =>
      (p.targets ?? [])
        .filter((t) => t.datasource?.type !== '__expr__')
        .map((t) => ({
          where: `${file} "${p.title}" ${t.refId}`,
          expr: substitute(t.expr!, VARIABLES),
          exemplar: t.exemplar === true,
          wholeService: p.title?.startsWith(WHOLE_SERVICE) === true,
        })),
    );
  });
}

/** The SLO labels (`sloth_id`, `sloth_service`, `sloth_slo`) the whole-service queries select. */
function wholeServiceSlos(stack: Stack): Record<string, string>[] {
  const selectors = new Set(dashboardQueries(stack).filter((q) => q.wholeService).map((q) => /\{(sloth_id=[^}]*)\}/.exec(q.expr)![1]!));
  return [...selectors].map((s) => Object.fromEntries([...s.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!])));
}

const datasources = (stack: Stack) => provisionedDatasources(stack.objs);

/** Each Tempo datasource's trace → metrics queries, `$__tags` set from the fixture's span. */
const traceToMetrics = (stack: Stack): Query[] => traceToMetricsQueries(stack.objs, SPAN, VARIABLES).map((q) => ({ ...q, exemplar: false, wholeService: false }));

async function api<T>(prometheus: Daemon, path: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(`${prometheus.url}${path}?${new URLSearchParams(params)}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path} ${params.query}: ${body.error}`);
  return body.data;
}

const instant = (prometheus: Daemon, query: string) =>
  api<{ resultType: string; result: unknown[] | [number, string] }>(prometheus, '/api/v1/query', { query, time: String(Date.now() / 1000) });

/** The queries that return no data; retried while the rule files' recordings catch up, for up to a minute. */
async function empty(prometheus: Daemon, queries: readonly Query[]): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const missing: string[] = [];
    for (const q of queries) {
      const data = await instant(prometheus, q.expr);
      if (data.resultType !== 'scalar' && !(data.result as unknown[]).length) missing.push(`${q.where}: ${q.expr}`);
    }
    if (!missing.length || Date.now() > deadline) return missing;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

beforeAll(async () => {
  await Promise.all(
    stacks.map(async (stack) => {
      stack.prometheus = await startPrometheusWith({
        tmpPrefix: `o11y-dashboard-queries-${stack.name}-`,
        flags: ['--web.enable-remote-write-receiver', '--enable-feature=exemplar-storage'],
        prepare: (dir) => {
          // The stack's rule files, so that SLO recordings and ALERTS exist as in the cluster.
          const ruleMaps = stack.objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.['app.kubernetes.io/component'] === 'prometheus-rules');
          for (const cm of ruleMaps) {
            mkdirSync(join(dir, 'rules', cm.metadata.name), { recursive: true });
            for (const [key, text] of Object.entries(cm.data as Record<string, string>)) writeFileSync(join(dir, 'rules', cm.metadata.name, key), text);
          }
          writeFileSync(
            join(dir, 'prometheus.yml'),
            dumpYaml({
              global: { evaluation_interval: '1s' },
              storage: { tsdb: { out_of_order_time_window: '1h' } },
              rule_files: ruleMaps.map((cm) => join(dir, 'rules', cm.metadata.name, '*.yaml')),
            }),
          );
        },
      });
      const now = Date.now();
      await remoteWrite(stack.prometheus.url, stackSeries(stack.producer, now));
      // The recordings of the SLOs placed in several clouds, as their backends' rules write them.
      const recorded = wholeServiceSlos(stack).flatMap((labels) => sloRecordedSeries(labels, { requests: 10, errors: 0.01, samples: 81 }, now));
      if (recorded.length) await remoteWrite(stack.prometheus.url, recorded);
    }),
  );
});

afterAll(async () => {
  await Promise.all(stacks.map((s) => s.prometheus?.stop()));
  rmSync(work, { recursive: true, force: true });
});

describe.each(stacks)('$name stack: Grafana\'s queries against what its components write', (stack) => {
  it('every dashboard panel query returns data', async () => {
    const queries = dashboardQueries(stack);
    expect(queries.length).toBeGreaterThan(10);
    expect(await empty(stack.prometheus!, queries)).toEqual([]);
  });

  it('whole-service SLO queries find the recordings of their SLO, not only their vector(0) fallback', async () => {
    const queries = dashboardQueries(stack).filter((q) => q.wholeService);
    // Only the multi-cloud example has SLOs placed in several clouds.
    expect(queries.length > 0).toBe(stack.name === 'multi-cloud');
    const zero: string[] = [];
    for (const q of queries) {
      const data = await instant(stack.prometheus!, q.expr);
      const values = (data.result as { value: [number, string] }[]).map((r) => Number(r.value[1]));
      if (!(values.length === 1 && values[0]! > 1e-200)) zero.push(`${q.where}: ${q.expr} = ${JSON.stringify(values)}`);
    }
    expect(zero).toEqual([]);
  });

  it('every trace → metrics query of the Tempo datasources finds the span metrics of the span\'s service', async () => {
    const queries = traceToMetrics(stack);
    expect(queries.length).toBeGreaterThanOrEqual(3);
    expect(await empty(stack.prometheus!, queries)).toEqual([]);
  });

  it('latency panels show exemplars, under a label the Prometheus datasource links to Tempo', async () => {
    const queries = dashboardQueries(stack).filter((q) => q.exemplar);
    expect(queries.map((q) => q.where)).toEqual([expect.stringMatching(/^stack-health\.json "Span latency p95 by service"/)]);
    const links = new Set(datasources(stack).filter((d) => d.type === 'prometheus').flatMap((d) => (d.jsonData.exemplarTraceIdDestinations as { name: string }[]).map((x) => x.name)));
    for (const q of queries) {
      const now = Date.now() / 1000;
      const series = await api<{ exemplars: { labels: Record<string, string> }[] }[]>(stack.prometheus!, '/api/v1/query_exemplars', { query: q.expr, start: String(now - 3600), end: String(now + 60) });
      const traceIds = series.flatMap((s) => s.exemplars).flatMap((e) => Object.entries(e.labels).filter(([label]) => links.has(label)).map(([, id]) => id));
      expect(traceIds, q.where).toContain(TRACE_ID);
    }
  });
});

describe.each(stacks)('$name stack: dashboards as Grafana 13 saves them', (stack) => {
  it('are at schema 42 (Grafana 13 migrates older ones on every load), and every datasource variable\'s current names what it selects', () => {
    const names = new Map(datasources(stack).map((d) => [d.uid, d.name]));
    const files = dashboardFiles(stack.objs);
    expect(files.length).toBeGreaterThan(17);
    for (const [file, text] of files) {
      const dashboard = JSON.parse(text) as { schemaVersion: number; templating: { list: { type: string; current: { text?: string; value: string } }[] } };
      expect(dashboard.schemaVersion, file).toBe(42);
      // Label and custom variables are checked by test/kubernetes-dashboards.test.ts.
      for (const v of dashboard.templating.list.filter((x) => x.type === 'datasource')) {
        expect(names.get(v.current.value), `${file}: ${v.current.value} is a provisioned datasource`).toBeDefined();
        expect(v.current, file).toEqual({ text: names.get(v.current.value), value: v.current.value });
      }
    }
  });
});

describe('the stack health dashboard', () => {
  it('"Ready pods per architecture" counts ready pods, not nodes that have one', async () => {
    const [stack] = stacks;
    const query = dashboardQueries(stack!).find((q) => q.where.startsWith('stack-health.json "Ready pods per architecture"'))!;
    const data = await instant(stack!.prometheus!, query.expr);
    const perArch = Object.fromEntries((data.result as { metric: { arch: string }; value: [number, string] }[]).map((r) => [r.metric.arch, Number(r.value[1])]));
    // The fixture: amd64 nodes a (3 ready pods) and b (1 ready, 1 not), arm64 node c (2 ready).
    expect(perArch).toEqual({ amd64: 4, arm64: 2 });
  });
});
