import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectLocatedProblem, problemsOf, synthRefuses } from './support/bad-config.ts';

// Each bad multi-cloud input of issue 5 is refused with a located message: file:line:col, the key
// path, and what is wrong or allowed. One case runs through the CLI for the exit code.

/** A valid two-cloud base: aws backend + grafana, gcp backend; `extra` lines are appended to clusters or the document. */
const BASE_CLUSTERS = `clusters:
  - name: hub
    cloud: aws
    region: eu-west-1
    roles: [backend, grafana]
    otlpEndpoint: otlp.hub.example.com:4317
  - name: edge
    cloud: gcp
    region: europe-west4
    roles: [backend]
    otlpEndpoint: otlp.edge.example.com:4317
    query: { prometheus: "https://p.edge.example.com", loki: "https://l.edge.example.com", tempo: "https://t.edge.example.com" }
`;

interface Case {
  readonly name: string;
  readonly text: string;
  /** `line:col key.path` the first problem must point at. */
  readonly at: string;
  readonly message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'an unknown cloud',
    text: `${BASE_CLUSTERS}  - name: moon-1\n    cloud: moon\n    region: sea-1\n`,
    at: '14:12 clusters[2].cloud',
    message: /"moon" is not one of aws, alibaba, azure, gcp, onprem/,
  },
  {
    name: 'object storage without the fields its type needs',
    text: BASE_CLUSTERS.replace('    roles: [backend]\n', '    roles: [backend]\n    objectStorage: { type: gcs, traces: tr-bucket }\n'),
    at: '11:20 clusters[1].objectStorage',
    message: /type gcs needs logs/,
  },
  {
    name: 'OSS without its AccessKey Secret',
    text: `${BASE_CLUSTERS}  - name: ack\n    cloud: alibaba\n    region: cn-hangzhou\n    roles: [backend]\n    otlpEndpoint: otlp.ack.example.com:4317\n    query: { prometheus: "https://p.a.example.com", loki: "https://l.a.example.com", tempo: "https://t.a.example.com" }\n    objectStorage: { type: oss, traces: tr-bucket, logs: lg-bucket }\n`,
    at: '19:20 clusters[2].objectStorage',
    message: /type oss needs credentialsSecret/,
  },
  {
    name: 'an object storage type the cloud does not offer',
    text: BASE_CLUSTERS.replace('    roles: [backend]\n', '    roles: [backend]\n    objectStorage: { type: s3, traces: tr-bucket, logs: lg-bucket }\n'),
    at: '11:28 clusters[1].objectStorage.type',
    message: /"s3" is not available on gcp; allowed: gcs, filesystem/,
  },
  {
    name: 'an on-prem cluster without a StorageClass',
    text: `${BASE_CLUSTERS}  - name: dc1\n    cloud: onprem\n    region: dc1\nbackends:\n  onprem:\n    remote: { otlpEndpoint: otlp.dc1.example.com:4317 }\n`,
    at: '13:5 clusters[2]',
    message: /on-prem cluster "dc1" needs storageClass/,
  },
  {
    name: 'a route to a cloud that has no backend',
    text: `${BASE_CLUSTERS}routing:\n  routes:\n    - { tenant: payments, cloud: azure }\n`,
    at: '15:34 routing.routes[0].cloud',
    message: /cloud azure has no backend; clouds with backends: aws, gcp/,
  },
  {
    name: 'a default route to a cloud that has no backend',
    text: `${BASE_CLUSTERS}routing:\n  default: onprem\n`,
    at: '14:12 routing.default',
    message: /cloud onprem has no backend/,
  },
  {
    name: 'a cluster whose cloud has no backend',
    text: `${BASE_CLUSTERS}  - name: aks\n    cloud: azure\n    region: westeurope\n`,
    at: '14:12 clusters[2].cloud',
    message: /cloud azure has no backend: give one of its clusters role backend, or set backends.azure.remote/,
  },
  {
    name: 'duplicate cluster names',
    text: BASE_CLUSTERS.replace('name: edge', 'name: hub'),
    at: '7:11 clusters[1].name',
    message: /duplicate cluster name "hub" \(first used by clusters\[0\]\)/,
  },
  {
    name: 'a backend cluster for a cloud that also has a remote backend',
    text: `${BASE_CLUSTERS}backends:\n  gcp:\n    remote: { otlpEndpoint: otlp.gcp.example.com:4317 }\n`,
    at: '10:12 clusters[1].roles',
    message: /role backend conflicts with backends.gcp.remote/,
  },
  {
    name: 'two backend clusters for one cloud',
    text: BASE_CLUSTERS.replace('cloud: gcp', 'cloud: aws'),
    at: '10:12 clusters[1].roles',
    message: /role backend conflicts with clusters\[0\] \("hub"\), already the backend of aws/,
  },
  {
    name: 'two Grafana clusters',
    text: BASE_CLUSTERS.replace('roles: [backend]\n', 'roles: [backend, grafana]\n'),
    at: '10:12 clusters[1].roles',
    message: /role grafana conflicts with clusters\[0\]: exactly one cluster holds the global Grafana/,
  },
  {
    name: 'no Grafana cluster',
    text: BASE_CLUSTERS.replace('roles: [backend, grafana]', 'roles: [backend]').replace('    otlpEndpoint: otlp.hub.example.com:4317\n', '    otlpEndpoint: otlp.hub.example.com:4317\n    query: { prometheus: "https://p.hub.example.com", loki: "https://l.hub.example.com", tempo: "https://t.hub.example.com" }\n'),
    at: '2:3 clusters',
    message: /no cluster has role grafana/,
  },
  {
    name: 'identity keys of another cloud',
    text: BASE_CLUSTERS.replace('    roles: [backend]\n', '    roles: [backend]\n    identity: { awsRoleArn: "arn:aws:iam::123456789012:role/x" }\n'),
    at: '11:29 clusters[1].identity.awsRoleArn',
    message: /does not apply to cloud gcp; allowed: gcpServiceAccount/,
  },
];

describe('bad multi-cloud input', () => {
  it('the base is valid', () => {
    expect(problemsOf(BASE_CLUSTERS)).toEqual([]);
  });

  it.each(CASES)('$name: located error', ({ text, at, message }) => expectLocatedProblem(text, at, message));
});

describe('o11y synth on bad multi-cloud input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-mc-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2, prints every located problem, writes nothing', () => {
    const file = join(dir, 'o11y.yaml');
    const out = join(dir, 'dist');
    const twoProblems = CASES.find((c) => c.name === 'two Grafana clusters')!.text.replace('name: edge', 'name: hub');
    writeFileSync(file, twoProblems);
    const stderr = synthRefuses(file, out);
    expect(stderr).toContain(`${file}:7:11 clusters[1].name: duplicate cluster name "hub"`);
    expect(stderr).toContain(`${file}:10:12 clusters[1].roles: role grafana conflicts with clusters[0]`);
    expect(existsSync(out)).toBe(false);
  });
});
