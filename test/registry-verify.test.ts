import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { RegistryClient } from '../src/controller/registry/client.ts';
import { dockerConfigCredentials } from '../src/controller/registry/credentials.ts';
import { parsePlatform } from '../src/controller/registry/platform.ts';
import { verifyImage, type ImageVerdict } from '../src/controller/registry/verify.ts';
import { freePort } from './support/free-port.ts';
import { RegistryPusher, startRegistry, startTokenServer, type Registry } from './support/real-registry.ts';

const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const BOTH = [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')];

async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write: (c, _e, cb) => (append(String(c)), cb()) });
  const code = await main(['node', 'o11y', ...args], { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

/** Pushes the fixture images of these tests; returns the digest of the two-platform index. */
async function pushFixtures(push: RegistryPusher): Promise<string> {
  const amd = await push.image('o11y/multi', AMD64);
  const arm = await push.image('o11y/multi', ARM64);
  // BuildKit adds provenance as an unknown/unknown entry; it must not count as a platform.
  const attestation = await push.image('o11y/multi', { os: 'unknown', architecture: 'unknown' });
  const multi = await push.index('o11y/multi', '1.0', [
    { descriptor: amd, platform: AMD64 },
    { descriptor: arm, platform: ARM64 },
    { descriptor: attestation, platform: { os: 'unknown', architecture: 'unknown' } },
  ]);
  const amdOnly = await push.image('o11y/amd-only', AMD64);
  await push.index('o11y/amd-only', '1.0', [{ descriptor: amdOnly, platform: AMD64 }]);
  // A single-platform Docker v2 manifest under a tag: its platform is only in the config blob.
  await push.image('o11y/single-arm', ARM64, 'docker', '1.0');
  return multi.digest;
}

describe('o11y images verify against a real registry (distribution 2.8)', () => {
  let registry: Registry;
  let multiDigest: string;

  beforeAll(async () => {
    registry = await startRegistry();
    multiDigest = await pushFixtures(new RegistryPusher(registry.url));
  });
  afterAll(() => registry?.stop());

  it('judges each image: both platforms, amd64 only, single-manifest arm64, by digest, absent', async () => {
    const client = new RegistryClient();
    const verdict = (image: string) => verifyImage(client, `${registry.host}/${image}`, BOTH);
    const expectVerdict = async (image: string, want: Partial<ImageVerdict>) => expect(await verdict(image)).toMatchObject(want);

    await expectVerdict('o11y/multi:1.0', { status: 'ok', platforms: ['linux/amd64', 'linux/arm64'], missing: [], digest: multiDigest });
    await expectVerdict(`o11y/multi@${multiDigest}`, { status: 'ok', digest: multiDigest });
    await expectVerdict('o11y/amd-only:1.0', { status: 'missing-platform', platforms: ['linux/amd64'], missing: ['linux/arm64'], message: 'lacks linux/arm64 (has linux/amd64)' });
    await expectVerdict('o11y/single-arm:1.0', { status: 'missing-platform', platforms: ['linux/arm64'], missing: ['linux/amd64'] });
    await expectVerdict('o11y/multi:2.0', { status: 'not-found', message: expect.stringMatching(/^manifest not found: MANIFEST_UNKNOWN/) });
    await expectVerdict('o11y/never-pushed:1.0', { status: 'not-found' });
  });

  it('CLI with IMAGE args: table names which image lacks which platform, exit 1', async () => {
    const r = await runCli('images', 'verify', `${registry.host}/o11y/multi:1.0`, `${registry.host}/o11y/amd-only:1.0`, `${registry.host}/o11y/single-arm:1.0`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+STATUS\s+PLATFORMS\s+DETAIL$/);
    expect(lines[1]).toMatch(new RegExp(`^${registry.host}/o11y/multi:1.0\\s+ok\\s+linux/amd64,linux/arm64$`));
    expect(lines[2]).toMatch(/o11y\/amd-only:1.0\s+missing-platform\s+linux\/amd64\s+lacks linux\/arm64 \(has linux\/amd64\)$/);
    expect(r.stdout).toContain(`${registry.host}/o11y/single-arm:1.0: lacks linux/amd64 (has linux/arm64)`);
    expect(r.stdout).toContain('2 of 3 image(s) not verified for linux/amd64, linux/arm64');
  });

  it('CLI exit 0 when every image has every platform; --platforms narrows the requirement', async () => {
    expect((await runCli('images', 'verify', `${registry.host}/o11y/multi:1.0`)).code).toBe(0);
    const r = await runCli('images', 'verify', '--platforms', 'linux/amd64', `${registry.host}/o11y/amd-only:1.0`, '-o', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, platforms: ['linux/amd64'], images: [{ status: 'ok', reference: `${registry.host}/o11y/amd-only:1.0` }] });
  });

  it('CLI --manifests reads containers and initContainers of every workload kind and says who uses a bad image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-dist-'));
    try {
      const podSpec = (indent: string, init: string, main: string) =>
        `${indent}initContainers:\n${indent}  - { name: init, image: "${init}" }\n${indent}containers:\n${indent}  - { name: app, image: "${main}" }\n`;
      writeFileSync(
        join(dir, 'workloads.k8s.yaml'),
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: grafana, namespace: observability }\nspec:\n  template:\n    spec:\n${podSpec('      ', `${registry.host}/o11y/multi:1.0`, `${registry.host}/o11y/amd-only:1.0`)}` +
          `---\napiVersion: batch/v1\nkind: CronJob\nmetadata: { name: compactor, namespace: observability }\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${podSpec('          ', `${registry.host}/o11y/multi:1.0`, `${registry.host}/o11y/multi@${multiDigest}`)}` +
          `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: not-a-workload }\ndata: { image: "nope:latest" }\n`,
      );
      const r = await runCli('images', 'verify', '--manifests', dir, '-o', 'json');
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as { ok: boolean; images: ImageVerdict[] };
      expect(out.ok).toBe(false);
      expect(out.images.map((i) => [i.image.replace(registry.host, 'R'), i.status])).toEqual([
        ['R/o11y/multi:1.0', 'ok'],
        ['R/o11y/amd-only:1.0', 'missing-platform'],
        [`R/o11y/multi@${multiDigest}`, 'ok'],
      ]);
      expect(out.images[0]!.usedBy).toEqual(['Deployment observability/grafana (init)', 'CronJob observability/compactor (init)']);
      expect(out.images[1]).toMatchObject({ missing: ['linux/arm64'], usedBy: ['Deployment observability/grafana (app)'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    { args: ['--platforms', 'linux'], error: /--platforms: invalid platform "linux" \(want os\/architecture\[\/variant\]/ },
    { args: ['Grafana/Grafana:1'], error: /image "Grafana\/Grafana:1": repository name "Grafana\/Grafana" must be lowercase/ },
    { args: ['--manifests', '/nonexistent', 'nginx'], error: /give one of --manifests DIR, --config FILE or IMAGE arguments, not several/ },
    { args: [], error: /nothing to verify/ },
    { args: ['nginx', '-o', 'yaml'], error: /--output "yaml" is not one of table, json/ },
  ])('CLI exit 2 on bad arguments: $args', async ({ args, error }) => {
    const r = await runCli('images', 'verify', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(error);
  });

  it('CLI exit 2 naming file, line and key path for a bad image in the manifests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-dist-'));
    try {
      writeFileSync(join(dir, 'a.k8s.yaml'), 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: otel-agent }\nspec:\n  template:\n    spec:\n      containers:\n        - name: agent\n          image: "otel/collector:bad tag"\n');
      const r = await runCli('images', 'verify', '--manifests', dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${join(dir, 'a.k8s.yaml')}:9:18 spec.template.spec.containers[0].image: DaemonSet otel-agent: invalid tag "bad tag"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CLI exit 3 when the registry is unreachable, but 1 when another image definitely fails', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const unreachable = await runCli('images', 'verify', `${closed}/o11y/multi:1.0`);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stdout).toMatch(/unreachable\s+-\s+cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect((await runCli('images', 'verify', `${closed}/o11y/multi:1.0`, `${registry.host}/o11y/amd-only:1.0`)).code).toBe(1);
  });
});

describe('Bearer token flow against a real registry with `auth: token` and a loopback token server', () => {
  let registry: Registry;
  let dir: string;
  let tokens: Awaited<ReturnType<typeof startTokenServer>>;
  const service = 'o11y-test-registry';
  const basic = { username: 'reader', password: 's3cret:with-colon' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'o11y-token-'));
    tokens = await startTokenServer(dir, { service, issuer: 'o11y-test-issuer', basic });
    registry = await startRegistry({ tokenAuth: { realm: tokens.realm, service, issuer: 'o11y-test-issuer', certFile: tokens.certFile } });
    const push = new RegistryPusher(registry.url, (repo) => `Bearer ${tokens.mint([{ type: 'repository', name: repo, actions: ['pull', 'push'] }])}`);
    await pushFixtures(push);
    tokens.requests.length = 0;
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows 401 → realm?service&scope → Bearer, with Docker-config basic credentials, one token per repository', async () => {
    const dockerConfig = join(dir, 'docker');
    mkdirSync(dockerConfig, { recursive: true });
    const auth = Buffer.from(`${basic.username}:${basic.password}`).toString('base64');
    writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    const client = new RegistryClient({ credentials: dockerConfigCredentials({ DOCKER_CONFIG: dockerConfig }) });

    expect(await verifyImage(client, `${registry.host}/o11y/multi:1.0`, BOTH)).toMatchObject({ status: 'ok' });
    expect(await verifyImage(client, `${registry.host}/o11y/single-arm:1.0`, BOTH)).toMatchObject({ status: 'missing-platform', missing: ['linux/amd64'] });
    expect(tokens.requests).toEqual([
      { service, scope: 'repository:o11y/multi:pull', authorization: `Basic ${auth}` },
      { service, scope: 'repository:o11y/single-arm:pull', authorization: `Basic ${auth}` },
    ]);
  });

  it('without credentials the token server refuses, and the verdict is unauthorized (CLI exit 3)', async () => {
    const empty = join(dir, 'no-docker-config');
    const previous = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = empty;
    try {
      const r = await runCli('images', 'verify', `${registry.host}/o11y/multi:1.0`);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/unauthorized\s+-\s+token server http:\/\/127\.0\.0\.1:\d+\/token answered HTTP 401/);
      expect(tokens.requests.at(-1)).toEqual({ service, scope: 'repository:o11y/multi:pull' });
    } finally {
      if (previous === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = previous;
    }
  });
});
