import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BackendsChart } from '../charts/backends.ts';
import { NamespacesChart } from '../charts/namespaces.ts';
import { stackContext } from '../constructs/common.ts';
import { LOKI_HTTP_PORT } from '../constructs/loki.ts';
import { gatewayConfig, gatewaySettings } from '../constructs/otel-gateway.ts';
import { platformProfile } from '../src/model/platforms/index.ts';
import { PROMETHEUS_PORT } from '../constructs/prometheus.ts';
import { TEMPO_OTLP_GRPC_PORT } from '../constructs/tempo.ts';
import { parseConfig } from '../src/config/load.ts';
import { CLOUDS, type Cloud, type IdentityConfig, type ObjectStorageConfig, type ObjectStorageType } from '../src/model/types.ts';
import { podTemplates, type K8sObject } from './support/manifest-checks.ts';

// Per-cloud properties over every cloud × object storage type it allows × identity choice:
// Tempo's and Loki's storage keys match the backend type, workload identity lands on the
// ServiceAccounts the storage readers run as (and nowhere else), and the gateway's resource
// detectors fit the cloud.

/** A valid object storage section per type (on-prem S3 is MinIO: an endpoint and access keys). */
function storageFor(cloud: Cloud, type: ObjectStorageType): ObjectStorageConfig {
  switch (type) {
    case 'filesystem':
      return { type };
    case 's3':
      return cloud === 'onprem'
        ? { type, traces: 'tr-bucket', logs: 'lg-bucket', endpoint: 'minio.storage:9000', insecure: true, credentialsSecret: 'minio-keys' }
        : { type, traces: 'tr-bucket', logs: 'lg-bucket' };
    case 'oss':
      return { type, traces: 'tr-bucket', logs: 'lg-bucket', credentialsSecret: 'oss-keys' };
    case 'azure':
      return { type, storageAccount: 'acct01', traces: 'tr-bucket', logs: 'lg-bucket' };
    case 'gcs':
      return { type, traces: 'tr-bucket', logs: 'lg-bucket' };
  }
}

/** Each identity choice a cloud offers, plus none. */
const IDENTITIES: Record<Cloud, IdentityConfig[]> = {
  aws: [{}, { awsRoleArn: 'arn:aws:iam::123456789012:role/o11y' }, { awsPodIdentity: true }],
  alibaba: [{}, { alibabaRamRole: 'o11y-role' }],
  azure: [{}, { azureClientId: '0b6f3c1e-2a4d-4c8e-9f10-1a2b3c4d5e6f' }],
  gcp: [{}, { gcpServiceAccount: 'o11y-sa@proj-1.iam.gserviceaccount.com' }],
  onprem: [{}],
};

/** What each identity key must put on the ServiceAccount (awsPodIdentity: nothing, the association lives in EKS). */
const IDENTITY_ANNOTATION: Record<keyof IdentityConfig, string | undefined> = {
  awsRoleArn: 'eks.amazonaws.com/role-arn',
  awsPodIdentity: undefined,
  azureClientId: 'azure.workload.identity/client-id',
  gcpServiceAccount: 'iam.gke.io/gcp-service-account',
  alibabaRamRole: 'pod-identity.alibabacloud.com/role-name',
};

/** Tempo `storage.trace.backend` and Loki store name per type, with the key naming the bucket in each block. */
const EXPECTED_STORAGE: Record<ObjectStorageType, { tempo: string; tempoBucketKey?: string; loki: string; lokiBucketKey?: string }> = {
  filesystem: { tempo: 'local', loki: 'filesystem' },
  s3: { tempo: 's3', tempoBucketKey: 'bucket', loki: 's3', lokiBucketKey: 'bucketnames' },
  oss: { tempo: 's3', tempoBucketKey: 'bucket', loki: 'alibabacloud', lokiBucketKey: 'bucket' },
  azure: { tempo: 'azure', tempoBucketKey: 'container_name', loki: 'azure', lokiBucketKey: 'container_name' },
  gcs: { tempo: 'gcs', tempoBucketKey: 'bucket_name', loki: 'gcs', lokiBucketKey: 'bucket_name' },
};

function configText(cloud: Cloud, storage: ObjectStorageConfig, identity: IdentityConfig): string {
  const cluster = { name: 'c1', cloud, region: 'r1', ...(cloud === 'onprem' ? { storageClass: 'local-path' } : {}), identity, objectStorage: storage };
  return JSON.stringify({ clusters: [cluster] });
}

