import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from './support/daemon.ts';
import { engines } from './support/engines.ts';
import { selectQuery, startVmAlert, startVmCluster, type VmCluster } from './support/vm-cluster.ts';
import { remoteWrite, type Series } from './support/remote-write.ts';
import { synthesizeVmMode } from './support/vm-mode.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { removePodFiles } from './support/pod-files.ts';

// Losing a storage node under continuous remote write, on loopback with the synthesized flags
// (replication factor, deduplication, no partial answers): every acknowledged sample is answered
// by vmselect, in full; the node rejoins when it comes back. A vmselect that does not know the
// replication factor refuses to answer while the node is down (the negative case).
// Two vmalert replicas with the synthesized flags and rule files notify a loopback Alertmanager API
// with the same alert; with one killed, the other still delivers it.

const found = engines(import.meta.url, ['vminsert', 'vmselect', 'vmstorage', 'vmalert']);

/** The synthesized dedup interval (the scrape interval): one sample per series and interval survives, so samples are spaced by it. */
const STEP_MS = 30_000;
const SERIES = ['a', 'b', 'c', 'd'];

describe.runIf(found)('victoriametrics-cluster: losing a vmstorage or a vmalert', () => {
  const bin = found!;
  let work: string;
  let objects: K8sObject[];
  let cluster: VmCluster;
  let vminsert: Daemon;
  let vmselect: Daemon;
  /** The synthesized vmselect without `-replicationFactor`. */
  let unaware: Daemon;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'o11y-vm-faults-'));
    objects = synthesizeVmMode(work);
    cluster = await startVmCluster(bin, objects, work);
    [vminsert, vmselect] = [cluster.inserts[0]!, cluster.selects[0]!];
    unaware = await cluster.startSelect({ replicationFactor: undefined });
  });
  afterAll(async () => {
    await cluster?.stop();
    removePodFiles();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a firing alert is still delivered with one vmalert killed, and both replicas send it with the same labels', { timeout: 300_000 }, async () => {
    // A loopback Alertmanager API: who sent which alert when (replicas told apart by -external.url).
    const received: { from: string; name: string; labels: Record<string, string>; at: number }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/api/v2/alerts') {
          for (const a of JSON.parse(body) as { labels: Record<string, string>; generatorURL: string }[]) received.push({ from: new URL(a.generatorURL).host, name: a.labels.alertname!, labels: a.labels, at: Date.now() });
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const notifier = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const startAlert = (name: string, flags: Record<string, string> = {}) => startVmAlert(bin.vmalert, objects, { select: vmselect, insert: vminsert, notifier, name, flags });
    const watchdogFrom = async (from: string, after = 0) => {
      for (let i = 0; i < 900; i++) {
        const got = received.find((r) => r.from === from && r.name === 'Watchdog' && r.at > after);
        if (got) return got;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no Watchdog from ${from}; received: ${JSON.stringify(received.map((r) => `${r.from} ${r.name}`))}`);
    };
    const replicas: Daemon[] = [];
    try {
      replicas.push(await startAlert('a'), await startAlert('b'));
      const [a, b] = [await watchdogFrom('a.test'), await watchdogFrom('b.test')];
      // Alertmanager deduplicates by labels: the two replicas' alerts must be the same alert.
      expect(b.labels).toEqual(a.labels);
      await replicas[0]!.kill();
      const killedAt = Date.now();
      await watchdogFrom('b.test', killedAt);
      // Negative: a replica with a label of its own sends a different alert, which the check above tells apart.
      replicas.push(await startAlert('c', { 'external.label': 'replica=c' }));
      expect((await watchdogFrom('c.test')).labels).not.toEqual(a.labels);
    } finally {
      for (const r of replicas) await r.stop();
      await new Promise((r) => server.close(r));
    }
  });

  // Samples in the past (older than vmselect's latency offset), one per series and dedup interval.
  const base = Math.floor(Date.now() / STEP_MS) * STEP_MS - 4 * 3600_000;
  const acked: { i: number; phase: string }[] = [];
  let next = 0;
  /** `count` remote writes, each one sample per series; a refused write is retried, as a scraper's queue does. */
  const write = async (count: number, phase: string) => {
    for (let n = 0; n < count; n++, next++) {
      const series: Series[] = SERIES.map((s) => ({ labels: { __name__: 'fault_test', series: s }, samples: [[next, base + next * STEP_MS]] }));
      for (let attempt = 0; ; attempt++) {
        try {
          await remoteWrite(`${vminsert.url}/insert/0/prometheus`, series);
          acked.push({ i: next, phase });
          break;
        } catch (e) {
          if (attempt === 20) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  };
  /**
   * The samples vmselect returns, as `series/i` (a range-vector query: raw samples after
   * deduplication), and whether it says the answer is partial (only instant vectors carry `isPartial`).
   */
  const query = async (select: Daemon) => {
    const [raw, counted] = [await selectQuery(select, 'fault_test[5h]'), await selectQuery(select, 'count_over_time(fault_test[5h])')];
    const samples = raw.result.flatMap((r) => r.values.map(([, v]) => `${r.metric.series}/${v}`));
    return { status: Math.max(raw.status, counted.status), partial: counted.partial, error: raw.error ?? counted.error, samples };
  };
  /** Polls `query` until the answer holds `want` (freshly written rows become searchable within seconds), then returns it. */
  const answered = async (select: Daemon, want: string[], pick: (samples: string[]) => string[] = (x) => x) => {
    let last = await query(select);
    for (let i = 0; i < 100 && !(last.status === 200 && JSON.stringify(pick(last.samples).sort()) === JSON.stringify(want)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      last = await query(select);
    }
    return last;
  };
  const expected = (phases?: string[]) => acked.filter((a) => !phases || phases.includes(a.phase)).flatMap((a) => SERIES.map((s) => `${s}/${a.i}`)).sort();

  it('answers every acknowledged sample, in full, while a node is down and after it rejoins', async () => {
    await write(40, 'before');
    await cluster.nodes[1]!.daemon!.kill();
    await write(40, 'during');
    const down = await answered(vmselect, expected());
    expect(down.status, down.error).toBe(200);
    expect(down.partial).toBe(false);
    expect(down.samples.sort()).toEqual(expected());

    // Negative: a vmselect that does not know the replication factor cannot tell a lost node's copies are elsewhere.
    const unawareDown = await query(unaware);
    expect(unawareDown.status).not.toBe(200);
    expect(unawareDown.error).toMatch(/partial|vmstorage/i);

    await cluster.startNode(cluster.nodes[1]!);
    await cluster.allNodesReachable(vminsert);
    await write(40, 'after');
    const all = await answered(vmselect, expected());
    expect(all.status, all.error).toBe(200);
    expect(all.partial).toBe(false);
    // Each sample once: the replicated copies are deduplicated.
    expect(all.samples.sort()).toEqual(expected());
    expect(acked.length).toBe(120);

    // It rejoined: with the other node gone, it alone answers for everything written after its return.
    await cluster.nodes[0]!.daemon!.kill();
    const firstAfter = acked.find((a) => a.phase === 'after')!.i;
    const afterOnly = (samples: string[]) => samples.filter((s) => Number(s.split('/')[1]) >= firstAfter);
    const rejoined = await answered(vmselect, expected(['after']), afterOnly);
    expect(rejoined.status, rejoined.error).toBe(200);
    expect(afterOnly(rejoined.samples).sort()).toEqual(expected(['after']));
  });
});
