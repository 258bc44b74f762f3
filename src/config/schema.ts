import { ARCH_SPREADS, ARCHITECTURES, CLOUDS, CLUSTER_ROLES, CROSS_CLUSTER_AUTH, DEFAULT_RUNBOOK_URL, EGRESS_MODES, GITOPS_MODES, KUBERNETES_RULE_GROUPS, OBJECT_STORAGE_TYPES, REMOTE_WRITE_KINDS, RULE_FORMATS } from './types.ts';

/**
 * JSON Schema of `o11y.yaml`. Every object is closed (`additionalProperties: false`) so that a typo
 * is an error, and `allowed` tells the user what a pattern accepts in words.
 */

const dnsLabel = {
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
  allowed: 'a DNS label: lowercase letters, digits and "-", at most 63 characters, starting and ending alphanumeric',
};
const dnsSubdomain = {
  type: 'string',
  maxLength: 253,
  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
  allowed: 'a Kubernetes object name: lowercase letters, digits, "-" and ".", starting and ending alphanumeric',
};
const duration = {
  type: 'string',
  pattern: '^([0-9]+(ms|s|m|h|d|w|y))+$',
  allowed: 'a Prometheus duration such as 30s, 15d or 1h30m (units ms, s, m, h, d, w, y)',
};
const quantity = {
  type: 'string',
  pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi)$',
  allowed: 'a storage size in binary units, such as 512Mi, 50Gi or 1Ti',
};
const replicas = { type: 'integer', minimum: 1, maximum: 100 };
const hostPort = {
  type: 'string',
  pattern: '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}$',
  allowed: 'host:port, such as otlp.eu.example.com:4317',
};
/** A dotted IPv4 address, each octet 0–255. */
const IPV4 = '((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])';
const ipv4Cidr = { type: 'string', pattern: `^${IPV4}/([0-9]|[12][0-9]|3[0-2])$`, allowed: 'an IPv4 CIDR such as 10.0.0.0/16' };
const ipv4 = { type: 'string', pattern: `^${IPV4}$`, allowed: 'an IPv4 address such as 169.254.20.10' };
const httpUrl = { type: 'string', pattern: '^https?://\\S+$', allowed: 'an http:// or https:// URL' };
const queryEndpoints = {
  type: 'object',
  additionalProperties: false,
  required: ['prometheus', 'loki', 'tempo'],
  properties: { prometheus: httpUrl, loki: httpUrl, tempo: httpUrl },
};
const bucketName = { type: 'string', minLength: 3, maxLength: 63, pattern: '^[a-z0-9][-a-z0-9.]*[a-z0-9]$', allowed: 'a bucket or container name: lowercase letters, digits, "-" and "."' };

function closed(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', additionalProperties: false, properties, default: {}, ...extra };
}