const CASES = CLOUDS.flatMap((cloud) =>
  platformProfile(cloud).objectStorageTypes.flatMap((type) =>
    IDENTITIES[cloud].map((identity) => [`${cloud} ${type} ${JSON.stringify(identity)}`, cloud, storageFor(cloud, type), identity] as const),
  ),
);

describe.each(CASES)('%s', (_, cloud, storage, identity) => {
  const config = parseConfig(configText(cloud, storage, identity), 'case.yaml');
  const ctx = stackContext(config);
  const app = new App();
  const objs = [new NamespacesChart(app, 'ns', ctx), new BackendsChart(app, 'backends', ctx)].flatMap((c) => c.toJson() as K8sObject[]);
  const fileOf = (cm: string, key: string) => parseYaml(objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cm)!.data![key as never] as string);
  const tempo = fileOf('tempo-config', 'tempo.yaml') as { storage: { trace: Record<string, Record<string, unknown> | string> } };
  const loki = fileOf('loki-config', 'loki.yaml') as {
    common: { storage: Record<string, Record<string, unknown>> };
    schema_config: { configs: { object_store: string }[] };
    compactor: { delete_request_store: string };
  };
  const expected = EXPECTED_STORAGE[storage.type];
  const federated = identity.azureClientId !== undefined;

  it("Tempo's storage.trace.backend and its block match the type", () => {
    const trace = tempo.storage.trace;
    expect(trace.backend).toBe(expected.tempo);
    const block = trace[expected.tempo] as Record<string, unknown>;
    expect(block, `storage.trace.${expected.tempo}`).toBeDefined();
    // No block of another backend type lingers beside it.
    expect(Object.keys(trace).filter((k) => ['local', 's3', 'gcs', 'azure'].includes(k))).toEqual([expected.tempo]);
    if (expected.tempoBucketKey) expect(block[expected.tempoBucketKey]).toBe(storage.traces);
    if (storage.type === 'oss') expect(block).toMatchObject({ forcepathstyle: false, bucket_lookup_type: 1, endpoint: expect.stringMatching(/^oss-.+\.aliyuncs\.com$/) });
    if (storage.type === 's3' && storage.endpoint) expect(block).toMatchObject({ endpoint: storage.endpoint, forcepathstyle: true, insecure: true });
    if (storage.type === 'azure') expect(block).toMatchObject({ storage_account_name: storage.storageAccount, use_federated_token: federated });
  });

  it("Loki's common.storage, schema_config object_store and compactor all name the type", () => {
    expect(Object.keys(loki.common.storage)).toEqual([expected.loki]);
    const block = loki.common.storage[expected.loki]!;
    if (expected.lokiBucketKey) expect(block[expected.lokiBucketKey]).toBe(storage.logs);
    expect(new Set(loki.schema_config.configs.map((c) => c.object_store))).toEqual(new Set([expected.loki]));
    expect(loki.compactor.delete_request_store).toBe(expected.loki);
    if (storage.type === 'azure') expect(block).toMatchObject({ account_name: storage.storageAccount, use_federated_token: federated });
  });

  it('reads access keys from the referenced Secret, never from the config files', () => {
    const readers = podTemplates(objs).filter((t) => ['tempo', 'loki'].includes(t.owner.metadata.name));
    expect(readers.map((t) => t.owner.metadata.name).sort()).toEqual(['loki', 'tempo']);
    for (const t of readers) {
      const secretRefs = t.spec.containers!.flatMap((c) => c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []));
      expect(new Set(secretRefs), t.owner.metadata.name).toEqual(new Set(storage.credentialsSecret ? [storage.credentialsSecret] : []));
    }
    // Loki expands ${VAR} references only when asked to.
    const lokiText = JSON.stringify(loki);
    const lokiArgs = podTemplates(objs).find((t) => t.owner.metadata.name === 'loki')!.spec.containers![0]!.args ?? [];
    expect(lokiArgs.includes('-config.expand-env=true')).toBe(lokiText.includes('${'));
  });

  it('puts workload identity on the ServiceAccounts Tempo and Loki run as, and on nothing else', () => {
    const annotationKey = Object.keys(identity).map((k) => IDENTITY_ANNOTATION[k as keyof IdentityConfig]).find(Boolean);
    const value = Object.values(identity)[0];
    const annotated = objs
      .filter((o) => o.kind === 'ServiceAccount' && Object.keys(o.metadata.annotations ?? {}).some((a) => Object.values(IDENTITY_ANNOTATION).includes(a)))
      .map((o) => o.metadata.name)
      .sort();
    expect(annotated).toEqual(annotationKey ? ['loki', 'tempo'] : []);
    for (const t of podTemplates(objs).filter((p) => ['tempo', 'loki'].includes(p.owner.metadata.name))) {
      const sa = objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === t.spec.serviceAccountName && o.metadata.namespace === t.namespace);
      expect(sa, `${t.owner.metadata.name} runs as ${t.spec.serviceAccountName}`).toBeDefined();
      if (annotationKey) expect(sa!.metadata.annotations?.[annotationKey]).toBe(value);
      // Azure Workload Identity injects the token only into pods labelled for it.
      expect(t.labels['azure.workload.identity/use']).toBe(federated ? 'true' : undefined);
    }
    // ACK RRSA: the webhook acts on namespaces labelled for injection.
    const stackNamespace = objs.find((o) => o.kind === 'Namespace' && o.metadata.name === config.namespace)!;
    expect(stackNamespace.metadata.labels?.['pod-identity.alibabacloud.com/injection']).toBe(identity.alibabaRamRole ? 'on' : undefined);
  });
});

