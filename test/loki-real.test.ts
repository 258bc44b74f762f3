import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { clusterResourceAttributes } from '../constructs/otel-collector.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { SIZE_PRESETS } from '../src/config/sizes.ts';
import { parseDuration } from '../src/duration.ts';
import { SIZES } from '../src/model/types.ts';
import { REDACTED_LINES_QUERY } from '../src/dashboards/stack-health.ts';
import { synthesize } from '../src/synth.ts';
import type { Daemon } from './support/daemon.ts';
import { engines } from './support/engines.ts';
import { freePort } from './support/free-port.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { removePodFiles } from './support/pod-files.ts';
import { flagValue, unknownFlagsIn } from './support/real-engine-checks.ts';
import {
  containerEnv,
  envReferences,
  expandEnv,
  liveOverrides,
  mountedLoki,
  settingsNotInEffect,
  startLoki,
  unwritablePaths,
  verifyConfig,
  type LokiRun,
} from './support/real-loki.ts';

// Every Loki config the stack synthesizes, checked by the real Loki 3.7 on loki.yaml as the pod
// mounts it, with the container's args and env: the default stack, each backend of the multi-cloud
// example (S3, OSS, Azure Blob, GCS) and each size. Then the default Loki live on loopback: logs
// pushed over OTLP as the gateway sends them, found by the queries our dashboards and Grafana's
// trace-to-logs links run, and the compactor applying our retention.

const found = engines(import.meta.url, ['loki']);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_FILE = join(ROOT, 'o11y.yaml');
const work = mkdtempSync(join(tmpdir(), 'o11y-loki-real-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removePodFiles();
});

const hasLoki = (objs: K8sObject[]) => objs.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'loki');

/** `<stack> <cluster>` → objects, for each cluster of `file` that runs Loki. */
function lokiClusters(stack: string, file: string): [string, K8sObject[]][] {
  const out = join(work, stack);
  synthesize({ configFile: file, outDir: out });
  return loadConfigFile(file)
    .clusters.map((c) => [`${stack} ${c.name}`, loadManifestDir(join(out, c.name))] as [string, K8sObject[]])
    .filter(([, objs]) => hasLoki(objs));
}

/** The default stack at `size`, its Loki left to the size (SLOs left out: they do not touch Loki). */
function sizeFile(size: string): string {
  const file = join(work, `size-${size}.yaml`);
  const text = readFileSync(DEFAULT_FILE, 'utf8').replace(/^ {2}loki:.*\n/m, '').replace(/^slos:.*\n/m, '');
  writeFileSync(file, text.replace('architectures:', `size: ${size}\narchitectures:`));
  return file;
}

const clusters: [string, K8sObject[]][] = found
  ? [
      ...lokiClusters('default', DEFAULT_FILE),
      ...lokiClusters('multi-cloud', join(ROOT, 'examples/multi-cloud.yaml')),
      ...SIZES.flatMap((size) => lokiClusters(`size ${size}`, sizeFile(size))),
    ]
  : [];

/** A verify run per cluster, kept: each takes a second or two. */
const verified = new Map<K8sObject[], { loki: ReturnType<typeof mountedLoki>; env: Record<string, string>; run: LokiRun }>();
function verify(objs: K8sObject[]) {
  if (!verified.has(objs)) {
    const loki = mountedLoki(objs);
    const env = containerEnv(objs);
    verified.set(objs, { loki, env, run: verifyConfig(found!.loki, loki, env) });
  }
  return verified.get(objs)!;
}

const lokiConfigMap = (objs: K8sObject[]) => objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'loki-config')!.data as Record<string, string>;
const lokiContainer = (objs: K8sObject[]) =>
  (objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'loki')!.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!;

