/**
 * Informers over the check's collections (client-node ListWatch: list, then watch from the list's
 * resourceVersion; 410 Gone relists). Pods and nodes are trimmed to the fields the health rules
 * read before they are cached, which keeps watch mode small at 10,000 pods.
 */
import { ListWatch, Watch, type KubeConfig } from '@kubernetes/client-node';
import { formatDuration } from '../duration.ts';
import { UnreachableError } from '../errors.ts';
import type { ClusterState, ListFailure } from './evaluate.ts';
import { condition, type ContainerStatus, type Node, type Pod, type Workload, type WorkloadKind } from './k8s-types.ts';
import type { KubeReader } from './kube.ts';
import { NODES, podCollections, workloadCollections, type Collection, type Scope } from './scope.ts';

type Trim = (o: object) => object;

/** A Watch whose events pass through `trim` before the informer caches them. */
class TrimmingWatch extends Watch {
  constructor(config: KubeConfig, private readonly trim: Trim) {
    super(config);
  }

  override watch(path: string, query: Record<string, string | number | boolean | undefined>, callback: (phase: string, obj: any, raw: any) => void,
    done: (err: any) => void): Promise<AbortController> {
    return super.watch(path, query, (phase, obj, raw) => callback(phase, phase === 'ERROR' ? obj : this.trim(obj), raw), done);
  }
}

const trimStatus = (cs: ContainerStatus): ContainerStatus =>
  ({ name: cs.name, image: cs.image, ready: cs.ready, restartCount: cs.restartCount, state: cs.state, lastState: cs.lastState });

/** A pod with only what the health rules read. */
export function trimPod(o: object): Pod {
  const p = o as Pod;
  const { name, namespace, labels, resourceVersion, deletionTimestamp } = p.metadata;
  const { nodeName, nodeSelector, affinity, tolerations, restartPolicy } = p.spec;
  const containers = p.spec.containers.map(({ name: n, image }) => ({ name: n, image }));
  return {
    metadata: { name, namespace, labels, resourceVersion, deletionTimestamp },
    spec: { nodeName, nodeSelector, affinity, tolerations, restartPolicy, containers },
    status: p.status && {
      phase: p.status.phase,
      startTime: p.status.startTime,
      conditions: p.status.conditions?.map(({ type, status, reason, message }) => ({ type, status, reason, message })),
      containerStatuses: p.status.containerStatuses?.map(trimStatus),
      initContainerStatuses: p.status.initContainerStatuses?.map(trimStatus),
    },
  };
}

/** A node with only what the health rules read: labels, taints, cordon, Ready, architecture. */
export function trimNode(o: object): Node {
  const n = o as Node;
  const { name, labels, resourceVersion } = n.metadata;
  const ready = condition(n.status?.conditions, 'Ready');
  return { metadata: { name, labels, resourceVersion }, spec: n.spec && { unschedulable: n.spec.unschedulable, taints: n.spec.taints },
    status: { conditions: ready && [{ type: ready.type, status: ready.status }], nodeInfo: { architecture: n.status?.nodeInfo?.architecture } } };
}

const TRIM: Partial<Record<Collection['kind'], Trim>> = { Pod: trimPod, Node: trimNode };

interface Informer {
  collection: Collection;
  listWatch: ListWatch<any>;
  synced: boolean;
  failure?: ListFailure;
  retryDelayMs: number;
  retryTimer?: NodeJS.Timeout;
  /** Since when (ms since the epoch) it has been unsynced or failing; undefined while its watch runs. */
  brokenSince?: number;
  lastError?: string;
  /** Errors so far, to tell whether a start attempt saw one. */
  errors: number;
}

export interface ClusterWatchEvents {
  /** Something changed (coalesced by the caller if it wants). */
  onChange(): void;
  /** Forbidden or unreachable: the informer stops retrying only if this returns false. */
  onFatal(error: UnreachableError): boolean;
}

const MAX_RETRY_MS = 30_000;
/** Informers list in pages, like client-go, so a 10,000-pod namespace is never one huge body in memory. */
const LIST_PAGE_SIZE = 500;

/**
 * Keeps the scope's workloads, their namespaces' pods and the nodes in memory, up to date through
 * watches. Pod informers are added as workloads show up in new namespaces.
 */
export class ClusterWatch {
  private readonly informers = new Map<string, Informer>();
  private stopped = false;

  constructor(private readonly reader: KubeReader, private readonly scope: Scope, private readonly events: ClusterWatchEvents) {}

  start(): void {
    const initial = [...workloadCollections(this.scope), NODES, ...(this.scope.namespaces ? podCollections(this.scope.namespaces) : [])];
    for (const c of initial) this.add(c);
  }

  stop(): void {
    this.stopped = true;
    for (const i of this.informers.values()) {
      clearTimeout(i.retryTimer);
      void i.listWatch.stop();
    }
  }

