import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';
import { formatProblem } from '../src/errors.ts';
import { checkSloFiles, compileSloFiles } from '../src/slo/index.ts';
import type { RuleGroup } from '../src/slo/rules.ts';
import type { Daemon } from './support/daemon.ts';
import { startPrometheusWith } from './support/real-prometheus.ts';
import { remoteWrite } from './support/remote-write.ts';
import { promtool, writeLayout } from './support/slo-promtool.ts';

/**
 * accepted/: the latency and availability SLOs of Sloth's, Pyrra's and OpenSLO's own docs and
 * examples (their queries, in our input formats; each file names its source). refused/: typos, each
 * with the located problems it must raise as `# expect: line:col path: message` comments.
 */
const CORPUS = 'test/fixtures/slo-corpus';
const corpus = (kind: 'accepted' | 'refused') =>
  readdirSync(join(CORPUS, kind))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(CORPUS, kind, f));
const accepted = corpus('accepted');
const refused = corpus('refused');

const validate = (...args: string[]) => runCli('slo', 'validate', ...args);

describe('SLO corpus: the SLOs people write validate', () => {
  it.each(accepted)('%s', (file) => {
    const { slos, problems } = checkSloFiles([file]);
    expect(problems.map(formatProblem)).toEqual([]);
    expect(slos.length).toBeGreaterThan(0);
  });

  // promtool check rules, not test rules: the generated tests of 50 SLOs take minutes (slo-promtool.test.ts runs them for the examples).
  describe('and their generated rules pass the real promtool', () => {
    const compiled = compileSloFiles(accepted);
    const dir = writeLayout(compiled);

    it('promtool check rules', async () => {
      const r = await promtool(['check', 'rules', 'rules/slo.rules.yaml'], dir);
      expect(r.ok, r.output).toBe(true);
      expect(r.output).toContain(`SUCCESS: ${compiled.ruleFile.groups.flatMap((g) => (g as RuleGroup).rules).length} rules found`);
    });

    it('promtool check rules refuses them with an unknown function in one expression', async () => {
      const text = readFileSync(join(dir, 'rules', 'slo.rules.yaml'), 'utf8');
      writeFileSync(join(dir, 'rules', 'broken.rules.yaml'), text.replace('sum(rate(', 'sum(rat('));
      const r = await promtool(['check', 'rules', 'rules/broken.rules.yaml'], dir);
      expect(r.ok).toBe(false);
      expect(r.output).toContain('unknown function with name "rat"');
    });
  });
});

describe('SLO corpus: typos are refused, located', () => {
  it.each(refused)('%s', (file) => {
    const expected = [...readFileSync(file, 'utf8').matchAll(/^# expect: (.*)$/gm)].map((m) => `${file}:${m[1]}`);
    expect(expected.length).toBeGreaterThan(0);
    const got = checkSloFiles([file]).problems.map(formatProblem);
    expect(got).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(got[i]).toContain(e));
  });
});

describe('o11y slo validate --prometheus-url: an unpaired error query is accepted when its series exist', () => {
  let prometheus: Daemon;
  const unpaired = join(CORPUS, 'refused', 'native-pair-not-in-table.yaml');
  const misspelt = join(CORPUS, 'refused', 'sloth-misspelt-metric.yaml');

  beforeAll(async () => {
    prometheus = await startPrometheusWith({
      tmpPrefix: 'o11y-slo-corpus-',
      flags: ['--web.enable-remote-write-receiver'],
      prepare: (dir) => writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n'),
    });
    const now = Date.now() - 5_000;
    const counter = (labels: Record<string, string>) => ({ labels, samples: [[1, now - 60_000], [5, now]] as [number, number][] });
    await remoteWrite(prometheus.url, [
      counter({ __name__: 'api_failed_requests_total', job: 'api' }),
      counter({ __name__: 'api_handled_requests_total', job: 'api' }),
      counter({ __name__: 'http_requests_total', job: 'myservice', code: '500' }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('both selectors return series: exit 0, saying how to acknowledge it for synth', async () => {
    expect((await validate(unpaired)).code).toBe(2);
    const r = await validate('--prometheus-url', prometheus.url, unpaired);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `proven: ${unpaired}:10:21 slos[0].sli.events.errorQuery: api_failed_requests_total{job="api"}, api_handled_requests_total{job="api"} all return series at ${prometheus.url}; ` +
        'o11y synth and o11y slo generate refuse this SLO until you acknowledge it with the SLO key unpairedSeries: "<why>"\n' +
        'ok: 1 SLO in 1 file\n',
    );
  });

  it('a misspelt metric has no series: still refused, located, naming the selector without series', async () => {
    const r = await validate('--prometheus-url', prometheus.url, misspelt);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${misspelt}:10:22 slos[0].sli.events.error_query: SLO "requests-availability": http_requests_totl{job="myservice",code=~"(5..|429)"} does not read`);
    expect(r.stderr).toContain(`At ${prometheus.url} no series match http_requests_totl{job="myservice",code=~"(5..|429)"}\n`);
  });
});