describe.runIf(found)('every synthesized Loki config, checked by loki 3.7', () => {
  it('covers the default cluster, every backend of the multi-cloud example (each object store) and every size', () => {
    expect(clusters.map(([name]) => name)).toEqual([
      'default local',
      'multi-cloud aws-backend',
      'multi-cloud ack-backend',
      'multi-cloud aks-backend',
      'multi-cloud gke-backend',
      ...SIZES.map((s) => `size ${s} local`),
    ]);
    const stores = clusters.map(([, objs]) => (parseYaml(lokiConfigMap(objs)['loki.yaml']!) as { schema_config: { configs: { object_store: string }[] } }).schema_config.configs[0]!.object_store);
    expect(new Set(stores)).toEqual(new Set(['filesystem', 's3', 'alibabacloud', 'azure', 'gcs']));
  });

  describe.each(clusters)('%s', (_, objs) => {
    it('loki -verify-config accepts loki.yaml as mounted, with the container\'s args and env', () => {
      const { run } = verify(objs);
      expect(run.output).toContain('config is valid');
      expect(run.status, run.output).toBe(0);
    });

    it('every setting of loki.yaml is in effect as written (Loki\'s effective config)', () => {
      const { loki, env, run } = verify(objs);
      const expand = flagValue(loki.pod.args, 'config.expand-env') === 'true';
      const written = parseYaml(readFileSync(loki.pod.hostPath(loki.file), 'utf8')) as Record<string, unknown>;
      expect(run.effective, run.output).toBeDefined();
      expect(settingsNotInEffect(expand ? expandEnv(written, env) : written, run.effective)).toEqual([]);
    });

    it('each ${VAR} in loki.yaml is expanded (-config.expand-env) from the container\'s env', () => {
      const { loki, env } = verify(objs);
      const refs = envReferences(lokiConfigMap(objs)['loki.yaml']!);
      if (refs.length) expect(flagValue(loki.pod.args, 'config.expand-env')).toBe('true');
      expect(refs.filter((r) => !(r in env))).toEqual([]);
    });

    it('every path Loki writes is on a writable volume (the root file system is read-only)', () => {
      const { loki, run } = verify(objs);
      expect(unwritablePaths(loki, run.effective!)).toEqual([]);
    });

    it('every flag of the container is one loki -help lists', () => {
      expect(unknownFlagsIn(lokiContainer(objs).args, { engine: found!.loki })).toEqual([]);
    });
  });

  // The checks above can fail: each is shown a deliberately broken copy of a synthesized Loki.
  describe('the checks catch a broken Loki', () => {
    const copy = (name: string): K8sObject[] => JSON.parse(JSON.stringify(clusters.find(([n]) => n === name)![1])) as K8sObject[];
    const edit = (objs: K8sObject[], from: string | RegExp, to: string) => {
      const data = lokiConfigMap(objs);
      const text = data['loki.yaml']!.replace(from, to);
      expect(text).not.toBe(data['loki.yaml']);
      data['loki.yaml'] = text;
      return objs;
    };

    it('a misspelt key: verify-config refuses it, naming the key', () => {
      const { run } = verify(edit(copy('default local'), 'retention_enabled:', 'retention_enable:'));
      expect(run.status).not.toBe(0);
      expect(run.output).toMatch(/field retention_enable not found/);
      const azure = verify(edit(copy('multi-cloud aks-backend'), 'use_federated_token:', 'use_federated_tokens:')).run;
      expect(azure.status).not.toBe(0);
      expect(azure.output).toMatch(/field use_federated_tokens not found/);
    });

    it('${VAR}s without -config.expand-env: Loki accepts them, but would use the literal text as the key', () => {
      const objs = copy('multi-cloud ack-backend');
      const container = lokiContainer(objs);
      container.args = container.args.filter((a) => !a.startsWith('-config.expand-env'));
      const { loki, env, run } = verify(objs);
      expect(run.status, run.output).toBe(0);
      const written = parseYaml(readFileSync(loki.pod.hostPath(loki.file), 'utf8')) as Record<string, unknown>;
      expect(settingsNotInEffect(expandEnv(written, env), run.effective).join('\n')).toMatch(/alibabacloud\.access_key_id: "dummy-access-key-id" ≠ "\$\{OSS_ACCESS_KEY_ID\}"/);
    });

    it('a working directory outside the writable volumes', () => {
      const objs = edit(copy('default local'), 'working_directory: /loki/compactor', 'working_directory: /var/loki/compactor');
      const { loki, run } = verify(objs);
      expect(unwritablePaths(loki, run.effective!)).toEqual(['compactor.working_directory: /var/loki/compactor']);
    });

    it('an unknown flag', () => {
      expect(unknownFlagsIn(['-config.file=/etc/loki/loki.yaml', '-target=all', '-config.expand_env=true'], { engine: found!.loki })).toEqual(['config.expand_env']);
    });
  });
});

