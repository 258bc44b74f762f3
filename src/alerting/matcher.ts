/**
 * Alertmanager's UTF-8 label matcher syntax (its default parser since 0.27), as documented in
 * https://prometheus.io/docs/alerting/latest/configuration/#matcher: a label name, one of
 * `=`, `!=`, `=~`, `!~`, and a value; names and values are unquoted literals or double-quoted
 * strings with Go's escapes. One string may hold several matchers, comma-separated, optionally
 * inside one pair of braces. Regular expressions are not compiled here: they are RE2, which
 * JavaScript's engine does not implement (`amtool check-config` in the tests checks them).
 */

export const MATCH_OPERATORS = ['=', '!=', '=~', '!~'] as const;
export type MatchOperator = (typeof MATCH_OPERATORS)[number];

export interface Matcher {
  readonly name: string;
  readonly op: MatchOperator;
  readonly value: string;
}

export class MatcherSyntaxError extends Error {}

/** Characters an unquoted literal cannot contain (besides whitespace). */
const RESERVED = new Set(['{', '}', '!', '=', '~', ',', '\\', '"', "'", '`']);
const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

/** Parses one matcher expression; throws {@link MatcherSyntaxError} saying what is wrong and where. */
export function parseMatchers(input: string): Matcher[] {
  const chars = [...input];
  let i = 0;
  const fail = (what: string): never => {
    throw new MatcherSyntaxError(`${what} at character ${i + 1} of ${JSON.stringify(input)}`);
  };
  const skipSpace = () => {
    while (i < chars.length && /\s/u.test(chars[i]!)) i++;
  };
  const literal = (role: string): string => {
    skipSpace();
    if (chars[i] === '"') return quoted();
    const start = i;
    while (i < chars.length && !/\s/u.test(chars[i]!) && !RESERVED.has(chars[i]!)) i++;
    if (i === start) {
      if (role === 'value') return '';
      fail(chars[i] === undefined ? `expected a ${role}, found the end` : `expected a ${role}, found ${JSON.stringify(chars[i])} (quote it with "…" to use it)`);
    }
    return chars.slice(start, i).join('');
  };
  // Go string literal semantics: \x and octal escapes are bytes, so the text is built as UTF-8 bytes.
  const quoted = (): string => {
    i++;
    const bytes: number[] = [];
    for (;;) {
      const c = chars[i];
      if (c === undefined) fail('unterminated double-quoted string');
      i++;
      if (c === '"') return new TextDecoder().decode(new Uint8Array(bytes));
      if (c === '\\') bytes.push(...escape());
      else bytes.push(...utf8(c!));
    }
  };
  const escape = (): number[] => {
    const c = chars[i++];
    if (c !== undefined && c in SIMPLE_ESCAPES) return utf8(SIMPLE_ESCAPES[c]!);
    const hex = (n: number) => {
      const digits = chars.slice(i, i + n).join('');
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) fail(`invalid escape \\${c}${digits}`);
      i += n;
      return parseInt(digits, 16);
    };
    if (c === 'x') return [hex(2)];
    if (c === 'u') return utf8(String.fromCodePoint(hex(4)));
    if (c === 'U') return utf8(String.fromCodePoint(hex(8)));
    if (c !== undefined && /[0-7]/.test(c)) {
      const digits = c + chars.slice(i, i + 2).join('');
      if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) fail(`invalid octal escape \\${digits}`);
      i += 2;
      return [parseInt(digits, 8)];
    }
    return fail(`invalid escape \\${c ?? ''} (inside "…" a backslash starts an escape: write \\\\ for one backslash)`);
  };
  const operator = (): MatchOperator => {
    skipSpace();
    const two = chars.slice(i, i + 2).join('');
    for (const op of ['=~', '!~', '!='] as const) {
      if (two === op) {
        i += 2;
        return op;
      }
    }
    if (chars[i] === '=') {
      i++;
      return '=';
    }
    return fail(`expected one of ${MATCH_OPERATORS.join(' ')}`);
  };

  skipSpace();
  const braced = chars[i] === '{';
  if (braced) i++;
  const matchers: Matcher[] = [];
  for (;;) {
    skipSpace();
    if (braced && chars[i] === '}') break;
    if (!braced && i >= chars.length) break;
    const name = literal('label name');
    const op = operator();
    const value = literal('value');
    matchers.push({ name, op, value });
    skipSpace();
    if (chars[i] === ',') {
      i++;
      continue;
    }
    if (braced && chars[i] === '}') break;
    if (!braced && i >= chars.length) break;
    fail(chars[i] === undefined ? 'expected "}"' : `unexpected ${JSON.stringify(chars[i])}`);
  }
  if (braced) {
    i++;
    skipSpace();
    if (i < chars.length) fail(`unexpected ${JSON.stringify(chars[i])} after "}"`);
  }
  if (!matchers.length) fail('expected at least one matcher');
  return matchers;
}
