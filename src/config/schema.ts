import { CPU_PATTERN, MEMORY_PATTERN } from './quantity.ts';
import { ARCH_SPREADS, ARCHITECTURES, CLOUDS, CLUSTER_ROLES, CROSS_CLUSTER_AUTH, EGRESS_MODES, GITOPS_FLAVORS, GITOPS_MODES, GRAFANA_DATABASE_TYPES, KUBERNETES_RULE_GROUPS, METRICS_MODES, OBJECT_STORAGE_TYPES, REMOTE_WRITE_KINDS, RULE_FORMATS, SIZES, VICTORIAMETRICS_COMPONENTS } from '../model/types.ts';
import { WORKLOADS } from './workloads.ts';
import { PRESET_NAMES } from '../redaction/presets.ts';
import { REDACTION_ACTIONS, REDACTION_SCOPES } from '../redaction/statements.ts';

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

/** A file in a Secret the user owns: never a credential in the config itself. */
const secretKeyRef = {
  type: 'object',
  additionalProperties: false,
  required: ['secret', 'key'],
  properties: {
    secret: dnsSubdomain,
    key: { type: 'string', pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253, allowed: 'a Secret key: letters, digits, "-", "_" and "."' },
  },
};
/** `redaction`, top level and per cluster: no defaults here, so that a cluster's keys merge over the top level's. */
const redactionAction = {
  action: { enum: [...REDACTION_ACTIONS] },
  keepLast: { type: 'integer', minimum: 0, maximum: 32 },
  keys: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
};
const redactionPatterns = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'pattern'],
    properties: {
      name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', allowed: 'a rule name: lowercase letters, digits and "-" (it is shown in the redaction marker)' },
      pattern: { type: 'string', minLength: 1 },
      ...redactionAction,
    },
  },
};
const redaction = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    defaults: { type: 'boolean' },
    presets: { type: 'object', additionalProperties: false, properties: Object.fromEntries(PRESET_NAMES.map((n) => [n, { type: 'object', additionalProperties: false, properties: redactionAction }])) },
    patterns: redactionPatterns,
    salt: secretKeyRef,
    scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...REDACTION_SCOPES] } },
    allowedKeys: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
    namespaces: {
      type: 'object',
      propertyNames: dnsLabel,
      additionalProperties: { type: 'object', additionalProperties: false, minProperties: 1, allowed: 'a namespace takes exempt: true or patterns', properties: { exempt: { type: 'boolean' }, patterns: redactionPatterns } },
    },
  },
};
const sendResolved = { type: 'boolean' };
/** One receiver integration: closed, with its credential (a Secret key) required. */
function integration(required: string[], properties: Record<string, unknown>) {
  return { type: 'object', additionalProperties: false, required, properties: { ...properties, sendResolved } };
}
const receiverIntegrations = {
  slack: integration(['url'], { url: secretKeyRef, channel: { type: 'string', minLength: 1 } }),
  pagerduty: integration(['routingKey'], { routingKey: secretKeyRef, url: httpUrl, severity: { type: 'string', minLength: 1 } }),
  email: integration(['to', 'from', 'smarthost'], {
    to: { type: 'string', minLength: 3 },
    from: { type: 'string', minLength: 3 },
    smarthost: hostPort,
    username: { type: 'string', minLength: 1 },
    password: secretKeyRef,
    requireTls: { type: 'boolean' },
  }),
  msteamsv2: integration(['url'], { url: secretKeyRef }),
  wechat: integration(['apiSecret', 'corpId', 'agentId'], {
    apiSecret: secretKeyRef,
    corpId: { type: 'string', minLength: 1 },
    agentId: { type: 'string', minLength: 1 },
    toUser: { type: 'string', minLength: 1 },
    toParty: { type: 'string', minLength: 1 },
    toTag: { type: 'string', minLength: 1 },
  }),
  telegram: integration(['botToken', 'chatId'], { botToken: secretKeyRef, chatId: { type: 'integer' } }),
  opsgenie: integration(['apiKey'], { apiKey: secretKeyRef, url: httpUrl }),
  webhook: integration(['url'], { url: secretKeyRef }),
  dingtalk: integration(['url'], { url: secretKeyRef, signed: { type: 'boolean' }, signingSecret: secretKeyRef }),
  feishu: integration(['url'], { url: secretKeyRef, signingSecret: secretKeyRef }),
  wecom: integration(['url'], { url: secretKeyRef }),
};
const labelList = { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true };
const matcherList = { type: 'array', items: { type: 'string', minLength: 1 } };
const routeTiming = { groupBy: labelList, groupWait: duration, groupInterval: duration, repeatInterval: duration };
/** A route with children down to `depth` more levels (JSON Schema without `$ref`, so errors stay plain). */
function alertRoute(depth: number): object {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      matchers: matcherList,
      receiver: { type: 'string', minLength: 1 },
      continue: { type: 'boolean' },
      ...routeTiming,
      muteTimeIntervals: labelList,
      activeTimeIntervals: labelList,
      ...(depth > 0 ? { routes: { type: 'array', items: alertRoute(depth - 1) } } : {}),
    },
  };
}
const WEEKDAY = '(sunday|monday|tuesday|wednesday|thursday|friday|saturday)';
const MONTH = '(january|february|march|april|may|june|july|august|september|october|november|december|[1-9]|1[0-2])';
const clock = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', allowed: 'a time of day HH:MM, 00:00 to 24:00' };
const rangeOf = (item: string, allowed: string) => ({ type: 'array', items: { type: 'string', pattern: `^${item}(:${item})?$`, allowed } });
const alerting = {
  type: 'object',
  additionalProperties: false,
  properties: {
    receivers: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        minProperties: 2,
        allowed: `a receiver names at least one of ${Object.keys(receiverIntegrations).join(', ')}`,
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$', allowed: 'letters, digits, "-", "_" and ".", at most 63 characters' },
          ...receiverIntegrations,
        },
      },
    },
    root: { type: 'object', additionalProperties: false, properties: routeTiming },
    routes: { type: 'array', items: alertRoute(3) },
    inhibitRules: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['sourceMatchers', 'targetMatchers'], properties: { sourceMatchers: matcherList, targetMatchers: matcherList, equal: labelList } },
    },
    timeIntervals: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'intervals'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$', allowed: 'letters, digits, "-", "_" and ".", at most 63 characters' },
          intervals: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              properties: {
                times: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['startTime', 'endTime'], properties: { startTime: clock, endTime: clock } } },
                weekdays: rangeOf(WEEKDAY, 'a weekday or a range such as monday:friday'),
                daysOfMonth: rangeOf('-?([1-9]|[12][0-9]|3[01])', 'a day of the month (1 to 31, negative counts from the end) or a range such as 1:7'),
                months: rangeOf(MONTH, 'a month (name or 1 to 12) or a range such as june:august'),
                years: rangeOf('[0-9]{4}', 'a year or a range such as 2025:2026'),
                location: { type: 'string', pattern: '^(Local|UTC|[A-Za-z_]+(/[-+A-Za-z0-9_]+)+)$', allowed: 'an IANA time zone such as Asia/Shanghai, or UTC' },
              },
            },
          },
        },
      },
    },
    templates: { type: 'array', default: [], items: { type: 'string', minLength: 1 } },
  },
};

