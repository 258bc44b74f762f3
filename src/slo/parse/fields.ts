import type { InputProblem } from '../../errors.ts';
import type { KeyPath, YamlSource } from '../../input/yaml-source.ts';
import { parseDuration } from '../../duration.ts';
import type { Seconds } from '../model.ts';

/** Prometheus label names; names starting with `__` are reserved. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A typed, located view of one YAML mapping. Every accessor records a located problem instead of
 * throwing, so one run reports everything wrong with a file.
 */
export class Fields {
  private constructor(
    readonly source: YamlSource,
    readonly path: KeyPath,
    readonly value: Readonly<Record<string, unknown>>,
    readonly problems: InputProblem[],
  ) {}

  /** A view of `value` at `path`, or undefined (with a problem) when it is not a mapping. */
  static of(source: YamlSource, path: KeyPath, value: unknown, problems: InputProblem[], what: string): Fields | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(source.problem(path, `${what} must be a mapping`));
      return undefined;
    }
    return new Fields(source, path, value as Record<string, unknown>, problems);
  }

  at(key: string | number): KeyPath {
    return [...this.path, key];
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  /** Records a problem {@link located} at `key`. */
  problem(key: string | number | undefined, message: string): void {
    this.problems.push(this.located(key, message));
  }

  /** A problem at `key`'s value; for a mapping or list value, at the key itself (its first line is elsewhere). */
  located(key: string | number | undefined, message: string): InputProblem {
    if (key === undefined) return this.source.problem(this.path, message);
    const path = this.at(key);
    const value = this.value[key];
    const problem = this.source.problem(path, message);
    return value !== null && typeof value === 'object' ? { ...problem, location: this.source.keyAt(path) } : problem;
  }

  /** Reports every key not in `allowed` (typos must not pass silently). */
  allowOnly(allowed: readonly string[]): this {
    for (const key of Object.keys(this.value)) {
      if (!allowed.includes(key)) {
        const path = this.at(key);
        this.problems.push({ ...this.source.problem(path, `unknown key "${key}"; allowed keys: ${allowed.join(', ')}`), location: this.source.keyAt(path) });
      }
    }
    return this;
  }

  string(key: string, required: false): string | undefined;
  string(key: string, required?: true): string;
  string(key: string, required = true): string | undefined {
    const v = this.value[key];
    if (v === undefined || v === null || v === '') {
      if (required) this.problem(key, 'required');
      return required ? '' : undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.problem(key, `must be a string, got ${describe(v)}`);
      return '';
    }
    return String(v);
  }

  number(key: string): number | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      this.problem(key, `must be a number, got ${describe(v)}`);
      return undefined;
    }
    return n;
  }

  bool(key: string): boolean {
    const v = this.value[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') this.problem(key, `must be true or false, got ${describe(v)}`);
    return v === true;
  }

  duration(key: string): Seconds | undefined {
    const text = this.string(key, false);
    if (text === undefined) return undefined;
    const seconds = parseDuration(text);
    if (seconds === undefined) this.problem(key, `"${text}" is not a duration such as 5m, 6h, 30d`);
    return seconds;
  }

  object(key: string, what = key): Fields | undefined {
    if (!this.has(key)) return undefined;
    return Fields.of(this.source, this.at(key), this.value[key], this.problems, what);
  }

  /** Items of a list, each with its key path; a missing key is an empty list. */
  list(key: string): { path: KeyPath; value: unknown }[] {
    const v = this.value[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.problem(key, `must be a list, got ${describe(v)}`);
      return [];
    }
    return v.map((value, i) => ({ path: [...this.path, key, i], value }));
  }

  /**
   * A label map: valid Prometheus label names, string values. `listValues` accepts OpenSLO's
   * `labels: {team: [a, b]}` by joining list values with commas.
   */
  labels(key: string, listValues = false): Record<string, string> {
    const map = this.object(key, `${key}`);
    if (!map) return {};
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(map.value)) {
      const value = listValues && Array.isArray(raw) ? raw.map(String).join(',') : raw;
      if (!LABEL_NAME.test(name) || name.startsWith('__')) {
        map.problem(name, `label name "${name}" is not valid: use letters, digits and _, not starting with a digit or __`);
      } else if (value === undefined || value === null || value === '' || typeof value === 'object') {
        map.problem(name, `label "${name}" needs a non-empty string value`);
      } else {
        out[name] = String(value);
      }
    }
    return out;
  }
}

export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
