/**
 * Issue 20: the victoriametrics-cluster metrics mode against one Prometheus 3, same run, same
 * machine, both run with the flags synth writes. (a) Sustained remote-write ingestion: vminsert →
 * 2 vmstorage (replication 2) against Prometheus' remote-write receiver, the same pre-encoded
 * requests posted to each, every sample counted back afterwards. (b) Rule evaluation of the
 * Kubernetes rule groups and of SLO groups over the same synthetic cluster (100 nodes, 5,000 pods,
 * bench/kubernetes.ts) in vmalert against vmselect and in Prometheus.
 * `O11Y_BENCH_QUICK=1` runs a small version (10 nodes, a few requests) to check the benchmark works.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compileSloFiles, type CompileOptions } from '../src/slo/index.ts';
import { vmalertLag } from '../src/slo/rules.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import type { Daemon } from '../test/support/daemon.ts';
import { findEngines } from '../test/support/engines.ts';
import type { K8sObject } from '../test/support/manifest-checks.ts';
import { layOutPodFiles, removePodFiles } from '../test/support/pod-files.ts';
import { startPrometheusWith } from '../test/support/real-prometheus.ts';
import { postWriteRequest, remoteWrite, writeRequestBody, type Series } from '../test/support/remote-write.ts';
import { toolVersion } from '../test/support/test-tools.ts';
import { startVmAlert, startVmCluster, type VmCluster, type VmComponent } from '../test/support/vm-cluster.ts';
import { synthesizeVmMode } from '../test/support/vm-mode.ts';
import { syntheticCluster } from './kubernetes.ts';
import type { BenchResult } from './types.ts';

/** Above the table in BENCHMARKS.md. */
export const method = [
  'Both stores run on loopback with the flags synth writes for the default config (Prometheus: its remote-write receiver and the synthesized out-of-order window; VictoriaMetrics: two vmstorage nodes, vminsert with replication factor 2, vmselect, vmalert), one after the other in the same run.',
  'Ingestion: the same pre-encoded remote-write requests (uncompressed snappy blocks) posted by concurrent writers, each writer\'s series in order, samples 30 s apart (the synthesized `-dedup.minScrapeInterval`); the rate is samples over the wall time until the last request is acknowledged, and every sample is counted back (`count_over_time`) before a figure is kept.',
  'Rule evaluation: the synthetic cluster of bench/kubernetes.ts (100 nodes, 5,000 pods: kube-state-metrics, cAdvisor, node-exporter, kubelet and control-plane series) pushed into both, then the synthesized Kubernetes rule file and the rules of 10 SLOs over `apiserver_request_total` (as synth generates them for each engine: the vmalert rules read their 5m rates at a lag) evaluated by Prometheus and by vmalert (against vmselect, recording through vminsert) every 60 s; after two more iterations of every group, the sum of the rules\' last `evaluationTime` from each engine\'s `/api/v1/rules`, and the node rules must have recorded all 100 nodes in both. vmalert\'s time includes its HTTP round trip to vmselect; Prometheus evaluates in-process. `O11Y_BENCH_QUICK=1` runs a small version (10 nodes, 40,000 samples) to check the benchmark works; its figures mean nothing.',
].join(' ');