/** A DNS name a browser reaches: lowercase labels separated by dots, with at least one dot. */
const dnsHostname = {
  type: 'string',
  maxLength: 253,
  pattern: '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
  allowed: 'a DNS name such as grafana.example.com: lowercase labels of letters, digits and "-", separated by dots',
};
const httpsUrl = { type: 'string', pattern: '^https://\\S+$', allowed: 'an https:// URL' };
/** `ingress` or `httpRoute` in front of a component's Service. */
const exposeProperties = {
  ingress: {
    type: 'object',
    additionalProperties: false,
    required: ['host'],
    properties: {
      className: dnsSubdomain,
      host: dnsHostname,
      tlsSecret: dnsSubdomain,
      certManagerIssuer: dnsSubdomain,
      controllerNamespace: dnsLabel,
      annotations: { type: 'object', default: {}, additionalProperties: { type: 'string' } },
    },
  },
  httpRoute: {
    type: 'object',
    additionalProperties: false,
    required: ['gateway', 'host'],
    properties: {
      gateway: { type: 'object', additionalProperties: false, required: ['name', 'namespace'], properties: { name: dnsSubdomain, namespace: dnsLabel } },
      host: dnsHostname,
      controllerNamespace: dnsLabel,
    },
  },
};
const expose = { type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1, allowed: 'exactly one of ingress or httpRoute', properties: exposeProperties };
/**
 * Prometheus and Alertmanager have no login: only an Ingress whose controller authenticates
 * (checked in grafana-checks.ts); Gateway API has no standard authentication filter.
 */
