import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { storageReachability } from '../../src/controller/vm-storage.ts';
import { startDaemon, type Daemon } from './daemon.ts';
import { freePort } from './free-port.ts';
import type { K8sObject } from './manifest-checks.ts';
import { layOutPodFiles } from './pod-files.ts';
import { flagValue, withFlags } from './real-engine-checks.ts';
import { until } from './until.ts';
import { containerArgs, vmalertPodArgs } from './vm-mode.ts';

// A VictoriaMetrics cluster on loopback with the synthesized flags of vmstorage, vminsert and
// vmselect; only what ties them to Kubernetes changes (listen addresses, storage node addresses,
// data folders), plus the flags a test names in `flags`.

export type VmComponent = 'vmstorage' | 'vminsert' | 'vmselect';
export type VmFlags = Record<string, string | undefined>;

export interface StorageNode {
  readonly dir: string;
  readonly ports: { http: number; insert: number; select: number };
  daemon?: Daemon;
}

export interface VmCluster {
  readonly nodes: StorageNode[];
  readonly inserts: Daemon[];
  readonly selects: Daemon[];
  /** vminsert's Prometheus prefix (of the first vminsert), as remoteWrite() takes it (it appends `/api/v1/write`). */
  readonly writeUrl: string;
  /** vmselect's Prometheus query API prefix (of the first vmselect; append `/api/v1/query`). */
  readonly selectUrl: string;
  /** `127.0.0.1:port` of each vmselect's cluster-native port, when its synthesized flags serve one (a global vmselect reads it). */
  readonly clusternative: Map<Daemon, string>;
  /** (Re)starts a storage node on its data folder and ports. */
  startNode(node: StorageNode): Promise<void>;
  /** One more vminsert / vmselect over every storage node, with `flags` over the synthesized ones (undefined removes one). */
  startInsert(flags?: VmFlags): Promise<Daemon>;
  startSelect(flags?: VmFlags): Promise<Daemon>;
  /** Waits until `insert` has dialled every storage node: before that, a sample may get one copy only. */
  allNodesReachable(insert: Daemon): Promise<void>;
  /** Stops every daemon started through this cluster. */
  stop(): Promise<void>;
}

/**
 * Starts `storage` vmstorage nodes, then `inserts` vminserts and `selects` vmselects over all of
 * them, each with the synthesized args of its workload in `objects` and `flags[component]` on top.
 */
export async function startVmCluster(
  bin: Record<VmComponent, string>,
  objects: readonly K8sObject[],
  work: string,
  opts: { storage?: number; inserts?: number; selects?: number; flags?: Partial<Record<VmComponent, VmFlags>> } = {},
): Promise<VmCluster> {
  const args = { vmstorage: containerArgs(objects, 'vmstorage'), vminsert: vminsertArgs(objects), vmselect: containerArgs(objects, 'vmselect') };
  const own = (c: VmComponent, extra: VmFlags) => withFlags(args[c], { ...opts.flags?.[c], ...extra }, '-');
  const started: Daemon[] = [];
  const nodes: StorageNode[] = [];
  const storageNodes = (port: 'insert' | 'select') => nodes.map((n) => `127.0.0.1:${n.ports[port]}`).join(',');
  const startFront = async (c: 'vminsert' | 'vmselect', flags: VmFlags) => {
    const port = await freePort();
    const clusternative = c === 'vmselect' && flagValue(args.vmselect, 'clusternativeListenAddr') !== undefined ? `127.0.0.1:${await freePort()}` : undefined;
    const daemon = await startDaemon({
      binary: bin[c],
      tmpPrefix: `o11y-${c}-`,
      args: (dir) => withFlags(own(c, {
        storageNode: storageNodes(c === 'vminsert' ? 'insert' : 'select'),
        httpListenAddr: `127.0.0.1:${port}`,
        ...(c === 'vmselect' ? { cacheDataPath: dir } : {}),
        ...(clusternative ? { clusternativeListenAddr: clusternative } : {}),
      }), flags, '-'),
      url: `http://127.0.0.1:${port}`,
      readyPath: '/health',
    });
    started.push(daemon);
    if (clusternative) cluster.clusternative.set(daemon, clusternative);
    return daemon;
  };
  const cluster: VmCluster = {
    nodes,
    inserts: [],
    selects: [],
    get writeUrl() {
      return `${cluster.inserts[0]!.url}/insert/0/prometheus`;
    },
    get selectUrl() {
      return `${cluster.selects[0]!.url}/select/0/prometheus`;
    },
    clusternative: new Map(),
    startNode: async (node) => {
      node.daemon = await startDaemon({
        binary: bin.vmstorage,
        dir: node.dir,
        tmpPrefix: 'o11y-vmstorage-',
        args: () => own('vmstorage', {
          storageDataPath: node.dir,
          httpListenAddr: `127.0.0.1:${node.ports.http}`,
          vminsertAddr: `127.0.0.1:${node.ports.insert}`,
          vmselectAddr: `127.0.0.1:${node.ports.select}`,
        }),
        url: `http://127.0.0.1:${node.ports.http}`,
        readyPath: '/health',
      });
      started.push(node.daemon);
    },
    startInsert: (flags = {}) => startFront('vminsert', flags),
    startSelect: (flags = {}) => startFront('vmselect', flags),
    allNodesReachable: async (insert) => {
      await until('vminsert reaching every storage node', async () => {
        const reachable = storageReachability(await (await fetch(`${insert.url}/metrics`)).text());
        return reachable.length === nodes.length && reachable.every((r) => r.reachable) ? true : undefined;
      }, { intervalMs: 100, context: insert.output });
    },
    stop: async () => {
      for (const d of started.reverse()) await d.stop();
    },
  };
  for (let i = 0; i < (opts.storage ?? 2); i++) {
    nodes.push({ dir: mkdtempSync(join(work, `vmstorage-${i}-`)), ports: { http: await freePort(), insert: await freePort(), select: await freePort() } });
  }
  for (const node of nodes) await cluster.startNode(node);
  for (let i = 0; i < (opts.inserts ?? 1); i++) cluster.inserts.push(await cluster.startInsert());
  for (let i = 0; i < (opts.selects ?? 1); i++) cluster.selects.push(await cluster.startSelect());
  for (const insert of cluster.inserts) await cluster.allNodesReachable(insert);
  return cluster;
}