/** Detectors that only make sense on one cloud. */
const CLOUD_DETECTORS: Record<Exclude<Cloud, 'onprem'>, string[]> = {
  aws: ['eks', 'ec2'],
  azure: ['aks', 'azure'],
  gcp: ['gcp'],
  alibaba: ['alibaba_ecs'],
};

describe.each(CLOUDS)('gateway resource detection on %s', (cloud) => {
  const config = parseConfig(configText(cloud, { type: 'filesystem' }, {}), 'case.yaml');
  const gateway = gatewayConfig(stackContext(config), {
    ...gatewaySettings(config),
    namespace: config.namespace,
    agentNamespace: config.agentNamespace,
    tempo: { service: 'tempo', port: TEMPO_OTLP_GRPC_PORT },
    loki: { service: 'loki', port: LOKI_HTTP_PORT },
    prometheus: { service: 'prometheus', port: PROMETHEUS_PORT },
  }) as {
    processors: { resource_detection: { detectors: string[] }; 'resource/cluster': { attributes: { key: string; value: string; action: string }[] } };
    service: { pipelines: Record<string, { processors: string[] }> };
  };
  const detectors = gateway.processors.resource_detection.detectors;
  const inserted = Object.fromEntries(gateway.processors['resource/cluster'].attributes.map((a) => [a.key, a.value]));

  it('uses its own cloud detectors and no other cloud’s, env first', () => {
    expect(detectors[0]).toBe('env');
    for (const [other, own] of Object.entries(CLOUD_DETECTORS)) {
      if (other === cloud) expect(detectors).toEqual(expect.arrayContaining(own));
      else for (const d of own) expect(detectors, `${d} on ${cloud}`).not.toContain(d);
    }
    if (cloud === 'onprem') expect(detectors).toEqual(['env']);
    // The more specific detector first: the first to set an attribute wins.
    if (cloud === 'aws') expect(detectors.indexOf('eks')).toBeLessThan(detectors.indexOf('ec2'));
    if (cloud === 'azure') expect(detectors.indexOf('aks')).toBeLessThan(detectors.indexOf('azure'));
  });

  // Routing by cloud.provider must not depend on instance metadata, which strict egress (and many
  // clusters' own rules) block: what synth knows is set first, detectors only fill gaps.
  it('sets cloud.provider, cloud.platform, cloud.region and k8s.cluster.name statically, before any detector', () => {
    const expected: Record<string, [string, string] | undefined> = {
      aws: ['aws', 'aws_eks'],
      azure: ['azure', 'azure.aks'],
      gcp: ['gcp', 'gcp_kubernetes_engine'],
      alibaba: ['alibaba_cloud', 'alibaba_cloud_ack'],
      onprem: undefined,
    };
    expect(inserted['cloud.provider']).toBe(expected[cloud]?.[0]);
    expect(inserted['cloud.platform']).toBe(expected[cloud]?.[1]);
    expect(inserted['k8s.cluster.name']).toBe('c1');
    expect(inserted['cloud.region']).toBe(config.clusters[0]!.region);
    expect(gateway.processors['resource/cluster'].attributes.every((a) => a.action === 'insert')).toBe(true);
    expect(gateway.processors.resource_detection).toMatchObject({ override: false });
    for (const pipeline of Object.values(gateway.service.pipelines).filter((p) => p.processors.includes('resource_detection'))) {
      expect(pipeline.processors.indexOf('resource/cluster')).toBeLessThan(pipeline.processors.indexOf('resource_detection'));
    }
  });
});
