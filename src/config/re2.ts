/**
 * What Go's regexp (RE2 syntax, https://github.com/google/re2/wiki/Syntax) refuses in a pattern the
 * collector compiles when it loads its config: one such pattern and the gateway does not start.
 * Covers the constructs other engines accept and RE2 does not (lookaround, backreferences, atomic
 * groups, possessive and nested quantifiers, conditionals) and unbalanced groups and classes; the
 * verdicts are checked against Go's own regexp in test/ottl-real.test.ts. Undefined when accepted.
 */
export function re2Problem(pattern: string): string | undefined {
  let depth = 0;
  // What the previous item was: nothing to repeat (start, `(`, `|`), an atom, a quantifier, a lazy one.
  let last: 'none' | 'atom' | 'quantifier' | 'lazy' = 'none';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const rest = pattern.slice(i + 1);
    if (c === '\\') {
      if (/^[1-9]/.test(rest)) return `backreferences (\\${rest[0]}) are not supported`;
      if (rest.startsWith('k<') || rest.startsWith('k{')) return 'named backreferences (\\k<name>) are not supported';
      if (rest === '') return 'a trailing backslash escapes nothing';
      // \Q…\E quotes everything up to \E (or the end).
      if (rest.startsWith('Q')) i = rest.includes('\\E') ? i + 1 + rest.indexOf('\\E') + 1 : pattern.length;
      else i++;
      last = 'atom';
      continue;
    }
    if (c === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) return 'a character class [ is not closed';
      i = end;
      last = 'atom';
      continue;
    }
    if (c === '(') {
      if (/^\?(=|!|<=|<!)/.test(rest)) return 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported';
      if (rest.startsWith('?>')) return 'atomic groups ((?>) are not supported';
      if (rest.startsWith('?(')) return 'conditionals ((?(…)) are not supported';
      // Non-capturing, named, or flags (`(?i)` sets them for what follows and opens nothing).
      const prefix = rest.startsWith('?') ? /^\?(?:P?<\w+>|[imsU-]*[:)])/.exec(rest) : null;
      if (rest.startsWith('?') && !prefix) return `the group syntax (${rest.slice(0, 3)} is not supported`;
      i += prefix?.[0].length ?? 0;
      if (!prefix?.[0].endsWith(')')) depth++;
      last = 'none';
      continue;
    }
    if (c === ')') {
      if (--depth < 0) return 'a ) closes no group';
      last = 'atom';
      continue;
    }
    if (c === '|') {
      last = 'none';
      continue;
    }
    const repeat = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i)) : null;
    if (c === '*' || c === '+' || c === '?' || repeat) {
      if (c === '?' && last === 'quantifier') {
        last = 'lazy';
        continue;
      }
      if (last === 'quantifier' || last === 'lazy') return `a repetition of a repetition (${pattern.slice(Math.max(0, i - 1), i + 1)}, possessive or nested) is not supported`;
      if (last === 'none') return `${c} repeats nothing`;
      if (repeat && [repeat[1], repeat[3]].some((n) => n && Number(n) > 1000)) return 'a repetition count above 1000 is not supported';
      if (repeat) i += repeat[0].length - 1;
      last = 'quantifier';
      continue;
    }
    last = 'atom';
  }
  return depth > 0 ? 'a ( is not closed' : undefined;
}

/** Index of the `]` closing the class opened at `start` (a `]` first in the class is literal, `[:alpha:]` nests); -1 when none. */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern.startsWith('[:', i)) {
      const close = pattern.indexOf(':]', i + 2);
      if (close > 0) i = close + 1;
    } else if (pattern[i] === ']') return i;
  }
  return -1;
}

/** Text that an empty match shows up in: at the start, between words, at the end. */
const EMPTY_PROBES = ['', 'a', '0', ' ', 'a b', 'A-1 z.', '\n'];

/**
 * Whether a pattern that {@link re2Problem} accepts matches an empty string somewhere (`x*`, `a|`,
 * `\b`): such a pattern would rewrite every value. Tried as a JavaScript RegExp after rewriting the
 * RE2-only spellings; undefined when it has constructs JavaScript reads differently (POSIX classes,
 * `\Q…\E`, one-letter `\pL`), for which the collector's own check in the tests decides.
 */
export function matchesEmpty(pattern: string): boolean | undefined {
  if (/\[\[:|\\Q|\\[pP][A-Z]/.test(pattern)) return undefined;
  const js = pattern
    .replaceAll('(?P<', '(?<')
    .replace(/\(\?[imsU]*-?[imsU]*\)/g, '')
    .replace(/\(\?[imsU]*-?[imsU]*:/g, '(?:')
    .replaceAll('\\A', '^')
    .replaceAll('\\z', '$');
  let re: RegExp;
  try {
    re = new RegExp(js, 'gu');
  } catch {
    return undefined;
  }
  return EMPTY_PROBES.some((probe) => [...probe.matchAll(re)].some((m) => m[0] === ''));
}
