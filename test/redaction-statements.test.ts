import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redactionPolicy } from '../src/model/redaction.ts';
import type { RedactionConfig } from '../src/model/types.ts';
import { DEFAULT_PRESETS, PRESETS, type Preset, type PresetPattern } from '../src/redaction/presets.ts';
import { ottlString, redactionTransform, rewrites, saltEnv, SALT_ENV, type RedactionPolicy } from '../src/redaction/statements.ts';
import { matchesEmpty, re2Problem } from '../src/config/re2.ts';

// The pure parts of redaction (src/redaction, src/model/redaction.ts); what the statements do is
// proven by the real OTTL in test/redaction-real.test.ts.

describe('presets', () => {
  it('the default set is every preset but ip', () => {
    expect(DEFAULT_PRESETS).toEqual(PRESETS.map((p) => p.name).filter((n) => n !== 'ip'));
  });

  it.each(PRESETS.flatMap((p) => p.patterns.flatMap((x) => [x.before, x.secret, x.after]).filter((x) => x !== undefined).map((x) => [p.name, x!] as const)))('%s: %s compiles in RE2, matches no empty string, has no capturing group', (_, pattern) => {
    expect(re2Problem(pattern)).toBeUndefined();
    expect(matchesEmpty(pattern)).not.toBe(true);
    // Groups are numbered by the statements: a capturing group in a preset would shift them.
    expect(pattern.replace(/\\./g, '').replace(/\[[^\]]*\]/g, '')).not.toMatch(/\((?!\?)/);
  });
});

/** Markdown code in a table cell: line breaks as `\n`, pipes escaped. */
const code = (s: string) => `\`${s.replaceAll('\n', '\\n').replaceAll('|', '\\|')}\``;
/** A pattern as the README shows it: the secret, with the context it keeps. */
const shown = (p: PresetPattern) => [code(p.secret), ...(p.before ? [`after ${code(p.before)}`] : []), ...(p.after ? [`before ${code(p.after)}`] : [])].join(' ');
const row = (p: Preset) => `| \`${p.name}\` | ${p.byDefault ? 'yes' : 'no'} | ${p.description} | ${p.patterns.map(shown).join('<br>')} | ${p.catches.map(code).join(', ')} | ${p.leaves.map(code).join(', ')} |`;

describe('the README\'s preset table', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it.each(PRESETS)('shows $name as the code has it: its patterns, what it catches and leaves alone', (p) => {
    expect(readme.split('\n')).toContain(row(p));
  });
});

describe('rewrites: what each action writes', () => {
  const salt = `\${env:${SALT_ENV}}`;
  it.each<[string, Parameters<typeof rewrites>[1], Parameters<typeof rewrites>[2], ReturnType<typeof rewrites>]>([
    ['mask, nothing kept, no context: one pass', { secret: 'x+' }, { kind: 'mask', keepLast: 0 }, [{ regex: 'x+', replacement: '[redacted:r]' }]],
    ['hash, no context: one pass, salt then the whole match', { secret: 'x+' }, { kind: 'hash' }, [{ regex: 'x+', replacement: `${salt}$0`, hashFormat: '[sha256:r:%s]' }]],
    ['mask keeping 4: mark, then keep the last 4', { secret: 'x+' }, { kind: 'mask', keepLast: 4 }, [
      { regex: '(x+)', replacement: '\uE000$1\uE001' },
      { regex: '\uE000[^\uE001]*?([^\uE001]{0,4})\uE001', replacement: '[redacted:r]$1' },
    ]],
    ['mask with context before and after: the context kept', { before: 'a=', secret: 'x+', after: '@' }, { kind: 'mask', keepLast: 0 }, [
      { regex: '(a=)(x+)(@)', replacement: '$1\uE000$2\uE001$3' },
      { regex: '\uE000[^\uE001]*\uE001', replacement: '[redacted:r]' },
    ]],
    ['hash with context: the secret alone hashed', { before: 'a=', secret: 'x+' }, { kind: 'hash' }, [
      { regex: '(a=)(x+)', replacement: '$1\uE000$2\uE001' },
      { regex: '\uE000([^\uE001]*)\uE001', replacement: `${salt}$1`, hashFormat: '[sha256:r:%s]' },
    ]],
  ])('%s', (_, pattern, action, expected) => {
    expect(rewrites('r', pattern, action)).toEqual(expected);
  });

  it('writes the markers as OTTL escapes, the rest as a JSON string', () => {
    expect(ottlString('\uE000a"\\b\uE001')).toBe('"\\uE000a\\"\\\\b\\uE001"');
  });
});