  /** Every informer has listed once (so the state is complete, if possibly with failures). */
  get synced(): boolean {
    return [...this.informers.values()].every((i) => i.synced || i.failure);
  }

  /**
   * Informers that have been unsynced or failing for at least `graceMs`, each with why: the cache
   * is going stale and only a restart of the watch (or the process) will show changes again.
   */
  broken(graceMs: number, now = Date.now()): string[] {
    return [...this.informers.values()]
      .filter((i) => i.brokenSince !== undefined && now - i.brokenSince >= graceMs)
      .map((i) => `${i.collection.path}${i.collection.labelSelector ? `?labelSelector=${i.collection.labelSelector}` : ''}: `
        + `${i.lastError ?? 'not synced yet'} (for ${formatDuration((now - i.brokenSince!) / 1000)})`);
  }

  state(): ClusterState {
    const workloads: Workload[] = [];
    const workloadListFailures: ClusterState['workloadListFailures'][number][] = [];
    const pods: Pod[] = [];
    const podListFailures: ListFailure[] = [];
    let nodes: ClusterState['nodes'] = [];
    for (const { collection: c, listWatch, failure } of this.informers.values()) {
      const items = listWatch.list() as object[];
      if (c.kind === 'Node') nodes = failure ?? (items as Node[]);
      else if (c.kind === 'Pod') {
        if (failure) podListFailures.push(failure);
        else pods.push(...(items as Pod[]));
      } else if (failure) workloadListFailures.push({ ...failure, kind: c.kind });
      else for (const w of items as Workload[]) workloads.push({ ...w, kind: c.kind as WorkloadKind } as Workload);
    }
    return { workloads, workloadListFailures, pods, podListFailures, nodes };
  }

  private add(c: Collection): void {
    const key = `${c.path}?${c.labelSelector ?? ''}`;
    if (this.informers.has(key) || this.stopped) return;
    const trim = TRIM[c.kind];
    const listFn = () => this.reader.listPaged<object, object>(c.path, { labelSelector: c.labelSelector }, LIST_PAGE_SIZE, trim ?? ((o) => o));
    const watch = trim ? new TrimmingWatch(this.reader.kubeConfig, trim) : new Watch(this.reader.kubeConfig);
    const informer: Informer = { collection: c, listWatch: new ListWatch(c.path, watch, listFn as any, false, c.labelSelector),
      synced: false, retryDelayMs: 1000, brokenSince: Date.now(), errors: 0 };
    this.informers.set(key, informer);
    const changed = (obj?: Workload) => {
      informer.synced = true;
      informer.failure = undefined;
      if (obj && c.kind !== 'Pod' && c.kind !== 'Node' && !this.scope.namespaces && obj.metadata.namespace) {
        for (const pc of podCollections([obj.metadata.namespace])) this.add(pc);
      }
      this.events.onChange();
    };
    informer.listWatch.on('add', changed);
    informer.listWatch.on('update', changed);
    informer.listWatch.on('delete', () => changed());
    // client-node stops an informer on any error but 410 and timeouts; restart it with backoff.
    informer.listWatch.on('error', (err: unknown) => this.failed(informer, err));
    this.startInformer(informer);
  }

  private startInformer(informer: Informer): void {
    const errorsBefore = informer.errors;
    informer.listWatch.start().then(() => {
      // start() resolves once the list is cached and the watch is open, or after the 'error'
      // event of a watch that could not be opened.
      if (informer.errors !== errorsBefore) return;
      informer.brokenSince = undefined;
      informer.lastError = undefined;
      informer.retryDelayMs = 1000;
      if (!informer.synced || informer.failure) {
        // A collection that failed before and is empty sends no event: it is synced all the same.
        informer.synced = true;
        informer.failure = undefined;
        this.events.onChange();
      }
    }, (err: unknown) => this.failed(informer, err));
  }

  private failed(informer: Informer, err: unknown): void {
    if (this.stopped) return;
    if (err instanceof UnreachableError && !this.events.onFatal(err)) return;
    const error = errorText(err);
    informer.errors++;
    informer.brokenSince ??= Date.now();
    informer.lastError = error;
    // A watch that broke after the first list keeps its (briefly stale) cache while it restarts;
    // a collection never listed is a failure, and what depends on it is Unknown.
    if (!informer.synced) {
      informer.failure = { namespace: informer.collection.namespace, error };
      this.events.onChange();
    }
    clearTimeout(informer.retryTimer);
    informer.retryTimer = setTimeout(() => this.startInformer(informer), informer.retryDelayMs);
    informer.retryDelayMs = Math.min(informer.retryDelayMs * 2, MAX_RETRY_MS);
  }
}

/** An error's message, with the HTTP status client-node's Watch attaches to a refused watch. */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { statusCode?: number }).statusCode;
  return code ? `watch: HTTP ${code} ${err.message}` : err.message;
}
