import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MatcherSyntaxError, parseMatchers } from '../src/alerting/matcher.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { runTool } from './support/run-tool.ts';

// Cases from Alertmanager's configuration docs, section `<matcher>` (UTF-8 matchers, composition,
// "More examples"): https://prometheus.io/docs/alerting/latest/configuration/#matcher

const VALID: [string, [string, string, string][]][] = [
  ['foo=bar', [['foo', '=', 'bar']]],
  ['alertname = Watchdog', [['alertname', '=', 'Watchdog']]],
  ['severity =~ "warning|critical"', [['severity', '=~', 'warning|critical']]],
  ['dings != bums', [['dings', '!=', 'bums']]],
  ['foo !~ [a-zA-Z]+', [['foo', '!~', '[a-zA-Z]+']]],
  ['foo=Προμηθεύς', [['foo', '=', 'Προμηθεύς']]],
  ['foo = "bar,baz"', [['foo', '=', 'bar,baz']]],
  ['foo="foo!"', [['foo', '=', 'foo!']]],
  ['foo="\\"baz qux\\""', [['foo', '=', '"baz qux"']]],
  ['foo="\\xf0\\x9f\\x99\\x82"', [['foo', '=', '🙂']]],
  ['foo="\\u00e9\\101"', [['foo', '=', 'éA']]],
  ['digits=~"\\\\d+"', [['digits', '=~', '\\d+']]],
  ['"label with spaces"="v"', [['label with spaces', '=', 'v']]],
  ['foo=""', [['foo', '=', '']]],
  ['{foo="bar", dings!="bums"}', [['foo', '=', 'bar'], ['dings', '!=', 'bums']]],
  ['{alertname="Watchdog", severity=~"warning|critical",}', [['alertname', '=', 'Watchdog'], ['severity', '=~', 'warning|critical']]],
  ['alertname="Watchdog", severity=~"warning|critical"', [['alertname', '=', 'Watchdog'], ['severity', '=~', 'warning|critical']]],
  ['{\n   alertname = "Watchdog",\n   severity =~ "warning|critical",\n}', [['alertname', '=', 'Watchdog'], ['severity', '=~', 'warning|critical']]],
  ['{quote=~"She said: \\"Hi, all!( How\'re you…)?\\""}', [['quote', '=~', 'She said: "Hi, all!( How\'re you…)?"']]],
];

const INVALID: [string, RegExp][] = [
  // The docs' own counter-examples.
  ['foo=foo!', /unexpected "!"/],
  ['{alertname="Watchdog", severity=~"warning|critical"', /expected "}"/],
  ['alertname="Watchdog", severity=~"warning|critical"}', /unexpected "}"/],
  ['{{alertname="Watchdog", severity=~"warning|critical",}}', /expected a label name, found "{"/],
  // Beyond the docs: a missing operator, an unterminated quote, a bad escape, nothing at all.
  ['severity', /expected one of = != =~ !~/],
  ['severity=~"page|critical', /unterminated double-quoted string/],
  ['foo="\\d+"', /invalid escape \\d/],
  ['', /expected at least one matcher/],
  ['a=b,,c=d', /expected a label name, found ","/],
  ['=bar', /expected a label name, found "="/],
];

describe('parseMatchers', () => {
  it.each(VALID)('%j', (input, expected) => {
    expect(parseMatchers(input).map((m) => [m.name, m.op, m.value])).toEqual(expected);
  });

  it.each(INVALID)('refuses %j', (input, message) => {
    expect(() => parseMatchers(input)).toThrow(MatcherSyntaxError);
    expect(() => parseMatchers(input)).toThrow(message);
  });
});

// The same table through the real parser: amtool's check-config in UTF-8 strict mode (Alertmanager's
// default mode falls back to the classic parser, with a deprecation warning, for input the UTF-8
// parser refuses; we refuse that input outright).
describe('the real Alertmanager parser agrees', () => {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-matchers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const strictCheck = (matcher: string) => {
    const file = join(dir, 'alertmanager.yml');
    writeFileSync(file, dumpYaml({ route: { receiver: 'r', routes: [{ receiver: 'r', matchers: [matcher] }] }, receivers: [{ name: 'r' }] }));
    return runTool('amtool', ['--enable-feature=utf8-strict-mode', 'check-config', file]);
  };

  it.each(VALID.map(([input]) => input))('accepts %j', (input) => {
    const run = strictCheck(input);
    expect(run.status, run.output).toBe(0);
  });

  // Alertmanager reads an empty string as no matcher at all; the config schema refuses it before the parser.
  it.each(INVALID.map(([input]) => input).filter((input) => input !== ''))('refuses %j', (input) => {
    expect(strictCheck(input).status).not.toBe(0);
  });
});
