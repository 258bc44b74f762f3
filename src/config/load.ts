import { existsSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { alertingProblems, readTemplates } from '../alerting/validate.ts';
import { InputError, type InputProblem } from '../errors.ts';
import { describeValue } from '../input/shape.ts';
import { formatKeyPath, parseYaml, readYamlFile, type KeyPath, type YamlSource } from '../input/yaml-source.ts';
import { extraScrapeConfigProblems } from '../scrape/extra.ts';
import { IMAGES } from '../model/images.ts';
import { readImageDigests } from './images.ts';
import { overrideProblems } from './overrides.ts';
import { validateConfig } from './validator.ts';
import { re2Problem } from './re2.ts';
import { grafanaProblems } from './grafana-checks.ts';
import { redactionProblems } from './redaction-checks.ts';
import { applySize } from './sizes.ts';
import { parseDuration } from '../duration.ts';
import { resolveTopology, topologyProblems, victoriaMetricsInUse, type Topology } from '../model/topology.ts';
import { metricsMode, type StackConfig } from '../model/types.ts';


export interface LoadOptions {
  /**
   * Read `images.lock.yaml` where `images.digests` is true, and refuse images it lacks; `o11y images
   * lock`, which writes it, loads without. @default true
   */
  readonly imageLock?: boolean;
}

/** Loads and validates a config file; throws {@link InputError} listing every located problem. */
export function loadConfigFile(file: string, options: LoadOptions = {}): StackConfig {
  return resolveConfig(onlyDocument(readYamlFile(file), file), options);
}

/** Same as {@link loadConfigFile} for text already in memory (`file` names it in messages). */
export function parseConfig(text: string, file: string): StackConfig {
  return resolveConfig(onlyDocument(parseYaml(text, file), file));
}

/**
 * Locates problems found after loading in the config they came from: at their key in the file
 * when it can be read again, else (typed props, no file) by key path alone.
 */
export function locateInConfig(source: string, problems: readonly { path: KeyPath; message: string }[]): InputProblem[] {
  const doc = existsSync(source) ? readYamlFile(source)[0] : undefined;
  return problems.map(({ path, message }) => (doc ? doc.problem(path, message) : { location: { file: source, line: 0, column: 0 }, path: formatKeyPath(path), message }));
}

function onlyDocument(docs: YamlSource[], file: string): YamlSource {
  if (docs.length !== 1) {
    const where = docs[1]?.at([]) ?? { file, line: 1, column: 1 };
    throw new InputError([{ location: where, path: '', message: `expected exactly one YAML document, found ${docs.length}` }]);
  }
  return docs[0]!;
}

function resolveConfig(source: YamlSource, options: LoadOptions = {}): StackConfig {
  const raw = source.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError([source.problem([], 'the config must be a mapping of keys such as name, clusters, components')]);
  }
  const invalid = validateConfig(raw);
  if (invalid) throw new InputError(explain(source, invalid));
  applySize(raw as Parameters<typeof applySize>[0]);
  const config = raw as Omit<StackConfig, 'source' | 'agentNamespace' | 'imageDigests'> & { agentNamespace?: string };
  const problems = semanticProblems(source, config);
  const images = options.imageLock === false ? { digests: {}, problems: [] } : readImageDigests(source, config, Object.values(IMAGES));
  problems.push(...images.problems);
  if (problems.length) throw new InputError(problems);
  // `alerting.templates` is written as file paths and resolved to the files' contents.
  const written = config.alerting as { templates: string[] } | undefined;
  const alerting = written && { ...config.alerting!, templates: readTemplates(source.file, written.templates) };
  return { ...config, ...(alerting ? { alerting } : {}), source: source.file, agentNamespace: config.agentNamespace ?? `${config.namespace}-agent`, imageDigests: images.digests };
}

/** Folders of `dist/` beside the cluster folders: a cluster may not take their names. */
const RESERVED_FOLDERS: Readonly<Record<string, string>> = {
  argocd: 'dist/argocd/ holds the Argo CD objects',
  flux: 'dist/flux/ holds the Flux objects',
  promtool: 'dist/promtool/ holds the rule files and promtool tests',
};

