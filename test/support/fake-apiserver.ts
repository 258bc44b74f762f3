/**
 * A loopback HTTP server that speaks the Kubernetes API wire format for the few resources the
 * controller reads (nodes, pods, deployments, statefulsets, daemonsets). The controller's tests run
 * against a real kube-apiserver (real-apiserver.ts); this one stays for what a real server cannot
 * be made to do on demand (injected 5xx, hangs, compaction mid-watch, a Prometheus behind the
 * service proxy) and for the benchmarks' 10,000-pod clusters. List responses carry
 * `metadata.resourceVersion`, `?watch=true` streams newline-delimited watch events over a chunked
 * response, errors are `Status` objects, and a watch from a compacted resourceVersion gets the
 * in-stream `410 Gone` ERROR event a real server sends. Every request is recorded so tests can
 * prove the controller never writes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
}

/** A fault injected for requests whose path matches; `times` limits how often it fires. */
export interface Fault {
  readonly path: RegExp;
  /** HTTP status to answer with (403, 500, 503, …), or `hang` to never answer. */
  readonly respond: number | 'hang';
  /** Only for list requests (not watches), only for watches, or both (default). */
  readonly on?: 'list' | 'watch';
  times?: number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface ResourceType {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespaced: boolean;
}

const RESOURCES: Record<string, ResourceType> = {
  nodes: { kind: 'Node', apiVersion: 'v1', namespaced: false },
  pods: { kind: 'Pod', apiVersion: 'v1', namespaced: true },
  deployments: { kind: 'Deployment', apiVersion: 'apps/v1', namespaced: true },
  statefulsets: { kind: 'StatefulSet', apiVersion: 'apps/v1', namespaced: true },
  daemonsets: { kind: 'DaemonSet', apiVersion: 'apps/v1', namespaced: true },
};
const PLURAL_OF_KIND = Object.fromEntries(Object.entries(RESOURCES).map(([plural, r]) => [r.kind, plural]));

// /api/v1/nodes · /api/v1/pods · /api/v1/namespaces/ns/pods · /apis/apps/v1/[namespaces/ns/]deployments
const COLLECTION = /^\/(?:api\/v1|apis\/apps\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/;
const SERVICE_PROXY = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(\/.*)$/;

interface Watcher {
  readonly plural: string;
  readonly namespace?: string;
  readonly selector: Selector;
  readonly res: ServerResponse;
}

interface StoredEvent {
  readonly rv: number;
  readonly plural: string;
  readonly type: EventType;
  readonly object: KubeObject;
}

export interface ProxyTarget {
  (namespace: string, service: string, path: string, res: ServerResponse): void;
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly faults: Fault[] = [];
  /** Answers service-proxy requests; unset means 503 like a service without endpoints. */
  proxy?: ProxyTarget;
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly hanging = new Set<ServerResponse>();
  private revision = 1000;
  /** Watches from a resourceVersion older than this get 410 Gone (etcd compaction). */
  private compactedRevision = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeApiServer> {
    let api!: FakeApiServer;
    const server = createServer((req, res) => api.handle(req, res));
    api = new FakeApiServer(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Writes a kubeconfig whose current context points at this server and returns its path. */
  writeKubeconfig(namespace = 'default'): string {
    const dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake\n  cluster:\n    server: ${this.url}\n    insecure-skip-tls-verify: true`,
        'users:',
        '- name: reader\n  user:\n    token: fake-token',
        'contexts:',
        `- name: fake\n  context:\n    cluster: fake\n    user: reader\n    namespace: ${namespace}`,
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return file;
  }

  /** Creates or replaces objects (kind taken from each object), notifying open watches. */
  apply(...objects: KubeObject[]): void {
    for (const o of objects) {
      const plural = pluralOf(o);
      const objects = this.collection(plural);
      const key = keyOf(o);
      const type: EventType = objects.has(key) ? 'MODIFIED' : 'ADDED';
      const stored = { ...o, apiVersion: RESOURCES[plural]!.apiVersion, kind: RESOURCES[plural]!.kind,
        metadata: { ...o.metadata, resourceVersion: String(++this.revision) } };
      objects.set(key, stored);
      this.emit({ rv: this.revision, plural, type, object: stored });
    }
  }

  remove(object: KubeObject): void {
    const plural = pluralOf(object);
    const stored = this.collection(plural).get(keyOf(object));
    if (!stored) return;
    this.collection(plural).delete(keyOf(object));
    const gone = { ...stored, metadata: { ...stored.metadata, resourceVersion: String(++this.revision) } };
    this.emit({ rv: this.revision, plural, type: 'DELETED', object: gone });
  }

  /**
   * Simulates etcd compaction: every open watch gets an in-stream `410 Gone` ERROR event and
   * ends, and resuming from any resourceVersion seen so far gives 410 too.
   */
  compact(): void {
    this.compactedRevision = this.revision;
    for (const w of [...this.watchers]) {
      writeEvent(w.res, { type: 'ERROR', object: goneStatus(this.revision) });
      w.res.end();
      this.watchers.delete(w);
    }
  }

  /** Requests other than list/watch reads (GET) — must stay empty for a read-only client. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  /** Reads recorded so far, split into lists and watches, optionally for one resource. */
  reads(kind: 'list' | 'watch', plural?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && isWatch(r.query) === (kind === 'watch')
      && COLLECTION.test(r.path) && (!plural || r.path.endsWith(`/${plural}`)));
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    for (const res of this.hanging) res.destroy();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query });
    if (req.method !== 'GET') {
      // A read-only client never gets here; answer like an RBAC denial so a slip is loud.
      return sendStatus(res, 403, 'Forbidden', `${req.method} is not allowed for this fake reader`);
    }
    const fault = this.faultFor(url.pathname, isWatch(query));
    if (fault === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (fault !== undefined) return sendStatus(res, fault, reasonFor(fault), `injected ${fault} for ${url.pathname}`);

    const proxied = SERVICE_PROXY.exec(url.pathname);
    if (proxied) {
      if (!this.proxy) return sendStatus(res, 503, 'ServiceUnavailable', `no endpoints available for service "${proxied[2]}"`);
      return this.proxy(proxied[1]!, proxied[2]!, proxied[3]! + url.search, res);
    }
    const m = COLLECTION.exec(url.pathname);
    const resource = m && RESOURCES[m[2]!];
    if (!m || !resource || (m[1] && !resource.namespaced)) {
      return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource`);
    }
    const plural = m[2]!;
    const namespace = m[1] ? decodeURIComponent(m[1]) : undefined;
    let selector: Selector;
    try {
      selector = parseSelector(query.labelSelector ?? '');
    } catch (e) {
      return sendStatus(res, 400, 'BadRequest', (e as Error).message);
    }
    if (isWatch(query)) return this.startWatch({ plural, namespace, selector, res }, query.resourceVersion);
    const all = [...this.collection(plural).values()].filter((o) => inScope(o, namespace, selector));
    // Paging (`limit` + `continue`): the token carries the offset and the first page's revision.
    const [offset, revision] = query.continue ? (JSON.parse(Buffer.from(query.continue, 'base64url').toString()) as [number, number]) : [0, this.revision];
    const limit = Number(query.limit) || all.length;
    const items = all.slice(offset, offset + limit);
    const more = offset + limit < all.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      kind: `${resource.kind}List`, apiVersion: resource.apiVersion,
      metadata: { resourceVersion: String(revision), ...(more ? { continue: Buffer.from(JSON.stringify([offset + limit, revision])).toString('base64url') } : {}) },
      items,
    }));
  }

  private startWatch(w: Watcher, fromVersion: string | undefined): void {
    w.res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // kube-apiserver flushes the headers at once, so a client knows its watch is open before any event.
    w.res.flushHeaders();
    const from = Number(fromVersion || 0);
    if (fromVersion && from < this.compactedRevision) {
      writeEvent(w.res, { type: 'ERROR', object: goneStatus(this.compactedRevision) });
      w.res.end();
      return;
    }
    if (!fromVersion || fromVersion === '0') {
      // No resourceVersion: a real server starts with synthetic ADDED events for current state.
      for (const o of this.collection(w.plural).values()) {
        if (inScope(o, w.namespace, w.selector)) writeEvent(w.res, { type: 'ADDED', object: o });
      }
    } else {
      for (const e of this.history) {
        if (e.rv > from && e.plural === w.plural && inScope(e.object, w.namespace, w.selector)) writeEvent(w.res, e);
      }
    }
    this.watchers.add(w);
    w.res.on('close', () => this.watchers.delete(w));
  }

  private emit(event: StoredEvent): void {
    this.history.push(event);
    for (const w of this.watchers) {
      if (w.plural === event.plural && inScope(event.object, w.namespace, w.selector)) writeEvent(w.res, event);
    }
  }

  private faultFor(path: string, watch: boolean): number | 'hang' | undefined {
    const fault = this.faults.find((f) => f.path.test(path) && (f.times === undefined || f.times > 0)
      && (!f.on || (f.on === 'watch') === watch));
    if (!fault) return undefined;
    if (fault.times !== undefined) fault.times--;
    return fault.respond;
  }

  private collection(plural: string): Map<string, KubeObject> {
    let c = this.store.get(plural);
    if (!c) this.store.set(plural, (c = new Map()));
    return c;
  }
}

