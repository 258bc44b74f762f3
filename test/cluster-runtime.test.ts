import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { loadConfigFile } from '../src/config/load.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';

// What a real cluster showed and synthesis alone did not: WAL replays killed by liveness probes,
// collectors OOM-killed or feeding on their own logs, phone-home defaults, Prometheus restarting on
// every scrape-config change, the Alertmanager mesh without UDP, the deprecated Endpoints API.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-runtime-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DEFAULT = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8');
const MULTI = readFileSync(join(ROOT, 'examples/multi-cloud.yaml'), 'utf8');

/** `base` with top-level keys replaced, and `components.<name>` merged into the base's. */
function variant(base: string, patch: Record<string, unknown>): string {
  const config = parseYaml(base) as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (key !== 'components') config[key] = value;
    else for (const [name, c] of Object.entries(value as object)) (config.components as Record<string, object>)[name] = { ...(config.components as Record<string, object>)[name], ...c };
  }
  return stringify(config);
}

/** Synthesizes a config text, its SLO files (`slos/`) from the folder `from`: each cluster's objects, by cluster name. */
function synth(name: string, text: string, from = ROOT): Record<string, K8sObject[]> {
  const dir = join(work, name);
  mkdirSync(dir);
  symlinkSync(join(from, 'slos'), join(dir, 'slos'));
  writeFileSync(join(dir, 'o11y.yaml'), text);
  synthesize({ configFile: join(dir, 'o11y.yaml'), outDir: join(dir, 'dist') });
  return Object.fromEntries(loadConfigFile(join(dir, 'o11y.yaml')).clusters.map((c) => [c.name, loadManifestDir(join(dir, 'dist', c.name))]));
}

const SCALED = { loadBalancing: true, tailSampling: { enabled: true, slowerThan: '2s', percentage: 10 }, spanMetricsInGateway: true };
const stacks = {
  default: synth('default', DEFAULT),
  'default, scale on': synth('default-scaled', variant(DEFAULT, { scale: SCALED })),
  'multi-cloud (scale on)': synth('multi-cloud', MULTI, join(ROOT, 'examples')),
};
const defaultCluster = Object.values(stacks.default)[0]!;
const everyCluster = Object.entries(stacks).flatMap(([stack, clusters]) => Object.entries(clusters).map(([cluster, objs]) => [`${stack} / ${cluster}`, objs] as const));

type Container = {
  name: string;
  env?: { name: string; value?: string }[];
  ports?: { name: string; containerPort: number; protocol: string }[];
  resources: { limits: { memory: string } };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
};
type Probe = { httpGet: { path: string; port: string }; periodSeconds: number; failureThreshold: number };
type Template = { metadata: { annotations?: Record<string, string> }; spec: { containers: Container[] } };

const workload = (objs: K8sObject[], name: string): K8sObject => objs.find((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind) && o.metadata.name === name)!;
const template = (objs: K8sObject[], name: string): Template => (workload(objs, name).spec as { template: Template }).template;
const configFile = <T>(objs: K8sObject[], configMap: string, key: string): T =>
  parseYaml((objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === configMap)!.data as Record<string, string>)[key]!) as T;
const mebibytes = (quantity: string): number => {
  const [, n, unit] = /^(\d+)(Mi|Gi)B?$/.exec(quantity)!;
  return Number(n) * (unit === 'Gi' ? 1024 : 1);
};

describe('Loki and Tempo survive a long WAL replay', () => {
  it.each(['loki', 'tempo'])('%s: readiness and a 30-minute startup on /ready, liveness on /metrics (served while replaying)', (app) => {
    const c = template(defaultCluster, app).spec.containers[0]!;
    expect(c.readinessProbe!.httpGet.path).toBe('/ready');
    expect(c.startupProbe!.httpGet.path).toBe('/ready');
    expect(c.startupProbe!.periodSeconds * c.startupProbe!.failureThreshold).toBeGreaterThanOrEqual(30 * 60);
    expect(c.livenessProbe!.httpGet).toEqual({ path: '/metrics', port: 'http-metrics' });
  });
});

