import type { PresetPattern } from './presets.ts';

/**
 * Redaction as one collector `transform` processor (OTTL), a pure function of a resolved
 * {@link RedactionPolicy}. Each rule rewrites, in each scope, what its patterns match:
 *
 * - `mask`: the secret becomes `[redacted:<rule>]`, followed by its last `keepLast` characters;
 * - `hash`: the secret becomes `[sha256:<rule>:<hex>]`, SHA-256 of the salt followed by the secret
 *   (OTTL's `replace_pattern` hashes the expanded replacement `<salt>$n`), so equal values still
 *   correlate across records and days while the salt stays secret;
 * - `drop`: the attributes named in `keys` are deleted when their value matches; a string log body
 *   that matches becomes `[dropped:<rule>]`.
 *
 * The marker names the rule, never the value: it is what makes redaction visible (README, Grafana).
 * Keeping context (`Bearer `) or trailing characters needs a second pass: the first wraps each
 * secret in private-use characters (U+E000 … U+E001; a stray pair already in a value is redacted
 * too, which errs on the safe side), the second rewrites what is between them; RE2 has no
 * lookaround to do it in one.
 */

export const REDACTION_SCOPES = ['logBodies', 'logAttributes', 'spanAttributes', 'spanEventAttributes', 'resourceAttributes', 'metricAttributes'] as const;
export type RedactionScope = (typeof REDACTION_SCOPES)[number];
export const REDACTION_ACTIONS = ['mask', 'hash', 'drop'] as const;

export type RedactionAction =
  | { readonly kind: 'mask'; readonly keepLast: number }
  | { readonly kind: 'hash' }
  | { readonly kind: 'drop'; readonly keys: readonly string[] };

export interface RedactionRule {
  /** Preset name or custom pattern name: shown in the marker. */
  readonly name: string;
  readonly patterns: readonly PresetPattern[];
  readonly action: RedactionAction;
  /** Only for this namespace (`k8s.namespace.name`): a namespace's own patterns. @default every namespace */
  readonly namespace?: string;
}

/** Everything the collectors need to redact, resolved from the config (src/model/redaction.ts). */
export interface RedactionPolicy {
  /** In the order they run. */
  readonly rules: readonly RedactionRule[];
  readonly scopes: readonly RedactionScope[];
  /** Allow-list mode: only these keys survive in log, span and span event attributes. */
  readonly allowedKeys?: readonly string[];
  /** Namespaces (`k8s.namespace.name`) left untouched. */
  readonly exemptNamespaces: readonly string[];
  /** The Secret holding the hash salt; required when a rule hashes. */
  readonly salt?: { readonly secret: string; readonly key: string };
}

/** The environment variable the collector container reads the salt into. */
export const SALT_ENV = 'O11Y_REDACTION_SALT';
/** The processor id, in the agent and the gateway. */
export const REDACTION_PROCESSOR = 'transform/redaction';

const OPEN = '\uE000';
const CLOSE = '\uE001';

/** An OTTL string literal; the markers written as escapes, so that the config stays readable. */
export function ottlString(value: string): string {
  return JSON.stringify(value).replaceAll(OPEN, '\\uE000').replaceAll(CLOSE, '\\uE001');
}

type Context = 'resource' | 'log' | 'span' | 'spanevent' | 'datapoint';
type Signal = 'logs' | 'traces' | 'metrics';

/** Where a scope's values are, per context: a string (the log body) or a map of attributes. */
interface Target {
  readonly context: Context;
  readonly path: string;
  readonly kind: 'string' | 'map';
  readonly condition?: string;
}

const TARGETS: Readonly<Record<RedactionScope, readonly Target[]>> = {
  // A body is text (JSON text included: its string values are in it) or a map (a parsed JSON body).
  logBodies: [
    { context: 'log', path: 'log.body', kind: 'string', condition: 'IsString(log.body)' },
    { context: 'log', path: 'log.body', kind: 'map', condition: 'IsMap(log.body)' },
  ],
  logAttributes: [{ context: 'log', path: 'log.attributes', kind: 'map' }],
  spanAttributes: [{ context: 'span', path: 'span.attributes', kind: 'map' }],
  spanEventAttributes: [{ context: 'spanevent', path: 'spanevent.attributes', kind: 'map' }],
  resourceAttributes: [{ context: 'resource', path: 'resource.attributes', kind: 'map' }],
  metricAttributes: [{ context: 'datapoint', path: 'datapoint.attributes', kind: 'map' }],
};

const SIGNAL_CONTEXTS: Readonly<Record<Signal, readonly Context[]>> = {
  traces: ['resource', 'span', 'spanevent'],
  logs: ['resource', 'log'],
  metrics: ['resource', 'datapoint'],
};

/** The whole pattern, its parts as non-capturing groups (for IsMatch). */
function fullPattern(p: PresetPattern): string {
  return [p.before, p.secret, p.after].filter((x) => x !== undefined).map((x) => `(?:${x})`).join('');
}

/** One rewrite of a target: regex, replacement, and the hash function when hashing. */
interface Rewrite {
  readonly regex: string;
  readonly replacement: string;
  readonly hashFormat?: string;
}

