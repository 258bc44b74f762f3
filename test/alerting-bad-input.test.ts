import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectLocatedProblem, problemsOf, synthRefuses } from './support/bad-config.ts';

// Each bad `alerting:` input of issue 15 is refused with a located message (file:line:col, key
// path, what is wrong or allowed); one case runs through the CLI for exit code 2.

const BASE = `clusters:
  - { name: local, cloud: onprem, region: dc1, storageClass: standard }
alerting:
  receivers:
    - name: oncall
      pagerduty: { routingKey: { secret: pd, key: routing-key } }
    - name: cn
      dingtalk: { url: { secret: dt, key: url }, signingSecret: { secret: dt, key: sign } }
  timeIntervals:
    - name: nights
      intervals: [{ times: [{ startTime: "20:00", endTime: "24:00" }] }]
  routes:
    - matchers: ['severity="page"']
      receiver: oncall
      muteTimeIntervals: [nights]
  inhibitRules:
    - { sourceMatchers: ['severity="page"'], targetMatchers: ['severity="ticket"'], equal: [alertname] }
`;

interface Case {
  readonly name: string;
  readonly text: string;
  /** `line:col key.path` the problem must point at. */
  readonly at: string;
  readonly message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'a receiver of an unknown type',
    text: BASE.replace('      pagerduty:', '      victorops: { apiKey: x }\n      pagerduty:'),
    at: '6:7 alerting.receivers[0].victorops',
    message: /unknown key "victorops"; allowed keys: name, slack, pagerduty, email, msteamsv2, wechat, telegram, opsgenie, webhook, dingtalk, feishu, wecom/,
  },
  {
    name: 'a receiver without any integration',
    text: BASE.replace('    - name: oncall\n      pagerduty: { routingKey: { secret: pd, key: routing-key } }\n', '    - name: oncall\n'),
    at: '5:7 alerting.receivers[0]',
    message: /a receiver names at least one of slack, pagerduty/,
  },
  {
    name: 'a receiver without its credential',
    text: BASE.replace('pagerduty: { routingKey: { secret: pd, key: routing-key } }', 'pagerduty: { severity: critical }'),
    at: '6:18 alerting.receivers[0].pagerduty',
    message: /missing required key "routingKey"/,
  },
  {
    name: 'a credential without its Secret key',
    text: BASE.replace('{ secret: pd, key: routing-key }', '{ secret: pd }'),
    at: '6:32 alerting.receivers[0].pagerduty.routingKey',
    message: /missing required key "key"/,
  },
  {
    name: 'an inline credential instead of a Secret key',
    text: BASE.replace('{ secret: pd, key: routing-key }', 'abcdef0123456789'),
    at: '6:32 alerting.receivers[0].pagerduty.routingKey',
    message: /expected object, got "abcdef0123456789"/,
  },
  {
    name: 'a route naming an unknown receiver',
    text: BASE.replace('      receiver: oncall', '      receiver: on-call'),
    at: '14:17 alerting.routes[0].receiver',
    message: /unknown receiver "on-call"; receivers: default, page, ticket, oncall, cn/,
  },
  {
    name: 'a route naming an unknown time interval',
    text: BASE.replace('muteTimeIntervals: [nights]', 'muteTimeIntervals: [weekend]'),
    at: '15:27 alerting.routes[0].muteTimeIntervals[0]',
    message: /unknown time interval "weekend"; timeIntervals: nights/,
  },
  {
    name: 'a nested route naming an unknown receiver',
    text: BASE.replace('      muteTimeIntervals: [nights]\n', '      muteTimeIntervals: [nights]\n      routes: [{ matchers: [team=db], receiver: dba }]\n'),
    at: '16:49 alerting.routes[0].routes[0].receiver',
    message: /unknown receiver "dba"/,
  },
  {
    name: 'an invalid matcher',
    text: BASE.replace(`['severity="page"']\n      receiver`, `['severity="page']\n      receiver`),
    at: '13:18 alerting.routes[0].matchers[0]',
    message: /invalid matcher: unterminated double-quoted string at character 15 of "severity=\\"page"/,
  },
  {
    name: 'a matcher without an operator',
    text: BASE.replace(`targetMatchers: ['severity="ticket"']`, `targetMatchers: ['severity']`),
    at: '17:63 alerting.inhibitRules[0].targetMatchers[0]',
    message: /invalid matcher: expected one of = != =~ !~/,
  },
  {
    name: 'an inhibit rule without equal',
    text: BASE.replace(', equal: [alertname] }', ' }'),
    at: '17:7 alerting.inhibitRules[0]',
    message: /needs `equal`: without it, a source alert anywhere mutes every matching target alert/,
  },
  {
    name: 'a signed DingTalk receiver without its signing secret',
    text: BASE.replace(', signingSecret: { secret: dt, key: sign }', ''),
    at: '8:17 alerting.receivers[1].dingtalk',
    message: /signed DingTalk robots need `signingSecret`/,
  },
  {
    name: 'duplicate receiver names',
    text: BASE.replace('name: cn', 'name: oncall'),
    at: '7:13 alerting.receivers[1].name',
    message: /duplicate receiver name "oncall" \(first used by receivers\[0\]\)/,
  },
  {
    name: 'a template file that does not exist',
    text: `${BASE}  templates: [missing.tmpl]\n`,
    at: '18:15 alerting.templates[0]',
    message: /template file .*missing\.tmpl not found/,
  },
  {
    name: 'a time of day out of range',
    text: BASE.replace('"24:00"', '"25:00"'),
    at: '11:60 alerting.timeIntervals[0].intervals[0].times[0].endTime',
    message: /"25:00" is not allowed; expected a time of day HH:MM/,
  },
];

describe('bad alerting input', () => {
  it('the base is valid, and an unsigned DingTalk robot needs no secret', () => {
    expect(problemsOf(BASE)).toEqual([]);
    expect(problemsOf(BASE.replace(', signingSecret: { secret: dt, key: sign }', ', signed: false'))).toEqual([]);
  });

  it.each(CASES)('$name: located error', ({ text, at, message }) => expectLocatedProblem(text, at, message));
});

describe('o11y synth on bad alerting input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-alerting-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2, prints every located problem, writes nothing', () => {
    const file = join(dir, 'o11y.yaml');
    const out = join(dir, 'dist');
    writeFileSync(file, BASE.replace('receiver: oncall', 'receiver: on-call').replace(', equal: [alertname] }', ' }'));
    const stderr = synthRefuses(file, out);
    expect(stderr).toContain(`${file}:14:17 alerting.routes[0].receiver: unknown receiver "on-call"`);
    expect(stderr).toContain(`${file}:17:7 alerting.inhibitRules[0]: needs \`equal\``);
    expect(existsSync(out)).toBe(false);
  });
});
