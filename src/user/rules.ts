import { formatProblem, InputError, type InputProblem, type SourceLocation } from '../errors.ts';
import { describeValue, isMapping, unknownKeyProblems } from '../input/shape.ts';
import { readYamlFile, type KeyPath, type YamlSource } from '../input/yaml-source.ts';
import { promqlError } from '../slo/promql.ts';
import type { RuleFileOutput } from '../synth-types.ts';

/** ConfigMap and file name of the user's rules (`rules:` in the config), beside the stack's own rule files. */
export const USER_RULES = { configMap: 'prometheus-rules-user', fileName: 'user.rules.yaml' } as const;

// The keys Prometheus 3's rule file format (rulefmt) accepts; it refuses any other.
const GROUP_KEYS = ['name', 'interval', 'query_offset', 'limit', 'labels', 'rules'];
const ALERT_KEYS = ['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'];
const RECORD_KEYS = ['record', 'expr', 'labels'];
const DURATION = /^(0|(\d+(ms|s|m|h|d|w|y))+)$/;

/**
 * Reads and checks the user's rule files (parse, rule file structure, PromQL syntax of every
 * `expr`) and joins their groups, in file order, into one rule file. Throws {@link InputError}
 * with every problem, located in the rule files; undefined when there are no files.
 */
export function loadUserRules(files: readonly string[]): RuleFileOutput | undefined {
  if (!files.length) return undefined;
  const groups: object[] = [];
  const origins: SourceLocation[] = [];
  const problems: InputProblem[] = [];
  for (const file of files) {
    let docs: YamlSource[];
    try {
      docs = readYamlFile(file);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problems.push(...e.problems);
      continue;
    }
    if (docs.length > 1) {
      problems.push(docs[1]!.problem([], `a rule file is one YAML document; found ${docs.length} (Prometheus would read only the first)`));
      continue;
    }
    const source = docs[0];
    if (!source) continue;
    const found = ruleFileProblems(source);
    problems.push(...found);
    if (found.length) continue;
    const content = source.toJS() as { groups?: object[] } | null;
    (content?.groups ?? []).forEach((group, i) => {
      groups.push(group);
      origins.push(source.at(['groups', i, 'name']));
    });
  }
  if (problems.length) throw new InputError(problems);
  return { ...USER_RULES, content: { groups }, origins };
}

/** Everything Prometheus would refuse in one rule file that can be told without evaluating it. */
export function ruleFileProblems(source: YamlSource): InputProblem[] {
  const file = source.toJS();
  if (file === null || file === undefined) return [];
  if (!isMapping(file)) return [source.problem([], `a rule file is a mapping with \`groups:\`, got ${describeValue(file)}`)];
  const problems = unknownKeyProblems(source, [], file, ['groups']);
  if (file.groups === undefined || file.groups === null) return problems;
  if (!Array.isArray(file.groups)) return [...problems, source.problem(['groups'], `expected a list of rule groups, got ${describeValue(file.groups)}`)];
  file.groups.forEach((group, g) => problems.push(...groupProblems(source, ['groups', g], group)));
  return problems;
}

function groupProblems(source: YamlSource, path: KeyPath, group: unknown): InputProblem[] {
  if (!isMapping(group)) return [source.problem(path, `a rule group is a mapping with name and rules, got ${describeValue(group)}`)];
  const problems = unknownKeyProblems(source, path, group, GROUP_KEYS);
  if (typeof group.name !== 'string' || !group.name) problems.push(source.problem([...path, 'name'], 'every rule group needs a name (a non-empty string)'));
  for (const key of ['interval', 'query_offset']) problems.push(...durationProblem(source, [...path, key], group[key]));
  if (group.limit !== undefined && !(Number.isInteger(group.limit) && (group.limit as number) >= 0)) {
    problems.push(source.problem([...path, 'limit'], `expected a whole number ≥ 0, got ${describeValue(group.limit)}`));
  }
  problems.push(...labelsProblems(source, [...path, 'labels'], group.labels));
  if (group.rules === undefined || group.rules === null) return problems;
  if (!Array.isArray(group.rules)) return [...problems, source.problem([...path, 'rules'], `expected a list of rules, got ${describeValue(group.rules)}`)];
  group.rules.forEach((rule, r) => problems.push(...ruleProblems(source, [...path, 'rules', r], rule)));
  return problems;
}