function isWatch(query: Record<string, string>): boolean {
  return query.watch === 'true' || query.watch === '1';
}

function pluralOf(o: KubeObject): string {
  const plural = o.kind && PLURAL_OF_KIND[o.kind];
  if (!plural) throw new Error(`fake apiserver does not serve kind ${o.kind}`);
  return plural;
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function writeEvent(res: ServerResponse, event: { type: string; object: unknown }): void {
  res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
}

function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function goneStatus(revision: number): object {
  return status(410, 'Expired', `too old resource version: 1 (${revision})`);
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(status(code, reason, message)));
}

function reasonFor(code: number): string {
  return ({ 403: 'Forbidden', 404: 'NotFound', 410: 'Expired', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' } as Record<number, string>)[code] ?? 'Unknown';
}

/** Equality-based and set-based label selector requirements, as the API server accepts them. */
type Requirement = (labels: Record<string, string>) => boolean;
type Selector = Requirement[];

function parseSelector(text: string): Selector {
  const parts = text.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  return parts.map((raw) => {
    const part = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part))) {
      const [, key, op, list] = m;
      const values = list!.split(',').map((v) => v.trim());
      return (l) => (op === 'in') === (key! in l && values.includes(l[key!]!));
    }
    if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(part))) {
      const [, key, op, value] = m;
      return op === '!=' ? (l) => l[key!] !== value : (l) => l[key!] === value;
    }
    if ((m = /^(!?)([\w./-]+)$/.exec(part))) {
      const [, not, key] = m;
      return (l) => (key! in l) !== (not === '!');
    }
    throw new Error(`unable to parse requirement: ${part}`);
  });
}

function inScope(o: KubeObject, namespace: string | undefined, selector: Selector): boolean {
  if (namespace && o.metadata.namespace !== namespace) return false;
  const labels = o.metadata.labels ?? {};
  return selector.every((r) => r(labels));
}
