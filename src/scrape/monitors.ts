import { InputError, type InputProblem } from '../errors.ts';
import { describeValue, isMapping, unknownKeyProblems } from '../input/shape.ts';
import { readYamlFile, type KeyPath, type YamlSource } from '../input/yaml-source.ts';
import { emulationProblem } from './relabel.ts';
import { sanitize } from './targets.ts';

/**
 * ServiceMonitor and PodMonitor objects (monitoring.coreos.com/v1), as third-party charts ship
 * them, converted into Prometheus scrape configs at synth the way prometheus-operator's config
 * generator (pkg/prometheus/promcfg.go) does: one job per endpoint named
 * `serviceMonitor/<namespace>/<name>/<index>` (`podMonitor/…` for PodMonitors), Kubernetes
 * service discovery (`endpointslice` / `pod`) in the selected namespaces, and relabelings that
 * keep the selected Services' (Pods') targets on the named port and set `namespace`, `service`,
 * `pod`, `container`, `job` and `endpoint` as the operator does. Sharding relabelings are left out
 * (one Prometheus, no shards). Fields that need what a synth cannot have (Secret contents,
 * files outside the scraping pod, scrape classes) are refused by name, never dropped.
 */

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const API_VERSION = 'monitoring.coreos.com/v1';
const DURATION = /^(0|(\d+(ms|s|m|h|d|w|y))+)$/;

/** Spec keys copied as scrape limits (operator: AddLimitsToYAML). */
const LIMITS: Record<string, string> = {
  sampleLimit: 'sample_limit',
  targetLimit: 'target_limit',
  labelLimit: 'label_limit',
  labelNameLengthLimit: 'label_name_length_limit',
  labelValueLengthLimit: 'label_value_length_limit',
  keepDroppedTargets: 'keep_dropped_targets',
};
const COMMON_SPEC_KEYS = ['selector', 'namespaceSelector', 'jobLabel', 'podTargetLabels', 'attachMetadata', ...Object.keys(LIMITS)];
const KINDS = {
  ServiceMonitor: { role: 'endpointslice', jobPrefix: 'serviceMonitor', endpoints: 'endpoints', specKeys: [...COMMON_SPEC_KEYS, 'endpoints', 'targetLabels'] },
  PodMonitor: { role: 'pod', jobPrefix: 'podMonitor', endpoints: 'podMetricsEndpoints', specKeys: [...COMMON_SPEC_KEYS, 'podMetricsEndpoints'] },
} as const;
type Kind = keyof typeof KINDS;

/** Endpoint keys copied to the scrape config under another name. */
const ENDPOINT_FIELDS: Record<string, string> = {
  interval: 'scrape_interval',
  scrapeTimeout: 'scrape_timeout',
  path: 'metrics_path',
  proxyUrl: 'proxy_url',
  params: 'params',
  scheme: 'scheme',
  followRedirects: 'follow_redirects',
  enableHttp2: 'enable_http2',
  honorTimestamps: 'honor_timestamps',
  trackTimestampsStaleness: 'track_timestamps_staleness',
};
const ENDPOINT_KEYS = ['port', 'targetPort', 'honorLabels', 'relabelings', 'metricRelabelings', 'tlsConfig', 'filterRunning', ...Object.keys(ENDPOINT_FIELDS)];
/** Fields that carry or point at credentials in Secrets, which a synth never reads. */
const SECRET_FIELDS = ['bearerTokenSecret', 'authorization', 'basicAuth', 'oauth2'];
const RELABEL_FIELDS: Record<string, string> = {
  sourceLabels: 'source_labels',
  separator: 'separator',
  targetLabel: 'target_label',
  regex: 'regex',
  modulus: 'modulus',
  replacement: 'replacement',
  action: 'action',
};
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Scrape configs converted from monitor files, and every problem found in them. */
export interface ConvertedMonitors {
  readonly scrapeConfigs: object[];
  readonly problems: InputProblem[];
}

/** Reads and converts monitor files; throws {@link InputError} with every located problem. */
export function loadMonitorFiles(files: readonly string[]): object[] {
  const sources: YamlSource[] = [];
  const problems: InputProblem[] = [];
  for (const file of files) {
    try {
      const docs = readYamlFile(file);
      sources.push(...docs);
      if (!docs.some((d) => kindOf(d.toJS()))) {
        problems.push({ location: { file, line: 1, column: 1 }, path: '', message: `no ServiceMonitor or PodMonitor (${API_VERSION}) in this file, listed in scrape.monitors:` });
      }
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problems.push(...e.problems);
    }
  }
  const converted = convertMonitors(sources);
  problems.push(...converted.problems);
  if (problems.length) throw new InputError(problems);
  return converted.scrapeConfigs;
}

