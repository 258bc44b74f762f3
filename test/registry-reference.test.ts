import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.ts';
import { parseYaml } from '../src/input/yaml-source.ts';
import { dockerConfigCredentials } from '../src/controller/registry/credentials.ts';
import { imagesOf } from '../src/controller/registry/manifest-images.ts';
import { formatPlatform, missingPlatforms, parsePlatform, platformSatisfies } from '../src/controller/registry/platform.ts';
import { formatReference, manifestReference, parseImageReference, registryBaseUrl } from '../src/controller/registry/reference.ts';
import { parseWwwAuthenticate } from '../src/controller/registry/www-authenticate.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  const cases: [string, string, string, string][] = [
    // input, registry/repository as fully qualified, manifest reference, API base URL
    ['nginx', 'docker.io/library/nginx:latest', 'latest', 'https://registry-1.docker.io'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27', '1.27', 'https://registry-1.docker.io'],
    ['grafana/grafana:13.0.0', 'docker.io/grafana/grafana:13.0.0', '13.0.0', 'https://registry-1.docker.io'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest', 'latest', 'https://registry-1.docker.io'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1', '1', 'https://registry-1.docker.io'],
    ['ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib:0.120.0', 'ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib:0.120.0', '0.120.0', 'https://ghcr.io'],
    ['quay.io/prometheus/prometheus:v3.0.0', 'quay.io/prometheus/prometheus:v3.0.0', 'v3.0.0', 'https://quay.io'],
    ['localhost/app', 'localhost/app:latest', 'latest', 'http://localhost'],
    ['localhost:5000/team/app:dev', 'localhost:5000/team/app:dev', 'dev', 'http://localhost:5000'],
    ['127.0.0.1:5000/app:1', '127.0.0.1:5000/app:1', '1', 'http://127.0.0.1:5000'],
    ['registry.example.com:8443/app:1', 'registry.example.com:8443/app:1', '1', 'https://registry.example.com:8443'],
    [`nginx@${DIGEST}`, `docker.io/library/nginx@${DIGEST}`, DIGEST, 'https://registry-1.docker.io'],
    [`nginx:1.27@${DIGEST}`, `docker.io/library/nginx:1.27@${DIGEST}`, DIGEST, 'https://registry-1.docker.io'],
    ['my_org/my-app__x:1', 'docker.io/my_org/my-app__x:1', '1', 'https://registry-1.docker.io'],
  ];
  it.each(cases)('%s → %s', (input, qualified, reference, base) => {
    const ref = parseImageReference(input);
    expect(formatReference(ref)).toBe(qualified);
    expect(manifestReference(ref)).toBe(reference);
    expect(registryBaseUrl(ref.registry)).toBe(base);
  });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['Nginx', /must be lowercase/],
    ['nginx:bad tag', /invalid tag "bad tag"/],
    ['nginx:', /invalid tag ""/],
    ['nginx@sha256:abc', /invalid digest/],
    [`nginx@sha256:${'A'.repeat(64)}`, /invalid sha256 digest/],
    ['foo/-bar', /invalid repository path component "-bar"/],
    ['ghcr.io/', /invalid repository path component ""/],
  ];
  it.each(bad)('rejects %j', (input, error) => {
    expect(() => parseImageReference(input)).toThrow(error);
  });
});