/** The rewrites of one pattern under one (mask or hash) action, in order. */
export function rewrites(name: string, p: PresetPattern, action: Exclude<RedactionAction, { kind: 'drop' }>): Rewrite[] {
  const salt = `\${env:${SALT_ENV}}`;
  const keep = action.kind === 'mask' ? action.keepLast : 0;
  const mask = `[redacted:${name}]`;
  const hashFormat = `[sha256:${name}:%s]`;
  if (p.before === undefined && p.after === undefined && keep === 0) {
    return [action.kind === 'hash' ? { regex: p.secret, replacement: `${salt}$0`, hashFormat } : { regex: p.secret, replacement: mask }];
  }
  // Group 1 is the context before (when any), then the secret, then the context after.
  const groups = [p.before, p.secret, p.after].filter((x) => x !== undefined);
  const secretGroup = p.before === undefined ? 1 : 2;
  const mark = {
    regex: groups.map((g) => `(${g})`).join(''),
    replacement: groups.map((_, i) => (i + 1 === secretGroup ? `${OPEN}$${i + 1}${CLOSE}` : `$${i + 1}`)).join(''),
  };
  if (action.kind === 'hash') return [mark, { regex: `${OPEN}([^${CLOSE}]*)${CLOSE}`, replacement: `${salt}$1`, hashFormat }];
  // The lazy prefix leaves the last `keep` characters (or all, when fewer) to the group.
  const act = keep ? { regex: `${OPEN}[^${CLOSE}]*?([^${CLOSE}]{0,${keep}})${CLOSE}`, replacement: `${mask}$1` } : { regex: `${OPEN}[^${CLOSE}]*${CLOSE}`, replacement: mask };
  return [mark, act];
}

/** ` where a and b` of the conditions given; nothing without any. */
const where = (...conditions: (string | undefined)[]) => {
  const all = conditions.filter((c) => c !== undefined);
  return all.length ? ` where ${all.join(' and ')}` : '';
};

const namespaceIs = (namespace: string) => `resource.attributes["k8s.namespace.name"] == ${ottlString(namespace)}`;
const inNamespace = (rule: RedactionRule) => (rule.namespace === undefined ? undefined : namespaceIs(rule.namespace));

function rewriteStatement(target: Target, rule: RedactionRule, r: Rewrite): string {
  const fn = target.kind === 'string' ? 'replace_pattern' : 'replace_all_patterns';
  const args = [target.path, ...(target.kind === 'map' ? ['"value"'] : []), ottlString(r.regex), ottlString(r.replacement), ...(r.hashFormat ? ['SHA256', ottlString(r.hashFormat)] : [])];
  return `${fn}(${args.join(', ')})${where(target.condition, inNamespace(rule))}`;
}

function dropStatements(target: Target, rule: RedactionRule, p: PresetPattern, keys: readonly string[]): string[] {
  const regex = ottlString(fullPattern(p));
  if (target.kind === 'string') return [`set(${target.path}, ${ottlString(`[dropped:${rule.name}]`)})${where(target.condition, inNamespace(rule), `IsMatch(${target.path}, ${regex})`)}`];
  return keys.map((k) => `delete_key(${target.path}, ${ottlString(k)})${where(target.condition, inNamespace(rule), `IsMatch(${target.path}[${ottlString(k)}], ${regex})`)}`);
}

/** Every statement for one target: the allow-list first (fewer values to scan), then each rule in order. */
function targetStatements(policy: RedactionPolicy, scope: RedactionScope, target: Target): string[] {
  const allow = policy.allowedKeys && target.kind === 'map' && ['logAttributes', 'spanAttributes', 'spanEventAttributes'].includes(scope)
    ? [`keep_keys(${target.path}, [${policy.allowedKeys.map(ottlString).join(', ')}])`]
    : [];
  return [
    ...allow,
    ...policy.rules.flatMap((rule) =>
      rule.patterns.flatMap((p) =>
        rule.action.kind === 'drop' ? dropStatements(target, rule, p, rule.action.keys) : rewrites(rule.name, p, rule.action).map((r) => rewriteStatement(target, rule, r)),
      ),
    ),
  ];
}

/** The condition that leaves exempt namespaces alone; undefined when none is exempt. */
function exemption(namespaces: readonly string[]): string | undefined {
  if (!namespaces.length) return undefined;
  return `not (${namespaces.map(namespaceIs).join(' or ')})`;
}

/** The `transform/redaction` processor's config. */
export function redactionTransform(policy: RedactionPolicy): object {
  const condition = exemption(policy.exemptNamespaces);
  // Groups with an explicit context: pkg/ottl cannot infer the context of a statement passing
  // SHA256 as a function argument ("does not support the enum symbol SHA256", ottl-run 0.150).
  const groups = (signal: Signal) =>
    SIGNAL_CONTEXTS[signal].flatMap((context) => {
      const statements = policy.scopes.flatMap((scope) => TARGETS[scope].filter((t) => t.context === context).flatMap((t) => targetStatements(policy, scope, t)));
      return statements.length ? [{ context, ...(condition ? { conditions: [condition] } : {}), statements }] : [];
    });
  const signals = { trace_statements: groups('traces'), log_statements: groups('logs'), metric_statements: groups('metrics') };
  return {
    // A statement that fails on one record (a value of another type) must not stop the rest.
    error_mode: 'ignore',
    ...Object.fromEntries(Object.entries(signals).filter(([, g]) => g.length)),
  };
}

/** The salt as the collector container reads it: an env var from the user's Secret. */
export function saltEnv(policy: RedactionPolicy | undefined): { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[] {
  return policy?.salt ? [{ name: SALT_ENV, valueFrom: { secretKeyRef: { name: policy.salt.secret, key: policy.salt.key } } }] : [];
}
