import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpYaml } from '../src/yaml-output.ts';
import { compileSloFiles, compileSlos } from '../src/slo/index.ts';
import type { RuleGroup } from '../src/slo/rules.ts';
import { promtool, writeLayout } from './support/slo-promtool.ts';

const compiled = compileSloFiles([...readdirSync('examples/slos').filter((f) => f.endsWith('.yaml')).map((f) => join('examples/slos', f)), 'slos/stack.yaml']);

describe('generated rules and tests pass the real promtool', () => {
  const dir = writeLayout(compiled);

  it('promtool check rules: every rule of every example and stack SLO', async () => {
    const r = await promtool(['check', 'rules', 'rules/slo.rules.yaml'], dir);
    expect(r.output).toContain(`SUCCESS: ${compiled.ruleFile.groups.flatMap((g) => (g as RuleGroup).rules).length} rules found`);
    expect(r.ok).toBe(true);
  });

  it('promtool test rules: the generated tests of every SLO pass', async () => {
    const files = compiled.promtoolTests.map((t) => join('tests', t.fileName));
    const r = await promtool(['test', 'rules', ...files], dir);
    expect(r.ok, r.output).toBe(true);
    expect(r.output.match(/SUCCESS/g)).toHaveLength(files.length);
  }, 180_000);

  it('promtool check rules (with its duplicate-rule lint) passes when services share an alert name', async () => {
    const shared = writeLayout(compileSloFiles(['test/fixtures/slo/shared-alert-name.yaml']));
    const r = await promtool(['check', 'rules', 'rules/slo.rules.yaml'], shared);
    expect(r.ok, r.output).toBe(true);
  });

  it('the generated tests fail when the rules are wrong (alerts dropped)', async () => {
    const one = compileSlos(compiled.slos.filter((s) => s.id === 'myservice-requests-availability'));
    const broken = writeLayout(one);
    const groups = (one.ruleFile.groups as RuleGroup[]).filter((g) => !g.name.startsWith('sloth-slo-alerts-'));
    writeFileSync(join(broken, 'rules', 'slo.rules.yaml'), dumpYaml({ groups }));
    const r = await promtool(['test', 'rules', join('tests', one.promtoolTests[0]!.fileName)], broken);
    expect(r.ok).toBe(false);
    expect(r.output).toContain('FAILED');
    expect(r.output).toMatch(/count\(ALERTS\{.*sloth_severity=\\"page\\"\}\)/);
  });
});

describe('vmalert\'s rules record the series Prometheus\' do (the dashboards read them in either mode)', () => {
  it('the tests generated for vmalert (budget, no NaN, the exact labels of every recorded series) pass against the Prometheus rules in promtool', async () => {
    // Native histograms: VictoriaMetrics does not store them, so they have no vmalert tests.
    const vm = compileSlos(compiled.slos.filter((s) => !s.sli.histogram?.native), { vmalert: { lag: 60 } });
    const asPromtool = ({ metricsql_expr_test, ...t }: { metricsql_expr_test: object[] }) => ({ ...t, promql_expr_test: metricsql_expr_test });
    const tests = vm.promtoolTests.map((t) => {
      const content = t.content as { tests: { metricsql_expr_test: object[] }[] };
      return { ...t, content: { ...content, tests: content.tests.map(asPromtool) } };
    });
    expect(JSON.stringify(tests)).toContain('count without () (slo:sli_error:ratio_rate30d{');
    const dir = writeLayout({ ...vm, ruleFile: compileSlos(vm.slos).ruleFile, promtoolTests: tests });
    const r = await promtool(['test', 'rules', ...tests.map((t) => join('tests', t.fileName))], dir);
    expect(r.ok, r.output).toBe(true);
    expect(r.output.match(/SUCCESS/g)).toHaveLength(tests.length);
  }, 180_000);
});

describe('generated tests feed the SLI query itself, so they fail when it is wrong', () => {
  it.each([
    { id: 'prometheus-query-latency', what: 'an le matcher that misses Prometheus 3\'s "1.0"', from: 'le=~"1([.]0)?"', to: 'le="1"' },
    { id: 'myservice-requests-availability', what: 'an error filter that matches no status code', from: 'code=~"(5..|429)"', to: 'code=~"(5xx|429)"' },
    { id: 'checkout-checkout-availability', what: 'a good filter that counts failures as good', from: 'code!~"5.."', to: 'code!~"2.."' },
  ])('$id: $what', async ({ id, from, to }) => {
    const slo = compiled.slos.find((s) => s.id === id)!;
    const broken = { ...slo, sli: { ...slo.sli, errorQuery: slo.sli.errorQuery.replace(from, to) } };
    expect(broken.sli.errorQuery).not.toBe(slo.sli.errorQuery);
    const layout = writeLayout(compileSlos([slo]));
    expect((await promtool(['test', 'rules', join('tests', `slo-${id}.test.yaml`)], layout)).ok).toBe(true);
    writeFileSync(join(layout, 'rules', 'slo.rules.yaml'), dumpYaml(compileSlos([broken]).ruleFile));
    const r = await promtool(['test', 'rules', join('tests', `slo-${id}.test.yaml`)], layout);
    expect(r.ok, r.output).toBe(false);
    expect(r.output).toContain('FAILED');
  }, 60_000);
});

describe('an error query that matches nothing raises the NoErrorSeries info alert (test/promtool/no-error-series.test.yaml)', () => {
  it('50% errors behind a filter typo or an off-bucket threshold: full budget, no burn alert, but an info alert', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-slo-no-errors-'));
    writeFileSync(join(dir, 'no-error-series.rules.yaml'), dumpYaml(compileSloFiles(['test/promtool/no-error-series.slos.yaml']).ruleFile));
    copyFileSync('test/promtool/no-error-series.test.yaml', join(dir, 'no-error-series.test.yaml'));
    const r = await promtool(['test', 'rules', 'no-error-series.test.yaml'], dir);
    expect(r.ok, r.output).toBe(true);
  }, 60_000);
});

describe('hand-written promtool tests pin alert timing (test/promtool/)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-slo-timing-'));
  writeFileSync(join(dir, 'slo.rules.yaml'), dumpYaml(compileSloFiles(['test/fixtures/slo/timing.yaml']).ruleFile));
  it.each([
    ['fast-burn', 'a 100% error burst pages within 15 minutes'],
    ['slow-burn', '5x budget burn tickets within hours and never pages'],
    ['quiet', '0.05% errors on a 99.9% objective stays quiet for days'],
    ['no-traffic', 'no traffic stays quiet, full budget, no NaN'],
  ])('%s: %s', async (name) => {
    copyFileSync(join('test/promtool', `${name}.test.yaml`), join(dir, `${name}.test.yaml`));
    const r = await promtool(['test', 'rules', `${name}.test.yaml`], dir);
    expect(r.ok, r.output).toBe(true);
  }, 120_000);
});
