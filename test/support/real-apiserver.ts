/**
 * A real kube-apiserver (with Debian's etcd) for tests: its own CA and certificates made with
 * openssl, free loopback ports, client-certificate authentication, `--authorization-mode=Node,RBAC`
 * and the default admission plugins (PodSecurity included). No controller or scheduler runs: tests
 * write status through the status subresource. The requests of the read-only identity are written
 * to an audit log, so a test can prove that identity never wrote.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemon.ts';
import type { K8sObject } from './manifest-checks.ts';
import { freePort } from './free-port.ts';
import { runTool } from './run-tool.ts';
import { toolPath } from './test-tools.ts';

/**
 * The client identities the server's CA signs: `admin` is in group system:masters; `reader` and
 * `stranger` have no grants (a test binds `reader` to what it may read).
 */
export const IDENTITIES = { admin: { user: 'o11y-admin', group: 'system:masters' }, reader: { user: 'o11y-reader' }, stranger: { user: 'o11y-stranger' } } as const;
export type Identity = keyof typeof IDENTITIES;

export interface ApiAnswer {
  readonly status: number;
  readonly body: any;
  /** The `Warning` headers (PodSecurity's "would violate", deprecations). */
  readonly warnings: string[];
}

export interface AuditEvent {
  readonly verb: string;
  readonly user: { username: string };
  readonly requestURI: string;
  readonly responseStatus?: { code: number };
}

export interface RealApiServer {
  readonly url: string;
  /** A kubeconfig file for `identity` (default admin). */
  kubeconfig(identity?: Identity): string;
  /** A kubeconfig file that authenticates with a ServiceAccount's token from the TokenRequest API. */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** One request as `identity` (default admin); the body is sent as JSON (or as an apply patch with `contentType`). */
  request(method: string, path: string, opts?: { body?: unknown; contentType?: string; identity?: Identity }): Promise<ApiAnswer>;
  /**
   * Server-side apply of `object` as admin with strict field validation (`dryRun` adds `dryRun=All`);
   * undefined when the server does not serve the object's kind.
   */
  apply(object: K8sObject, opts?: { dryRun?: boolean }): Promise<ApiAnswer | undefined>;
  /** The URL path of `object` (collection with `collection`), or undefined for a kind the server does not serve. */
  pathOf(object: K8sObject, collection?: boolean): Promise<string | undefined>;
  /** Requests of the read-only identity and of service accounts so far, from the audit log. */
  auditEvents(): AuditEvent[];
  output(): string;
  stop(): Promise<void>;
}

const CERT_CONFIG = `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
`;

// Only the read-only identity's and service accounts' requests are logged: enough to count their
// writes, and a small log.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    users: [${IDENTITIES.reader.user}]
  - level: Metadata
    userGroups: [system:serviceaccounts]
  - level: None
`;

function openssl(dir: string, args: string[]): void {
  const run = runTool('openssl', args, { cwd: dir });
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${run.output}`);
}

/** A P-256 key and a certificate signed by the CA in `dir` (or self-signed for `ca`). */
function issue(dir: string, name: string, subject: string, profile: 'ca' | 'server' | 'client'): void {
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  if (profile === 'ca') {
    openssl(dir, ['req', '-x509', '-new', '-config', 'certs.cnf', '-extensions', 'ca', '-key', 'ca.key', '-subj', subject, '-days', '2', '-out', 'ca.crt']);
    return;
  }
  openssl(dir, ['req', '-new', '-config', 'certs.cnf', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(Date.now() + Math.floor(Math.random() * 1e6)),
    '-extfile', 'certs.cnf', '-extensions', profile, '-days', '2', '-out', `${name}.crt`]);
}

