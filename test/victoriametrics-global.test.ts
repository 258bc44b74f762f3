import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth.ts';
import { startDaemon, type Daemon } from './support/daemon.ts';
import { engines } from './support/engines.ts';
import { freePort } from './support/free-port.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { removePodFiles } from './support/pod-files.ts';
import { unknownFlagsIn, withFlags } from './support/real-engine-checks.ts';
import { remoteWrite } from './support/remote-write.ts';
import { startVmCluster, type VmCluster } from './support/vm-cluster.ts';
import { containerArgs, globalSelectConfig } from './support/vm-mode.ts';
import { VM_ALERT_METRICS } from '../src/rules/victoriametrics.ts';
import { GLOBAL_VMSELECT } from '../src/model/types.ts';
import { unreachableBackends } from '../src/controller/vm-health.ts';

// Two victoriametrics-cluster backends on loopback (two storage nodes each, replication 2), each
// run with its own synthesized flags, and the Grafana cluster's global vmselect with its
// synthesized flags over both backends' vmselects: it answers every sample of both, once.
// Negative: with one backend unreachable it refuses to answer, where a global vmselect without
// -search.denyPartialResponse answers for one cloud only.

const found = engines(import.meta.url, ['vmstorage', 'vminsert', 'vmselect']);
const STEP_MS = 30_000;
const SAMPLES = 20;

