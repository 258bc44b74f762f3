import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startDaemon, type Daemon } from './support/daemon.ts';
import { engines } from './support/engines.ts';
import { freePort } from './support/free-port.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { layOutPodFiles, removePodFiles } from './support/pod-files.ts';
import { withFlags } from './support/real-engine-checks.ts';
import { remoteWrite, type Series } from './support/remote-write.ts';
import { until } from './support/until.ts';
import { selectQuery, startVmCluster, type VmCluster } from './support/vm-cluster.ts';
import { synthesizeVmMode } from './support/vm-mode.ts';

// The write and read paths of the victoriametrics-cluster mode losing one pod, on loopback with the
// synthesized flags: the HA vmagent pair (synthesized args and scrape config) losing one scraper
// leaves no gap in a scraped series; two vminserts and two vmselects losing one of each keep
// acknowledging writes and answering queries in full. Rewritten for test speed, and only this: the
// scrape interval (30s → 2s) and, to match it, `-dedup.minScrapeInterval` of vmstorage and vmselect;
// the `o11y-stack` job discovers one loopback target (static, with the pod metadata Kubernetes
// discovery would attach) instead of the cluster's pods.

const found = engines(import.meta.url, ['vminsert', 'vmselect', 'vmstorage', 'vmagent']);

const SCRAPE_S = 2;
const TARGET = { name: 'fault-target', namespace: 'observability', pod: 'fault-target-0' };

/**
 * Holes in `timestamps` (seconds) over [from, to]: the spans longer than 1.5 scrape intervals
 * without a sample, i.e. at least one interval missing.
 */
function gaps(timestamps: readonly number[], from: number, to: number, intervalS: number): [number, number][] {
  const points = [from, ...[...timestamps].filter((t) => t >= from && t <= to).sort((a, b) => a - b), to];
  return points.slice(1).flatMap((t, i) => (t - points[i]! > 1.5 * intervalS ? [[points[i]!, t] as [number, number]] : []));
}

describe('gaps', () => {
  it.each([
    { ts: [0, 2, 4, 6, 8, 10], want: [] },
    { ts: [0.001, 1.999, 4.2, 6.1, 8, 9.9], want: [] },
    { ts: [0, 2, 8, 10], want: [[2, 8]] },
    { ts: [0, 2, 4, 6], want: [[6, 10]] },
    { ts: [4, 6, 8, 10, 12], want: [[0, 4]] },
    { ts: [], want: [[0, 10]] },
  ])('$ts over [0, 10] → $want', ({ ts, want }) => {
    expect(gaps(ts, 0, 10, SCRAPE_S)).toEqual(want);
  });
});

