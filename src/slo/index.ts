import { formatProblem, InputError, type InputProblem } from '../errors.ts';
import { readYamlFile, type YamlSource } from '../input/yaml-source.ts';
import type { RunbookLink } from '../rules/runbook.ts';
import { serviceDashboard } from './dashboard.ts';
import type { Slo } from './model.ts';
import { parseSloSources } from './parse/index.ts';
import { promtoolTest } from './promtool.ts';
import { ruleGroups, type RuleGroup, type VmalertFlavour } from './rules.ts';

export type { Slo } from './model.ts';
export { PROMTOOL_RULE_FILE } from './promtool.ts';
export { isUnpairedProblem, type UnpairedProblem } from './parse/common.ts';

export interface CompiledSlos {
  /** Prometheus rule file content: { groups: [...] } (plain JS object, deterministic order). */
  ruleFile: { groups: object[] };
  /** promtool unit test files, written to dist/<cluster>/promtool/tests/<fileName>; each has rule_files: ['../rules/slo.rules.yaml'] */
  promtoolTests: { fileName: string; content: object }[];
  /** Grafana dashboards, one per service: provisioned from ConfigMaps. uid stable, datasource uid "prometheus". */
  dashboards: { fileName: string; json: object }[];
  /** PrometheusRule objects (monitoring.coreos.com/v1) for prometheus-operator output, namespace-less. */
  prometheusRules: object[];
  /** The SLOs, sorted by id. */
  slos: Slo[];
}

export interface CompileOptions {
  /** `app.kubernetes.io/part-of` of the PrometheusRule objects (the stack's config `name`). @default 'o11y' */
  readonly partOf?: string;
  /** Uid of the Prometheus datasource the dashboards' cloud selector starts on. @default 'prometheus' */
  readonly prometheusUid?: string;
  /** Where an SLO's alerts link when its file names no runbook (the stack's runbook). @default no link */
  readonly runbook?: RunbookLink;
  /** Rules (and their tests) for vmalert rather than Prometheus: the `victoriametrics-cluster` metrics mode. @default Prometheus */
  readonly vmalert?: VmalertFlavour;
}

/** Reads, validates and compiles SLO files; throws {@link InputError} with every located problem. */
export function compileSloFiles(files: readonly string[], options: CompileOptions = {}): CompiledSlos {
  const { slos, problems } = checkSloFiles(files);
  if (problems.length) throw new InputError(problems);
  return compileSlos(slos, options);
}

/** Reads and validates SLO files: the SLOs complete enough to build, sorted by id, and every problem. */
export function checkSloFiles(files: readonly string[]): { slos: Slo[]; problems: InputProblem[] } {
  const sources: YamlSource[] = [];
  const unreadable: InputProblem[] = [];
  for (const file of files) {
    try {
      sources.push(...readYamlFile(file));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      unreadable.push(...e.problems);
    }
  }
  return checkSlos(sources, unreadable);
}

/** Parses every document and checks what spans documents (duplicate SLOs). */
export function parseAndCheck(sources: readonly YamlSource[], earlier: InputProblem[] = []): Slo[] {
  const { slos, problems } = checkSlos(sources, earlier);
  if (problems.length) throw new InputError(problems);
  return slos;
}

function checkSlos(sources: readonly YamlSource[], earlier: InputProblem[]): { slos: Slo[]; problems: InputProblem[] } {
  const { slos, problems } = parseSloSources(sources);
  return {
    slos: [...slos].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    problems: [...earlier, ...problems, ...duplicateProblems(slos)],
  };
}

function duplicateProblems(slos: readonly Slo[]): InputProblem[] {
  const first = new Map<string, Slo>();
  const problems: InputProblem[] = [];
  for (const slo of slos) {
    const earlier = first.get(slo.id);
    if (!earlier) {
      first.set(slo.id, slo);
      continue;
    }
    const where = formatProblem({ location: earlier.origin.location, path: '', message: '' }).trim();
    problems.push({
      location: slo.origin.location,
      path: slo.origin.path,
      message: `duplicate SLO "${slo.name}" of service "${slo.service}" (sloth_id ${slo.id}), first defined at ${where}; SLO names must be unique per service`,
    });
  }
  return problems;
}

/** Everything generated from valid SLOs (sorted by id). */
export function compileSlos(slos: readonly Slo[], options: CompileOptions = {}): CompiledSlos {
  const groups = ruleGroups(slos, options.runbook, options.vmalert);
  const byService = new Map<string, Slo[]>();
  for (const slo of slos) (byService.get(slo.service) ?? byService.set(slo.service, []).get(slo.service)!).push(slo);
  const services = [...byService.keys()].sort();
  return {
    ruleFile: { groups },
    promtoolTests: slos.map((slo) => promtoolTest(slo, options.vmalert)),
    dashboards: services.map((s) => serviceDashboard(s, byService.get(s)!, options.prometheusUid)),
    prometheusRules: services.map((s) => prometheusRule(s, ruleGroups(byService.get(s)!, options.runbook, options.vmalert), options.partOf ?? 'o11y')),
    slos: [...slos],
  };
}

/** One PrometheusRule per service, like Sloth's controller writes per PrometheusServiceLevel. */
function prometheusRule(service: string, groups: RuleGroup[], partOf: string): object {
  const name = `slo-${service.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 253).replace(/-+$/, '');
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/name': 'prometheus',
        'app.kubernetes.io/instance': name,
        'app.kubernetes.io/component': 'slo-rules',
        'app.kubernetes.io/part-of': partOf,
        'app.kubernetes.io/managed-by': 'cdk8s-o11y',
      },
    },
    spec: { groups },
  };
}