/** Rules that JSON Schema cannot express. */
function semanticProblems(source: YamlSource, config: Omit<StackConfig, 'source' | 'agentNamespace' | 'imageDigests'> & { agentNamespace?: string }): InputProblem[] {
  const problems: InputProblem[] = [];
  const seen = new Map<string, number>();
  config.clusters.forEach((c, i) => {
    const first = seen.get(c.name);
    if (first !== undefined) {
      problems.push(source.problem(['clusters', i, 'name'], `duplicate cluster name "${c.name}" (first used by clusters[${first}]); names must be unique`));
    } else seen.set(c.name, i);
    if (Object.hasOwn(RESERVED_FOLDERS, c.name)) problems.push(source.problem(['clusters', i, 'name'], `${RESERVED_FOLDERS[c.name]}; choose another cluster name`));
  });
  problems.push(...topologyProblems(source, config));
  problems.push(...alertingProblems(source, config as Parameters<typeof alertingProblems>[1]));
  problems.push(...grafanaProblems(source, config));
  problems.push(...overrideProblems(source, config, resolveTopology(config)));
  problems.push(...metricsModeProblems(source, config));
  // The stack's Prometheus loads rule files from ConfigMaps and runs no prometheus-operator:
  // PrometheusRule objects instead would leave it without a single alert.
  if (config.components.prometheus.ruleFormat === 'prometheus-rule') {
    problems.push(
      source.problem(
        ['components', 'prometheus', 'ruleFormat'],
        'prometheus-rule would leave the stack\'s Prometheus, which loads rule files from ConfigMaps only, without alerts; remove it (configmap is the default) and, for a prometheus-operator of your own, use `o11y slo generate --format prometheus-rule`',
      ),
    );
  }
  problems.push(...extraScrapeConfigProblems(source, config.scrape.extraConfigs));
  // The gateway compiles these with Go's regexp when it starts: a pattern it refuses stops it.
  config.cardinality.urlTemplates.forEach(({ pattern }, i) => {
    const problem = re2Problem(pattern);
    if (problem) problems.push(source.problem(['cardinality', 'urlTemplates', i, 'pattern'], `${problem} by the collector's regular expressions (Go's RE2 syntax: https://github.com/google/re2/wiki/Syntax)`));
  });
  problems.push(...redactionProblems(source, config));
  if (config.agentNamespace === config.namespace) {
    problems.push(source.problem(['agentNamespace'], `must differ from namespace "${config.namespace}": the node agents need a namespace with a relaxed Pod Security level`));
  }
  return problems;
}

/** `clusters[].metrics`: only backends store metrics; Prometheus-only settings have no meaning in the VictoriaMetrics mode. */
function metricsModeProblems(source: YamlSource, config: Pick<StackConfig, 'clusters' | 'components' | 'backends' | 'routing'>): InputProblem[] {
  const problems: InputProblem[] = [];
  const topology = resolveTopology(config as StackConfig);
  const prometheus = config.components.prometheus;
  config.clusters.forEach((c, i) => {
    if (!c.metrics) return;
    if (!topology.rolesOf(c).has('backend')) {
      problems.push(source.problem(['clusters', i, 'metrics'], `cluster "${c.name}" is not a backend and stores no metrics; remove metrics (allowed on clusters with role backend)`));
    } else if (c.metrics.mode === 'victoriametrics-cluster') {
      const unsupported = [
        ...(prometheus.remoteWrite.length ? [['remoteWrite', 'vmagent writes to vminsert only in this mode']] : []),
        ...(prometheus.expose ? [['expose', 'expose vmselect through your own ingress in this mode']] : []),
        ...((parseDuration(prometheus.retention ?? '') ?? Infinity) < 86400 ? [['retention', 'vmstorage keeps data at least 24h']] : []),
      ];
      for (const [key, why] of unsupported) {
        problems.push(source.problem(['components', 'prometheus', key!], `not supported with clusters[${i}].metrics.mode victoriametrics-cluster (${why}); remove it or use mode prometheus`));
      }
    }
  });
  return [...problems, ...globalSelectProblems(source, config, topology)];
}