const QUICK = process.env.O11Y_BENCH_QUICK === '1';
const CLUSTER = QUICK ? { nodes: 10, pods: 500 } : { nodes: 100, pods: 5000 };
/** Concurrent writers, each owning its series (in order per series, as one scraper's queue shard sends them). */
const INGEST = QUICK ? { writers: 2, series: 500, requests: 4, samples: 10 } : { writers: 4, series: 2500, requests: 40, samples: 10 };
/** Samples of a series lie this far apart: vmstorage keeps one per `-dedup.minScrapeInterval` (30s, synthesized). */
const SAMPLE_STEP_MS = 30_000;
/** Long enough for either engine to finish every group within it, so durations measure work, not queueing. */
const EVAL_INTERVAL_S = QUICK ? 10 : 60;
/** The SLOs evaluated: one per API server resource of the synthetic cluster, errors = 5xx. */
const SLO_RESOURCES = ['pods', 'nodes', 'services', 'endpointslices', 'configmaps', 'secrets', 'deployments', 'replicasets', 'events', 'leases'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type VmParts = Record<VmComponent, string>;

function vmParts(): VmParts & { vmalert: string } {
  const found = findEngines().found;
  const path = (name: 'vmstorage' | 'vminsert' | 'vmselect' | 'vmalert') => {
    const engine = found[name];
    if (!engine) throw new Error(`bench victoriametrics needs the ${name} engine: set O11Y_TEST_TOOLS (README, Testing)`);
    return engine.path;
  };
  return { vmstorage: path('vmstorage'), vminsert: path('vminsert'), vmselect: path('vmselect'), vmalert: path('vmalert') };
}

/** Prometheus with its remote-write receiver, the synthesized out-of-order window, and `ruleFiles`. */
function startPrometheus(ruleFiles: readonly string[] = []): Promise<Daemon> {
  return startPrometheusWith({
    tmpPrefix: 'o11y-bench-vm-prometheus-',
    prepare: (dir) => writeFileSync(join(dir, 'prometheus.yml'), dumpYaml({ global: { evaluation_interval: `${EVAL_INTERVAL_S}s` }, storage: { tsdb: { out_of_order_time_window: '30m' } }, rule_files: ruleFiles })),
    flags: ['--web.enable-remote-write-receiver'],
  });
}

async function instant(queryUrl: string, query: string, time = Date.now() / 1000): Promise<number> {
  // nocache: vmselect caches answers about samples older than a few minutes, an incomplete one included (Prometheus ignores it).
  const res = await fetch(`${queryUrl}/api/v1/query?${new URLSearchParams({ query, time: String(time), nocache: '1' })}`);
  const body = (await res.json()) as { data?: { result: { value: [number, string] }[] }; error?: string };
  if (res.status !== 200) throw new Error(`${query}: HTTP ${res.status} ${body.error}`);
  return Number(body.data!.result[0]?.value[1] ?? 0);
}

/** Polls `query` until it returns `want` (freshly written data becomes searchable within seconds). */
async function untilCount(queryUrl: string, query: string, want: number, time?: number): Promise<number> {
  let got = 0;
  for (let i = 0; i < 120 && (got = await instant(queryUrl, query, time)) !== want; i++) await sleep(500);
  return got;
}

// ---------------------------------------------------------------------------------------------
// (a) ingestion
// ---------------------------------------------------------------------------------------------

/** Per writer, its requests in order: `INGEST.series` series × `INGEST.samples` samples each, the last at `end` (ms). */
function ingestRequests(end: number): Uint8Array<ArrayBuffer>[][] {
  const span = INGEST.requests * INGEST.samples;
  const start = end - (span - 1) * SAMPLE_STEP_MS;
  return Array.from({ length: INGEST.writers }, (_, w) =>
    Array.from({ length: INGEST.requests }, (_, r) => {
      const series: Series[] = Array.from({ length: INGEST.series }, (_, s) => ({
        labels: { __name__: 'bench_ingest', writer: String(w), series: String(s), job: 'bench', instance: `10.0.${w}.${s % 250}:9100` },
        samples: Array.from({ length: INGEST.samples }, (_, k) => [r * INGEST.samples + k, start + (r * INGEST.samples + k) * SAMPLE_STEP_MS] as const),
      }));
      return writeRequestBody(series);
    }),
  );
}

/** Samples per second through `writeUrl`: every writer posts its requests one after the other, all writers at once. */
async function ingestRate(writeUrl: string, requests: Uint8Array<ArrayBuffer>[][]): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(requests.map(async (own) => {
    for (const body of own) await postWriteRequest(writeUrl, body);
  }));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (INGEST.writers * INGEST.requests * INGEST.series * INGEST.samples) / seconds;
}