// ---- live -----------------------------------------------------------------------------------

interface Stream {
  stream: Record<string, string>;
  values: [string, string][];
}

/** A pod whose logs are pushed: its workload kind (as the dashboards' `kind` variable names it). */
interface Pod {
  readonly kind: string;
  readonly workload: string;
  readonly pod: string;
  readonly container: string;
}

const NAMESPACE = 'shop';
const TRACE = '5b8efff798038103d269b633813fc60c';
const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const PODS: readonly Pod[] = [
  { kind: 'deployment', workload: 'checkout', pod: 'checkout-7d9f8b6c5-x2x9q', container: 'app' },
  { kind: 'statefulset', workload: 'ledger', pod: 'ledger-0', container: 'ledger' },
  { kind: 'daemonset', workload: 'node-probe', pod: 'node-probe-4kq7z', container: 'probe' },
];
const SERVICE = 'checkout';
const APP = PODS[0]!;

const str = (value: string) => ({ stringValue: value });
const attrs = (map: Record<string, string>) => Object.entries(map).map(([key, value]) => ({ key, value: str(value) }));

/**
 * Resource attributes of `pod`'s logs when the gateway exports them: what the agent's container
 * parser (file_log) or the SDK set, what `k8s_attributes` adds (namespace, pod, uid, node, owner)
 * and the cluster's attributes (`resource/cluster`).
 */
function podResource(cluster: Record<string, string>, pod: Pod, extra: Record<string, string>): object {
  return {
    attributes: attrs({
      ...extra,
      'k8s.namespace.name': NAMESPACE,
      'k8s.pod.name': pod.pod,
      'k8s.pod.uid': `uid-${pod.pod}`,
      'k8s.node.name': 'node-1',
      [`k8s.${pod.kind}.name`]: pod.workload,
      ...cluster,
    }),
  };
}

const logRecord = (nanos: bigint, body: string, trace?: string, attributes: Record<string, string> = {}) => ({
  timeUnixNano: String(nanos),
  observedTimeUnixNano: String(nanos),
  severityNumber: 9,
  severityText: 'INFO',
  body: str(body),
  attributes: attrs(attributes),
  ...(trace ? { traceId: trace, spanId: trace.slice(0, 16), flags: 1 } : {}),
});

/** Lines pushed, by pod: the app's SDK log (OTLP) and every pod's container output (file_log). */
function pushedLogs(cluster: Record<string, string>, nanos: bigint): { body: object; lines: Map<string, string[]> } {
  const lines = new Map<string, string[]>();
  // The app's container output: a line of the trace, and one of another request.
  const traces: Record<string, string | undefined> = { 'charging card': TRACE, 'health check': OTHER_TRACE };
  const stdout = PODS.map((pod, i) => {
    const texts = [`${pod.pod} started`, ...(pod === APP ? Object.keys(traces) : [])];
    lines.set(pod.pod, texts);
    return {
      resource: podResource(cluster, pod, { 'k8s.container.name': pod.container, 'k8s.container.restart_count': '0' }),
      scopeLogs: [
        {
          scope: {},
          logRecords: texts.map((t, j) =>
            logRecord(nanos + BigInt(i * 10 + j), t, traces[t], { 'log.file.path': `/var/log/pods/${NAMESPACE}_${pod.pod}_uid/${pod.container}/0.log`, 'log.iostream': 'stdout' }),
          ),
        },
      ],
    };
  });
  const sdk = {
    resource: podResource(cluster, APP, { 'service.name': SERVICE }),
    scopeLogs: [{ scope: { name: 'checkout' }, logRecords: [logRecord(nanos + 100n, 'order 42 placed', TRACE)] }],
  };
  lines.get(APP.pod)!.push('order 42 placed');
  return { body: { resourceLogs: [sdk, ...stdout] }, lines };
}

