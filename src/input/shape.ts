import type { InputProblem } from '../errors.ts';
import type { KeyPath, YamlSource } from './yaml-source.ts';

/** A YAML/JSON mapping (not a list, not null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A problem for every key of `value` (a mapping at `path`) that `allowed` does not list, located at the key. */
export function unknownKeyProblems(
  source: YamlSource,
  path: KeyPath,
  value: Record<string, unknown>,
  allowed: readonly string[],
  message: (key: string) => string = (key) => `unknown key "${key}"; allowed keys: ${allowed.join(', ')}`,
): InputProblem[] {
  return Object.keys(value)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({ ...source.problem([...path, key], message(key)), location: source.keyAt([...path, key]) }));
}

/** `value` in a message: strings quoted, mappings and lists named. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}