async function ingestion(objects: readonly K8sObject[], bin: VmParts, dir: string): Promise<BenchResult[]> {
  const end = Date.now() - 60_000;
  const requests = ingestRequests(end);
  const total = INGEST.writers * INGEST.requests * INGEST.series * INGEST.samples;
  // Counted at the last sample's time, over every sample: however long the writes take.
  const range = `${Math.ceil((INGEST.requests * INGEST.samples * SAMPLE_STEP_MS + 60_000) / 60_000)}m`;
  const counted = `sum(count_over_time(bench_ingest[${range}]))`;
  /** The rate through a freshly started store, and the samples it then counts back; the store is stopped after. */
  const measured = async (store: { writeUrl: string; queryUrl: string; stop(): Promise<void> }) => {
    try {
      return { rate: await ingestRate(store.writeUrl, requests), counted: await untilCount(store.queryUrl, counted, total, end / 1000 + 1) };
    } finally {
      await store.stop();
    }
  };
  const vm = await startVmCluster(bin, objects, dir);
  const { rate: vmRate, counted: vmCounted } = await measured({ writeUrl: vm.writeUrl, queryUrl: vm.selectUrl, stop: vm.stop });
  const prometheus = await startPrometheus();
  const { rate: promRate, counted: promCounted } = await measured({ writeUrl: prometheus.url, queryUrl: prometheus.url, stop: prometheus.stop });
  // A fast write is worth nothing unless every sample is there.
  if (vmCounted !== total || promCounted !== total) throw new Error(`samples counted back: VictoriaMetrics ${vmCounted}, Prometheus ${promCounted}, of ${total}`);
  const shape = `${INGEST.writers} writers × ${INGEST.series} series, ${INGEST.requests} requests of ${INGEST.samples} samples per series each; ${total.toLocaleString('en')} samples, all counted back`;
  return [
    { name: 'remote-write ingestion: vminsert → 2 vmstorage (replication 2)', value: vmRate, unit: 'samples/s', note: shape },
    { name: `remote-write ingestion: Prometheus ${toolVersion('prometheus')} receiver`, value: promRate, unit: 'samples/s', note: 'same requests, same run' },
    { name: 'ingestion, VictoriaMetrics cluster ÷ Prometheus', value: vmRate / promRate, unit: '×', note: 'below 1: VictoriaMetrics is slower here' },
  ];
}

// ---------------------------------------------------------------------------------------------
// (b) rule evaluation
// ---------------------------------------------------------------------------------------------

/**
 * The rule files each engine evaluates: the synthesized Kubernetes rules, and SLO rules over the API
 * server's requests as synth generates them for each (vmalert's read their rates at a lag); and the
 * group names, the same in both.
 */
function ruleFiles(objects: readonly K8sObject[], dir: string): { prometheus: string[]; vmalert: string[]; groups: string[] } {
  const pod = layOutPodFiles(objects, 'vmalert', 'vmalert');
  const kubernetes = pod.configMapFiles.find((f) => f.endsWith('/kubernetes.rules.yaml'));
  if (!kubernetes) throw new Error('vmalert mounts no kubernetes.rules.yaml');
  const slos = `version: o11y/v1\nservice: apiserver\nslos:\n${SLO_RESOURCES.map((r) => `  - name: ${r}-requests
    objective: 99.9
    sli:
      events:
        errorQuery: sum(rate(apiserver_request_total{resource="${r}", code=~"5.."}[{{.window}}]))
        totalQuery: sum(rate(apiserver_request_total{resource="${r}"}[{{.window}}]))
    alerting: { name: ApiserverRequestErrors }
`).join('')}`;
  writeFileSync(join(dir, 'slos.yaml'), slos);
  const sloFile = (name: string, options: CompileOptions) => {
    writeFileSync(join(dir, name), dumpYaml(compileSloFiles([join(dir, 'slos.yaml')], options).ruleFile));
    return join(dir, name);
  };
  const prometheus = [pod.hostPath(kubernetes), sloFile('slo.rules.yaml', {})];
  const vmalert = [pod.hostPath(kubernetes), sloFile('slo-vmalert.rules.yaml', { vmalert: { lag: vmalertLag(EVAL_INTERVAL_S) } })];
  const groups = prometheus.flatMap((f) => (parse(readFileSync(f, 'utf8')) as { groups: { name: string }[] }).groups.map((g) => g.name));
  return { prometheus, vmalert, groups };
}

/** `name{…group="g"…} value` lines of a /metrics page, by group. */
async function perGroup(url: string, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return new Map([...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))].map((m) => [/(?:rule_group|group)="(?:[^"]*;)?([^"]+)"/.exec(m[1]!)![1]!, Number(m[2])]));
}

/** Waits until every group has run twice more (on all the data), by the engine's iteration counter. */
async function twoMoreIterations(url: string, counter: string, groups: readonly string[]): Promise<void> {
  const before = await perGroup(url, counter);
  for (const deadline = Date.now() + 10 * EVAL_INTERVAL_S * 1000; Date.now() < deadline; await sleep(1000)) {
    const now = await perGroup(url, counter);
    if (groups.every((g) => (now.get(g) ?? 0) >= (before.get(g) ?? 0) + 2)) return;
  }
  throw new Error(`${url}: the rule groups did not run twice within ${10 * EVAL_INTERVAL_S}s`);
}