const authenticatedExpose = {
  type: 'object',
  additionalProperties: false,
  required: ['ingress'],
  allowed: 'an ingress whose controller authenticates every request (Prometheus and Alertmanager have no login of their own)',
  properties: { ingress: exposeProperties.ingress },
};

function closed(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', additionalProperties: false, properties, default: {}, ...extra };
}

/** A closed object without a default (optional sections, list items). */
function strict(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', additionalProperties: false, properties, ...extra };
}

/** Files or globs relative to the config's folder; each must match a file unless its entry says `optional: true`. */
const inputFileList = {
  type: 'array',
  default: [],
  items: {
    // if/then/else rather than anyOf, so a bad entry is explained by the branch it was meant for.
    if: { type: 'string' },
    then: { type: 'string', minLength: 1 },
    else: strict(
      { files: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }, optional: { type: 'boolean' } },
      { required: ['files'], allowed: 'a file or glob, or { files: [...], optional: true } for files that may not exist' },
    ),
  },
};

const toleration = strict({
  key: { type: 'string', minLength: 1 },
  operator: { enum: ['Exists', 'Equal'] },
  value: { type: 'string' },
  effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
  tolerationSeconds: { type: 'integer', minimum: 0 },
});

// --- Per-component overrides (issue 13) ---
const labelKey = {
  type: 'string',
  maxLength: 316,
  pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$',
  allowed: 'a label or annotation key: an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_" and "."',
};
const labelValue = { type: 'string', maxLength: 63, pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$', allowed: 'a label value: up to 63 letters, digits, "-", "_" and ".", starting and ending alphanumeric' };
// YAML reads `cpu: 2` as a number: allow cores as a number, or any quantity as a string.
const cpu = {
  if: { type: 'number' },
  then: { type: 'number', exclusiveMinimum: 0 },
  else: { type: 'string', pattern: CPU_PATTERN, allowed: 'a CPU quantity such as 250m, 0.5 or 2' },
};
const memory = { type: 'string', pattern: MEMORY_PATTERN, allowed: 'a memory quantity such as 512Mi, 4Gi or 1G' };
const computeAmounts = strict({ cpu, memory });
const nodeSelectorRequirement = strict(
  { key: { type: 'string', minLength: 1 }, operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] }, values: { type: 'array', items: { type: 'string' } } },
  { required: ['key', 'operator'] },
);
const nodeSelectorTerm = strict({ matchExpressions: { type: 'array', items: nodeSelectorRequirement }, matchFields: { type: 'array', items: nodeSelectorRequirement } });
const labelSelector = strict({
  matchLabels: { type: 'object', propertyNames: labelKey, additionalProperties: labelValue },
  matchExpressions: {
    type: 'array',
    items: strict({ key: labelKey, operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: { type: 'array', items: { type: 'string' } } }, { required: ['key', 'operator'] }),
  },
});
// The fields of Kubernetes 1.28's PodAffinityTerm, the API the manifests are generated for (cdk8s drops any other).
const podAffinityTerm = strict(
  { labelSelector, namespaceSelector: labelSelector, namespaces: { type: 'array', items: dnsLabel }, topologyKey: { type: 'string', minLength: 1 } },
  { required: ['topologyKey'] },
);
const podAffinity = strict({
  requiredDuringSchedulingIgnoredDuringExecution: { type: 'array', items: podAffinityTerm },
  preferredDuringSchedulingIgnoredDuringExecution: {
    type: 'array',
    items: strict({ weight: { type: 'integer', minimum: 1, maximum: 100 }, podAffinityTerm }, { required: ['weight', 'podAffinityTerm'] }),
  },
});
const envName = { type: 'string', pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$', allowed: 'an environment variable name: letters, digits, "_", "-" and ".", not starting with a digit' };
/**
 * The per-component override keys, each schema defined once under `$defs` and referenced from the
 * 22 places that take overrides: Ajv then compiles each once (inlined, the config schema was 440 KB
 * and took seconds to compile at every start).
 */
const podOverrideSchemas = {
  resources: strict({ requests: computeAmounts, limits: computeAmounts }),
  nodeSelector: { type: 'object', propertyNames: labelKey, additionalProperties: labelValue },
  tolerations: { type: 'array', items: toleration },
  affinity: strict({
    nodeAffinity: strict({
      requiredDuringSchedulingIgnoredDuringExecution: strict({ nodeSelectorTerms: { type: 'array', minItems: 1, items: nodeSelectorTerm } }, { required: ['nodeSelectorTerms'] }),
      preferredDuringSchedulingIgnoredDuringExecution: {
        type: 'array',
        items: strict({ weight: { type: 'integer', minimum: 1, maximum: 100 }, preference: nodeSelectorTerm }, { required: ['weight', 'preference'] }),
      },
    }),
    podAffinity,
    podAntiAffinity: podAffinity,
  }),
  priorityClassName: dnsSubdomain,
  podAnnotations: { type: 'object', propertyNames: labelKey, additionalProperties: { type: 'string' } },
  podLabels: { type: 'object', propertyNames: labelKey, additionalProperties: labelValue },
  extraArgs: { type: 'array', items: { type: 'string', minLength: 1 } },
  extraEnv: {
    type: 'array',
    items: {
      // A Secret key or a plain value, never both; if/then/else so that a bad entry is explained by the branch it meant.
      if: { type: 'object', properties: { valueFrom: true }, required: ['valueFrom'] },
      then: strict(
        {
          name: envName,
          valueFrom: strict(
            { secretKeyRef: strict({ name: dnsSubdomain, key: { type: 'string', pattern: '^[-._a-zA-Z0-9]+$', allowed: 'a Secret key' }, optional: { type: 'boolean' } }, { required: ['name', 'key'] }) },
            { required: ['secretKeyRef'], allowed: 'valueFrom takes secretKeyRef only' },
          ),
        },
        { required: ['name', 'valueFrom'] },
      ),
      else: strict({ name: envName, value: { type: 'string' } }, { required: ['name', 'value'] }),
    },
  },
};
const podOverrides = Object.fromEntries(Object.keys(podOverrideSchemas).map((key) => [key, { $ref: `#/$defs/podOverride-${key}` }])) as Record<keyof typeof podOverrideSchemas, object>;

/** `clusters[].components`: the override keys of every workload, nested as under `components`. */
function clusterComponents() {
  const tree: Record<string, unknown> = {};
  for (const { keys } of Object.values(WORKLOADS)) {
    let node = tree;
    keys.slice(0, -1).forEach((k) => (node = (node[k] ??= {}) as Record<string, unknown>));
    node[keys.at(-1)!] = strict(podOverrides);
  }
  const toSchema = (node: Record<string, unknown>): unknown =>
    Object.fromEntries(Object.entries(node).map(([k, v]) => [k, (v as { type?: string }).type === 'object' ? v : strict(toSchema(v as Record<string, unknown>) as Record<string, unknown>)]));
  return strict(toSchema(tree) as Record<string, unknown>);
}

// --- Image supply (issue 13) ---
const REPO_PATH = '[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*';
const imageSupply = {
  registry: {
    type: 'string',
    pattern: `^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/${REPO_PATH})?$`,
    allowed: 'a registry host, optionally with port and path, such as harbor.example.com/mirror or 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  },
  pathPrefixes: {
    type: 'object',
    propertyNames: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$', allowed: 'a source registry host such as quay.io, docker.io or registry.k8s.io' },
    additionalProperties: { type: 'string', pattern: `^(${REPO_PATH})?$`, allowed: 'a repository path such as quay or proxy/quay, or "" for none' },
  },
  pullSecrets: { type: 'array', uniqueItems: true, items: dnsSubdomain },
  digests: { type: 'boolean' },
};

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
    size: { enum: [...SIZES], default: 'medium' },
    images: closed(imageSupply),
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
          redaction,
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
          components: clusterComponents(),
          images: strict(imageSupply),
          metrics: strict(
            {
              mode: { enum: [...METRICS_MODES], default: 'prometheus' },
              // Where the Grafana cluster's global vmselect reaches this backend's vmselect (components.victoriametrics.globalSelect).
              clusternativeEndpoint: { ...hostPort, allowed: "host:port of this backend's vmselect cluster-native port (8401) on your private network, such as vmselect.eu.internal:8401" },
            },
            { required: ['mode'] },
          ),
        },
      },
    },
    components: closed({
      prometheus: closed({
        // As long as the longest SLO period (30d): synth refuses SLOs whose period the retention cannot cover.
        // Retention and storage default to the size's (load.ts); every size keeps 30d.
        retention: duration,
        storage: quantity,
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
        expose: authenticatedExpose,
        ...podOverrides,
      }),
      alertmanager: closed({
        replicas: { ...replicas, default: 1 },
        storage: { ...quantity, default: '1Gi' },
        receiversSecret: { ...dnsSubdomain, default: 'alertmanager-receivers' },
        watchdogReceiver: { type: 'boolean', default: false },
        expose: authenticatedExpose,
        ...podOverrides,
      }),
      collector: closed({
        // true, false, or the agents' overrides (enabled unless `enabled: false`).
        agent: {
          default: true,
          if: { type: 'boolean' },
          then: { type: 'boolean' },
          else: strict({ enabled: { type: 'boolean' }, ...podOverrides }),
        },
        agentTolerations: { type: 'array', default: [{ operator: 'Exists' }], items: toleration },
        gateway: closed({ replicas: { ...replicas, default: 2 }, ...podOverrides }),
        scraper: closed(podOverrides),
      }),
      tempo: closed({ retention: duration, storage: quantity, ...podOverrides }),
      // The `victoriametrics-cluster` metrics mode: two of each at least, so that losing any one pod loses nothing.
      victoriametrics: closed({
        ...Object.fromEntries([...VICTORIAMETRICS_COMPONENTS, 'vmselectGlobal'].map((c) => [c, closed({ replicas: { ...replicas, minimum: 2, default: 2, allowed: 'at least 2: one pod of each may be lost' }, ...podOverrides })])),
        // One vmselect in the Grafana cluster over every victoriametrics-cluster backend (its settings: vmselectGlobal): one datasource for all clouds.
        globalSelect: { type: 'boolean', default: false },
      }),
      loki: closed({ retention: duration, storage: quantity, ...podOverrides }),
      grafana: closed({
        adminSecret: { ...dnsSubdomain, default: 'grafana-admin' },
        replicas: { ...replicas, maximum: 10, default: 1 },
        storage: { ...quantity, default: '10Gi' },
        database: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'host', 'name', 'user', 'passwordSecret'],
          properties: {
            type: { enum: [...GRAFANA_DATABASE_TYPES] },
            host: hostPort,
            name: { type: 'string', pattern: '^[A-Za-z0-9_$-]{1,63}$', allowed: 'a database name: letters, digits, "_", "-" and "$"' },
            user: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{1,63}$', allowed: 'a database user: letters, digits, "_", ".", "@" and "-"' },
            passwordSecret: secretKeyRef,
            sslMode: { enum: ['disable', 'require', 'verify-full', 'true', 'false', 'skip-verify'] },
          },
        },
        oidc: {
          type: 'object',
          additionalProperties: false,
          required: ['issuer', 'clientId', 'clientSecret'],
          properties: {
            issuer: httpsUrl,
            clientId: { type: 'string', minLength: 1, maxLength: 256, pattern: '^\\S+$', allowed: 'the client id, without spaces' },
            clientSecret: secretKeyRef,
            scopes: { type: 'array', items: { type: 'string', pattern: '^[!#-\\[\\]-~]+$', allowed: 'an OAuth scope (no spaces or quotes)' }, uniqueItems: true, default: ['openid', 'email', 'profile'] },
            name: { type: 'string', minLength: 1, maxLength: 64, default: 'SSO' },
            roleAttributePath: { type: 'string', minLength: 1 },
            roleAttributeStrict: { type: 'boolean', default: false },
            allowedGroups: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, default: [] },
            groupsAttributePath: { type: 'string', minLength: 1, default: 'groups' },
            allowedDomains: { type: 'array', items: dnsHostname, uniqueItems: true, default: [] },
            authUrl: httpsUrl,
            tokenUrl: httpsUrl,
            apiUrl: httpsUrl,
          },
        },
        plugins: {
          type: 'array',
          default: [],
          uniqueItems: true,
          items: {
            type: 'string',
            pattern: '^[a-z0-9][-a-z0-9]*@[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$',
            allowed: 'a plugin id with its exact version, such as grafana-piechart-panel@1.6.4 (a pinned version: the same plugin on every start)',
          },
        },
        expose,
        ...podOverrides,
      }),
      kubeStateMetrics: closed(podOverrides),
      nodeExporter: closed(podOverrides),
      controller: closed(podOverrides),
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
          allowed: 'an entry with `files` also names `clouds` and/or `clusters` (where those SLOs are evaluated), or `optional: true` (files that may not exist)',
          properties: {
            files: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
            optional: { type: 'boolean' },
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
    redaction,
    networkPolicy: closed({
      egress: { enum: [...EGRESS_MODES], default: 'open' },
      nodeCidrs: { type: 'array', items: ipv4Cidr, minItems: 1, uniqueItems: true, default: ['0.0.0.0/0'] },
      apiServerCidrs: { type: 'array', items: ipv4Cidr, minItems: 1, uniqueItems: true, default: ['0.0.0.0/0'] },
      nodeLocalDnsIp: { ...ipv4, default: '169.254.20.10' },
      ingressNamespace: dnsLabel,
    }),
    alerting,
    rules: inputFileList,
    dashboards: inputFileList,
    scrape: closed({
      // Raw Prometheus scrape configs: checked for job_name here, the rest by Prometheus (promtool in CI).
      extraConfigs: {
        type: 'array',
        default: [],
        items: { type: 'object', required: ['job_name'], properties: { job_name: { type: 'string', minLength: 1 } } },
      },
      monitors: inputFileList,
      egress: {
        type: 'array',
        default: [],
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['cidr', 'ports'],
          properties: { cidr: ipv4Cidr, ports: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 65535 } } },
        },
      },
    }),
    monitoring: closed({
      // Each alert's anchor is appended: the URL has none of its own.
      runbookUrl: { type: 'string', pattern: '^https?://[^\\s#]+$', allowed: 'an http:// or https:// URL without a #fragment (each alert appends #<its anchor>)' },
      kubernetes: closed({
        disabledGroups: { type: 'array', items: { enum: [...KUBERNETES_RULE_GROUPS] }, uniqueItems: true, default: [] },
      }),
    }),
    gitops: closed(
      {
        flavor: { enum: [...GITOPS_FLAVORS], default: 'argocd' },
        repoURL: { type: 'string', minLength: 1, pattern: '^(https?://|ssh://|git@)\\S+$', allowed: 'a Git URL such as https://github.com/acme/deploy.git or git@github.com:acme/deploy.git' },
        targetRevision: { type: 'string', minLength: 1, default: 'HEAD' },
        path: { type: 'string', pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$', default: 'dist', allowed: 'a repository-relative folder without leading or trailing "/", such as dist or deploy/o11y' },
        mode: { enum: [...GITOPS_MODES], default: 'applicationset' },
        project: dnsSubdomain,
        argocdNamespace: { ...dnsLabel, default: 'argocd' },
        fluxNamespace: { ...dnsLabel, default: 'flux-system' },
        fluxSecretName: dnsSubdomain,
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
  {
    required: ['clusters'],
    default: undefined,
    $defs: Object.fromEntries(Object.entries(podOverrideSchemas).map(([key, schema]) => [`podOverride-${key}`, schema])),
  },
);
