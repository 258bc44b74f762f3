import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile, parseConfig } from '../src/config/load.ts';
import { InputError } from '../src/errors.ts';
import type { RuleGroup } from '../src/slo/rules.ts';
import { synthesize } from '../src/synth.ts';

// Where SLO rules go (each SLO file to the backends of the clouds its service runs in) and what
// synth refuses: a place without a Prometheus of ours, and a retention shorter than an SLO period.

const work = mkdtempSync(join(tmpdir(), 'o11y-slo-placement-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Synthesizes `configText` from a folder holding a copy of examples/slos/ as slos/; returns the output folder, or the problems. */
function synth(name: string, configText: string): { out: string } | { problems: string[] } {
  const dir = join(work, name);
  cpSync('examples/slos', join(dir, 'slos'), { recursive: true });
  writeFileSync(join(dir, 'o11y.yaml'), configText);
  const out = join(dir, 'dist');
  try {
    synthesize({ configFile: join(dir, 'o11y.yaml'), outDir: out });
    return { out };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { problems: e.message.split('\n').map((l) => l.replaceAll(`${dir}/`, '')) };
  }
}

/** sloth_id → alert names, from a cluster's SLO rule file (empty when it has none). */
function sloAlerts(out: string, cluster: string): Record<string, string[]> {
  const file = join(out, 'promtool', cluster, 'rules', 'slo.rules.yaml');
  if (!existsSync(file)) return {};
  const byId: Record<string, string[]> = {};
  for (const group of (parse(readFileSync(file, 'utf8')) as { groups: RuleGroup[] }).groups) {
    for (const rule of group.rules) {
      const id = group.name.replace(/^sloth-slo-(sli-recordings|meta-recordings|alerts)-/, '');
      byId[id] ??= [];
      if (rule.alert) byId[id].push(rule.alert);
    }
  }
  return byId;
}

const MULTI_CLOUD = readFileSync('examples/multi-cloud.yaml', 'utf8');

describe('SLO files are evaluated where their services run (examples/multi-cloud.yaml)', () => {
  let out: string;
  beforeAll(() => {
    const result = synth('multi-cloud', MULTI_CLOUD);
    if ('problems' in result) throw new Error(result.problems.join('\n'));
    out = result.out;
  });

  it('each backend gets only the SLOs placed in its cloud; no-data alerts only where the service runs', () => {
    const aws = sloAlerts(out, 'aws-backend');
    const gcp = sloAlerts(out, 'gke-backend');
    const azure = sloAlerts(out, 'aks-backend');
    // clouds: [aws] (checkout); clusters: [aws-apps, gke-arm] (api, myservice); clouds: [alibaba, azure] (home-wifi).
    expect(Object.keys(aws).sort()).toEqual(['api-latency', 'api-latency-native', 'api-probe-availability', 'api-requests-availability', 'checkout-checkout-availability', 'myservice-requests-availability']);
    expect(Object.keys(gcp).sort()).toEqual(['api-latency', 'api-latency-native', 'api-probe-availability', 'api-requests-availability', 'myservice-requests-availability']);
    expect(Object.keys(azure)).toEqual(['home-wifi-good-wifi-client-satisfaction']);
    expect(sloAlerts(out, 'ack-backend')).toEqual(azure);
    const noData = (alerts: Record<string, string[]>) => Object.values(alerts).flat().filter((a) => a.endsWith('NoData')).sort();
    expect(noData(aws)).toEqual(['ApiSlowNoData', 'CheckoutBurnNoData']);
    expect(noData(gcp)).toEqual(['ApiSlowNoData']);
    expect(noData(azure)).toEqual([]);
  });

  it('promtool tests follow the rules; the global Grafana keeps a dashboard for every service', () => {
    expect(existsSync(join(out, 'promtool', 'aks-backend', 'tests', 'slo-checkout-checkout-availability.test.yaml'))).toBe(false);
    expect(existsSync(join(out, 'promtool', 'aws-backend', 'tests', 'slo-checkout-checkout-availability.test.yaml'))).toBe(true);
    const grafana = readFileSync(join(out, 'aks-backend', '40-grafana.k8s.yaml'), 'utf8');
    for (const service of ['api', 'checkout', 'home-wifi', 'myservice']) expect(grafana).toContain(`slo-${service}.json`);
  });
});

describe('scoped SLO entries: config validation', () => {
  const withSlos = (slos: string) => MULTI_CLOUD.replace(/^slos:\n(  - .*\n)+/m, `slos:\n${slos}`);

  it('the schema takes plain globs and { files, clouds | clusters }, and says what an entry needs', () => {
    expect(parseConfig(withSlos('  - slos/*.yaml\n  - { files: [slos/native.yaml], clouds: [aws, gcp], clusters: [aws-apps] }\n'), 'c.yaml').slos).toEqual([
      'slos/*.yaml',
      { files: ['slos/native.yaml'], clouds: ['aws', 'gcp'], clusters: ['aws-apps'] },
    ]);
    expect(() => parseConfig(withSlos('  - { files: [slos/native.yaml] }\n'), 'c.yaml')).toThrow(/c\.yaml:\d+:5 slos\[0\]: an entry with `files` also names `clouds` and\/or `clusters`/);
    expect(() => parseConfig(withSlos('  - { files: [slos/native.yaml], clouds: [moon] }\n'), 'c.yaml')).toThrow(/slos\[0\]\.clouds\[0\]: "moon" is not one of aws, alibaba, azure, gcp, onprem/);
  });

  it.each([
    {
      what: 'a cloud served by a remote backend',
      slos: '  - { files: [slos/native.yaml], clouds: [onprem] }\n',
      problem: /^o11y\.yaml:\d+:\d+ slos\[0\]\.clouds\[0\]: cloud onprem is served by backends\.onprem\.remote: no Prometheus of this stack would evaluate these SLOs; clouds with a backend cluster: aws, alibaba, azure, gcp$/,
    },
    {
      what: 'a cluster whose cloud is served by a remote backend',
      slos: '  - { files: [slos/native.yaml], clusters: [dc1] }\n',
      problem: /^o11y\.yaml:\d+:\d+ slos\[0\]\.clusters\[0\]: cluster dc1 is in cloud onprem, served by backends\.onprem\.remote: no Prometheus/,
    },
    {
      what: 'an unknown cluster',
      slos: '  - { files: [slos/native.yaml], clusters: [aws-app] }\n',
      problem: /^o11y\.yaml:\d+:\d+ slos\[0\]\.clusters\[0\]: no cluster named "aws-app"; clusters: aws-backend, aws-apps, /,
    },
  ])('refuses $what, located in the config', ({ what, slos, problem }) => {
    const result = synth(what.replace(/\W+/g, '-'), withSlos(slos));
    expect('problems' in result && result.problems).toEqual([expect.stringMatching(problem)]);
  });
});

describe('Prometheus retention covers every SLO period', () => {
  const DEFAULT = readFileSync('o11y.yaml', 'utf8');

  it('the default retention is 30d, the longest SLO period (o11y.yaml and the schema default agree)', () => {
    expect(loadConfigFile('o11y.yaml').components.prometheus.retention).toBe('30d');
    expect(parseConfig(DEFAULT.replace(/retention: 30d, /, ''), 'c.yaml').components.prometheus.retention).toBe('30d');
  });

  it('synth refuses a retention shorter than an SLO period, located at the retention, naming the SLO', () => {
    const result = synth('short-retention', DEFAULT.replace('retention: 30d', 'retention: 15d'));
    expect('problems' in result && result.problems).toEqual([
      expect.stringMatching(
        /^o11y\.yaml:12:30 components\.prometheus\.retention: retention 15d is shorter than the 30d period of SLO api-requests-availability \(slos\/native\.yaml:50:5\) and 5 more: its budget would silently cover only the last 15d; set retention to at least 30d$/,
      ),
    ]);
  });

  it('a retention at least as long as every period passes: 7d SLOs with 15d', () => {
    const dir = join(work, 'seven-days');
    mkdirSync(join(dir, 'slos'), { recursive: true });
    writeFileSync(
      join(dir, 'slos', 'weekly.yaml'),
      'version: o11y/v1\nservice: api\nslos:\n  - name: probe\n    objective: 99\n    period: 7d\n    sli:\n      availability: {gauge: probe_success}\n    alerting: {name: ApiProbe}\n',
    );
    writeFileSync(join(dir, 'o11y.yaml'), DEFAULT.replace('retention: 30d', 'retention: 15d').replace('slos: [slos/*.yaml]', 'slos: [slos/weekly.yaml]'));
    expect(synthesize({ configFile: join(dir, 'o11y.yaml'), outDir: join(dir, 'dist') }).files).toContain(join('promtool', 'local', 'rules', 'slo.rules.yaml'));
  });
});

describe('native histograms and the victoriametrics-cluster mode', () => {
  const DEFAULT = readFileSync('o11y.yaml', 'utf8');
  const vmMode = DEFAULT.replace(/^( +)region: dc1\n/m, '$1region: dc1\n$1metrics: { mode: victoriametrics-cluster }\n');

  it.each([
    { mode: 'victoriametrics-cluster', outcome: 'refused, located at its threshold', config: vmMode, problems: [/^slos\/native\.yaml:36:20 slos\[1\]: SLO api-latency-native reads a native histogram, but backend cluster "local" stores metrics in mode victoriametrics-cluster, .*drop `native: true`/] },
    { mode: 'prometheus', outcome: 'synthesized', config: DEFAULT, problems: [] },
  ])('a native-histogram SLO on a $mode backend: $outcome (vmalert would refuse the whole SLO rule file)', ({ mode, config, problems }) => {
    expect(config).toContain(mode === 'prometheus' ? 'region: dc1\n' : 'mode: victoriametrics-cluster');
    const result = synth(`native-${mode}`, config);
    expect('problems' in result ? result.problems : []).toEqual(problems.map((p) => expect.stringMatching(p)));
  });
});
