// Prometheus' `relabel_configs` semantics (prometheus/model/relabel), pure: what a job does to the
// labels of a discovered target, so that the stack can tell which pods a scrape job reaches. Regexes
// are RE2, fully anchored (`^(?s:regex)$`); replacements expand like Go's `Regexp.Expand`.

/** A target's labels (`__address__`, `__meta_*`, …). */
export type Labels = Readonly<Record<string, string>>;

/** One `relabel_configs` entry, as written in a scrape config. */
export interface RelabelConfig {
  readonly source_labels?: readonly string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly modulus?: number;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly action?: string;
}

/** A relabel step the emulation cannot decide without the real cluster (hashmod shards on addresses it does not know). */
export class NotEmulated extends Error {}

/**
 * A Prometheus (RE2) regex as an anchored JavaScript RegExp with the same matches and groups.
 * Translated: `(?P<name>`, a leading `(?i)`, `\A`, `\z`; refused (NotEmulated): other flags,
 * `\Q…\E`, `\p` classes and POSIX `[[:…:]]` classes, where the two dialects differ.
 */
export function re2(regex: string): RegExp {
  let flags = 's';
  let body = regex;
  if (body.startsWith('(?i)')) {
    flags += 'i';
    body = body.slice(4);
  }
  if (/\(\?[a-zA-Z-]+[:)]|\\[QEpP]|\[\[:/.test(body)) throw new NotEmulated(`regex "${regex}" uses RE2 syntax the emulation does not translate`);
  body = body.replaceAll('(?P<', '(?<').replaceAll('\\A', '^').replaceAll('\\z', '$');
  return new RegExp(`^(?:${body})$`, flags);
}

/** Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}` (a name is the longest run of letters, digits and `_`), `$$` for `$`. */
export function expand(template: string, match: RegExpExecArray): string {
  let out = '';
  let rest = template;
  for (;;) {
    const at = rest.indexOf('$');
    if (at < 0) return out + rest;
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = /^(?:\{(\w+)\}|(\w+))/.exec(rest);
    if (!ref) {
      out += '$'; // malformed: the `$` is kept as text
      continue;
    }
    rest = rest.slice(ref[0].length);
    const name = ref[1] ?? ref[2]!;
    const value = /^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name];
    out += value ?? '';
  }
}

/**
 * Why the stack cannot tell which targets a target relabelling keeps (the key at fault and the
 * reason), or undefined. The scrape flows come from that emulation, so such a rule is refused.
 */
export function emulationProblem(rule: RelabelConfig): { key: 'action' | 'regex'; message: string } | undefined {
  if (String(rule.action ?? '').toLowerCase() === 'hashmod') {
    return { key: 'action', message: 'hashmod is unsupported in target relabelling: it shards by target addresses, which synth cannot know, so the NetworkPolicies could not admit the scraper (one Prometheus scrapes every target; use keep/drop on discovery labels)' };
  }
  try {
    re2(String(rule.regex ?? '(.*)'));
    return undefined;
  } catch (e) {
    if (!(e instanceof NotEmulated)) return { key: 'regex', message: `not a regular expression: ${(e as Error).message}` };
    return { key: 'regex', message: `${e.message}: inline flags other than a leading (?i), \\Q…\\E, \\p and [[:class:]] are unsupported in target relabelling; write the regex without them` };
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Applies the rules in order, as Prometheus does before a scrape: the resulting labels, or
 * `undefined` when a `keep`/`drop` (or their `equal` forms) discards the target. Defaults are
 * Prometheus': action `replace`, regex `(.*)`, separator `;`, replacement `$1`.
 */
export function relabel(labels: Labels, rules: readonly RelabelConfig[]): Labels | undefined {
  let current: Record<string, string> = { ...labels };
  for (const rule of rules) {
    const next = relabelOne(current, rule);
    if (!next) return undefined;
    current = next;
  }
  return current;
}

function relabelOne(labels: Record<string, string>, rule: RelabelConfig): Record<string, string> | undefined {
  const action = (rule.action ?? 'replace').toLowerCase();
  const regex = re2(rule.regex ?? '(.*)');
  const value = (rule.source_labels ?? []).map((l) => labels[l] ?? '').join(rule.separator ?? ';');
  const target = rule.target_label ?? '';
  switch (action) {
    case 'keep':
      return regex.test(value) ? labels : undefined;
    case 'drop':
      return regex.test(value) ? undefined : labels;
    case 'keepequal':
      return value === (labels[target] ?? '') ? labels : undefined;
    case 'dropequal':
      return value === (labels[target] ?? '') ? undefined : labels;
    case 'replace': {
      const m = regex.exec(value);
      if (!m) return labels;
      const name = expand(target, m);
      if (!LABEL_NAME.test(name)) return labels;
      const result = expand(rule.replacement ?? '$1', m);
      const out = { ...labels };
      if (result === '') delete out[name];
      else out[name] = result;
      return out;
    }
    case 'lowercase':
    case 'uppercase':
      return { ...labels, [target]: action === 'lowercase' ? value.toLowerCase() : value.toUpperCase() };
    case 'labelmap': {
      const out = { ...labels };
      for (const [k, v] of Object.entries(labels)) {
        const m = regex.exec(k);
        if (m) out[expand(rule.replacement ?? '$1', m)] = v;
      }
      return out;
    }
    case 'labeldrop':
    case 'labelkeep':
      return Object.fromEntries(Object.entries(labels).filter(([k]) => regex.test(k) === (action === 'labelkeep')));
    case 'hashmod':
      throw new NotEmulated('hashmod shards targets by their address, which only the running cluster knows');
    default:
      throw new Error(`unknown relabel action "${rule.action}"`);
  }
}
