import { startDaemon, type Daemon } from './daemon.ts';
import { freePort } from './free-port.ts';
import { flagValue, withFlags } from './real-engine-checks.ts';

/** The binaries and synthesized args of a backend's storage path. */
export type VmParts = Record<'vmstorage' | 'vminsert' | 'vmselect', string>;

/** A VictoriaMetrics cluster on loopback, run with a backend's synthesized flags. */
export interface VmCluster {
  /** vminsert's Prometheus prefix, as remoteWrite() takes it (it appends `/api/v1/write`). */
  readonly writeUrl: string;
  /** vmselect's Prometheus query API prefix (append `/api/v1/query`). */
  readonly selectUrl: string;
  /** `127.0.0.1:port` of vmselect's cluster-native port, when its flags serve one. */
  readonly clusternative?: string;
  stop(): Promise<void>;
}

const loopback = (port: number) => `127.0.0.1:${port}`;

/**
 * `storageNodes` vmstorage, one vminsert and one vmselect with the synthesized `args` (listen
 * addresses and paths moved to loopback and temp dirs), ready when vminsert has dialled every
 * storage node (before that, samples may get one copy only).
 */
export async function startVmCluster(bin: VmParts, args: Record<keyof VmParts, readonly string[]>, storageNodes = 2): Promise<VmCluster> {
  const daemons: Daemon[] = [];
  const stop = async () => {
    for (const d of daemons.reverse()) await d.stop();
  };
  try {
    const nodes: { insert: number; select: number }[] = [];
    for (let i = 0; i < storageNodes; i++) {
      const [http, insert, select] = [await freePort(), await freePort(), await freePort()];
      nodes.push({ insert, select });
      daemons.push(await startDaemon({
        binary: bin.vmstorage,
        tmpPrefix: 'o11y-vmstorage-',
        args: (dir) => withFlags(args.vmstorage, { storageDataPath: dir, httpListenAddr: loopback(http), vminsertAddr: loopback(insert), vmselectAddr: loopback(select) }, '-'),
        url: `http://${loopback(http)}`,
        readyPath: '/health',
      }));
    }
    const [insertHttp, selectHttp, clusternativePort] = [await freePort(), await freePort(), await freePort()];
    const vminsert = await startDaemon({
      binary: bin.vminsert,
      tmpPrefix: 'o11y-vminsert-',
      args: () => withFlags(args.vminsert, { storageNode: nodes.map((n) => loopback(n.insert)).join(','), httpListenAddr: loopback(insertHttp) }, '-'),
      url: `http://${loopback(insertHttp)}`,
      readyPath: '/health',
    });
    daemons.push(vminsert);
    const clusternative = flagValue(args.vmselect, 'clusternativeListenAddr') !== undefined ? loopback(clusternativePort) : undefined;
    daemons.push(await startDaemon({
      binary: bin.vmselect,
      tmpPrefix: 'o11y-vmselect-',
      args: (dir) => withFlags(args.vmselect, {
        storageNode: nodes.map((n) => loopback(n.select)).join(','),
        httpListenAddr: loopback(selectHttp),
        cacheDataPath: dir,
        ...(clusternative ? { clusternativeListenAddr: clusternative } : {}),
      }, '-'),
      url: `http://${loopback(selectHttp)}`,
      readyPath: '/health',
    }));
    await untilReachable(vminsert, storageNodes);
    return { writeUrl: `${vminsert.url}/insert/0/prometheus`, selectUrl: `http://${loopback(selectHttp)}/select/0/prometheus`, clusternative, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Waits until vminsert reports `count` storage nodes reachable. */
export async function untilReachable(vminsert: Daemon, count: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const text = await (await fetch(`${vminsert.url}/metrics`)).text();
    const up = text.split('\n').filter((l) => l.startsWith('vm_rpc_vmstorage_is_reachable{') && l.endsWith(' 1'));
    if (new Set(up.map((l) => /addr="([^"]+)"/.exec(l)![1])).size === count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`vminsert did not reach ${count} storage nodes:\n${vminsert.output()}`);
}