describe.runIf(found)('victoriametrics-cluster: losing a scraper, a vminsert or a vmselect', () => {
  const bin = found!;
  let work: string;
  let objects: K8sObject[];
  let cluster: VmCluster;
  let target: Server;
  let served = 0;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'o11y-vm-paths-'));
    objects = synthesizeVmMode(work);
    const dedup = { 'dedup.minScrapeInterval': `${SCRAPE_S}s` };
    cluster = await startVmCluster(bin, objects, work, { inserts: 2, selects: 2, flags: { vmstorage: dedup, vmselect: dedup } });
    target = createServer((_req, res) => {
      served++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`# TYPE fault_target_requests_total counter\nfault_target_requests_total ${served}\n`);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await cluster?.stop();
    await new Promise((r) => (target ? target.close(r) : r(undefined)));
    removePodFiles();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A vmagent with the synthesized args and scrape config, rewritten as the header says, remote writing to `insert`. */
  const startAgent = async (insert: Daemon) => {
    const pod = layOutPodFiles(objects, 'vmagent', 'vmagent');
    const file = pod.args.find((a) => a.startsWith('-promscrape.config='))!.slice('-promscrape.config='.length);
    const config = parse(readFileSync(pod.hostPath(file), 'utf8')) as { global: { scrape_interval: string }; scrape_configs: { job_name: string; kubernetes_sd_configs?: unknown }[] };
    expect(config.global.scrape_interval).toBe('30s');
    const { kubernetes_sd_configs: _, ...job } = config.scrape_configs.find((j) => j.job_name === 'o11y-stack')!;
    const meta = {
      __meta_kubernetes_pod_label_app_kubernetes_io_part_of: 'o11y',
      __meta_kubernetes_pod_label_app_kubernetes_io_name: TARGET.name,
      __meta_kubernetes_pod_container_port_name: 'metrics',
      __meta_kubernetes_namespace: TARGET.namespace,
      __meta_kubernetes_pod_name: TARGET.pod,
    };
    const static_configs = [{ targets: [`127.0.0.1:${(target.address() as AddressInfo).port}`], labels: meta }];
    writeFileSync(pod.hostPath(file), stringify({ ...config, global: { ...config.global, scrape_interval: `${SCRAPE_S}s` }, scrape_configs: [{ ...job, static_configs }] }));
    const port = await freePort();
    return startDaemon({
      binary: bin.vmagent,
      tmpPrefix: 'o11y-vmagent-',
      args: (dir) => withFlags(pod.args, {
        'promscrape.config': pod.hostPath(file),
        'remoteWrite.url': `${insert.url}/insert/0/prometheus/api/v1/write`,
        'remoteWrite.tmpDataPath': dir,
        httpListenAddr: `127.0.0.1:${port}`,
      }, '-'),
      url: `http://127.0.0.1:${port}`,
      readyPath: '/health',
    });
  };

  /** Timestamps (seconds) of the scraped series' samples, deduplicated, as vmselect returns them; the series found under the labels the relabeling gives. */
  const scraped = async (select: Daemon) => {
    const answer = await selectQuery(select, `fault_target_requests_total{job="${TARGET.name}",namespace="${TARGET.namespace}",pod="${TARGET.pod}",cluster="local"}[10m]`, Date.now() / 1000);
    expect(answer.status, answer.error).toBe(200);
    expect(answer.result.length).toBeLessThanOrEqual(1);
    return (answer.result[0]?.values ?? []).map(([t]) => t);
  };
  /** Waits until vmselect holds samples up to `to` (seconds): ingestion and search lag a little behind the scrapes. */
  const scrapedUntil = (to: number) => until(`samples up to ${to}`, async () => {
    const ts = await scraped(cluster.selects[0]!);
    return ts.some((t) => t >= to) ? ts : undefined;
  }, { timeoutMs: 120_000 });
  const waitSeconds = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

  it('one vmagent killed: the scraped series has a sample in every interval; both killed: it has a hole', { timeout: 600_000 }, async () => {
    const agents = [await startAgent(cluster.inserts[0]!), await startAgent(cluster.inserts[1]!)];
    try {
      const first = (await scrapedUntil(0))[0]!;
      // Both scrapers write every sample (to different vminserts): vmselect answers one per interval.
      await waitSeconds(5 * SCRAPE_S);
      await agents[0]!.kill();
      const killed = Date.now() / 1000;
      await waitSeconds(8 * SCRAPE_S);
      const end = Date.now() / 1000;
      const oneDown = await scrapedUntil(end - SCRAPE_S);
      const inWindow = oneDown.filter((t) => t <= end);
      expect(gaps(inWindow, first, end - SCRAPE_S, SCRAPE_S)).toEqual([]);
      // Every interval once: deduplicated, and none missing.
      const intervals = (end - SCRAPE_S - first) / SCRAPE_S;
      expect(inWindow.length).toBeGreaterThanOrEqual(Math.floor(intervals));
      expect(inWindow.length).toBeLessThanOrEqual(Math.ceil(intervals) + 2);
      expect(inWindow.filter((t) => t > killed).length).toBeGreaterThanOrEqual(6);

      // Negative: with both scrapers down for a while the same check finds the hole.
      await agents[1]!.kill();
      await waitSeconds(5 * SCRAPE_S);
      agents.push(await startAgent(cluster.inserts[0]!));
      const back = Date.now() / 1000;
      const bothDown = await scrapedUntil(back + 2 * SCRAPE_S);
      const holes = gaps(bothDown, first, back + 2 * SCRAPE_S, SCRAPE_S);
      expect(holes.length).toBe(1);
      expect(holes[0]![1] - holes[0]![0]).toBeGreaterThanOrEqual(4 * SCRAPE_S);
    } finally {
      for (const a of agents) await a.stop();
    }
  });

  // Samples in the past (older than vmselect's latency offset), one per series and dedup interval.
  const SERIES = ['a', 'b', 'c', 'd'];
  const base = Math.floor(Date.now() / 1000 / SCRAPE_S) * SCRAPE_S * 1000 - 3600_000;
  let next = 0;
  const acked: number[] = [];
  /** `count` remote writes through `insert`, each one sample per series, each acknowledged at the first try. */
  const write = async (insert: Daemon, count: number) => {
    for (let n = 0; n < count; n++, next++) {
      const series: Series[] = SERIES.map((s) => ({ labels: { __name__: 'path_test', series: s }, samples: [[next, base + next * SCRAPE_S * 1000]] }));
      await remoteWrite(`${insert.url}/insert/0/prometheus`, series);
      acked.push(next);
    }
  };
  const expected = () => acked.flatMap((i) => SERIES.map((s) => `${s}/${i}`)).sort();
  /** Every sample `select` answers, as `series/i`, polled until it holds every acknowledged one (or the time runs out). */
  const answered = async (select: Daemon) => {
    const read = async () => {
      const [raw, counted] = [await selectQuery(select, 'path_test[2h]'), await selectQuery(select, 'count_over_time(path_test[2h])')];
      return { status: Math.max(raw.status, counted.status), partial: counted.partial, error: raw.error ?? counted.error, samples: raw.result.flatMap((r) => r.values.map(([, v]) => `${r.metric.series}/${v}`)).sort() };
    };
    return until('every acknowledged sample', async () => {
      const got = await read();
      return JSON.stringify(got.samples) === JSON.stringify(expected()) ? got : undefined;
    }, { timeoutMs: 60_000 }).catch(read);
  };

  it('one vminsert and one vmselect killed: writes through the other are acknowledged, queries through the other answer in full', { timeout: 300_000 }, async () => {
    const [insertA, insertB] = cluster.inserts as [Daemon, Daemon];
    const [selectA, selectB] = cluster.selects as [Daemon, Daemon];
    await write(insertA, 20);
    await write(insertB, 20);
    // vminsert acknowledges a write once it is buffered for the storage nodes, and sends it within a
    // second: a SIGKILL right after loses it (README, "Metrics modes"). Here the buffer has been sent.
    expect((await answered(selectA)).samples).toEqual(expected());
    await insertA.kill();
    await write(insertB, 40);
    await selectA.kill();
    const answer = await answered(selectB);
    expect(answer.status, answer.error).toBe(200);
    expect(answer.partial).toBe(false);
    expect(answer.samples).toEqual(expected());
    expect(acked.length).toBe(80);

    // A vminsert stopped as a rollout stops it (SIGTERM) right after acknowledging sends what it holds first.
    const leaving = await cluster.startInsert();
    await cluster.allNodesReachable(leaving);
    await write(leaving, 20);
    await leaving.stop();
    expect((await answered(selectB)).samples).toEqual(expected());
    expect(acked.length).toBe(100);

    // Negative: the killed ones refuse, so the checks above see which path carried the traffic.
    await expect(write(insertA, 1)).rejects.toThrow();
    await expect(selectQuery(selectA, 'path_test[2h]')).rejects.toThrow();
    expect(acked.length).toBe(100);
  });
});
