import { createHash } from 'node:crypto';
import type { CredentialLookup, RegistryCredentials } from './credentials.ts';
import { registryBaseUrl, type ImageReference } from './reference.ts';
import { parseWwwAuthenticate } from './www-authenticate.ts';

/** Media types a manifest GET accepts: image index / manifest list first, so multi-platform images show all platforms. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

export type RegistryFailure = 'not-found' | 'unauthorized' | 'unreachable' | 'error';

/** A registry answer that settles an image's verdict: absent, access denied, unreachable, or nonsense. */
export class RegistryError extends Error {
  constructor(
    readonly kind: RegistryFailure,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export interface RegistryClientOptions {
  credentials?: CredentialLookup;
  /** Per-request timeout. */
  timeoutMs?: number;
}

const MAX_REDIRECTS = 5;
/** Manifests and image configs are small; anything bigger is not what we asked for. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/**
 * Reads manifests and blobs through the OCI distribution API, doing Docker's token flow on 401:
 * `WWW-Authenticate: Bearer realm=…,service=…,scope=…` → GET realm?service&scope (with basic credentials
 * when the Docker config has some, else anonymous) → `Authorization: Bearer <token>`. Tokens are cached per
 * registry and repository, so checking many tags of one repository costs one token.
 */
export class RegistryClient {
  private readonly tokens = new Map<string, Promise<string>>();
  private readonly timeoutMs: number;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** The manifest (index or single image) at `reference` (tag or digest), parsed, with its media type and digest. */
  async manifest(ref: ImageReference, reference: string): Promise<{ mediaType: string; digest: string; body: Record<string, unknown> }> {
    const res = await this.get(ref, `manifests/${reference}`, MANIFEST_MEDIA_TYPES.join(', '));
    const text = await readText(res, `manifest ${reference}`);
    const body = parseJsonObject(text, `manifest ${reference}`);
    const mediaType = (typeof body.mediaType === 'string' ? body.mediaType : undefined) ?? res.headers.get('content-type')?.split(';')[0] ?? '';
    // The digest of the bytes served (an index's own, not a platform's); registries also send it as Docker-Content-Digest.
    const digest = res.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(text).digest('hex')}`;
    return { mediaType, digest, body };
  }

  /** A JSON blob (an image config), following the registry's redirects to blob storage. */
  async jsonBlob(ref: ImageReference, digest: string): Promise<Record<string, unknown>> {
    return readJson(await this.get(ref, `blobs/${digest}`, 'application/json, */*'), `blob ${digest}`);
  }

  private async get(ref: ImageReference, path: string, accept: string): Promise<Response> {
    const url = `${registryBaseUrl(ref.registry)}/v2/${ref.repository}/${path}`;
    const tokenKey = `${ref.registry}/${ref.repository}`;
    const cached = this.tokens.get(tokenKey);
    let res = await this.fetchFollowing(url, accept, cached ? `Bearer ${await cached}` : undefined);
    if (res.status === 401) {
      const authorization = await this.authorize(ref, tokenKey, res);
      await res.arrayBuffer();
      res = await this.fetchFollowing(url, accept, authorization);
    }
    if (res.ok) return res;
    const detail = await errorDetail(res);
    if (res.status === 404) throw new RegistryError('not-found', `${path.split('/')[0] === 'manifests' ? 'manifest' : 'blob'} not found: ${detail}`);
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError('unauthorized', `access denied (HTTP ${res.status}; on Docker Hub this also means the repository does not exist): ${detail}`);
    }
    if (res.status >= 500 || res.status === 429) throw new RegistryError('unreachable', `registry answered HTTP ${res.status}: ${detail}`);
    throw new RegistryError('error', `registry answered HTTP ${res.status}: ${detail}`);
  }

  /** The Authorization header that answers a 401's challenge. */
  private async authorize(ref: ImageReference, tokenKey: string, res: Response): Promise<string> {
    const challenges = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
    const creds = this.options.credentials?.(ref.registry);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params.realm) {
      const pending = this.fetchToken(bearer.params.realm, bearer.params.service, bearer.params.scope ?? `repository:${ref.repository}:pull`, creds);
      this.tokens.set(tokenKey, pending);
      pending.catch(() => this.tokens.delete(tokenKey));
      return `Bearer ${await pending}`;
    }
    if (challenges.some((c) => c.scheme === 'basic') && creds) return basic(creds);
    throw new RegistryError('unauthorized', `registry requires authentication (${res.headers.get('www-authenticate') ?? 'no challenge'}) and no usable credentials are configured`);
  }

  private async fetchToken(realm: string, service: string | undefined, scope: string, creds: RegistryCredentials | undefined): Promise<string> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError('error', `token realm "${realm}" is not a URL`);
    }
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const res = await this.fetchFollowing(url.toString(), 'application/json', creds ? basic(creds) : undefined);
    if (!res.ok) {
      const kind = res.status === 401 || res.status === 403 ? 'unauthorized' : res.status >= 500 ? 'unreachable' : 'error';
      throw new RegistryError(kind, `token server ${url.origin}${url.pathname} answered HTTP ${res.status}: ${await errorDetail(res)}`);
    }
    const body = await readJson(res, 'token response');
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new RegistryError('error', `token server ${url.origin}${url.pathname} returned no token`);
    return token;
  }

  /** GET with manual redirects, so that credentials never follow a redirect to another origin (blob CDNs). */
  private async fetchFollowing(url: string, accept: string, authorization: string | undefined): Promise<Response> {
    let current = new URL(url);
    const origin = current.origin;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { Accept: accept };
      if (authorization && current.origin === origin) headers.Authorization = authorization;
      let res: Response;
      try {
        res = await fetch(current, { headers, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (e as Error).message;
        throw new RegistryError('unreachable', `cannot reach ${current.origin}: ${reason}`);
      }
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return res;
      if (hop >= MAX_REDIRECTS) throw new RegistryError('error', `more than ${MAX_REDIRECTS} redirects from ${url}`);
      await res.arrayBuffer();
      current = new URL(location, current);
    }
  }
}

function basic(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

async function readJson(res: Response, what: string): Promise<Record<string, unknown>> {
  return parseJsonObject(await readText(res, what), what);
}

async function readText(res: Response, what: string): Promise<string> {
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_DOCUMENT_BYTES) throw new RegistryError('error', `${what} is ${length} bytes, more than a manifest or config can be`);
  const text = await res.text();
  if (text.length > MAX_DOCUMENT_BYTES) throw new RegistryError('error', `${what} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  return text;
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new RegistryError('error', `${what} is not a JSON object`);
}

/** The registry's `errors[0].message` (distribution-spec error body), else the status text. */
async function errorDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[]; details?: string };
    const first = body.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ');
  } catch {
    // not JSON
  }
  return text.trim().split('\n')[0]?.slice(0, 200) || res.statusText || `HTTP ${res.status}`;
}
