import type { InputProblem } from '../errors.ts';
import type { KeyPath, YamlSource } from '../input/yaml-source.ts';
import { clusterRedaction } from '../model/redaction.ts';
import type { ClusterConfig, RedactionActionConfig, RedactionConfig } from '../model/types.ts';
import { PRESET_NAMES } from '../redaction/presets.ts';
import { matchesEmpty, re2Problem } from './re2.ts';

const RE2 = "by the collector's regular expressions (Go's RE2 syntax: https://github.com/google/re2/wiki/Syntax)";

/** `redaction` rules that JSON Schema cannot express, in the top-level section and each cluster's. */
export function redactionProblems(source: YamlSource, config: { redaction?: RedactionConfig; clusters: readonly ClusterConfig[] }): InputProblem[] {
  const problems: InputProblem[] = [];
  const sections: [KeyPath, RedactionConfig | undefined][] = [[['redaction'], config.redaction], ...config.clusters.map((c, i): [KeyPath, RedactionConfig | undefined] => [['clusters', i, 'redaction'], c.redaction])];
  for (const [at, r] of sections) {
    if (!r) continue;
    for (const [name, a] of Object.entries(r.presets ?? {})) problems.push(...actionProblems(source, [...at, 'presets', name], a));
    problems.push(...patternProblems(source, [...at, 'patterns'], r.patterns ?? []));
    for (const [namespace, n] of Object.entries(r.namespaces ?? {})) {
      const path = [...at, 'namespaces', namespace];
      if (n.exempt && n.patterns) problems.push(source.problem([...path, 'patterns'], `namespace "${namespace}" is exempt: its patterns would never run; remove exempt or patterns`));
      problems.push(...patternProblems(source, [...path, 'patterns'], n.patterns ?? []));
    }
  }
  // `hash` needs the salt of the section it ends up in: a cluster may take it from the top level.
  config.clusters.forEach((c, i) => {
    const r = clusterRedaction(config, c);
    if (!r?.enabled || r.salt) return;
    const owner = (key: 'presets' | 'patterns' | 'namespaces'): KeyPath => (c.redaction?.[key] ? ['clusters', i, 'redaction', key] : ['redaction', key]);
    const hashing: KeyPath[] = [
      ...Object.entries(r.presets ?? {}).flatMap(([name, a]) => (a.action === 'hash' ? [[...owner('presets'), name, 'action']] : [])),
      ...(r.patterns ?? []).flatMap((p, j) => (p.action === 'hash' ? [[...owner('patterns'), j, 'action']] : [])),
      ...Object.entries(r.namespaces ?? {}).flatMap(([ns, n]) => (n.patterns ?? []).flatMap((p, j) => (p.action === 'hash' ? [[...owner('namespaces'), ns, 'patterns', j, 'action']] : []))),
    ];
    for (const path of hashing) {
      problems.push(source.problem(path, `hash needs a salt (cluster "${c.name}"): add redaction.salt: { secret: <Secret name>, key: <key> }, a Secret you create, so that hashes cannot be reversed by hashing guesses`));
    }
  });
  return dedupe(problems);
}

/** A list of custom patterns: each compiles in RE2, matches no empty string, has a unique name and a sound action. */
function patternProblems(source: YamlSource, at: KeyPath, patterns: NonNullable<RedactionConfig['patterns']>): InputProblem[] {
  const problems: InputProblem[] = [];
  const names = new Set<string>();
  patterns.forEach((p, i) => {
    const path = [...at, i];
    if (PRESET_NAMES.includes(p.name) || names.has(p.name)) problems.push(source.problem([...path, 'name'], `"${p.name}" is already the name of a ${names.has(p.name) ? 'pattern above' : 'preset'}; names say which rule redacted, so each must be unique`));
    names.add(p.name);
    const invalid = re2Problem(p.pattern);
    if (invalid) problems.push(source.problem([...path, 'pattern'], `${invalid} ${RE2}`));
    else if (matchesEmpty(p.pattern)) problems.push(source.problem([...path, 'pattern'], 'matches the empty string, so it would rewrite every value; a pattern must match at least one character (no x*, a|, \\b alone)'));
    problems.push(...actionProblems(source, path, p));
  });
  return problems;
}

function actionProblems(source: YamlSource, path: KeyPath, a: RedactionActionConfig): InputProblem[] {
  const action = a.action ?? 'mask';
  const problems: InputProblem[] = [];
  if (action === 'drop' && !a.keys) problems.push(source.problem(path, 'drop needs keys: the attribute keys to delete when their value matches (OTTL deletes attributes by key, not by value)'));
  if (a.keys && action !== 'drop') problems.push(source.problem([...path, 'keys'], `keys apply to action drop only, not ${action}`));
  if (a.keepLast !== undefined && action !== 'mask') problems.push(source.problem([...path, 'keepLast'], `keepLast applies to action mask only, not ${action}`));
  return problems;
}

/** Two clusters inheriting one top-level hash would report it twice. */
function dedupe(problems: InputProblem[]): InputProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.location.line}:${p.location.column}:${p.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
