import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matchesEmpty, re2Problem } from '../src/config/re2.ts';
import { expectLocatedProblem, problemsOf, synthRefuses } from './support/bad-config.ts';

// Each bad `redaction` input of issue 22 is a located problem (file:line:col, key path, what is
// allowed); one runs through the CLI: exit 2, nothing written.

const BASE = `clusters:
  - name: local
    cloud: onprem
    region: dc1
    storageClass: standard
`;

const CASES: [name: string, extra: string, at: string, message: RegExp][] = [
  ['a pattern RE2 does not compile (a lookbehind)', "redaction:\n  enabled: true\n  patterns:\n    - { name: ref, pattern: '(?<=id=)[0-9]+' }\n", "9:29 redaction.patterns[0].pattern", /lookahead and lookbehind .* are not supported by the collector's regular expressions \(Go's RE2 syntax/],
  ['a pattern that matches the empty string', "redaction:\n  enabled: true\n  patterns:\n    - { name: ref, pattern: '[0-9]*' }\n", '9:29 redaction.patterns[0].pattern', /matches the empty string, so it would rewrite every value/],
  ['an alternative that matches the empty string', "redaction:\n  enabled: true\n  patterns:\n    - { name: ref, pattern: 'REF-[0-9]+|' }\n", '9:29 redaction.patterns[0].pattern', /matches the empty string/],
  ['an unknown preset', 'redaction:\n  enabled: true\n  presets:\n    credit-card: { action: mask }\n', '9:5 redaction.presets.credit-card', /unknown key "credit-card"; allowed keys: private-key, jwt, authorization, url-credentials, cloud-keys, email, iban, cn-resident-id, payment-card, cn-mobile, ip/],
  ['hash without a salt Secret', 'redaction:\n  enabled: true\n  presets:\n    email: { action: hash }\n', '9:22 redaction.presets.email.action', /hash needs a salt \(cluster "local"\): add redaction.salt: \{ secret: <Secret name>, key: <key> \}/],
  ['hash in a cluster without a salt anywhere', '    redaction:\n      patterns: [{ name: ref, pattern: "REF-[0-9]+", action: hash }]\nredaction:\n  enabled: true\n', '7:62 clusters[0].redaction.patterns[0].action', /hash needs a salt/],
  ['a salt without its key', 'redaction:\n  enabled: true\n  salt: { secret: o11y-salt }\n', '8:9 redaction.salt', /missing required key "key"/],
  ['a scope that does not exist', 'redaction:\n  enabled: true\n  scopes: [logBodies, spanNames]\n', '8:23 redaction.scopes[1]', /"spanNames" is not one of logBodies, logAttributes, spanAttributes, spanEventAttributes, resourceAttributes, metricAttributes/],
  ['an unknown action', 'redaction:\n  enabled: true\n  presets:\n    iban: { action: encrypt }\n', '9:21 redaction.presets.iban.action', /"encrypt" is not one of mask, hash, drop/],
  ['drop without keys', 'redaction:\n  enabled: true\n  presets:\n    jwt: { action: drop }\n', '9:10 redaction.presets.jwt', /drop needs keys/],
  ['keepLast on a hash', 'redaction:\n  enabled: true\n  salt: { secret: s, key: k }\n  presets:\n    email: { action: hash, keepLast: 4 }\n', '10:38 redaction.presets.email.keepLast', /keepLast applies to action mask only, not hash/],
  ['a custom pattern named like a preset', "redaction:\n  enabled: true\n  patterns:\n    - { name: email, pattern: 'x@y' }\n", '9:15 redaction.patterns[0].name', /"email" is already the name of a preset/],
  ['an exempt namespace with patterns of its own', "redaction:\n  enabled: true\n  namespaces:\n    debug: { exempt: true, patterns: [{ name: ref, pattern: 'R-[0-9]+' }] }\n", '9:38 redaction.namespaces.debug.patterns', /namespace "debug" is exempt: its patterns would never run/],
  ['a namespace pattern RE2 does not compile', "redaction:\n  enabled: true\n  namespaces:\n    shop:\n      patterns: [{ name: ref, pattern: 'a++' }]\n", '10:40 redaction.namespaces.shop.patterns[0].pattern', /a repetition of a repetition/],
  ['a namespace with neither', 'redaction:\n  enabled: true\n  namespaces:\n    shop: {}\n', '9:11 redaction.namespaces.shop', /a namespace takes exempt: true or patterns/],
  ['an exemption that is not a namespace name', 'redaction:\n  enabled: true\n  namespaces:\n    Team_Debug: { exempt: true }\n', '9:5 redaction.namespaces', /a DNS label/],
];

describe('bad redaction input is a located problem', () => {
  it.each(CASES)('%s', (_, extra, at, message) => {
    expectLocatedProblem(BASE + extra, at, message);
  });

  it('the custom patterns of the example load (no false refusal): a character class, a quantified group, a named group', () => {
    expect(problemsOf(`${BASE}redaction:\n  enabled: true\n  patterns:\n    - { name: a, pattern: 'LOY-[0-9]{10}' }\n    - { name: b, pattern: '(?i)(?:sess|sid)-[0-9a-f]{8,}' }\n    - { name: c, pattern: '(?P<ref>ORD-\\d+)' }\n`)).toEqual([]);
  });

  it.each<[string, boolean | undefined]>([
    ['[0-9]+', false],
    ['a?', true],
    ['\\b', true],
    ['(?:x|)', true],
    ['(?i)token=\\S+', false],
    ['(?P<n>a*)b', false],
    ['[[:digit:]]*', undefined],
  ])('matchesEmpty(%j) is %s', (pattern, expected) => {
    expect(re2Problem(pattern)).toBeUndefined();
    expect(matchesEmpty(pattern)).toBe(expected);
  });
});

describe('o11y synth refuses a bad redaction pattern', () => {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-redaction-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exit 2, the problem located, nothing written', () => {
    const file = join(dir, 'o11y.yaml');
    writeFileSync(file, `${BASE}redaction:\n  enabled: true\n  patterns:\n    - { name: ref, pattern: 'REF-(\\d+' }\n`);
    const out = join(dir, 'dist');
    const stderr = synthRefuses(file, out);
    expect(stderr).toContain(`${file}:9:29 redaction.patterns[0].pattern: a ( is not closed`);
    expect(existsSync(out)).toBe(false);
  });
});
