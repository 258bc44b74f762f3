import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGES } from '../src/model/images.ts';
import { formatImageLock } from '../src/config/images.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { InputError } from '../src/errors.ts';
import { expectLocatedIn } from './support/bad-config.ts';

// Each bad override or image-supply input of issue 13 is refused with a located message
// (file:line:col, key path, what is wrong and what fixes it); one runs through the CLI for exit 2.

const dir = mkdtempSync(join(tmpdir(), 'o11y-overrides-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `hub` (backend, grafana) and `edge` (no roles: kube-state-metrics, scraper, gateway, agents); `extra` is appended. */
const BASE = `architectures: [amd64, arm64]
clusters:
  - name: hub
    cloud: aws
    region: eu-west-1
    roles: [backend, grafana]
    otlpEndpoint: otlp.hub.example.com:4317
  - name: edge
    cloud: aws
    region: eu-central-1
`;

interface Case {
  readonly name: string;
  readonly extra: string;
  /** `line:col key.path` the problem must point at. */
  readonly at: string;
  readonly message: RegExp;
  /** images.lock.yaml beside the config. */
  readonly lock?: string;
}

const CASES: Case[] = [
  {
    name: 'an override of a component the cluster does not run',
    extra: '    components:\n      prometheus: { podLabels: { team: a } }\n',
    at: '12:19 clusters[1].components.prometheus',
    message: /cluster "edge" does not run prometheus \(it runs in: hub\); remove these overrides/,
  },
  {
    name: 'an override of a component no cluster runs',
    extra: 'components:\n  collector:\n    agent: { enabled: false, podLabels: { team: a } }\n',
    at: '13:41 components.collector.agent.podLabels',
    message: /no cluster runs otelAgent \(node agents are off: components.collector.agent is false\)/,
  },
  {
    name: 'an affinity that excludes every configured architecture',
    extra: 'components:\n  grafana:\n    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: kubernetes.io/arch, operator: NotIn, values: [amd64, arm64] }] }] } } }\n',
    at: '13:124 components.grafana.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]',
    message: /kubernetes.io\/arch NotIn \[amd64, arm64\] contradicts architectures \[amd64, arm64\]: it allows none of them/,
  },
  {
    name: 'an affinity that requires an architecture not configured',
    extra: 'components:\n  loki:\n    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: kubernetes.io/arch, operator: In, values: [s390x] }] }] } } }\n',
    at: '13:124 components.loki.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]',
    message: /kubernetes.io\/arch In \[s390x\] contradicts architectures \[amd64, arm64\]: it requires s390x, not configured/,
  },
  {
    name: 'an affinity that drops one configured architecture',
    extra: 'components:\n  tempo:\n    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: kubernetes.io/arch, operator: NotIn, values: [arm64] }] }] } } }\n',
    at: '13:124 components.tempo.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]',
    message: /contradicts architectures \[amd64, arm64\]: it excludes arm64/,
  },
  {
    name: 'a node selector on an architecture not configured',
    extra: '    components:\n      collector:\n        gateway: { nodeSelector: { kubernetes.io/arch: s390x } }\n',
    at: '13:56 clusters[1].components.collector.gateway.nodeSelector.kubernetes.io/arch',
    message: /kubernetes.io\/arch: s390x contradicts architectures \[amd64, arm64\]/,
  },
  {
    name: 'a memory request above the size preset\'s limit',
    extra: 'components:\n  prometheus:\n    resources: { requests: { memory: 8Gi } }\n',
    at: '13:38 components.prometheus.resources.requests.memory',
    message: /memory limit 4Gi is below the request 8Gi \(prometheus in cluster "hub", size medium\)/,
  },
  {
    name: 'a CPU limit below its request, in one cluster',
    extra: '    components:\n      kubeStateMetrics: { resources: { requests: { cpu: 2 }, limits: { cpu: 500m } } }\n',
    at: '12:77 clusters[1].components.kubeStateMetrics.resources.limits.cpu',
    message: /cpu limit 500m is below the request 2 \(kubeStateMetrics in cluster "edge"/,
  },
  {
    name: 'a collector memory limit too small for its queues',
    extra: 'components:\n  collector:\n    gateway: { resources: { requests: { memory: 128Mi }, limits: { memory: 256Mi } } }\n',
    at: '13:76 components.collector.gateway.resources.limits.memory',
    message: /otelGateway needs a memory limit of at least 512Mi/,
  },
  {
    name: 'a literal value for a credential-like env var',
    extra: 'components:\n  grafana:\n    extraEnv: [{ name: GF_DATABASE_PASSWORD, value: hunter2 }]\n',
    at: '13:53 components.grafana.extraEnv[0].value',
    message: /GF_DATABASE_PASSWORD looks like a credential: take it from a Secret with valueFrom.secretKeyRef/,
  },
  {
    name: 'an env var from something other than a Secret key',
    extra: 'components:\n  grafana:\n    extraEnv: [{ name: NODE, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }]\n',
    at: '13:43 components.grafana.extraEnv[0].valueFrom.fieldRef',
    message: /unknown key "fieldRef"; allowed keys: secretKeyRef/,
  },
  {
    name: 'a pod label that would move the pod out of its selector',
    extra: 'components:\n  alertmanager:\n    podLabels: { app.kubernetes.io/name: mine }\n',
    at: '13:42 components.alertmanager.podLabels.app.kubernetes.io/name',
    message: /app.kubernetes.io\/\* labels are the stack's own/,
  },
  {
    name: 'a pull secret that is not a DNS name',
    extra: 'images:\n  pullSecrets: [Harbor_Pull]\n',
    at: '12:17 images.pullSecrets[0]',
    message: /"Harbor_Pull" is not allowed; expected a Kubernetes object name/,
  },
  {
    name: 'a cluster\'s pull secret that is not a DNS name',
    extra: '    images: { pullSecrets: [-bad] }\n',
    at: '11:29 clusters[1].images.pullSecrets[0]',
    message: /"-bad" is not allowed; expected a Kubernetes object name/,
  },
  {
    name: 'digests without a lock file',
    extra: 'images:\n  digests: true\n',
    at: '12:12 images.digests',
    message: /digests need .*images.lock.yaml, which does not exist; run `o11y images lock --config .*` and commit images.lock.yaml/,
  },
  {
    name: 'digests, in one cluster, with a lock file that lacks an image',
    extra: '    images: { digests: true }\n',
    lock: formatImageLock(Object.fromEntries(Object.values(IMAGES).filter((i) => i !== IMAGES.grafana).map((i) => [i, `sha256:${'a'.repeat(64)}`]))),
    at: '11:24 clusters[1].images.digests',
    message: new RegExp(`has no index digest for ${IMAGES.grafana.replace(/[.]/g, '\\.')}; run \`o11y images lock`),
  },
];

function problemsOf(name: string, text: string, lock?: string): string[] {
  const folder = join(dir, name.replace(/\W+/g, '-'));
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'o11y.yaml');
  writeFileSync(file, text);
  if (lock) writeFileSync(join(folder, 'images.lock.yaml'), lock);
  try {
    loadConfigFile(file);
  } catch (e) {
    if (e instanceof InputError) return e.message.split('\n').map((l) => l.replace(`${file}:`, 'o11y.yaml:'));
    throw e;
  }
  return [];
}

describe('bad overrides and image supply', () => {
  it('the base is valid, and so is every case\'s key once fixed (digests with a complete lock file)', () => {
    expect(problemsOf('base', BASE)).toEqual([]);
    const full = formatImageLock(Object.fromEntries(Object.values(IMAGES).map((i) => [i, `sha256:${'b'.repeat(64)}`])));
    expect(problemsOf('complete-lock', `${BASE}images:\n  digests: true\n`, full)).toEqual([]);
  });

  it.each(CASES)('$name: located error', ({ name, extra, at, message, lock }) => {
    expectLocatedIn(problemsOf(name, BASE + extra, lock), 'o11y.yaml', at, message);
  });
});

describe('o11y synth on a bad override', () => {
  const bin = fileURLToPath(new URL('../bin/o11y.js', import.meta.url));

  it('exits 2 with the located problem and leaves the output folder as it was', () => {
    const file = join(dir, 'cli.yaml');
    const out = join(dir, 'dist');
    mkdirSync(join(out, 'hub'), { recursive: true });
    writeFileSync(join(out, 'hub', 'previous.k8s.yaml'), 'kind: Previous\n');
    writeFileSync(file, `${BASE}components:\n  prometheus:\n    resources: { requests: { memory: 8Gi } }\n`);
    const run = spawnSync(process.execPath, [bin, 'synth', '--config', file, '--out', out], { encoding: 'utf8', timeout: 60_000 });
    expect(run.error).toBeUndefined();
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${file}:13:38 components.prometheus.resources.requests.memory: memory limit 4Gi is below the request 8Gi`);
    expect(readdirSync(out)).toEqual(['hub']);
    expect(readdirSync(join(out, 'hub'))).toEqual(['previous.k8s.yaml']);
  });
});