function writeCertificates(dir: string): void {
  writeFileSync(join(dir, 'certs.cnf'), CERT_CONFIG);
  issue(dir, 'ca', '/CN=o11y-test-ca', 'ca');
  issue(dir, 'serving', '/CN=kube-apiserver', 'server');
  for (const [name, id] of Object.entries(IDENTITIES)) issue(dir, name, `${'group' in id ? `/O=${id.group}` : ''}/CN=${id.user}`, 'client');
  // The service-account token signing pair (the server will not start without one).
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key']);
  openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

/** A kubeconfig named `name` whose user authenticates with `credentials` (kubeconfig user fields). */
function writeKubeconfig(dir: string, url: string, name: string, credentials: Record<string, string>): string {
  const file = join(dir, `${name}.kubeconfig`);
  writeFileSync(file, [
    'apiVersion: v1',
    'kind: Config',
    `clusters:\n- name: test\n  cluster:\n    server: ${url}\n    certificate-authority-data: ${readFileSync(join(dir, 'ca.crt')).toString('base64')}`,
    `users:\n- name: ${name}\n  user:\n${Object.entries(credentials).map(([k, v]) => `    ${k}: ${v}`).join('\n')}`,
    `contexts:\n- name: test\n  context:\n    cluster: test\n    user: ${name}`,
    'current-context: test',
    '',
  ].join('\n'));
  return file;
}

function send(url: string, dir: string, method: string, path: string, opts: { body?: unknown; contentType?: string; identity?: Identity } = {}): Promise<ApiAnswer> {
  const identity = opts.identity ?? 'admin';
  const read = (f: string) => readFileSync(join(dir, f));
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(url + path, {
      method, ca: read('ca.crt'), cert: read(`${identity}.crt`), key: read(`${identity}.key`), timeout: 30_000,
      headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': opts.contentType ?? 'application/json' } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // /readyz and friends answer plain text
        }
        const warning = res.headers.warning;
        const warnings = (Array.isArray(warning) ? warning : warning ? [warning] : []).map(warningText);
        resolve({ status: res.statusCode ?? 0, body, warnings });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The text of a `Warning: 299 - "…"` header (RFC 7234 quoting). */
function warningText(header: string): string {
  const quoted = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(header)?.[1];
  return quoted === undefined ? header : quoted.replace(/\\(.)/g, '$1');
}

/** Starts etcd, then kube-apiserver on it; resolves once `/readyz` answers 200. */
export async function startRealApiServer(kubeApiserver: string): Promise<RealApiServer> {
  const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const peerUrl = `http://127.0.0.1:${etcdPeer}`;
  const etcd = await startDaemon({
    binary: toolPath('etcd'),
    tmpPrefix: 'o11y-etcd-',
    args: (dir) => ['--data-dir', join(dir, 'data'), '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `default=${peerUrl}`,
      '--log-level', 'warn', '--quota-backend-bytes', String(256 * 1024 * 1024)],
    url: etcdUrl,
    readyPath: '/health',
  });
  const url = `https://127.0.0.1:${securePort}`;
  let apiDir = '';
  let apiserver: Daemon;
  try {
    apiserver = await startDaemon({
      binary: kubeApiserver,
      tmpPrefix: 'o11y-apiserver-',
      prepare: (dir) => {
        apiDir = dir;
        writeCertificates(dir);
        writeFileSync(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);
      },
      args: (dir) => [
        `--etcd-servers=${etcdUrl}`,
        `--secure-port=${securePort}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1',
        `--cert-dir=${dir}`, `--tls-cert-file=${join(dir, 'serving.crt')}`, `--tls-private-key-file=${join(dir, 'serving.key')}`,
        `--client-ca-file=${join(dir, 'ca.crt')}`,
        `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=Node,RBAC',
        // As kubeadm and managed clusters run it: privileged pods are Pod Security's to refuse.
        '--allow-privileged=true',
        `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`, `--audit-log-path=${join(dir, 'audit.log')}`,
        // Lean: no priority-and-fairness queues, no `kubernetes` Endpoints upkeep, no profiling.
        '--enable-priority-and-fairness=false', '--endpoint-reconciler-type=none', '--profiling=false',
      ],
      url,
      readyPath: '/readyz',
      probe: async () => (await send(url, apiDir, 'GET', '/readyz')).status === 200,
      timeoutMs: 120_000,
    });
  } catch (e) {
    await etcd.stop();
    throw e;
  }
  const kubeconfigs = new Map<Identity, string>();
  const request: RealApiServer['request'] = (method, path, opts) => send(url, apiDir, method, path, opts);
  const discovery = new Map<string, Promise<{ kind: string; name: string; namespaced: boolean }[]>>();
  const pathOf: RealApiServer['pathOf'] = async (o, collection = false) => {
    const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    if (!discovery.has(base)) discovery.set(base, request('GET', base).then((a) => (a.status === 200 ? a.body.resources : [])));
    const resource = (await discovery.get(base)!).find((r) => r.kind === o.kind && !r.name.includes('/'));
    if (!resource) return undefined;
    const ns = resource.namespaced ? `/namespaces/${o.metadata.namespace ?? 'default'}` : '';
    return `${base}${ns}/${resource.name}${collection ? '' : `/${o.metadata.name}`}`;
  };
  return {
    url,
    kubeconfig: (identity = 'admin') => {
      const b64 = (f: string) => readFileSync(join(apiDir, f)).toString('base64');
      if (!kubeconfigs.has(identity)) {
        kubeconfigs.set(identity, writeKubeconfig(apiDir, url, identity, { 'client-certificate-data': b64(`${identity}.crt`), 'client-key-data': b64(`${identity}.key`) }));
      }
      return kubeconfigs.get(identity)!;
    },
    serviceAccountKubeconfig: async (namespace, name) => {
      const answer = await request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
        { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } } });
      if (answer.status !== 201) throw new Error(`no token for ${namespace}/${name}: ${answer.status} ${answer.body?.message ?? answer.body}`);
      return writeKubeconfig(apiDir, url, `${namespace}.${name}`, { token: answer.body.status.token });
    },
    request,
    pathOf,
    apply: async (object, opts = {}) => {
      const path = await pathOf(object);
      if (!path) return undefined;
      const query = `fieldManager=o11y-test&force=true&fieldValidation=Strict${opts.dryRun ? '&dryRun=All' : ''}`;
      // JSON is YAML: the apply patch is the object itself.
      return request('PATCH', `${path}?${query}`, { body: object, contentType: 'application/apply-patch+yaml' });
    },
    auditEvents: () => {
      const log = join(apiDir, 'audit.log');
      return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent) : [];
    },
    output: () => `${apiserver.output()}\n--- etcd ---\n${etcd.output()}`,
    stop: async () => {
      await apiserver.stop();
      await etcd.stop();
    },
  };
}