export const configSchema = closed(
  {
    name: { ...dnsLabel, default: 'o11y' },
    namespace: { ...dnsLabel, default: 'observability' },
    agentNamespace: dnsLabel,
    architectures: {
      type: 'array',
      items: { enum: [...ARCHITECTURES] },
      minItems: 1,
      uniqueItems: true,
      default: [...ARCHITECTURES],
    },
    spreadAcrossArchitectures: { enum: [...ARCH_SPREADS], default: 'preferred' },
    clusters: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'cloud', 'region'],
        properties: {
          name: dnsLabel,
          cloud: { enum: [...CLOUDS] },
          region: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9][-A-Za-z0-9_.]*$', allowed: 'a region name such as eu-west-1 or dc1' },
          storageClass: dnsSubdomain,
          roles: { type: 'array', items: { enum: [...CLUSTER_ROLES] }, uniqueItems: true },
          otlpEndpoint: hostPort,
          query: queryEndpoints,
          identity: {
            type: 'object',
            additionalProperties: false,
            properties: {
              awsRoleArn: { type: 'string', pattern: '^arn:aws[-a-z]*:iam::[0-9]{12}:role/\\S+$', allowed: 'an IAM role ARN such as arn:aws:iam::123456789012:role/o11y' },
              awsPodIdentity: { type: 'boolean' },
              azureClientId: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', allowed: 'a client id (UUID)' },
              gcpServiceAccount: { type: 'string', pattern: '^[a-z][-a-z0-9]{4,28}[a-z0-9]@[-a-z0-9]+\\.iam\\.gserviceaccount\\.com$', allowed: 'a Google service account e-mail such as o11y@my-project.iam.gserviceaccount.com' },
              alibabaRamRole: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9.-]+$', allowed: 'a RAM role name' },
            },
          },
          objectStorage: {
            type: 'object',
            additionalProperties: false,
            required: ['type'],
            properties: {
              type: { enum: [...OBJECT_STORAGE_TYPES] },
              traces: bucketName,
              logs: bucketName,
              endpoint: { type: 'string', pattern: '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?$', allowed: 'a host or host:port without scheme, such as minio.storage:9000' },
              storageAccount: { type: 'string', pattern: '^[a-z0-9]{3,24}$', allowed: 'an Azure storage account name: 3-24 lowercase letters and digits' },
              credentialsSecret: dnsSubdomain,
              insecure: { type: 'boolean' },
            },
          },
        },
      },
    },
    components: closed({
      prometheus: closed({
        // As long as the longest SLO period (30d): synth refuses SLOs whose period the retention cannot cover.
        retention: { ...duration, default: '30d' },
        storage: { ...quantity, default: '50Gi' },
        // Two replicas behind one Service would split pushed data (OTLP, remote write) between them.
        replicas: { type: 'integer', minimum: 1, maximum: 1, default: 1, allowed: '1: Prometheus high availability is not supported yet (replicas behind one Service would each get part of the pushed data)' },
        scrapeInterval: { ...duration, default: '30s' },
        ruleFormat: { enum: [...RULE_FORMATS], default: 'configmap' },
        remoteWrite: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['url', 'kind'],
            properties: { url: httpUrl, kind: { enum: [...REMOTE_WRITE_KINDS] }, bearerTokenSecret: dnsSubdomain, basicAuthSecret: dnsSubdomain },
          },
        },
      }),
      alertmanager: closed({
        replicas: { ...replicas, default: 1 },
        receiversSecret: { ...dnsSubdomain, default: 'alertmanager-receivers' },
        watchdogReceiver: { type: 'boolean', default: false },
      }),
      collector: closed({
        agent: { type: 'boolean', default: true },
        agentTolerations: {
          type: 'array',
          default: [{ operator: 'Exists' }],
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              key: { type: 'string', minLength: 1 },
              operator: { enum: ['Exists', 'Equal'] },
              value: { type: 'string' },
              effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
              tolerationSeconds: { type: 'integer', minimum: 0 },
            },
          },
        },
        gateway: closed({ replicas: { ...replicas, default: 2 } }),
      }),
      tempo: closed({
        retention: { ...duration, default: '336h' },
        storage: { ...quantity, default: '20Gi' },
      }),
      loki: closed({
        retention: { ...duration, default: '744h' },
        storage: { ...quantity, default: '20Gi' },
      }),
      grafana: closed({
        adminSecret: { ...dnsSubdomain, default: 'grafana-admin' },
      }),
    }),
    slos: {
      type: 'array',
      default: [],
      items: {
        // A file or glob for every backend, or files evaluated only where their services' telemetry lands.
        // if/then/else rather than anyOf, so a bad entry is explained by the branch it was meant for.
        if: { type: 'string' },
        then: { type: 'string', minLength: 1 },
        else: {
          type: 'object',
          additionalProperties: false,
          required: ['files'],
          minProperties: 2,
          allowed: 'an entry with `files` also names `clouds` and/or `clusters`: where those SLOs are evaluated',
          properties: {
            files: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
            clouds: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...CLOUDS] } },
            clusters: { type: 'array', minItems: 1, uniqueItems: true, items: dnsLabel },
          },
        },
      },
    },
    backends: {
      type: 'object',
      default: {},
      propertyNames: { enum: [...CLOUDS] },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['remote'],
        properties: { remote: { type: 'object', additionalProperties: false, required: ['otlpEndpoint'], properties: { otlpEndpoint: hostPort, query: queryEndpoints } } },
      },
    },
    routing: closed({
      default: { enum: [...CLOUDS] },
      routes: {
        type: 'array',
        default: [],
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['cloud'],
          minProperties: 2,
          allowed: 'a route needs `tenant` or `namespace` (what it matches) besides `cloud` (where it goes)',
          properties: { tenant: { type: 'string', minLength: 1, maxLength: 253 }, namespace: dnsLabel, cloud: { enum: [...CLOUDS] } },
        },
      },
    }),
    crossCluster: closed({
      auth: { enum: [...CROSS_CLUSTER_AUTH], default: 'bearer' },
      tokenSecret: { ...dnsSubdomain, default: 'o11y-otlp-token' },
      tlsSecret: { ...dnsSubdomain, default: 'o11y-otlp-tls' },
    }),
    scale: closed({
      loadBalancing: { type: 'boolean', default: false },
      spanMetricsInGateway: { type: 'boolean', default: false },
      tailSampling: closed({
        enabled: { type: 'boolean', default: false },
        slowerThan: { ...duration, default: '2s' },
        percentage: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 10 },
      }),
    }),
    cardinality: closed({
      urlTemplates: {
        type: 'array',
        default: [],
        items: { type: 'object', additionalProperties: false, required: ['pattern', 'template'], properties: { pattern: { type: 'string', minLength: 1 }, template: { type: 'string', minLength: 1 } } },
      },
      dropAttributes: { type: 'array', default: [], items: { type: 'string', minLength: 1 }, uniqueItems: true },
      metricRelabelConfigs: { type: 'array', default: [], items: { type: 'object' } },
    }),
    networkPolicy: closed({
      egress: { enum: [...EGRESS_MODES], default: 'open' },
      nodeCidrs: { type: 'array', items: ipv4Cidr, minItems: 1, uniqueItems: true, default: ['0.0.0.0/0'] },
      apiServerCidrs: { type: 'array', items: ipv4Cidr, minItems: 1, uniqueItems: true, default: ['0.0.0.0/0'] },
      nodeLocalDnsIp: { ...ipv4, default: '169.254.20.10' },
    }),
    monitoring: closed({
      kubernetes: closed({
        disabledGroups: { type: 'array', items: { enum: [...KUBERNETES_RULE_GROUPS] }, uniqueItems: true, default: [] },
        runbookUrl: { ...httpUrl, default: DEFAULT_RUNBOOK_URL },
      }),
    }),
    gitops: closed(
      {
        repoURL: { type: 'string', minLength: 1, pattern: '^(https?://|ssh://|git@)\\S+$', allowed: 'a Git URL such as https://github.com/acme/deploy.git or git@github.com:acme/deploy.git' },
        targetRevision: { type: 'string', minLength: 1, default: 'HEAD' },
        path: { type: 'string', pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$', default: 'dist', allowed: 'a repository-relative folder without leading or trailing "/", such as dist or deploy/o11y' },
        mode: { enum: [...GITOPS_MODES], default: 'applicationset' },
        project: dnsSubdomain,
        argocdNamespace: { ...dnsLabel, default: 'argocd' },
        destinations: {
          type: 'object',
          default: {},
          propertyNames: dnsLabel,
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: {
              server: { type: 'string', pattern: '^https://\\S+$', allowed: 'an https:// API server URL' },
              name: { type: 'string', minLength: 1 },
            },
          },
        },
      },
      { required: ['repoURL'], default: undefined },
    ),
  },
  { required: ['clusters'], default: undefined },
);