/** Per group, the sum of its rules' last `evaluationTime` (s) in a Prometheus-shaped `/api/v1/rules`, which both engines answer. */
async function ruleSeconds(rulesUrl: string): Promise<Map<string, number>> {
  const body = (await (await fetch(`${rulesUrl}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { evaluationTime: number }[] }[] } };
  return new Map(body.data.groups.map((g) => [g.name, g.rules.reduce((sum, r) => sum + r.evaluationTime, 0)]));
}

async function ruleEvaluation(objects: readonly K8sObject[], bin: VmParts & { vmalert: string }, dir: string): Promise<BenchResult[]> {
  const { prometheus: prometheusFiles, vmalert: vmalertFiles, groups } = ruleFiles(objects, dir);
  const series = syntheticCluster(Date.now() - 60_000, CLUSTER);
  const push = async (url: string) => {
    for (let i = 0; i < series.length; i += 5000) await remoteWrite(url, series.slice(i, i + 5000));
  };
  const recorded = 'count(instance:node_cpu_utilisation:rate5m)';
  const vm: VmCluster = await startVmCluster(bin, objects, dir);
  let vmalert: Daemon | undefined;
  const prometheus = await startPrometheus(prometheusFiles);
  try {
    await push(vm.writeUrl);
    await push(prometheus.url);
    // The synthesized flags; its rules replaced by the benchmark's, notifications dropped.
    vmalert = await startVmAlert(bin.vmalert, objects, {
      select: vm.selects[0]!,
      insert: vm.inserts[0]!,
      name: 'bench',
      flags: { rule: vmalertFiles.join(','), evaluationInterval: `${EVAL_INTERVAL_S}s` },
    });
    process.stderr.write(`  victoriametrics: ${series.length} series in each store; waiting for two evaluations of ${groups.length} groups…\n`);
    await Promise.all([twoMoreIterations(vmalert.url, 'vmalert_iteration_total', groups), twoMoreIterations(prometheus.url, 'prometheus_rule_group_iterations_total', groups)]);
    const [vmSeconds, promSeconds] = [await ruleSeconds(vmalert.url), await ruleSeconds(prometheus.url)];
    // The rules ran on the whole cluster in both, not on nothing.
    const [vmNodes, promNodes] = [await untilCount(vm.selectUrl, recorded, CLUSTER.nodes), await instant(prometheus.url, recorded)];
    if (vmNodes !== CLUSTER.nodes || promNodes !== CLUSTER.nodes) throw new Error(`node rules recorded ${vmNodes} nodes in VictoriaMetrics, ${promNodes} in Prometheus, of ${CLUSTER.nodes}`);
    const total = (m: Map<string, number>, pick: (g: string) => boolean) => groups.filter(pick).reduce((sum, g) => sum + (m.get(g) ?? 0), 0) * 1000;
    const isSlo = (g: string) => !g.startsWith('kubernetes.');
    const scope = `${CLUSTER.nodes} nodes, ${CLUSTER.pods} pods; ${series.length.toLocaleString('en')} series`;
    return [
      { name: `Kubernetes rule groups, vmalert over vmselect (${scope})`, value: total(vmSeconds, (g) => !isSlo(g)), unit: 'ms', note: 'sum of the rules\' last evaluationTime, /api/v1/rules' },
      { name: 'Kubernetes rule groups, Prometheus', value: total(promSeconds, (g) => !isSlo(g)), unit: 'ms', note: `same series, same rules, Prometheus ${toolVersion('prometheus')}` },
      { name: `SLO rule groups (${SLO_RESOURCES.length} SLOs), vmalert over vmselect`, value: total(vmSeconds, isSlo), unit: 'ms' },
      { name: 'SLO rule groups, Prometheus', value: total(promSeconds, isSlo), unit: 'ms' },
    ];
  } finally {
    await vmalert?.stop();
    await prometheus.stop();
    await vm.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'o11y-bench-vm-'));
  try {
    const bin = vmParts();
    const objects = synthesizeVmMode(work);
    return [...(await ingestion(objects, bin, work)), ...(await ruleEvaluation(objects, bin, work))];
  } finally {
    removePodFiles();
    rmSync(work, { recursive: true, force: true });
  }
}