function kindOf(object: unknown): Kind | undefined {
  if (!isMapping(object) || object.apiVersion !== API_VERSION) return undefined;
  return object.kind === 'ServiceMonitor' || object.kind === 'PodMonitor' ? object.kind : undefined;
}

/**
 * Converts every ServiceMonitor and PodMonitor among `sources` (other objects, such as the rest of
 * a rendered chart, are skipped), in order. Two monitors with the same namespace and name are a
 * problem, as they would be in a cluster.
 */
export function convertMonitors(sources: readonly YamlSource[]): ConvertedMonitors {
  const scrapeConfigs: object[] = [];
  const problems: InputProblem[] = [];
  const seen = new Map<string, YamlSource>();
  for (const source of sources) {
    const object = source.toJS();
    const kind = kindOf(object);
    if (!kind || !isMapping(object)) continue;
    const metadata = isMapping(object.metadata) ? object.metadata : {};
    const name = metadata.name;
    const namespace = metadata.namespace;
    const found: InputProblem[] = [];
    if (typeof name !== 'string' || !name) found.push(source.problem(['metadata', 'name'], `a ${kind} needs metadata.name`));
    if (typeof namespace !== 'string' || !namespace) {
      found.push(source.problem(['metadata'], `metadata.namespace is missing: a ${kind} selects targets in its own namespace unless namespaceSelector says otherwise, and names its jobs after it; set it (e.g. render the chart with \`helm template --namespace <ns>\`)`));
    }
    if (found.length) {
      problems.push(...found);
      continue;
    }
    const key = `${kind}/${namespace as string}/${name as string}`;
    const earlier = seen.get(key);
    if (earlier) {
      const at = earlier.at([]);
      problems.push(source.problem(['metadata', 'name'], `duplicate ${kind} ${namespace as string}/${name as string} (also at ${at.file}:${at.line})`));
      continue;
    }
    seen.set(key, source);
    const converted = convertMonitor(source, kind, object, namespace as string, name as string);
    problems.push(...converted.problems);
    scrapeConfigs.push(...converted.scrapeConfigs);
  }
  return { scrapeConfigs, problems };
}