describe.each(everyCluster)('collectors of %s', (_, objs) => {
  type Exporter = { sending_queue?: { enabled: boolean; sizer: string; queue_size: number }; retry_on_failure?: { enabled: boolean }; protocol?: { otlp: Exporter } };
  type Config = {
    receivers: { file_log?: { exclude: string[] } };
    exporters: Record<string, Exporter>;
    service: { pipelines: Record<string, { processors: string[] }> };
  };
  const collectors = ['otel-agent', 'otel-gateway', 'otel-scraper']
    .filter((app) => workload(objs, app))
    .map((app) => {
      const w = workload(objs, app);
      return {
        app,
        config: configFile<Config>(objs, `${app}-config`, 'config.yaml'),
        container: template(objs, app).spec.containers.find((c) => c.name === 'otel-collector')!,
        replicas: (w.spec as { replicas?: number }).replicas ?? 1,
        namespace: w.metadata.namespace!,
      };
    });

  it('runs memory_limiter first, and once, in every pipeline', () => {
    for (const { app, config } of collectors) {
      for (const [id, p] of Object.entries(config.service.pipelines)) {
        expect(`${app} ${id}: ${p.processors.join(',')}`).toMatch(new RegExp(`^${app} ${id}: memory_limiter(,|$)`));
        expect(p.processors.filter((name) => name === 'memory_limiter')).toHaveLength(1);
      }
    }
  });

  it('sets GOMEMLIMIT to 80% of the container memory limit', () => {
    for (const { container } of collectors) {
      const gomemlimit = container.env!.find((e) => e.name === 'GOMEMLIMIT')!.value!;
      expect(mebibytes(gomemlimit)).toBe(Math.floor(mebibytes(container.resources.limits.memory) * 0.8));
    }
  });

  it('sizes exporter queues from the memory limit: all of them full, at 1 KiB an item, fit in half of it', () => {
    for (const { config, container } of collectors) {
      const queues = Object.values(config.exporters).map((e) => e.sending_queue!);
      for (const q of queues) expect(q.sizer).toBe('items');
      const items = queues.reduce((sum, q) => sum + q.queue_size, 0);
      expect(items * 1024).toBeLessThanOrEqual((mebibytes(container.resources.limits.memory) * 2 ** 20) / 2);
    }
  });

  it('a load_balancing exporter queues once, not once per endpoint: its per-endpoint OTLP exporters neither queue nor retry', () => {
    for (const { config } of collectors) {
      for (const [id, e] of Object.entries(config.exporters).filter(([id]) => id.startsWith('load_balancing/'))) {
        expect({ id, queue: e.protocol!.otlp.sending_queue, retry: e.protocol!.otlp.retry_on_failure }).toEqual({ id, queue: { enabled: false }, retry: { enabled: false } });
      }
    }
  });

  it('the agent collects no collector\'s logs, so that export failures cannot loop back', () => {
    const agent = collectors.find((c) => c.app === 'otel-agent')!;
    const stackNamespace = collectors.find((c) => c.app === 'otel-gateway')!.namespace;
    expect(agent.config.receivers.file_log!.exclude.sort()).toEqual([
      `/var/log/pods/${agent.namespace}_otel-agent-*/*/*.log`,
      `/var/log/pods/${stackNamespace}_otel-gateway-*/*/*.log`,
      `/var/log/pods/${stackNamespace}_otel-scraper-*/*/*.log`,
    ]);
  });
});

describe('no component phones home', () => {
  it('Tempo usage reports, Loki analytics, Grafana reporting, update checks, plugin preinstalls, news feed and external snapshots are off', () => {
    expect(configFile(defaultCluster, 'tempo-config', 'tempo.yaml')).toHaveProperty('usage_report.reporting_enabled', false);
    expect(configFile(defaultCluster, 'loki-config', 'loki.yaml')).toHaveProperty('analytics.reporting_enabled', false);
    const env = Object.fromEntries(template(defaultCluster, 'grafana').spec.containers[0]!.env!.map((e) => [e.name, e.value]));
    for (const name of ['GF_ANALYTICS_REPORTING_ENABLED', 'GF_ANALYTICS_CHECK_FOR_UPDATES', 'GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', 'GF_NEWS_NEWS_FEED_ENABLED', 'GF_SNAPSHOTS_EXTERNAL_ENABLED']) {
      expect(env[name], name).toBe('false');
    }
    // [plugins] preinstall_disabled: no plugin download from grafana.com at start.
    expect(env['GF_PLUGINS_PREINSTALL_DISABLED']).toBe('true');
  });
});