describe.runIf(found)('the default Loki, live on loopback', () => {
  const objs = clusters.find(([n]) => n === 'default local')?.[1] ?? [];
  const cluster = loadConfigFile(DEFAULT_FILE).clusters[0]!;
  let loki: ReturnType<typeof mountedLoki>;
  let daemon: Daemon | undefined;
  let lines: Map<string, string[]>;
  let pushStatus: number;

  beforeAll(async () => {
    loki = mountedLoki(objs);
    daemon = await startLoki(found!.loki, loki, liveOverrides(await freePort(), await freePort()));
    const pushed = pushedLogs(clusterResourceAttributes(cluster), BigInt(Date.now()) * 1_000_000n);
    lines = pushed.lines;
    // As the gateway's otlp_http exporter sends them: gzip-compressed (its default), here as OTLP JSON.
    const res = await fetch(`${daemon.url}/otlp/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync(JSON.stringify(pushed.body)),
    });
    pushStatus = res.status;
    if (res.status !== 204) throw new Error(`push refused: ${res.status} ${await res.text()}`);
  }, 120_000);
  afterAll(async () => daemon?.stop());

  async function logql(query: string): Promise<Stream[]> {
    const now = BigInt(Date.now()) * 1_000_000n;
    const params = new URLSearchParams({ query, start: String(now - 3_600_000_000_000n), end: String(now + 60_000_000_000n), limit: '1000' });
    const res = await fetch(`${daemon!.url}/loki/api/v1/query_range?${params}`);
    const text = await res.text();
    if (!res.ok) throw new Error(`${query}: ${res.status} ${text}`);
    return (JSON.parse(text) as { data: { result: Stream[] } }).data.result;
  }
  const bodies = (streams: Stream[]) => streams.flatMap((s) => s.values.map(([, line]) => line)).sort();

  /** The synthesized Grafana's provisioning: datasources, and every Loki query of every dashboard. */
  const grafana = () => {
    const cms = objs.filter((o) => o.kind === 'ConfigMap');
    const datasources = (parseYaml((cms.find((o) => o.metadata.name === 'grafana-datasources')!.data as Record<string, string>)['datasources.yaml']!) as { datasources: { type: string; jsonData: Record<string, unknown> }[] }).datasources;
    type Panel = { panels?: Panel[]; datasource?: { type: string }; targets?: { expr: string }[] };
    type Dashboard = { uid: string; panels: Panel[]; templating: { list: { name: string; options?: { value: string }[] }[] } };
    const dashboards = cms.filter((o) => o.metadata.name.startsWith('grafana-dashboards')).flatMap((o) => Object.values(o.data as Record<string, string>).map((t) => JSON.parse(t) as Dashboard));
    const lokiPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [...(p.datasource?.type === 'loki' ? [p] : []), ...lokiPanels(p.panels ?? [])]);
    const queries = dashboards.flatMap((d) => lokiPanels(d.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ dashboard: d, expr: t.expr }))));
    return { datasources, queries };
  };

  /** A dashboard query with its variables set as for `pod`; an unknown variable fails the test. */
  const forPod = (expr: string, pod: Pod) => {
    const values: Record<string, string> = { cluster: cluster.name, namespace: NAMESPACE, pod: pod.pod, kind: pod.kind, workload: pod.workload };
    return expr.replace(/\$\{?(\w+)\}?/g, (m, name: string) => {
      if (!(name in values)) throw new Error(`${expr}: no value for ${m}`);
      return values[name]!;
    });
  };

  it('takes OTLP logs in, gzip-compressed JSON at /otlp/v1/logs', () => {
    expect(pushStatus).toBe(204);
  });

  it('finds the app by service_name, and its log by the structured metadata trace_id', async () => {
    expect(bodies(await logql(`{service_name="${SERVICE}"} | trace_id="${TRACE}"`))).toEqual(['order 42 placed']);
  });

  it('every Loki query of every dashboard finds each pod\'s logs, for each workload kind the dashboards offer', async () => {
    const { queries } = grafana();
    expect(queries.map((q) => q.dashboard.uid).sort()).toEqual(['k8s-pod', 'k8s-workload']);
    const workload = queries.find((q) => q.dashboard.uid === 'k8s-workload')!.dashboard;
    const kinds = workload.templating.list.find((v) => v.name === 'kind')!.options!.map((o) => o.value);
    expect(kinds.sort()).toEqual(PODS.map((p) => p.kind).sort());
    for (const { expr } of queries) {
      for (const pod of PODS) expect(bodies(await logql(forPod(expr, pod))), forPod(expr, pod)).toEqual([...lines.get(pod.pod)!].sort());
    }
  });

  // The stack-health panel of stacks that redact (examples/redaction.yaml): lines with the
  // collectors' markers counted by the first rule of each line, lines without none.
  it('the redaction panel\'s query counts marked lines by their first rule', async () => {
    const marked = ['charge [redacted:payment-card]1111 for [sha256:email:ab12]', 'token [redacted:jwt]', 'again [redacted:jwt]', 'cookie [dropped:session-cookie]', 'no marker [redacted] here'];
    const nanos = BigInt(Date.now()) * 1_000_000n;
    const body = { resourceLogs: [{ resource: { attributes: attrs({ 'service.name': 'redacted-app' }) }, scopeLogs: [{ scope: {}, logRecords: marked.map((t, i) => logRecord(nanos + BigInt(i), t, undefined, {})) }] }] };
    const res = await fetch(`${daemon!.url}/otlp/v1/logs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(204);
    const params = new URLSearchParams({ query: REDACTED_LINES_QUERY.replace('$__auto', '1h'), time: String(nanos + 1_000_000_000n) });
    const answer = await fetch(`${daemon!.url}/loki/api/v1/query?${params}`);
    const result = ((await answer.json()) as { data: { result: { metric: { rule: string }; value: [number, string] }[] } }).data.result;
    expect(Object.fromEntries(result.map((r) => [r.metric.rule, Number(r.value[1])]))).toEqual({ 'payment-card': 1, jwt: 2, 'session-cookie': 1 });
  });

  it('Tempo\'s trace-to-logs query finds the span\'s pod logs of that trace, and Loki\'s derived field reads its trace_id', async () => {
    const { datasources } = grafana();
    const link = datasources.find((d) => d.type === 'tempo')!.jsonData.tracesToLogsV2 as { query: string; tags: { key: string; value: string }[] };
    const loki = datasources.find((d) => d.type === 'loki')!.jsonData.derivedFields as { matcherType: string; matcherRegex: string }[];
    // The span's resource: the app pod's (`$$` is the provisioning file's escape for `$`).
    const span: Record<string, string> = { 'k8s.namespace.name': NAMESPACE, 'k8s.pod.name': APP.pod, 'service.name': SERVICE };
    const tags = link.tags.map((t) => `${t.value}="${span[t.key]}"`).join(', ');
    const query = link.query.replace('$${__tags}', tags).replace('$${__trace.traceId}', TRACE);
    expect(query).not.toContain('$');
    const streams = await logql(query);
    expect(bodies(streams)).toEqual(['charging card', 'order 42 placed']);
    const labelFields = loki.filter((f) => f.matcherType === 'label');
    expect(labelFields.length).toBeGreaterThan(0);
    for (const f of labelFields) for (const s of streams) expect(s.stream[f.matcherRegex], JSON.stringify(s.stream)).toBe(TRACE);
  });

  it('a label the stack does not produce finds nothing (the queries above can fail)', async () => {
    expect(await logql(`{namespace="${NAMESPACE}"}`)).toEqual([]);
    expect(await logql(`{k8s_namespace_name="${NAMESPACE}"} | trace_id="${'0'.repeat(32)}"`)).toEqual([]);
  });

  it('runs with every setting of loki.yaml in effect (/config), retention and limits included', async () => {
    const effective = parseYaml(await (await fetch(`${daemon!.url}/config`)).text()) as Record<string, { [k: string]: unknown }>;
    const written = parseYaml(readFileSync(loki.pod.hostPath(loki.file), 'utf8')) as Record<string, unknown>;
    expect(settingsNotInEffect(written, effective)).toEqual([]);
    const ours = loki.config as { limits_config: { retention_period: string } };
    expect(parseDuration(effective.limits_config!.retention_period as string)).toBe(parseDuration(ours.limits_config.retention_period));
    expect(effective.compactor!.retention_enabled).toBe(true);
  });

  it('takes as many active streams as its size is for, and refuses one more', async () => {
    const { maxStreams } = SIZE_PRESETS[loadConfigFile(DEFAULT_FILE).size].lokiLimits;
    const active = Number(/^loki_ingester_memory_streams\{tenant="fake"\} (\d+)/m.exec(await (await fetch(`${daemon!.url}/metrics`)).text())?.[1]);
    expect(active).toBeGreaterThan(0);
    const nanos = BigInt(Date.now()) * 1_000_000n;
    const push = async (from: number, to: number) => {
      const pod = (i: number): Pod => ({ kind: 'deployment', workload: 'load', pod: `load-${i}`, container: 'app' });
      const resourceLogs = Array.from({ length: to - from }, (_, k) => ({
        resource: podResource({}, pod(from + k), { 'k8s.container.name': 'app' }),
        scopeLogs: [{ scope: {}, logRecords: [logRecord(nanos, `line ${from + k}`)] }],
      }));
      const res = await fetch(`${daemon!.url}/otlp/v1/logs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ resourceLogs }) });
      return { status: res.status, text: await res.text() };
    };
    const batch = 5000;
    for (let from = active; from < maxStreams; from += batch) {
      const res = await push(from, Math.min(from + batch, maxStreams));
      expect(res.status, `streams ${from}..: ${res.text}`).toBe(204);
    }
    const over = await push(maxStreams, maxStreams + 1);
    expect(over.status).toBe(429);
    expect(over.text).toMatch(/maximum active stream limit exceeded/);
  }, 120_000);

  it('the compactor runs and applies retention, with our retention period', async () => {
    const metric = /^loki_compactor_apply_retention_operation_total\{status="success"\} (\d+)/m;
    for (let i = 0; i < 600 && !metric.test(await (await fetch(`${daemon!.url}/metrics`)).text()); i++) await new Promise((r) => setTimeout(r, 100));
    const metrics = await (await fetch(`${daemon!.url}/metrics`)).text();
    expect(Number(metric.exec(metrics)?.[1]), daemon!.output()).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^loki_boltdb_shipper_compactor_running 1$/m);
    // The expiration checker logs the oldest time it keeps: its log time less the retention.
    const line = /^level=info ts=(\S+) caller=expiration\.go:\d+ msg="overall smallest retention period ([\d.]+),/m.exec(daemon!.output());
    expect(line, daemon!.output()).not.toBeNull();
    const kept = Date.parse(line![1]!) / 1000 - Number(line![2]);
    const retention = parseDuration((loki.config as { limits_config: { retention_period: string } }).limits_config.retention_period)!;
    expect(Math.abs(kept - retention)).toBeLessThan(5);
  }, 90_000);
});