function ruleProblems(source: YamlSource, path: KeyPath, rule: unknown): InputProblem[] {
  if (!isMapping(rule)) return [source.problem(path, `a rule is a mapping with alert or record, and expr; got ${describeValue(rule)}`)];
  const alerting = rule.alert !== undefined;
  if (alerting === (rule.record !== undefined)) {
    return [source.problem(path, alerting ? 'a rule has either alert or record, not both' : 'a rule needs alert (an alerting rule) or record (a recording rule)')];
  }
  const nameKey = alerting ? 'alert' : 'record';
  const problems = unknownKeyProblems(source, path, rule, alerting ? ALERT_KEYS : RECORD_KEYS, (key) =>
    `${key} is not allowed in ${alerting ? 'an alerting' : 'a recording'} rule; allowed keys: ${(alerting ? ALERT_KEYS : RECORD_KEYS).join(', ')}`,
  );
  if (typeof rule[nameKey] !== 'string' || !rule[nameKey]) problems.push(source.problem([...path, nameKey], `${nameKey} must be a non-empty string`));
  const expr = typeof rule.expr === 'number' ? String(rule.expr) : rule.expr;
  if (typeof expr !== 'string' || !expr.trim()) {
    problems.push(source.problem([...path, 'expr'], 'every rule needs expr, a PromQL expression'));
  } else {
    const error = promqlError(expr);
    if (error) problems.push(source.problem([...path, 'expr'], error));
  }
  for (const key of ['for', 'keep_firing_for']) problems.push(...durationProblem(source, [...path, key], rule[key]));
  problems.push(...labelsProblems(source, [...path, 'labels'], rule.labels));
  if (rule.annotations !== undefined) problems.push(...labelsProblems(source, [...path, 'annotations'], rule.annotations));
  return problems;
}

function durationProblem(source: YamlSource, path: KeyPath, value: unknown): InputProblem[] {
  if (value === undefined || (typeof value === 'string' && DURATION.test(value))) return [];
  return [source.problem(path, `${describeValue(value)} is not a Prometheus duration such as 30s, 5m or 1h30m`)];
}

/** Labels and annotations: a mapping of names (any UTF-8 in Prometheus 3) to scalar values. */
function labelsProblems(source: YamlSource, path: KeyPath, labels: unknown): InputProblem[] {
  if (labels === undefined || labels === null) return [];
  if (!isMapping(labels)) return [source.problem(path, `expected a mapping of names to values, got ${describeValue(labels)}`)];
  return Object.entries(labels).flatMap(([name, value]) =>
    typeof value === 'object' && value !== null ? [source.problem([...path, name], `expected a string value, got ${describeValue(value)}`)] : [],
  );
}

/**
 * Group names that appear twice among the rule files one Prometheus loads (Prometheus refuses
 * duplicates within a file; across files they make alerts and `o11y check` ambiguous). A clash
 * is located at the user's group; between two generated groups it is a bug of ours.
 */
export function duplicateGroupProblems(ruleFiles: readonly RuleFileOutput[]): InputProblem[] {
  const first = new Map<string, { file: string; at?: SourceLocation }>();
  const problems: InputProblem[] = [];
  for (const rules of ruleFiles) {
    rules.content.groups.forEach((group, i) => {
      const name = (group as { name: string }).name;
      const at = rules.origins?.[i];
      const earlier = first.get(name);
      if (!earlier) {
        first.set(name, { file: rules.fileName, at });
        return;
      }
      const clash = at ? { at, other: earlier } : earlier.at ? { at: earlier.at, other: { file: rules.fileName, at: undefined } } : undefined;
      if (!clash) throw new Error(`generated rule group "${name}" appears in ${earlier.file} and ${rules.fileName}`);
      const where = clash.other.at ? formatProblem({ location: clash.other.at, path: '', message: '' }).trim() : `the stack's ${clash.other.file}`;
      problems.push({ location: clash.at, path: '', message: `duplicate rule group name "${name}" (also in ${where}); rule group names must be unique across the rule files Prometheus loads` });
    });
  }
  return problems;
}