const policy = (p: Partial<RedactionPolicy>): RedactionPolicy => ({ rules: [{ name: 'r', patterns: [{ secret: 'x+' }], action: { kind: 'mask', keepLast: 0 } }], scopes: ['logBodies'], exemptNamespaces: [], ...p });

describe('redactionTransform', () => {
  it.each<[string, Partial<RedactionPolicy>, object]>([
    ['log bodies only: string and map bodies, nothing for traces or metrics', {}, {
      error_mode: 'ignore',
      log_statements: [{ context: 'log', statements: ['replace_pattern(log.body, "x+", "[redacted:r]") where IsString(log.body)', 'replace_all_patterns(log.body, "value", "x+", "[redacted:r]") where IsMap(log.body)'] }],
    }],
    ['resource attributes: a resource group per signal', { scopes: ['resourceAttributes'] }, {
      error_mode: 'ignore',
      ...Object.fromEntries(['trace_statements', 'log_statements', 'metric_statements'].map((k) => [k, [{ context: 'resource', statements: ['replace_all_patterns(resource.attributes, "value", "x+", "[redacted:r]")'] }]])),
    }],
    ['exempt namespaces: one condition on every group', { scopes: ['spanAttributes'], exemptNamespaces: ['a', 'b'] }, {
      error_mode: 'ignore',
      trace_statements: [{ context: 'span', conditions: ['not (resource.attributes["k8s.namespace.name"] == "a" or resource.attributes["k8s.namespace.name"] == "b")'], statements: ['replace_all_patterns(span.attributes, "value", "x+", "[redacted:r]")'] }],
    }],
    ['allow-list first, then the rules; not on data points', { scopes: ['spanEventAttributes', 'metricAttributes'], allowedKeys: ['k'] }, {
      error_mode: 'ignore',
      trace_statements: [{ context: 'spanevent', statements: ['keep_keys(spanevent.attributes, ["k"])', 'replace_all_patterns(spanevent.attributes, "value", "x+", "[redacted:r]")'] }],
      metric_statements: [{ context: 'datapoint', statements: ['replace_all_patterns(datapoint.attributes, "value", "x+", "[redacted:r]")'] }],
    }],
    ['a namespace\'s own rule: its statements run where the namespace matches', { scopes: ['logAttributes'], rules: [{ name: 'r', patterns: [{ secret: 'x+' }], action: { kind: 'mask', keepLast: 0 }, namespace: 'shop' }] }, {
      error_mode: 'ignore',
      log_statements: [{ context: 'log', statements: ['replace_all_patterns(log.attributes, "value", "x+", "[redacted:r]") where resource.attributes["k8s.namespace.name"] == "shop"'] }],
    }],
    ['drop: the listed keys deleted when they match, a matching string body replaced', { scopes: ['logBodies', 'logAttributes'], rules: [{ name: 'd', patterns: [{ before: 'a', secret: 'x+' }], action: { kind: 'drop', keys: ['k1', 'k2'] } }] }, {
      error_mode: 'ignore',
      log_statements: [{ context: 'log', statements: [
        'set(log.body, "[dropped:d]") where IsString(log.body) and IsMatch(log.body, "(?:a)(?:x+)")',
        'delete_key(log.body, "k1") where IsMap(log.body) and IsMatch(log.body["k1"], "(?:a)(?:x+)")',
        'delete_key(log.body, "k2") where IsMap(log.body) and IsMatch(log.body["k2"], "(?:a)(?:x+)")',
        'delete_key(log.attributes, "k1") where IsMatch(log.attributes["k1"], "(?:a)(?:x+)")',
        'delete_key(log.attributes, "k2") where IsMatch(log.attributes["k2"], "(?:a)(?:x+)")',
      ] }],
    }],
  ])('%s', (_, p, expected) => {
    expect(redactionTransform(policy(p))).toEqual(expected);
  });

  it('the salt is an env var from the Secret, only with a salt', () => {
    expect(saltEnv(policy({ salt: { secret: 's', key: 'k' } }))).toEqual([{ name: SALT_ENV, valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }]);
    expect(saltEnv(policy({}))).toEqual([]);
    expect(saltEnv(undefined)).toEqual([]);
  });
});

