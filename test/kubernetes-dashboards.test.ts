import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfigFile } from '../src/config/load.ts';
import type { Cloud } from '../src/model/types.ts';
import { producedBy, synthesizedJobs, type JobName } from '../src/monitoring/metric-catalogue.ts';
import { promqlError, selectorsOf } from '../src/slo/promql.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';

// The dashboards as Grafana receives them (the synthesized ConfigMaps and provisioning files of the
// Grafana cluster, default config and multi-cloud example): every query parses, reads only metric
// names some synthesized scrape job or rule produces (src/monitoring/metric-catalogue.ts), selects
// logs and traces by labels and attributes the collectors set and Loki indexes, and every folder
// and datasource a dashboard names is provisioned.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-k8s-dashboards-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Target = { refId: string; datasource?: { type: string; uid: string }; expr?: string; query?: string; queryType?: string };
type Panel = { id: number; type: string; title: string; datasource?: { type: string; uid: string }; panels?: Panel[]; targets?: Target[] };
type Variable = { name: string; type: string; query: string | { query: string }; current?: { value?: string }; options?: { value: string }[]; datasource?: { uid: string } };
type Dashboard = { uid: string; title: string; tags: string[]; templating: { list: Variable[] }; panels: Panel[]; links: { type: string; tags?: string[] }[] };

interface Stack {
  readonly name: string;
  /** The Grafana cluster's objects. */
  readonly grafana: K8sObject[];
  /** Every cluster's objects (rules are evaluated in the backends). */
  readonly all: K8sObject[];
  readonly clouds: readonly Cloud[];
}

