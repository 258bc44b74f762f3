import { execFileSync } from 'node:child_process';
import { createHash, createSign, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemon.ts';
import { freePort } from './free-port.ts';
import { toolPath } from './test-tools.ts';

/** Token auth as distribution 2.8 configures it (`auth.token`). */
export interface TokenAuthConfig {
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate of the key that signs tokens. */
  certFile: string;
}

export type Registry = Daemon & {
  /** `127.0.0.1:<port>`: what image references start with. */
  host: string;
};

/**
 * Starts the real registry (Debian `docker-registry`, distribution 2.8) on a free loopback port, storing
 * blobs in a temp dir; with `tokenAuth`, every request needs a bearer token from that realm.
 */
export async function startRegistry(opts: { tokenAuth?: TokenAuthConfig } = {}): Promise<Registry> {
  const port = await freePort();
  const auth = opts.tokenAuth
    ? `auth:\n  token:\n    realm: ${opts.tokenAuth.realm}\n    service: ${opts.tokenAuth.service}\n    issuer: ${opts.tokenAuth.issuer}\n    rootcertbundle: ${opts.tokenAuth.certFile}\n`
    : '';
  const daemon = await startDaemon({
    binary: toolPath('docker-registry'),
    tmpPrefix: 'o11y-registry-',
    url: `http://127.0.0.1:${port}`,
    readyPath: '/v2/',
    readyStatus: opts.tokenAuth ? 401 : 200,
    prepare: (dir) =>
      writeFileSync(
        join(dir, 'config.yml'),
        `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
      ),
    args: (dir) => ['serve', join(dir, 'config.yml')],
  });
  return Object.assign(daemon, { host: `127.0.0.1:${port}` });
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Pushes images through the registry API: blob upload (POST, then PUT with the digest) and manifest PUT. */
export class RegistryPusher {
  constructor(
    private readonly registryUrl: string,
    /** Authorization header for a repository, when the registry wants one. */
    private readonly authorization: (repository: string) => string | undefined = () => undefined,
  ) {}

  async blob(repository: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
    const body = Buffer.from(data);
    const digest = sha256(body);
    const start = await fetch(`${this.registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: this.headers(repository) });
    await this.expect(start, 202, `start upload to ${repository}`);
    const location = new URL(start.headers.get('location')!, this.registryUrl);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { ...this.headers(repository), 'Content-Type': 'application/octet-stream' },
      body,
    });
    await this.expect(put, 201, `upload blob ${digest}`);
    return { digest, size: body.length };
  }

  async manifest(repository: string, reference: string, mediaType: string, manifest: object): Promise<{ digest: string; size: number; mediaType: string }> {
    const body = JSON.stringify(manifest);
    const res = await fetch(`${this.registryUrl}/v2/${repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { ...this.headers(repository), 'Content-Type': mediaType },
      body,
    });
    await this.expect(res, 201, `put manifest ${repository}:${reference}`);
    return { digest: sha256(body), size: Buffer.byteLength(body), mediaType };
  }

  /** A single-platform image (config + one layer), pushed under `tag` or else by digest; returns its descriptor. */
  async image(repository: string, platform: { os: string; architecture: string; variant?: string }, format: 'oci' | 'docker' = 'oci', tag?: string) {
    const layer = await this.blob(repository, `layer for ${repository} ${platform.architecture} ${randomUUID()}`);
    const config = Buffer.from(JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} }));
    const configBlob = await this.blob(repository, config);
    const types =
      format === 'oci'
        ? { manifest: 'application/vnd.oci.image.manifest.v1+json', config: 'application/vnd.oci.image.config.v1+json', layer: 'application/vnd.oci.image.layer.v1.tar+gzip' }
        : { manifest: 'application/vnd.docker.distribution.manifest.v2+json', config: 'application/vnd.docker.container.image.v1+json', layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip' };
    const manifest = {
      schemaVersion: 2,
      mediaType: types.manifest,
      config: { mediaType: types.config, ...configBlob },
      layers: [{ mediaType: types.layer, ...layer }],
    };
    return this.manifest(repository, tag ?? sha256(JSON.stringify(manifest)), types.manifest, manifest);
  }

  /** An OCI image index over already pushed manifests, tagged `tag`. */
  async index(repository: string, tag: string, entries: { descriptor: { digest: string; size: number; mediaType: string }; platform: object }[]) {
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: entries.map((e) => ({ ...e.descriptor, platform: e.platform })),
    };
    return this.manifest(repository, tag, index.mediaType, index);
  }

  private headers(repository: string): Record<string, string> {
    const auth = this.authorization(repository);
    return auth ? { Authorization: auth } : {};
  }

  private async expect(res: Response, status: number, what: string): Promise<void> {
    const text = await res.text();
    if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${text}`);
  }
}

/**
 * A Docker token server on loopback for a registry started with `tokenAuth`: signs RS256 JWTs with a key and
 * self-signed certificate made by `openssl` (the certificate rides in the `x5c` header, and the registry trusts
 * it through `rootcertbundle`). Records each token request so tests can see the flow.
 */
export async function startTokenServer(dir: string, opts: { service: string; issuer: string; basic?: { username: string; password: string } }) {
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  execFileSync(toolPath('openssl'), ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=o11y-test-token-issuer'], { stdio: 'pipe' });
  const key = readFileSync(keyFile, 'utf8');
  const certDer = Buffer.from(readFileSync(certFile, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64');
  const requests: { service: string | null; scope: string | null; authorization?: string }[] = [];

  const mint = (access: { type: string; name: string; actions: string[] }[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const header = b64({ typ: 'JWT', alg: 'RS256', x5c: [certDer] });
    const claims = b64({ iss: opts.issuer, sub: 'test', aud: opts.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access });
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key).toString('base64url');
    return `${header}.${claims}.${signature}`;
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://token');
    const scope = url.searchParams.get('scope');
    requests.push({ service: url.searchParams.get('service'), scope, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    if (opts.basic && req.headers.authorization !== `Basic ${Buffer.from(`${opts.basic.username}:${opts.basic.password}`).toString('base64')}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
      return;
    }
    // Grant pull (only) on the requested repository, like Docker Hub for an anonymous public pull.
    const [type, name] = (scope ?? '').split(':');
    const token = mint(type === 'repository' && name ? [{ type, name, actions: ['pull'] }] : []);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certFile,
    requests,
    /** A token for the test itself, e.g. to push. */
    mint,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