describe.runIf(found)('victoriametrics-cluster: the global vmselect over two backends', () => {
  let work: string;
  const clusters: VmCluster[] = [];
  const daemons: Daemon[] = [];
  let globalArgs: string[];
  /** The cluster-native address of a backend's vmselect, which the global one reads. */
  const clusternativeOf = (c: VmCluster) => c.clusternative.get(c.selects[0]!)!;
  const startGlobal = async (storageNodes: string[]) => {
    const port = await freePort();
    const d = await startDaemon({
      binary: found!.vmselect,
      tmpPrefix: 'o11y-vmselect-global-',
      args: (dir) => withFlags(globalArgs, { storageNode: storageNodes.join(','), httpListenAddr: `127.0.0.1:${port}`, cacheDataPath: dir }, '-'),
      url: `http://127.0.0.1:${port}`,
      readyPath: '/health',
    });
    daemons.push(d);
    return `${d.url}/select/0/prometheus`;
  };
  /** How many `global_test` samples each backend's series has, as `from/count`, and the HTTP status. */
  const samples = async (selectUrl: string) => {
    const query = 'sum by (from) (count_over_time(global_test[5h]))';
    const res = await fetch(`${selectUrl}/api/v1/query?query=${encodeURIComponent(query)}&time=${Date.now() / 1000}`);
    const body = (await res.json()) as { data?: { result: { metric: { from: string }; value: [number, string] }[] }; error?: string };
    return { status: res.status, error: body.error, samples: (body.data?.result ?? []).map((r) => `${r.metric.from}/${r.value[1]}`).sort() };
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'o11y-vm-global-'));
    writeFileSync(join(work, 'global.yaml'), globalSelectConfig());
    synthesize({ configFile: join(work, 'global.yaml'), outDir: join(work, 'global') });
    globalArgs = containerArgs(loadManifestDir(join(work, 'global', 'eu-backend')), 'vmselect-global');
    for (const backend of ['eu-backend', 'gke-backend']) clusters.push(await startVmCluster(found!, loadManifestDir(join(work, 'global', backend)), work));
    const base = Math.floor(Date.now() / STEP_MS) * STEP_MS - 4 * 3600_000;
    for (const [i, from] of ['aws', 'gcp'].entries()) {
      await remoteWrite(clusters[i]!.writeUrl, [
        { labels: { __name__: 'global_test', from }, samples: Array.from({ length: SAMPLES }, (_, n) => [n, base + n * STEP_MS] as [number, number]) },
        // The same series in both backends (an SLO's recorded series has no label of its cloud): 1 in aws, 2 in gcp;
        // and one that already has a `cloud` label, the same in both, which vminsert keeps.
        ...['global_same', 'global_same_cloud'].map((name) => ({
          labels: { __name__: name, ...(name === 'global_same_cloud' ? { cloud: 'x' } : {}) },
          samples: Array.from({ length: SAMPLES }, (_, n) => [i + 1, base + n * STEP_MS] as [number, number]),
        })),
      ]);
      // Searchable in its own backend first: vmselect caches answers about samples this old, a too-early one included.
      for (let n = 0; n < 100 && (await samples(clusters[i]!.selectUrl)).samples[0] !== `${from}/${SAMPLES}`; n++) await new Promise((r) => setTimeout(r, 200));
    }
  });
  afterAll(async () => {
    for (const d of daemons) await d.stop();
    for (const c of clusters) await c.stop();
    removePodFiles();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // Each sample once: the replicated copies are not counted twice.
  const expected = [`aws/${SAMPLES}`, `gcp/${SAMPLES}`];

  it('every flag of the global vmselect and of the backends\' vmselects is one vmselect knows', () => {
    const vmselect = { engine: found!.vmselect };
    expect(unknownFlagsIn(globalArgs, vmselect)).toEqual([]);
    expect(unknownFlagsIn(containerArgs(loadManifestDir(join(work, 'global', 'gke-backend')), 'vmselect'), vmselect)).toEqual([]);
    expect(unknownFlagsIn(['-clusternative.listenAddr=:8401'], vmselect)).toEqual(['clusternative.listenAddr']);
  });

  it('answers every sample of both backends, once', { timeout: 60_000 }, async () => {
    expect(clusters.map((c) => c.clusternative.get(c.selects[0]!))).not.toContain(undefined);
    const url = await startGlobal(clusters.map(clusternativeOf));
    const got = await samples(url);
    expect(got.status, got.error).toBe(200);
    expect(got.samples).toEqual(expected);
    expect(unreachableBackends(await (await fetch(url.replace(/\/select\/.*/, '/metrics'))).text())).toEqual([]);
  });

  it('adds up a series both backends hold under the same labels: each backend\'s vminsert labels it with its cloud; negative: one labelled alike in both merges', { timeout: 60_000 }, async () => {
    const url = await startGlobal(clusters.map(clusternativeOf));
    const total = async (query: string) => {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}&time=${Date.now() / 1000}`);
      return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result.map((r) => `${r.metric.cloud ?? ''}:${r.value[1]}`);
    };
    // 20 samples of 1 in aws and of 2 in gcp.
    expect(await total('sum by (cloud) (sum_over_time(global_same[5h]))')).toEqual(['aws:20', 'gcp:40']);
    expect(await total('sum(sum_over_time(global_same[5h]))')).toEqual([':60']);
    // Without a label that tells the backends apart the copies are deduplicated as replicas of one series.
    const merged = await total('sum(sum_over_time(global_same_cloud[5h]))');
    expect(merged).toHaveLength(1);
    expect(Number(merged[0]!.slice(1))).toBeLessThan(60);
  });

  it('negative: with one backend unreachable it refuses to answer; without -search.denyPartialResponse it answers for one cloud only', { timeout: 60_000 }, async () => {
    const unreachable = `127.0.0.1:${await freePort()}`;
    const nodes = [clusternativeOf(clusters[0]!), unreachable];
    const strictUrl = await startGlobal(nodes);
    const strict = await samples(strictUrl);
    expect(strict.status).not.toBe(200);
    // What its alerts and `o11y check` read: the unreachable backend, and the refused request to it, by address.
    const metrics = await (await fetch(strictUrl.replace(/\/select\/.*/, '/metrics'))).text();
    expect(VM_ALERT_METRICS[GLOBAL_VMSELECT].filter((m) => !metrics.split('\n').some((l) => l.startsWith(`${m}{`)))).toEqual([]);
    expect(unreachableBackends(metrics)).toEqual([unreachable]);
    globalArgs = globalArgs.filter((a) => a !== '-search.denyPartialResponse');
    const partial = await samples(await startGlobal(nodes));
    expect(partial.status, partial.error).toBe(200);
    expect(partial.samples).not.toEqual(expected);
    expect(partial.samples).toEqual([`aws/${SAMPLES}`]);
  });
});
