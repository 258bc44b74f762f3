import type { InputProblem } from '../errors.ts';
import type { YamlSource } from '../input/yaml-source.ts';
import { MONITOR_JOB_PREFIXES, STACK_SCRAPE_JOBS } from './jobs.ts';

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
  });
  return problems;
}