describe('redactionPolicy: the config resolved per cluster', () => {
  const resolve = (top: RedactionConfig | undefined, cluster?: RedactionConfig) => redactionPolicy({ redaction: top }, { redaction: cluster });
  const names = (p: RedactionPolicy | undefined) => p?.rules.map((r) => `${r.name}:${r.action.kind}`);

  it.each<[string, RedactionConfig | undefined, RedactionConfig | undefined, string[] | undefined]>([
    ['absent: off', undefined, undefined, undefined],
    ['present but not enabled: off', { presets: { ip: {} } }, undefined, undefined],
    ['enabled: the default presets, masked, in preset order', { enabled: true }, undefined, DEFAULT_PRESETS.map((n) => `${n}:mask`)],
    ['defaults off, two listed: only those, in preset order', { enabled: true, defaults: false, presets: { ip: {}, email: { action: 'hash' } } }, undefined, ['email:hash', 'ip:mask']],
    ['custom patterns after the presets', { enabled: true, defaults: false, patterns: [{ name: 'z', pattern: 'Z+' }], presets: { jwt: {} } }, undefined, ['jwt:mask', 'z:mask']],
    ['a cluster switches it off', { enabled: true }, { enabled: false }, undefined],
    ['a cluster switches it on, over the top level\'s presets', { defaults: false, presets: { iban: {} } }, { enabled: true }, ['iban:mask']],
    ['namespace patterns last, namespaces in name order', { enabled: true, defaults: false, namespaces: { zz: { patterns: [{ name: 'b', pattern: 'B+' }] }, aa: { patterns: [{ name: 'a', pattern: 'A+' }] } }, patterns: [{ name: 'c', pattern: 'C+' }] }, undefined, ['c:mask', 'a:mask', 'b:mask']],
    ['a cluster\'s presets replace the top level\'s', { enabled: true, defaults: false, presets: { iban: {} } }, { presets: { jwt: {} } }, ['jwt:mask']],
  ])('%s', (_, top, cluster, expected) => {
    expect(names(resolve(top, cluster))).toEqual(expected);
  });

  it('scopes default to all; exemptions sorted, explicit only; the salt only when a rule hashes', () => {
    const p = resolve({ enabled: true, defaults: false, presets: { email: { action: 'hash' } }, salt: { secret: 's', key: 'k' }, namespaces: { zz: { exempt: true }, aa: { exempt: true }, mm: { exempt: false } } })!;
    expect(p.scopes).toEqual(['logBodies', 'logAttributes', 'spanAttributes', 'spanEventAttributes', 'resourceAttributes', 'metricAttributes']);
    expect(p.exemptNamespaces).toEqual(['aa', 'zz']);
    expect(p.salt).toEqual({ secret: 's', key: 'k' });
    expect(resolve({ enabled: true, salt: { secret: 's', key: 'k' } })!.salt).toBeUndefined();
    expect(resolve({ enabled: true, defaults: false, presets: { 'payment-card': { keepLast: 4 } } })!.rules[0]!.action).toEqual({ kind: 'mask', keepLast: 4 });
  });
});
