import { ARCH_SPREADS, ARCHITECTURES, CLOUDS, GITOPS_MODES, RULE_FORMATS } from './types.ts';

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
        },
      },
    },
    components: closed({
      prometheus: closed({
        retention: { ...duration, default: '15d' },
        storage: { ...quantity, default: '50Gi' },
        replicas: { ...replicas, default: 1 },
        scrapeInterval: { ...duration, default: '30s' },
        ruleFormat: { enum: [...RULE_FORMATS], default: 'configmap' },
      }),
      alertmanager: closed({
        replicas: { ...replicas, default: 1 },
        receiversSecret: { ...dnsSubdomain, default: 'alertmanager-receivers' },
      }),
      collector: closed({
        agent: { type: 'boolean', default: true },
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
    slos: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
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