function convertMonitor(source: YamlSource, kind: Kind, object: Record<string, unknown>, namespace: string, name: string): ConvertedMonitors {
  const { role, jobPrefix, endpoints: endpointsKey, specKeys } = KINDS[kind];
  const spec = isMapping(object.spec) ? object.spec : undefined;
  if (!spec) return { scrapeConfigs: [], problems: [source.problem(['spec'], `a ${kind} needs a spec mapping`)] };
  const problems = unknownKeyProblems(source, ['spec'], spec, specKeys, (key) => unsupported(kind, `spec.${key}`, specKeys));
  const selectorRelabels = selectorRelabelings(source, ['spec', 'selector'], spec.selector, kind === 'ServiceMonitor' ? 'service' : 'pod', problems);
  const namespaces = namespaceNames(source, spec.namespaceSelector, namespace, problems);
  const endpoints = spec[endpointsKey];
  if (!Array.isArray(endpoints) || !endpoints.length) {
    problems.push(source.problem(['spec', endpointsKey], `a ${kind} needs at least one entry in spec.${endpointsKey}`));
    return { scrapeConfigs: [], problems };
  }
  const attachMetadata = isMapping(spec.attachMetadata) ? { attach_metadata: { node: spec.attachMetadata.node === true } } : {};
  const sd = { role, ...(namespaces ? { namespaces: { names: namespaces } } : {}), ...attachMetadata };
  const targetLabels = stringList(source, ['spec', 'targetLabels'], spec.targetLabels, problems);
  const podTargetLabels = stringList(source, ['spec', 'podTargetLabels'], spec.podTargetLabels, problems);
  const limits = Object.fromEntries(Object.entries(LIMITS).filter(([k]) => spec[k] !== undefined).map(([k, v]) => [v, spec[k]]));
  const scrapeConfigs = endpoints.map((endpoint, i) => {
    const path: KeyPath = ['spec', endpointsKey, i];
    if (!isMapping(endpoint)) {
      problems.push(source.problem(path, `an endpoint is a mapping, got ${describeValue(endpoint)}`));
      return undefined;
    }
    const allowed = kind === 'ServiceMonitor' ? [...ENDPOINT_KEYS, 'bearerTokenFile'] : ENDPOINT_KEYS;
    problems.push(
      ...unknownKeyProblems(source, path, endpoint, allowed, (key) =>
        SECRET_FIELDS.includes(key)
          ? `${key} is unsupported: it reads credentials from a Secret, which the synth never reads; scrape such targets with scrape.extraConfigs and credential files mounted into the scraper`
          : unsupported(kind, `${endpointsKey}[].${key}`, allowed),
      ),
    );
    for (const key of ['interval', 'scrapeTimeout']) {
      if (endpoint[key] !== undefined && !(typeof endpoint[key] === 'string' && DURATION.test(endpoint[key]))) {
        problems.push(source.problem([...path, key], `${describeValue(endpoint[key])} is not a Prometheus duration such as 30s or 1m`));
      }
    }
    const port = portOf(source, path, endpoint, problems);
    const fields = Object.fromEntries(Object.entries(ENDPOINT_FIELDS).filter(([k]) => endpoint[k] !== undefined).map(([k, v]) => [v, endpoint[k]]));
    const relabels = [
      // The operator keeps the job a target was discovered under in a meta label first.
      { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
      ...(kind === 'ServiceMonitor'
        ? serviceMonitorRelabelings(endpoint, port, spec.jobLabel, selectorRelabels, targetLabels, podTargetLabels)
        : podMonitorRelabelings(endpoint, port, spec.jobLabel, selectorRelabels, podTargetLabels, `${namespace}/${name}`)),
      ...userRelabelings(source, [...path, 'relabelings'], endpoint.relabelings, problems),
    ];
    const metricRelabels = userRelabelings(source, [...path, 'metricRelabelings'], endpoint.metricRelabelings, problems);
    return {
      job_name: `${jobPrefix}/${namespace}/${name}/${i}`,
      honor_labels: endpoint.honorLabels === true,
      kubernetes_sd_configs: [sd],
      ...fields,
      ...tlsConfig(source, [...path, 'tlsConfig'], endpoint.tlsConfig, problems),
      ...bearerTokenFile(source, [...path, 'bearerTokenFile'], endpoint.bearerTokenFile, problems),
      relabel_configs: relabels,
      ...limits,
      ...(metricRelabels.length ? { metric_relabel_configs: metricRelabels } : {}),
    };
  });
  return { scrapeConfigs: scrapeConfigs.filter((c): c is NonNullable<typeof c> => !!c), problems };
}

function unsupported(kind: Kind, field: string, allowed: readonly string[]): string {
  return `${field} is unsupported by the ${kind} conversion; supported: ${allowed.join(', ')}`;
}

/** The endpoint's port: a port name, or (deprecated `targetPort`) a container port name or number. */
type PortRef = { readonly name: string } | { readonly targetPort: string | number } | undefined;

function portOf(source: YamlSource, path: KeyPath, endpoint: Record<string, unknown>, problems: InputProblem[]): PortRef {
  if (endpoint.port !== undefined) {
    if (typeof endpoint.port === 'string' && endpoint.port) return { name: endpoint.port };
    problems.push(source.problem([...path, 'port'], `port is a port name, got ${describeValue(endpoint.port)}${typeof endpoint.port === 'number' ? ' (a number goes in targetPort)' : ''}`));
    return undefined;
  }
  const target = endpoint.targetPort;
  if (target === undefined) return undefined;
  if ((typeof target === 'string' && target) || (Number.isInteger(target) && (target as number) > 0)) return { targetPort: target as string | number };
  problems.push(source.problem([...path, 'targetPort'], `targetPort is a container port name or number, got ${describeValue(target)}`));
  return undefined;
}

/** Keeps targets on the endpoint's port: the EndpointSlice port name (ServiceMonitor) or the container port. */
function portRelabelings(port: PortRef, portNameLabel: string): object[] {
  if (!port) return [];
  if ('name' in port) return [{ action: 'keep', source_labels: [portNameLabel], regex: port.name }];
  const label = typeof port.targetPort === 'number' ? '__meta_kubernetes_pod_container_port_number' : '__meta_kubernetes_pod_container_port_name';
  return [{ action: 'keep', source_labels: [label], regex: String(port.targetPort) }];
}

/** The `endpoint` label: the port name or, as a fallback, the target port. */
function endpointLabel(port: PortRef): object[] {
  if (!port) return [];
  return [{ target_label: 'endpoint', replacement: 'name' in port ? port.name : String(port.targetPort) }];
}

/** Labels of the target's Pod (or Service) copied onto its series: `podTargetLabels`, `targetLabels`. */
function copyLabels(kind: 'pod' | 'service', labels: readonly string[]): object[] {
  return labels.map((l) => ({ source_labels: [`__meta_kubernetes_${kind}_label_${sanitize(l)}`], target_label: sanitize(l), regex: '(.+)', replacement: '${1}' }));
}

const RUNNING_FILTER = { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' };

function serviceMonitorRelabelings(
  endpoint: Record<string, unknown>,
  port: PortRef,
  jobLabelKey: unknown,
  selector: object[],
  targetLabels: readonly string[],
  podTargetLabels: readonly string[],
): object[] {
  const target = ['__meta_kubernetes_endpointslice_address_target_kind', '__meta_kubernetes_endpointslice_address_target_name'];
  return [
    ...selector,
    ...portRelabelings(port, '__meta_kubernetes_endpointslice_port_name'),
    { source_labels: target, separator: ';', regex: 'Node;(.*)', replacement: '${1}', target_label: 'node' },
    { source_labels: target, separator: ';', regex: 'Pod;(.*)', replacement: '${1}', target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
    ...(endpoint.filterRunning === false ? [] : [RUNNING_FILTER]),
    ...copyLabels('service', targetLabels),
    ...copyLabels('pod', podTargetLabels),
    // The job is the Service's name, unless the Service has the `jobLabel` label.
    { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job', replacement: '${1}' },
    ...jobLabel('service', jobLabelKey),
    ...endpointLabel(port),
  ];
}

function podMonitorRelabelings(endpoint: Record<string, unknown>, port: PortRef, jobLabelKey: unknown, selector: object[], podTargetLabels: readonly string[], job: string): object[] {
  return [
    ...(endpoint.filterRunning === false ? [] : [RUNNING_FILTER]),
    ...selector,
    ...portRelabelings(port, '__meta_kubernetes_pod_container_port_name'),
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    ...copyLabels('pod', podTargetLabels),
    // The job is `<namespace>/<name>` of the PodMonitor, unless the Pod has the `jobLabel` label.
    { target_label: 'job', replacement: job },
    ...jobLabel('pod', jobLabelKey),
    ...endpointLabel(port),
  ];
}

function jobLabel(kind: 'pod' | 'service', label: unknown): object[] {
  if (typeof label !== 'string' || !label) return [];
  return [{ source_labels: [`__meta_kubernetes_${kind}_label_${sanitize(label)}`], target_label: 'job', regex: '(.+)', replacement: '${1}' }];
}

/** A Kubernetes label selector as keep/drop relabelings on the Service's (Pod's) labels, matchLabels sorted by key. */
function selectorRelabelings(source: YamlSource, path: KeyPath, selector: unknown, kind: 'pod' | 'service', problems: InputProblem[]): object[] {
  if (!isMapping(selector)) {
    problems.push(source.problem(path, `selector is required (matchLabels and/or matchExpressions; {} selects every ${kind === 'pod' ? 'Pod' : 'Service'})`));
    return [];
  }
  problems.push(...unknownKeyProblems(source, path, selector, ['matchLabels', 'matchExpressions']));
  const label = (key: string) => `__meta_kubernetes_${kind}_label_${sanitize(key)}`;
  const present = (key: string) => `__meta_kubernetes_${kind}_labelpresent_${sanitize(key)}`;
  const relabels: object[] = [];
  const matchLabels = isMapping(selector.matchLabels) ? selector.matchLabels : {};
  for (const key of Object.keys(matchLabels).sort()) {
    relabels.push({ action: 'keep', source_labels: [label(key), present(key)], regex: `(${String(matchLabels[key])});true` });
  }
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  expressions.forEach((e, i) => {
    const at = [...path, 'matchExpressions', i];
    if (!isMapping(e) || typeof e.key !== 'string' || !SELECTOR_OPERATORS.includes(String(e.operator))) {
      problems.push(source.problem(at, `a match expression needs key and operator (${SELECTOR_OPERATORS.join(', ')})`));
      return;
    }
    const values = Array.isArray(e.values) ? e.values.map(String).join('|') : '';
    if (e.operator === 'In') relabels.push({ action: 'keep', source_labels: [label(e.key), present(e.key)], regex: `(${values});true` });
    if (e.operator === 'NotIn') relabels.push({ action: 'drop', source_labels: [label(e.key), present(e.key)], regex: `(${values});true` });
    if (e.operator === 'Exists') relabels.push({ action: 'keep', source_labels: [present(e.key)], regex: 'true' });
    if (e.operator === 'DoesNotExist') relabels.push({ action: 'drop', source_labels: [present(e.key)], regex: 'true' });
  });
  return relabels;
}

/** `any: true`: every namespace (undefined); `matchNames`: those; neither: the monitor's own. */
function namespaceNames(source: YamlSource, selector: unknown, own: string, problems: InputProblem[]): string[] | undefined {
  if (selector === undefined) return [own];
  if (!isMapping(selector)) {
    problems.push(source.problem(['spec', 'namespaceSelector'], `expected a mapping with any or matchNames, got ${describeValue(selector)}`));
    return [own];
  }
  problems.push(...unknownKeyProblems(source, ['spec', 'namespaceSelector'], selector, ['any', 'matchNames']));
  if (selector.any === true) return undefined;
  const names = stringList(source, ['spec', 'namespaceSelector', 'matchNames'], selector.matchNames, problems);
  return names.length ? names : [own];
}

function tlsConfig(source: YamlSource, path: KeyPath, tls: unknown, problems: InputProblem[]): object {
  if (tls === undefined) return {};
  if (!isMapping(tls)) {
    problems.push(source.problem(path, `expected a mapping, got ${describeValue(tls)}`));
    return {};
  }
  const allowed = ['insecureSkipVerify', 'serverName', 'caFile'];
  problems.push(
    ...unknownKeyProblems(source, path, tls, allowed, (key) =>
      `tlsConfig.${key} is unsupported: ${['ca', 'cert', 'keySecret'].includes(key) ? 'it reads a Secret or ConfigMap, which the synth never reads' : 'the file does not exist in the scraping pod'}; supported: ${allowed.join(', ')}`,
    ),
  );
  if (tls.caFile !== undefined) podFile(source, [...path, 'caFile'], tls.caFile, `${SERVICE_ACCOUNT_DIR}/ca.crt`, problems);
  return {
    tls_config: {
      ...(tls.insecureSkipVerify !== undefined ? { insecure_skip_verify: tls.insecureSkipVerify === true } : {}),
      ...(tls.serverName !== undefined ? { server_name: tls.serverName } : {}),
      ...(tls.caFile !== undefined ? { ca_file: tls.caFile } : {}),
    },
  };
}

/** `bearerTokenFile`: only the pod's own service-account token exists in the scraper; written as `authorization.credentials_file` (the same header). */
function bearerTokenFile(source: YamlSource, path: KeyPath, file: unknown, problems: InputProblem[]): object {
  if (file === undefined) return {};
  podFile(source, path, file, `${SERVICE_ACCOUNT_DIR}/token`, problems);
  return { authorization: { credentials_file: file } };
}

function podFile(source: YamlSource, path: KeyPath, file: unknown, only: string, problems: InputProblem[]): void {
  if (file !== only) problems.push(source.problem(path, `${describeValue(file)} is unsupported: the only such file in the scraping pod is ${only}`));
}

/** The CRD's camelCase relabel configs as Prometheus' snake_case; actions lower-cased, as the operator writes them. */
function userRelabelings(source: YamlSource, path: KeyPath, list: unknown, problems: InputProblem[]): object[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    problems.push(source.problem(path, `expected a list of relabel configs, got ${describeValue(list)}`));
    return [];
  }
  return list.flatMap((r, i) => {
    if (!isMapping(r)) {
      problems.push(source.problem([...path, i], `a relabel config is a mapping, got ${describeValue(r)}`));
      return [];
    }
    problems.push(...unknownKeyProblems(source, [...path, i], r, Object.keys(RELABEL_FIELDS)));
    // Target relabelings decide which pods are admitted from the scraper (targets.ts); metric relabelings do not.
    const problem = path.at(-1) === 'relabelings' ? emulationProblem({ action: r.action as string | undefined, regex: r.regex as string | undefined }) : undefined;
    if (problem) problems.push(source.problem([...path, i, problem.key], problem.message));
    return [
      Object.fromEntries(
        Object.entries(RELABEL_FIELDS)
          .filter(([k]) => r[k] !== undefined)
          .map(([k, v]) => [v, k === 'action' ? String(r[k]).toLowerCase() : r[k]]),
      ),
    ];
  });
}

function stringList(source: YamlSource, path: KeyPath, value: unknown, problems: InputProblem[]): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  problems.push(source.problem(path, `expected a list of strings, got ${describeValue(value)}`));
  return [];
}