describe('Prometheus reloads its config instead of restarting', () => {
  it('a scrape-config change leaves its pod template unchanged; components without reload still roll', () => {
    const changed = Object.values(
      synth('changed', variant(DEFAULT, {
        cardinality: { metricRelabelConfigs: [{ source_labels: ['__name__'], regex: 'go_gc_.*', action: 'drop' }] },
        components: { loki: { retention: '168h' } },
      })),
    )[0]!;
    expect(configFile(changed, 'prometheus-config', 'prometheus.yml')).not.toEqual(configFile(defaultCluster, 'prometheus-config', 'prometheus.yml'));
    expect(template(changed, 'prometheus')).toEqual(template(defaultCluster, 'prometheus'));
    const hash = (objs: K8sObject[]) => template(objs, 'loki').metadata.annotations?.['o11y.dev/config-hash'];
    expect(hash(defaultCluster)).toBeDefined();
    expect(hash(changed)).not.toBe(hash(defaultCluster));
  });
});

describe('a sharded gateway at the schema\'s 100 replicas', () => {
  it('synthesizes, its exporter queues sized per exporter, not per replica', () => {
    type Exporter = { sending_queue: { queue_size: number } };
    const objs = Object.values(synth('gateway-100', variant(DEFAULT, { scale: SCALED, components: { collector: { agent: true, gateway: { replicas: 100 } } } })))[0]!;
    expect((workload(objs, 'otel-gateway').spec as { replicas: number }).replicas).toBe(100);
    const exporters = configFile<{ exporters: Record<string, Exporter> }>(objs, 'otel-gateway-config', 'config.yaml').exporters;
    const sizes = Object.values(exporters).map((e) => e.sending_queue.queue_size);
    expect(sizes.reduce((a, b) => a + b, 0) * 1024).toBeLessThanOrEqual((1024 * 2 ** 20) / 2);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(16384);
  });
});

describe('the Alertmanager mesh', () => {
  it('listens for gossip on the cluster port over TCP and UDP', () => {
    const objs = Object.values(synth('alertmanager-ha', variant(DEFAULT, { components: { alertmanager: { replicas: 3 } } })))[0]!;
    const mesh = template(objs, 'alertmanager').spec.containers[0]!.ports!.filter((p) => p.containerPort === 9094);
    expect(mesh.map((p) => p.protocol).sort()).toEqual(['TCP', 'UDP']);
  });
});

describe('service endpoints are discovered through EndpointSlices', () => {
  type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[] };
  const rules = (objs: K8sObject[], app: string): Rule[] =>
    objs.filter((o) => o.kind === 'ClusterRole' && o.metadata.labels?.['app.kubernetes.io/name'] === app).flatMap((o) => o.rules as Rule[]);

  it('the kubernetes-service-endpoints job uses the endpointslice role and only meta labels that role sets', () => {
    type Job = { job_name: string; kubernetes_sd_configs: { role: string }[]; relabel_configs: { source_labels?: string[] }[] };
    const jobs = configFile<{ scrape_configs: Job[] }>(defaultCluster, 'prometheus-config', 'prometheus.yml').scrape_configs;
    const job = jobs.find((j) => j.job_name === 'kubernetes-service-endpoints')!;
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'endpointslice' }]);
    // The endpointslice role sets these, plus the labels of the Service and Pod behind each endpoint.
    const roleLabel = /^__meta_kubernetes_(namespace$|endpointslice_|service_|pod_)/;
    const meta = job.relabel_configs.flatMap((r) => r.source_labels ?? []).filter((l) => l.startsWith('__meta_'));
    expect(meta).not.toEqual([]);
    for (const label of meta) expect(label).toMatch(roleLabel);
  });

  it.each([
    ['prometheus', defaultCluster],
    ['otel-scraper', stacks['multi-cloud (scale on)']['aws-apps']!],
  ])('%s may read EndpointSlices, no longer Endpoints', (app, objs) => {
    const granted = rules(objs, app);
    expect(granted).toContainEqual({ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] });
    expect(granted.flatMap((r) => r.resources ?? [])).not.toContain('endpoints');
  });
});