describe('platforms', () => {
  it.each([
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64', 'linux/arm64'],
    ['LINUX/ARM64/V8', 'linux/arm64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v9', 'linux/arm64/v9'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/arm', 'linux/arm'],
    ['linux/arm/v7', 'linux/arm'],
    ['linux/arm/v6', 'linux/arm/v6'],
  ])('parsePlatform(%s) → %s', (text, normalized) => expect(formatPlatform(parsePlatform(text))).toBe(normalized));

  it.each(['linux', 'linux/amd64/v3/x', '/amd64', 'linux/amd 64'])('parsePlatform rejects %j', (text) => {
    expect(() => parsePlatform(text)).toThrow(/want os\/architecture\[\/variant\]/);
  });

  const p = (os: string, architecture: string, variant?: string) => ({ os, architecture, ...(variant ? { variant } : {}) });
  it.each([
    ['amd64 satisfies amd64', p('linux', 'amd64'), p('linux', 'amd64'), true],
    ['any amd64 variant satisfies bare amd64', p('linux', 'amd64'), p('linux', 'amd64', 'v3'), true],
    ['arm64 ≡ arm64/v8', p('linux', 'arm64', 'v8'), p('linux', 'arm64'), true],
    ['arm/v7 does not satisfy arm/v6', p('linux', 'arm', 'v6'), p('linux', 'arm', 'v7'), false],
    ['bare arm accepts arm/v6', p('linux', 'arm'), p('linux', 'arm', 'v6'), true],
    ['windows/amd64 is not linux/amd64', p('linux', 'amd64'), p('windows', 'amd64'), false],
    ['arm64 is not amd64', p('linux', 'amd64'), p('linux', 'arm64'), false],
  ])('%s', (_name, required, offered, ok) => expect(platformSatisfies(required, offered)).toBe(ok));

  it('missingPlatforms ignores unknown/unknown attestation entries', () => {
    const required = [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')];
    expect(missingPlatforms(required, [p('linux', 'amd64'), p('unknown', 'unknown')]).map(formatPlatform)).toEqual(['linux/arm64']);
    expect(missingPlatforms(required, [p('linux', 'arm64', 'v8'), p('linux', 'amd64')])).toEqual([]);
  });
});

describe('parseWwwAuthenticate', () => {
  it.each([
    [
      'Docker Hub',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } }],
    ],
    [
      'comma inside a quoted scope, spaces around separators',
      'Bearer realm="https://ghcr.io/token" , service = "ghcr.io", scope="repository:org/app:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:org/app:pull,push' } }],
    ],
    ['escaped quote, unquoted token value, case-insensitive names', 'BEARER Realm="a\\"b",Error=insufficient_scope', [{ scheme: 'bearer', params: { realm: 'a"b', error: 'insufficient_scope' } }]],
    ['basic', 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'two challenges in one header',
      'Basic realm="r1", Bearer realm="https://t/token",service="s"',
      [
        { scheme: 'basic', params: { realm: 'r1' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
      ],
    ],
    ['empty', '', []],
    ['unterminated quote keeps what is there', 'Bearer realm="https://x', [{ scheme: 'bearer', params: { realm: 'https://x' } }]],
  ])('%s', (_name, header, challenges) => expect(parseWwwAuthenticate(header)).toEqual(challenges));
});

describe('imagesOf (manifest workloads)', () => {
  const manifest = `apiVersion: v1
kind: Pod
metadata: { name: debug, namespace: observability }
spec:
  containers: [{ name: sh, image: busybox:1.36 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: loki, namespace: observability }
spec:
  template:
    spec:
      initContainers: [{ name: init, image: busybox:1.36 }]
      containers: [{ name: loki, image: grafana/loki:3.4.0 }]
---
apiVersion: batch/v1
kind: Job
metadata: { name: migrate }
spec:
  template:
    spec:
      containers: [{ name: m, image: "ghcr.io/org/migrate@${DIGEST}" }]
---
apiVersion: v1
kind: Service
metadata: { name: loki }
spec: { ports: [{ port: 3100 }] }
`;
  it('collects distinct images of every container and initContainer, with their users', () => {
    const objects = parseYaml(manifest, 'x.k8s.yaml').map((source) => ({ source, object: source.toJS() as Record<string, unknown> }));
    expect(imagesOf(objects)).toEqual([
      { image: 'busybox:1.36', usedBy: ['Pod observability/debug (sh)', 'StatefulSet observability/loki (init)'] },
      { image: 'grafana/loki:3.4.0', usedBy: ['StatefulSet observability/loki (loki)'] },
      { image: `ghcr.io/org/migrate@${DIGEST}`, usedBy: ['Job migrate (m)'] },
    ]);
  });

  it('reports a container without image at its location', () => {
    const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: grafana }\nspec:\n  template:\n    spec:\n      containers:\n        - name: grafana\n';
    const objects = parseYaml(text, 'g.k8s.yaml').map((source) => ({ source, object: source.toJS() as Record<string, unknown> }));
    expect(() => imagesOf(objects)).toThrow(InputError);
    expect(() => imagesOf(objects)).toThrow('g.k8s.yaml:8:11 spec.template.spec.containers[0].image: Deployment grafana: container has no image');
  });
});

describe('dockerConfigCredentials', () => {
  it('reads auth (base64) and username/password entries, mapping Docker Hub to its legacy key; no file → anonymous', () => {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-docker-'));
    try {
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({
          auths: {
            'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:pa:ss').toString('base64') },
            'ghcr.io': { username: 'gh', password: 'tok' },
          },
          credsStore: 'desktop',
        }),
      );
      const lookup = dockerConfigCredentials({ DOCKER_CONFIG: dir });
      expect(lookup('docker.io')).toEqual({ username: 'hubuser', password: 'pa:ss' });
      expect(lookup('ghcr.io')).toEqual({ username: 'gh', password: 'tok' });
      expect(lookup('quay.io')).toBeUndefined();
      expect(dockerConfigCredentials({ DOCKER_CONFIG: join(dir, 'absent') })('docker.io')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