/** `components.victoriametrics.globalSelect` needs a victoriametrics-cluster backend, and a way to reach each one outside the Grafana cluster. */
function globalSelectProblems(source: YamlSource, config: Pick<StackConfig, 'clusters' | 'components'>, topology: Topology): InputProblem[] {
  const enabled = config.components.victoriametrics.globalSelect;
  const problems: InputProblem[] = [];
  if (enabled && !victoriaMetricsInUse(config.clusters, topology)) {
    problems.push(source.problem(['components', 'victoriametrics', 'globalSelect'], 'no backend cluster runs metrics.mode victoriametrics-cluster, so there is nothing for a global vmselect to read; set it on a backend or remove globalSelect'));
  }
  config.clusters.forEach((c, i) => {
    const remoteVm = topology.rolesOf(c).has('backend') && metricsMode(c) === 'victoriametrics-cluster' && c.name !== topology.grafanaCluster.name;
    if (enabled && remoteVm && !c.metrics?.clusternativeEndpoint) {
      problems.push(source.problem(['clusters', i, 'metrics'], `the global vmselect in the Grafana cluster "${topology.grafanaCluster.name}" needs clusternativeEndpoint: host:port where it reaches this backend's vmselect on port 8401 (over your private network)`));
    }
    if (c.metrics?.clusternativeEndpoint && !(enabled && remoteVm)) {
      problems.push(source.problem(['clusters', i, 'metrics', 'clusternativeEndpoint'], 'only read with components.victoriametrics.globalSelect, on a victoriametrics-cluster backend other than the Grafana cluster; remove it'));
    }
  });
  return problems;
}

/** Turns Ajv errors into located, human messages that say what is allowed. */
function explain(source: YamlSource, errors: ErrorObject[]): InputProblem[] {
  const problems = new Map<string, InputProblem>();
  for (const e of errors) {
    const path = toKeyPath(e.instancePath);
    let problem: InputProblem;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((e.parentSchema as { properties: object }).properties).join(', ');
        const keyPath = [...path, key];
        problem = { ...source.problem(keyPath, `unknown key "${key}"; allowed keys: ${allowed}`), location: source.keyAt(keyPath) };
        break;
      }
      case 'required': {
        const key = (e.params as { missingProperty: string }).missingProperty;
        problem = source.problem(path, `missing required key "${key}"`);
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.join(', ');
        problem = source.problem(path, `${JSON.stringify(e.data)} is not one of ${allowed}`);
        break;
      }
      case 'pattern':
      case 'maxLength':
      case 'minLength':
      case 'maximum': {
        const allowed = (e.parentSchema as { allowed?: string }).allowed;
        problem = source.problem(path, `${JSON.stringify(e.data)} is not allowed; expected ${allowed ?? e.message}`);
        break;
      }
      case 'type':
        problem = source.problem(path, `expected ${(e.params as { type: string }).type}, got ${describeValue(e.data)}`);
        break;
      case 'minItems':
        problem = source.problem(path, `must list at least ${(e.params as { limit: number }).limit} item(s)`);
        break;
      case 'minProperties':
      case 'maxProperties': {
        const allowed = (e.parentSchema as { allowed?: string }).allowed;
        problem = source.problem(path, allowed ?? `needs at least ${(e.params as { limit: number }).limit} keys`);
        break;
      }
      case 'uniqueItems':
        problem = source.problem(path, `must not list the same value twice`);
        break;
      default:
        problem = source.problem(path, `${describeValue(e.data)} ${e.message ?? 'is invalid'}`);
    }
    // Ajv may report the same node more than once (e.g. type and enum); keep the first message.
    const key = `${problem.path}|${e.keyword === 'additionalProperties' ? problem.message : ''}`;
    if (!problems.has(key)) problems.set(key, problem);
  }
  return [...problems.values()].sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column);
}

function toKeyPath(instancePath: string): KeyPath {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
