/**
 * Reading the Kubernetes API: kubeconfig loading through @kubernetes/client-node, and LIST
 * requests with retries. Lists are sent over node:http(s) with the agent and headers client-node
 * derives from the kubeconfig, and parsed as plain JSON: the wire shape is what the health rules
 * read, and skipping the generated client's model conversion keeps a 5,000-pod list cheap.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { UnreachableError, UsageError } from '../errors.ts';

export interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
}

export function loadKubeConfig(opts: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new UsageError(`cannot load kubeconfig ${opts.kubeconfig ?? '(default)'}: ${(e as Error).message}`);
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      throw new UsageError(`context "${opts.context}" is not in the kubeconfig (have: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new UsageError('the kubeconfig has no current cluster');
  return kc;
}

/** A request that failed with an answer worth retrying (5xx, 429, timeout) after all attempts. */
export class TransientApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientApiError';
  }
}

export interface KubeList<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export interface ReaderOptions {
  /** Per-request timeout. @default 10000 */
  timeoutMs?: number;
  /** Attempts per request, including the first. @default 4 */
  attempts?: number;
  /** Delay before the first retry, doubled each time. @default 250 */
  backoffMs?: number;
}

/** Sends GET requests to the API server of a kubeconfig's current context. Never anything else. */
export class KubeReader {
  /** Number of HTTP requests sent, retries included (for benchmarks and tests). */
  requestCount = 0;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(readonly kubeConfig: KubeConfig, opts: ReaderOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.attempts = opts.attempts ?? 4;
    this.backoffMs = opts.backoffMs ?? 250;
  }

  /**
   * LISTs a collection. Retries 5xx, 429, timeouts and dropped connections with exponential
   * backoff, then throws TransientApiError. 401/403 and a server that cannot be reached at all
   * throw UnreachableError at once: retrying will not fix credentials, RBAC or a wrong address.
   */
  async list<T>(path: string, query: Record<string, string | undefined> = {}): Promise<KubeList<T>> {
    const body = await this.get(path, query);
    return JSON.parse(body) as KubeList<T>;
  }

  /**
   * LISTs a collection in pages of `pageSize` (`limit` + `continue`, as client-go's informers do),
   * passing each page through `map` so that only what is kept stays in memory.
   */
  async listPaged<T, U>(path: string, query: Record<string, string | undefined>, pageSize: number, map: (item: T) => U): Promise<KubeList<U>> {
    const items: U[] = [];
    let resourceVersion: string | undefined;
    let token: string | undefined;
    do {
      const page = await this.list<T>(path, { ...query, limit: String(pageSize), continue: token });
      for (const item of page.items) items.push(map(item));
      resourceVersion ??= page.metadata.resourceVersion;
      token = page.metadata.continue || undefined;
    } while (token);
    return { items, metadata: { resourceVersion } };
  }

  /** GETs any path of the API server (e.g. a service proxy) and returns the body, with the same retries. */
  async get(path: string, query: Record<string, string | undefined> = {}): Promise<string> {
    const url = new URL(this.kubeConfig.getCurrentCluster()!.server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    let lastError = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) await sleep(this.backoffMs * 2 ** (attempt - 2) * (0.75 + Math.random() / 2));
      const outcome = await this.send(url);
      if ('body' in outcome) return outcome.body;
      if (outcome.fatal) throw outcome.fatal;
      lastError = outcome.retry;
    }
    throw new TransientApiError(`GET ${path}: ${lastError} (after ${this.attempts} attempts)`);
  }

  private async send(url: URL): Promise<{ body: string } | { retry: string; fatal?: undefined } | { fatal: Error }> {
    const opts: RequestOptions & { headers: Record<string, string> } = { method: 'GET', headers: { Accept: 'application/json' } };
    await this.kubeConfig.applyToHTTPSOptions(opts);
    this.requestCount++;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = request(url, { ...opts, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => resolve({ retry: e.message }));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code === 200) return resolve({ body });
          const reason = `${code} ${statusMessage(body) ?? res.statusMessage ?? ''}`.trim();
          if (code === 401 || code === 403) return resolve({ fatal: new UnreachableError(`${code === 401 ? 'unauthorized' : 'forbidden'}: GET ${url.pathname}: ${reason}`) });
          if (code >= 500 || code === 429) return resolve({ retry: reason });
          resolve({ fatal: new TransientApiError(`GET ${url.pathname}: ${reason}`) });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EHOSTUNREACH') {
          resolve({ fatal: new UnreachableError(`cannot reach the API server at ${url.origin}: ${e.code}`) });
        } else {
          resolve({ retry: e.message });
        }
      });
      req.end();
    });
  }
}

/** The `message` of a Kubernetes Status object, if the body is one. */
function statusMessage(body: string): string | undefined {
  try {
    const status = JSON.parse(body) as { kind?: string; message?: string };
    return status.kind === 'Status' ? status.message : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