/** vminsert's synthesized args, its `-relabelConfig` (when it has one) laid out from its ConfigMap under a temp root. */
function vminsertArgs(objects: readonly K8sObject[]): string[] {
  const pod = layOutPodFiles(objects, 'vminsert', 'vminsert');
  const relabel = flagValue(pod.args, 'relabelConfig');
  return relabel ? withFlags(pod.args, { relabelConfig: pod.hostPath(relabel) }, '-') : [...pod.args];
}

/** One series of a vmselect answer: its labels and raw (deduplicated) samples as [seconds, value]. */
export interface SelectSeries {
  readonly metric: Record<string, string>;
  readonly values: readonly [number, string][];
}

/** An instant query through vmselect's Prometheus API, with the HTTP status, `isPartial` and the error it gives. */
export async function selectQuery(select: Daemon, query: string, time = Date.now() / 1000): Promise<{ status: number; partial?: boolean; error?: string; result: SelectSeries[] }> {
  const res = await fetch(`${select.url}/select/0/prometheus/api/v1/query?query=${encodeURIComponent(query)}&time=${time}`);
  const body = (await res.json()) as { isPartial?: boolean; error?: string; data?: { result: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[] } };
  const result = (body.data?.result ?? []).map((r) => ({ metric: r.metric, values: r.values ?? (r.value ? [r.value] : []) }));
  return { status: res.status, partial: body.isPartial, error: body.error, result };
}

/**
 * A vmalert with the synthesized flags and rule files (laid out under a temp root), reading and
 * writing through `select` and `insert`, notifying `notifier` (the notifier file's targets replaced); `-external.url`
 * (`http://<name>.test`) tells replicas apart in what they send.
 */
export async function startVmAlert(binary: string, objects: readonly K8sObject[], opts: { select: Daemon; insert: Daemon; notifier?: string; name: string; flags?: VmFlags }): Promise<Daemon> {
  const podArgs = vmalertPodArgs(layOutPodFiles(objects, 'vmalert', 'vmalert'), opts.notifier && new URL(opts.notifier).host);
  const select = `${opts.select.url}/select/0/prometheus`;
  const port = await freePort();
  return startDaemon({
    binary,
    tmpPrefix: 'o11y-vmalert-',
    args: () => withFlags(podArgs, {
      'datasource.url': select,
      'remoteRead.url': select,
      'remoteWrite.url': `${opts.insert.url}/insert/0/prometheus`,
      httpListenAddr: `127.0.0.1:${port}`,
      'external.url': `http://${opts.name}.test`,
      ...opts.flags,
    }, '-'),
    url: `http://127.0.0.1:${port}`,
    readyPath: '/health',
  });
}
