import type { InputProblem } from '../errors.ts';
import type { KeyPath, YamlSource } from '../input/yaml-source.ts';
import { MONITOR_JOB_PREFIXES, STACK_SCRAPE_JOBS } from './jobs.ts';
import { emulationProblem, type RelabelConfig } from './relabel.ts';

/**
 * `scrape.extraConfigs` entries whose `job_name` Prometheus would refuse as a duplicate: the name
 * of a generated job, of an earlier extra config, or under the prefixes of converted monitors.
 * (That each entry is a mapping with a `job_name` is the schema's part.)
 */
export function extraScrapeConfigProblems(source: YamlSource, extraConfigs: readonly Record<string, unknown>[]): InputProblem[] {
  const problems: InputProblem[] = [];
  const generated = new Set<string>(Object.values(STACK_SCRAPE_JOBS));
  const first = new Map<string, number>();
  extraConfigs.forEach((entry, i) => {
    const name = String(entry.job_name);
    const path = ['scrape', 'extraConfigs', i, 'job_name'];
    const earlier = first.get(name);
    if (generated.has(name)) {
      problems.push(source.problem(path, `job_name "${name}" is a job the stack generates; generated jobs: ${[...generated].join(', ')}; pick another name`));
    } else if (MONITOR_JOB_PREFIXES.some((p) => name.startsWith(p))) {
      problems.push(source.problem(path, `job_name "${name}" starts with ${MONITOR_JOB_PREFIXES.join(' or ')}, which are kept for jobs converted from scrape.monitors; pick another name`));
    } else if (earlier !== undefined) {
      problems.push(source.problem(path, `duplicate job_name "${name}" (first used by scrape.extraConfigs[${earlier}]); job names must be unique`));
    } else first.set(name, i);
    problems.push(...emulationProblems(source, ['scrape', 'extraConfigs', i], entry));
  });
  return problems;
}

/**
 * What in an extra config keeps the stack from telling which pods it scrapes (the scrape flows are
 * derived from that, see targets.ts): discovery `selectors`, and target relabelling it cannot emulate.
 */
function emulationProblems(source: YamlSource, path: KeyPath, entry: Record<string, unknown>): InputProblem[] {
  const sds = Array.isArray(entry.kubernetes_sd_configs) ? (entry.kubernetes_sd_configs as Record<string, unknown>[]) : [];
  const rules = Array.isArray(entry.relabel_configs) ? (entry.relabel_configs as RelabelConfig[]) : [];
  return [
    ...sds.flatMap((sd, j) => (sd?.selectors !== undefined ? [source.problem([...path, 'kubernetes_sd_configs', j, 'selectors'], 'selectors are unsupported: the stack derives its NetworkPolicies from the targets a job selects; select with keep/drop relabel_configs on the discovery labels instead')] : [])),
    ...rules.flatMap((rule, j) => {
      const problem = rule && typeof rule === 'object' ? emulationProblem(rule) : undefined;
      return problem ? [source.problem([...path, 'relabel_configs', j, problem.key], problem.message)] : [];
    }),
  ];
}