function synthesized(name: string, file: string): Stack {
  const out = join(work, name);
  synthesize({ configFile: join(ROOT, file), outDir: out });
  const clusters = loadConfigFile(join(ROOT, file)).clusters.map((c) => ({ cloud: c.cloud, objs: loadManifestDir(join(out, c.name)) }));
  const grafana = clusters.find((c) => c.objs.some((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana'))!.objs;
  return { name, grafana, all: clusters.flatMap((c) => c.objs), clouds: [...new Set(clusters.map((c) => c.cloud))] };
}

const stacks = [synthesized('default', 'o11y.yaml'), synthesized('multi-cloud', 'examples/multi-cloud.yaml')];

const configMaps = (objs: K8sObject[]) => objs.filter((o) => o.kind === 'ConfigMap') as (K8sObject & { data: Record<string, string> })[];
const configMap = (objs: K8sObject[], name: string) => configMaps(objs).find((o) => o.metadata.name === name)!.data;

function dashboards(stack: Stack): { file: string; configMap: string; json: Dashboard }[] {
  return configMaps(stack.grafana)
    .filter((cm) => cm.metadata.name.startsWith('grafana-dashboards-'))
    .flatMap((cm) => Object.entries(cm.data).map(([file, text]) => ({ file, configMap: cm.metadata.name, json: JSON.parse(text) as Dashboard })));
}

/** The generated dashboards of this issue: tagged `kubernetes`, or the stack components', or the SLO overview. */
const NEW_UIDS = [
  'k8s-multi-cluster',
  'k8s-cluster-compute',
  'k8s-namespace-compute',
  'k8s-workload',
  'k8s-pod',
  'k8s-node',
  'k8s-networking',
  'k8s-persistent-volumes',
  'k8s-apiserver',
  'k8s-kubelet',
  'k8s-coredns',
  'o11y-prometheus',
  'o11y-alertmanager',
  'o11y-collector',
  'o11y-loki',
  'o11y-tempo',
  'o11y-slo-overview',
];
const generated = (stack: Stack) => dashboards(stack).filter((d) => NEW_UIDS.includes(d.json.uid));

const panelsOf = (d: Dashboard) => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** The text of a variable's query: `label_values(<selector>, <label>)` → the selector. */
function variableQuery(v: Variable): string | undefined {
  if (v.type !== 'query') return undefined;
  const text = typeof v.query === 'string' ? v.query : v.query.query;
  const match = /^label_values\((.*),\s*[\w${}]+\)$/.exec(text);
  if (!match) throw new Error(`variable ${v.name}: not a label_values() query: ${text}`);
  return match[1]!;
}

/**
 * Every expansion of `text` with Grafana's variables replaced: a custom variable by each of its
 * options (a query names `kube_${kind}_created`), any other by a value of the right shape.
 */
function expansions(text: string, d: Dashboard): string[] {
  const fixed: Record<string, string> = {
    __rate_interval: '2m',
    __interval: '1m',
    __range: '1h',
    cluster: '.*',
    namespace: 'default',
    pod: 'web-0',
    node: 'node-a',
    workload: 'web',
    collector: '.*',
  };
  const custom = d.templating.list.filter((v) => v.type === 'custom');
  let out = [text];
  for (const v of custom) out = out.flatMap((t) => (t.includes(`$${v.name}`) || t.includes(`\${${v.name}}`) ? v.options!.map((o) => t.replaceAll(`\${${v.name}}`, o.value).replaceAll(`$${v.name}`, o.value)) : [t]));
  return out.map((t) =>
    t.replace(/\$\{(\w+)\}|\$([A-Za-z_]\w*)/g, (whole, braced?: string, bare?: string) => {
      const value = fixed[(braced ?? bare)!];
      if (value === undefined) throw new Error(`${d.uid}: no value for ${whole} in ${text}`);
      return value;
    }),
  );
}

interface Query {
  readonly where: string;
  readonly language: 'promql' | 'logql' | 'traceql';
  readonly text: string;
}

/** Every query of a dashboard, panels and variables, expanded. */
function queries(d: Dashboard): Query[] {
  const fromPanels = panelsOf(d).flatMap((p) =>
    (p.targets ?? []).flatMap((t) => {
      const type = t.datasource?.type ?? p.datasource?.type;
      const language = type === 'loki' ? 'logql' : type === 'tempo' ? 'traceql' : 'promql';
      const raw = language === 'traceql' ? t.query! : t.expr!;
      return expansions(raw, d).map((text) => ({ where: `${d.uid} "${p.title}" ${t.refId}`, language, text }) as Query);
    }),
  );
  const fromVariables = d.templating.list.flatMap((v) => {
    const selector = variableQuery(v);
    return selector ? expansions(selector, d).map((text) => ({ where: `${d.uid} variable ${v.name}`, language: 'promql', text }) as Query) : [];
  });
  return [...fromPanels, ...fromVariables];
}

/** Names the stack's rule files record, and the series Prometheus' rule evaluation writes. */
function ruleSeries(stack: Stack): Set<string> {
  const names = new Set(['ALERTS', 'ALERTS_FOR_STATE']);
  for (const cm of configMaps(stack.all).filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'prometheus-rules')) {
    for (const text of Object.values(cm.data)) {
      for (const g of (parseYaml(text) as { groups: { rules: { record?: string }[] }[] }).groups) for (const r of g.rules) if (r.record) names.add(r.record);
    }
  }
  return names;
}

describe.each(stacks)('$name stack: the generated dashboards', (stack) => {
  const all = generated(stack);
  const jobs = new Set<JobName>(stack.clouds.flatMap((c) => [...synthesizedJobs(c)]));
  const recorded = ruleSeries(stack);

  it('are all provisioned, with unique, stable uids', () => {
    expect(all.map((d) => d.json.uid).sort()).toEqual([...NEW_UIDS].sort());
    const uids = dashboards(stack).map((d) => d.json.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const d of all) expect(d.file, d.json.uid).toBe(`${d.json.uid}.json`);
    for (const uid of uids) expect(uid.length, uid).toBeLessThanOrEqual(40);
  });

  it('every PromQL query parses once Grafana has substituted its variables', () => {
    const bad = all.flatMap((d) => queries(d.json)).filter((q) => q.language === 'promql').map((q) => [q, promqlError(q.text)] as const).filter(([, e]) => e).map(([q, e]) => `${q.where}: ${e}: ${q.text}`);
    expect(bad).toEqual([]);
    expect(all.flatMap((d) => queries(d.json)).filter((q) => q.language === 'promql').length).toBeGreaterThan(150);
  });

  it('every metric name is produced by a scrape job this stack synthesizes, or by its rules', () => {
    const unknown: string[] = [];
    for (const q of all.flatMap((d) => queries(d.json)).filter((x) => x.language === 'promql')) {
      for (const s of selectorsOf(q.text)) {
        const name = s.matchers.find((m) => m.name === '__name__' && m.op === '=')?.value;
        if (!name) unknown.push(`${q.where}: a selector without a metric name: ${s.text}`);
        else if (!recorded.has(name) && !producedBy(name).some((j) => jobs.has(j))) unknown.push(`${q.where}: ${name}`);
      }
    }
    expect([...new Set(unknown)]).toEqual([]);
  });

  it('every Kubernetes and stack dashboard selects the cluster in every selector', () => {
    const missing: string[] = [];
    for (const d of all.filter((x) => x.json.uid !== 'o11y-slo-overview')) {
      expect(d.json.templating.list.map((v) => v.name), d.json.uid).toContain('cluster');
      // The cluster selector itself lists every cluster.
      for (const q of queries(d.json).filter((x) => x.language === 'promql' && !x.where.endsWith('variable cluster'))) {
        for (const s of selectorsOf(q.text)) if (!s.matchers.some((m) => m.name === 'cluster' && m.op === '=~')) missing.push(`${q.where}: ${s.text}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every datasource a panel or variable names is provisioned, or a variable of the same type', () => {
    const provisioned = new Map(
      (parseYaml(configMap(stack.grafana, 'grafana-datasources')['datasources.yaml']!.replaceAll('$$', '$')) as { datasources: { uid: string; type: string }[] }).datasources.map((d) => [d.uid, d.type]),
    );
    const bad: string[] = [];
    for (const { json: d } of dashboards(stack)) {
      const vars = new Map(d.templating.list.filter((v) => v.type === 'datasource').map((v) => [v.name, v.query as string]));
      const check = (where: string, ds: { type: string; uid: string } | undefined) => {
        if (!ds || ds.type === '__expr__' || ds.uid === '-- Mixed --') return;
        const variable = /^\$\{(\w+)\}$/.exec(ds.uid)?.[1];
        const type = variable ? vars.get(variable) : provisioned.get(ds.uid);
        if (type !== ds.type) bad.push(`${d.uid} ${where}: ${ds.type} ${ds.uid}`);
      };
      for (const p of panelsOf(d)) {
        check(`"${p.title}"`, p.datasource);
        for (const t of p.targets ?? []) check(`"${p.title}" ${t.refId}`, t.datasource);
      }
      for (const v of d.templating.list) {
        if (v.datasource) check(`variable ${v.name}`, v.datasource as { type: string; uid: string });
        if (v.type === 'datasource') expect(provisioned.get(v.current!.value!), `${d.uid} variable ${v.name} starts on a provisioned ${v.query}`).toBe(v.query);
      }
    }
    expect(bad).toEqual([]);
  });

  it('every dashboard ConfigMap is a folder: one provider per folder, reading the directory its ConfigMap is mounted at', () => {
    const providers = (parseYaml(configMap(stack.grafana, 'grafana-dashboard-providers')['dashboards.yaml']!) as {
      providers: { name: string; folder: string; folderUid: string; options: { path: string } }[];
    }).providers;
    expect(providers.map((p) => p.folder)).toEqual([
      'Kubernetes - Compute',
      'Kubernetes - Nodes',
      'Kubernetes - Network and storage',
      'Kubernetes - Control plane',
      'Observability stack',
      'SLOs',
    ]);
    expect(new Set(providers.map((p) => p.folderUid)).size).toBe(providers.length);
    const deployment = stack.grafana.find((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana') as K8sObject & {
      spec: { template: { spec: { volumes: { name: string; configMap?: { name: string } }[]; containers: { volumeMounts: { name: string; mountPath: string }[] }[] } } };
    };
    const pod = deployment.spec.template.spec;
    const mountedAt = (configMapName: string) => {
      const volume = pod.volumes.find((v) => v.configMap?.name === configMapName)?.name;
      return pod.containers[0]!.volumeMounts.find((m) => m.name === volume)?.mountPath;
    };
    const dashboardMaps = [...new Set(dashboards(stack).map((d) => d.configMap))];
    expect(dashboardMaps.map(mountedAt).sort()).toEqual(providers.map((p) => p.options.path).sort());
    // Where each kind of dashboard lands.
    const folderOf = (uid: string) => {
      const cm = dashboards(stack).find((d) => d.json.uid === uid)!.configMap;
      return providers.find((p) => p.options.path === mountedAt(cm))!.folder;
    };
    expect(folderOf('k8s-pod')).toBe('Kubernetes - Compute');
    expect(folderOf('k8s-node')).toBe('Kubernetes - Nodes');
    expect(folderOf('k8s-apiserver')).toBe('Kubernetes - Control plane');
    expect(folderOf('o11y-stack-health')).toBe('Observability stack');
    expect(folderOf('o11y-slo-overview')).toBe('SLOs');
    for (const d of dashboards(stack).filter((x) => x.json.tags.includes('slo'))) expect(folderOf(d.json.uid)).toBe('SLOs');
  });
});

/** Loki 3's default index labels from OTLP resource attributes (grafana.com/docs/loki/latest/get-started/labels/#default-labels-for-opentelemetry). */
const LOKI_DEFAULT_INDEX_ATTRIBUTES = [
  'cloud.availability_zone',
  'cloud.region',
  'container.name',
  'deployment.environment',
  'k8s.cluster.name',
  'k8s.container.name',
  'k8s.cronjob.name',
  'k8s.daemonset.name',
  'k8s.deployment.name',
  'k8s.job.name',
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.replicaset.name',
  'k8s.statefulset.name',
  'service.instance.id',
  'service.name',
  'service.namespace',
];

describe('pod and workload dashboards link to their logs and traces', () => {
  const [stack] = stacks;
  const gateway = parseYaml(configMap(stack!.all, 'otel-gateway-config')['config.yaml']!) as {
    processors: Record<string, { extract?: { metadata: string[] }; attributes?: { key: string }[] }>;
  };
  // Resource attributes every span and log record leaving the gateway carries.
  const attributes = new Set([...gateway.processors['k8s_attributes']!.extract!.metadata, ...gateway.processors['resource/cluster']!.attributes!.map((a) => a.key)]);
  const loki = parseYaml(configMap(stack!.all, 'loki-config')['loki.yaml']!) as {
    limits_config: { otlp_config: { resource_attributes: { attributes_config: { action: string; attributes: string[] }[] } } };
  };
  const indexed = new Set(
    [...LOKI_DEFAULT_INDEX_ATTRIBUTES, ...loki.limits_config.otlp_config.resource_attributes.attributes_config.filter((a) => a.action === 'index_label').flatMap((a) => a.attributes)].map((a) =>
      a.replaceAll('.', '_'),
    ),
  );
  const labelToAttribute = (label: string) => [...attributes].find((a) => a.replaceAll('.', '_') === label);

  it.each([
    ['k8s-pod', ['k8s_namespace_name', 'k8s_pod_name']],
    ['k8s-workload', ['k8s_namespace_name']],
  ])('%s: a logs panel on the Loki selector, selecting streams by labels Loki indexes from attributes the gateway sets', (uid, required) => {
    const d = generated(stack!).find((x) => x.json.uid === uid)!.json;
    const logs = panelsOf(d).filter((p) => p.type === 'logs');
    expect(logs).toHaveLength(1);
    expect(logs[0]!.datasource).toEqual({ type: 'loki', uid: '${logs}' });
    const variable = d.templating.list.find((v) => v.name === 'logs')!;
    expect(variable).toMatchObject({ type: 'datasource', query: 'loki', current: { value: 'loki' } });
    for (const q of queries(d).filter((x) => x.language === 'logql')) {
      const selector = /^\{(.*)\}$/.exec(q.text)?.[1];
      expect(selector, q.where).toBeDefined();
      const labels = [...selector!.matchAll(/(\w+)\s*(=~|!=|!~|=)\s*"[^"]*"/g)].map((m) => m[1]!);
      expect(labels.length, `${q.where}: every part of ${q.text} is a matcher`).toBe(selector!.split(',').length);
      for (const l of required) expect(labels, q.where).toContain(l);
      for (const l of labels) {
        expect(indexed.has(l), `${q.where}: Loki indexes ${l}`).toBe(true);
        expect(labelToAttribute(l), `${q.where}: the gateway sets the attribute of ${l}`).toBeDefined();
      }
    }
  });

  it.each([
    ['k8s-pod', ['k8s.namespace.name', 'k8s.pod.name']],
    ['k8s-workload', ['k8s.namespace.name']],
  ])('%s: a traces panel on the Tempo selector, searching resource attributes the gateway sets', (uid, required) => {
    const d = generated(stack!).find((x) => x.json.uid === uid)!.json;
    const traces = panelsOf(d).filter((p) => p.targets?.some((t) => t.queryType === 'traceql'));
    expect(traces).toHaveLength(1);
    expect(traces[0]!.datasource).toEqual({ type: 'tempo', uid: '${traces}' });
    expect(d.templating.list.find((v) => v.name === 'traces')).toMatchObject({ type: 'datasource', query: 'tempo', current: { value: 'tempo' } });
    const tq = queries(d).filter((x) => x.language === 'traceql');
    // One query per workload kind on the workload dashboard: k8s.deployment.name, k8s.statefulset.name, k8s.daemonset.name.
    expect(tq.length).toBe(uid === 'k8s-workload' ? 3 : 1);
    for (const q of tq) {
      const used = [...q.text.matchAll(/resource\.([\w.]+)\s*(?:=~|=)/g)].map((m) => m[1]!);
      for (const a of required) expect(used, q.where).toContain(a);
      for (const a of used) expect(attributes.has(a), `${q.where}: the gateway sets ${a}`).toBe(true);
    }
  });
});
