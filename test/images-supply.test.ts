import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IMAGES } from '../src/model/images.ts';
import { mirrorReference } from '../src/config/images.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { main } from '../src/cli/main.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { podTemplates } from './support/manifest-checks.ts';
import { RegistryPusher, startRegistry, type Registry } from './support/real-registry.ts';

// Image supply against the real registry (distribution 2.8) as the mirror: `images lock` records
// each image's index digest (never a platform's), synth pins every pod by it, `images verify`
// catches a mirror that dropped arm64, and `images list` prints the copy job.

const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };

async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write: (c, _e, cb) => (append(String(c)), cb()) });
  const code = await main(['node', 'o11y', ...args], { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

describe('mirrorReference', () => {
  it.each([
    { source: 'quay.io/prometheus/prometheus:v3.14.0', registry: 'harbor.example.com/mirror', prefixes: {}, want: 'harbor.example.com/mirror/quay.io/prometheus/prometheus:v3.14.0' },
    { source: 'quay.io/prometheus/prometheus:v3.14.0', registry: '1.dkr.ecr.eu-west-1.amazonaws.com', prefixes: { 'quay.io': 'quay' }, want: '1.dkr.ecr.eu-west-1.amazonaws.com/quay/prometheus/prometheus:v3.14.0' },
    // Docker Hub official images keep library/, as ECR pull-through caches require.
    { source: 'nginx:1.27', registry: '1.dkr.ecr.eu-west-1.amazonaws.com', prefixes: { 'docker.io': 'docker-hub' }, want: '1.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx:1.27' },
    { source: 'grafana/grafana:13.1.3', registry: 'registry.local:5000', prefixes: { 'docker.io': '' }, want: 'registry.local:5000/grafana/grafana:13.1.3' },
  ] as { source: string; registry: string; prefixes: Record<string, string>; want: string }[])('$source via $registry $prefixes', ({ source, registry, prefixes, want }) => {
    expect(mirrorReference(source, { registry, pathPrefixes: prefixes })).toBe(want);
  });
});

describe('o11y images lock, list and verify against a real registry as the mirror', () => {
  let registry: Registry;
  let dir: string;
  let configFile: string;
  /** Per catalog image: the index digest and its platform manifests' digests, as pushed. */
  const pushed = new Map<string, { index: string; platforms: string[] }>();

  beforeAll(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), 'o11y-images-'));
    configFile = join(dir, 'o11y.yaml');
    writeFileSync(
      configFile,
      `architectures: [amd64, arm64]\nimages:\n  registry: ${registry.host}/mirror\n  pullSecrets: [mirror-pull]\n  digests: true\nclusters:\n  - { name: local, cloud: onprem, region: dc1, storageClass: standard }\n`,
    );
    const push = new RegistryPusher(registry.url);
    for (const source of Object.values(IMAGES)) {
      const mirror = mirrorReference(source, { registry: `${registry.host}/mirror`, pathPrefixes: {} });
      const repository = mirror.slice(registry.host.length + 1, mirror.lastIndexOf(':'));
      const tag = mirror.slice(mirror.lastIndexOf(':') + 1);
      const amd = await push.image(repository, AMD64);
      const arm = await push.image(repository, ARM64);
      const index = await push.index(repository, tag, [{ descriptor: amd, platform: AMD64 }, { descriptor: arm, platform: ARM64 }]);
      pushed.set(source, { index: index.digest, platforms: [amd.digest, arm.digest] });
    }
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('images list prints each source with its mirror, as tsv and as copy commands', async () => {
    const tsv = await runCli('images', 'list', '--config', configFile);
    expect(tsv.code).toBe(0);
    expect(tsv.stdout.trim().split('\n')).toEqual(Object.values(IMAGES).map((s) => `${s}\t${mirrorReference(s, { registry: `${registry.host}/mirror`, pathPrefixes: {} })}`));
    const skopeo = await runCli('images', 'list', '--config', configFile, '--format', 'skopeo');
    expect(skopeo.stdout).toContain(`skopeo copy --all docker://${IMAGES.prometheus} docker://${registry.host}/mirror/quay.io/prometheus/prometheus:v3.14.0\n`);
  });

  it('synth refuses digests before the lock file exists, naming the command', () => {
    expect(() => loadConfigFile(configFile)).toThrow(/images\.digests: digests need .*images\.lock\.yaml, which does not exist; run `o11y images lock --config/);
  });

  it('images lock records the index digest of every image, never a platform manifest\'s', async () => {
    const run = await runCli('images', 'lock', '--config', configFile);
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    const lock = parse(readFileSync(join(dir, 'images.lock.yaml'), 'utf8')) as { images: Record<string, string> };
    expect(Object.keys(lock.images).sort()).toEqual(Object.values(IMAGES).sort());
    for (const [source, { index, platforms }] of pushed) {
      expect(lock.images[source], source).toBe(index);
      for (const platform of platforms) expect(lock.images[source]).not.toBe(platform);
    }
  });

  it('synth then pins every pod\'s image by that digest, in the mirror, with the pull secret', () => {
    const out = join(dir, 'dist');
    synthesize({ configFile, outDir: out });
    const templates = podTemplates(loadManifestDir(join(out, 'local')));
    expect(templates.length).toBeGreaterThan(5);
    const digestOf = new Map([...pushed].map(([source, p]) => [mirrorReference(source, { registry: `${registry.host}/mirror`, pathPrefixes: {} }), p.index]));
    for (const t of templates) {
      expect((t.spec as { imagePullSecrets?: unknown }).imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
      for (const c of t.spec.containers as { image: string }[]) {
        const [name, digest] = c.image.split('@');
        expect(digestOf.get(name!), c.image).toBe(digest);
      }
    }
  });

  it('images verify --config passes on the complete mirror, and catches an image whose mirror dropped arm64 (and lock refuses it)', async () => {
    expect((await runCli('images', 'verify', '--config', configFile)).code).toBe(0);

    // The mirror's Grafana loses arm64: a copy without --all re-tagged over the index.
    const push = new RegistryPusher(registry.url);
    const grafana = mirrorReference(IMAGES.grafana, { registry: `${registry.host}/mirror`, pathPrefixes: {} });
    const repository = grafana.slice(registry.host.length + 1, grafana.lastIndexOf(':'));
    const amdOnly = await push.image(repository, AMD64);
    await push.index(repository, IMAGES.grafana.split(':')[1]!, [{ descriptor: amdOnly, platform: AMD64 }]);

    // Pinned by the locked digest, the old two-platform index still verifies...
    expect((await runCli('images', 'verify', '--config', configFile)).code).toBe(0);
    // ...but the tag the mirror now serves does not, and lock will not record it.
    const byTag = await runCli('images', 'verify', grafana);
    expect(byTag.code).toBe(1);
    expect(byTag.stdout).toContain(`${grafana}: lacks linux/arm64 (has linux/amd64)`);
    const relock = await runCli('images', 'lock', '--config', configFile);
    expect(relock.code).toBe(1);
    expect(relock.stdout).toContain(`not written: 1 of ${Object.keys(IMAGES).length} image(s) not resolved to a multi-arch index:\n  ${IMAGES.grafana}: ${grafana}: lacks linux/arm64 (has linux/amd64)`);
    const lock = parse(readFileSync(join(dir, 'images.lock.yaml'), 'utf8')) as { images: Record<string, string> };
    expect(lock.images[IMAGES.grafana]).toBe(pushed.get(IMAGES.grafana)!.index);
  });
});
