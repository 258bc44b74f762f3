/**
 * A small evaluator of the stanza operators the agent configures (`regex_parser` with its `trace`
 * block, `trace_parser`, `remove`), following contrib's pkg/stanza docs and code: named captures
 * merged into `parse_to`, a trace block that sets all three trace fields (absent ones to none),
 * `on_error: send*` passing a failed entry on unchanged. Anything else is refused, so a test cannot
 * pass over an operator it does not understand. Go's RE2 syntax is read as JavaScript's, which
 * agrees on what these operators use (classes, `\b`, `\s`, repetition, named groups).
 */

export interface Entry {
  body: unknown;
  attributes: Record<string, unknown>;
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

type Operator = Record<string, unknown> & { type: string };
type Path = { root: 'body' | 'attributes'; keys: string[] };

/** A stanza field: `body`, `body.a.b`, `attributes.a`; no prefix means `body`. */
function path(field: string): Path {
  const [first, ...rest] = field.split('.');
  if (first === 'attributes' || first === 'body') return { root: first, keys: rest };
  if (first === 'resource') throw new Error(`resource fields are not supported: ${field}`);
  return { root: 'body', keys: [first!, ...rest] };
}

function get(entry: Entry, field: string): unknown {
  const { root, keys } = path(field);
  let cur: unknown = entry[root];
  for (const k of keys) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A map value is merged into the field (stanza's Merge); anything else replaces it. */
function set(entry: Entry, field: string, value: unknown): void {
  const { root, keys } = path(field);
  if (!keys.length && root === 'body') {
    entry.body = value;
    return;
  }
  let map = entry[root] as Record<string, unknown>;
  const parents = value && typeof value === 'object' ? keys : keys.slice(0, -1);
  for (const k of parents) {
    if (!map[k] || typeof map[k] !== 'object') map[k] = {};
    map = map[k] as Record<string, unknown>;
  }
  if (value && typeof value === 'object') Object.assign(map, value);
  else map[keys[keys.length - 1]!] = value;
}

function remove(entry: Entry, field: string): boolean {
  const { root, keys } = path(field);
  const parent = keys.slice(0, -1).reduce<unknown>((m, k) => (m && typeof m === 'object' ? (m as Record<string, unknown>)[k] : undefined), entry[root]);
  const last = keys[keys.length - 1]!;
  if (!parent || typeof parent !== 'object' || !(last in parent)) return false;
  delete (parent as Record<string, unknown>)[last];
  return true;
}

/** The only `if` form supported: `<field> != nil`. */
function condition(entry: Entry, expr: unknown): boolean {
  if (expr === undefined) return true;
  const m = /^\s*(\S+)\s*!=\s*nil\s*$/.exec(String(expr));
  if (!m) throw new Error(`unsupported if expression: ${String(expr)}`);
  return get(entry, m[1]!) !== undefined;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** The trace block: each of trace_id, span_id, trace_flags from its field (default `body.<name>`), hex, or none. */
function parseTrace(entry: Entry, config: Record<string, { parse_from?: string } | undefined>): void {
  for (const name of ['trace_id', 'span_id', 'trace_flags'] as const) {
    const value = get(entry, config[name]?.parse_from ?? `body.${name}`);
    if (value === undefined) delete entry[name];
    else if (HEX.test(String(value))) entry[name] = String(value).toLowerCase();
    else throw new Error(`${name} ${String(value)} is not hex`);
  }
}

function regexParse(entry: Entry, op: Operator): void {
  const value = get(entry, (op.parse_from as string | undefined) ?? 'body');
  if (typeof value !== 'string') throw new Error('regex_parser: the value to parse is not a string');
  const match = new RegExp(String(op.regex).replaceAll('(?P<', '(?<')).exec(value);
  if (!match) throw new Error('regex pattern does not match');
  // Go reports every named group; one that took no part is the empty string.
  const parsed = Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, v]) => [k, v ?? '']));
  set(entry, (op.parse_to as string | undefined) ?? 'attributes', parsed);
  if (op.trace) parseTrace(entry, op.trace as Record<string, { parse_from?: string }>);
}

/** Runs `operators` in order on a copy of `entry`; undefined when an operator dropped it. */
export function applyStanzaOperators(operators: readonly object[], entry: Entry): Entry | undefined {
  let current: Entry = structuredClone(entry);
  for (const raw of operators) {
    const op = raw as Operator;
    if (!condition(current, op.if)) continue;
    const before = structuredClone(current);
    try {
      if (op.type === 'regex_parser') regexParse(current, op);
      else if (op.type === 'trace_parser') parseTrace(current, op as Record<string, { parse_from?: string }>);
      else if (op.type === 'remove') {
        if (!remove(current, String(op.field))) throw new Error(`remove: field ${String(op.field)} does not exist`);
      } else throw new Error(`unsupported operator type ${op.type}`);
    } catch (e) {
      if (/^unsupported/.test((e as Error).message)) throw e;
      const onError = (op.on_error as string | undefined) ?? 'send';
      if (onError.startsWith('drop')) return undefined;
      current = before;
    }
  }
  return current;
}
