import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { UnreachableError, UsageError } from '../../errors.ts';

/**
 * Where Prometheus answers: a direct URL, or a Service reached through the API server's service
 * proxy, under `path` (vmselect's `/select/0/prometheus`) when the API is not at the root.
 */
export type PrometheusEndpoint =
  | { url: string }
  | { kubeConfig: KubeConfig; namespace: string; service: string; port: number | string; path?: string };

export interface RetryPolicy {
  /** Attempts in all, for 5xx answers (Prometheus answers 503 until it is ready; the proxy 503s without endpoints). */
  attempts: number;
  /** Delay before the first retry; doubles each time. */
  initialDelayMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 250, timeoutMs: 10_000 };

/** An answer of the Prometheus HTTP API that arrived but is not a success (e.g. a 400/422 query error). */
export class PrometheusApiError extends Error {
  constructor(
    readonly path: string,
    readonly httpStatus: number,
    message: string,
  ) {
    super(`${path}: HTTP ${httpStatus}: ${message}`);
    this.name = 'PrometheusApiError';
  }
}

/** Reads the Prometheus HTTP API (`{status, data, error}` envelope) at an endpoint. */
export class PrometheusClient {
  private constructor(
    /** Base URL that Prometheus paths (`/api/v1/...`) are appended to. */
    readonly base: URL,
    private readonly options: https.RequestOptions,
    /** Readable name for errors. */
    readonly describe: string,
    private readonly retry: RetryPolicy,
  ) {}

  static async connect(ep: PrometheusEndpoint, retry: RetryPolicy = DEFAULT_RETRY): Promise<PrometheusClient> {
    if ('url' in ep) {
      return new PrometheusClient(parseBase(ep.url, 'Prometheus URL'), {}, ep.url, retry);
    }
    const cluster = ep.kubeConfig.getCurrentCluster();
    if (!cluster) throw new UnreachableError('the kubeconfig has no current cluster');
    const options: https.RequestOptions = {};
    // Bearer token, exec/OIDC plugins, client certificate, CA and basic auth, exactly as client-node's own calls.
    await ep.kubeConfig.applyToHTTPSOptions(options);
    const base = parseBase(cluster.server, 'API server URL');
    base.pathname = `${base.pathname.replace(/\/$/, '')}${serviceProxyPath(ep.namespace, ep.service, ep.port)}${ep.path ?? ''}`;
    return new PrometheusClient(base, options, `service ${ep.namespace}/${ep.service}:${ep.port} via ${cluster.server}`, retry);
  }

  /** GET a Prometheus API path and return its `data`; see {@link PrometheusApiError} and {@link UnreachableError}. */
  async get<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    const url = new URL(this.base);
    url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let delay = this.retry.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      const res = await this.request(url, path);
      if (res.status < 500 || attempt >= this.retry.attempts) return this.decode<T>(path, res);
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }

  private decode<T>(path: string, res: { status: number; body: string }): T {
    let envelope: { status?: string; data?: T; error?: string; message?: string } | undefined;
    try {
      envelope = JSON.parse(res.body) as typeof envelope;
    } catch {
      envelope = undefined;
    }
    if (res.status >= 200 && res.status < 300 && envelope?.status === 'success') return envelope.data as T;
    // Prometheus explains itself in `error`; a Kubernetes Status (from the service proxy) in `message`.
    const detail = envelope?.error ?? envelope?.message ?? firstLine(res.body);
    if (res.status === 401 || res.status === 403) {
      throw new UnreachableError(`${this.describe}: ${path}: ${res.status === 401 ? 'unauthorized' : 'forbidden'} (HTTP ${res.status}): ${detail}`);
    }
    if (res.status >= 500) throw new UnreachableError(`${this.describe}: ${path}: HTTP ${res.status} after ${this.retry.attempts} attempts: ${detail}`);
    throw new PrometheusApiError(path, res.status, detail);
  }

  private request(url: URL, path: string): Promise<{ status: number; body: string }> {
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        { ...this.options, method: 'GET', headers: { ...this.options.headers, Accept: 'application/json' }, timeout: this.retry.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(this.unreachable(path, e)));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.retry.timeoutMs} ms`)));
      req.on('error', (e) => reject(this.unreachable(path, e)));
      req.end();
    });
  }

  private unreachable(path: string, e: Error): UnreachableError {
    const code = (e as NodeJS.ErrnoException).code;
    return new UnreachableError(`${this.describe}: ${path}: ${code ? `${code} ` : ''}${e.message}`);
  }
}

/** `/api/v1/namespaces/{ns}/services/{service}:{port}/proxy` (the caller appends the Prometheus path). */
export function serviceProxyPath(namespace: string, service: string, port: number | string): string {
  const seg = encodeURIComponent;
  return `/api/v1/namespaces/${seg(namespace)}/services/${seg(service)}:${seg(String(port))}/proxy`;
}

function parseBase(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${what} ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${what} ${raw} must be http or https`);
  url.search = '';
  return url;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]!.slice(0, 300);
}
