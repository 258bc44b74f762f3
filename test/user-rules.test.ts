import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPrometheus, expectedRuleGroupsFromManifests, type ExpectedRuleGroup } from '../src/controller/prometheus/index.ts';
import { formatProblem, InputError } from '../src/errors.ts';
import { parseYaml } from '../src/input/yaml-source.ts';
import { RULES_DIR } from '../src/rules/layout.ts';
import { synthesize } from '../src/synth.ts';
import { duplicateGroupProblems, loadUserRules, ruleFileProblems, USER_RULES } from '../src/user/rules.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { removePodFiles } from './support/pod-files.ts';
import { promtoolCheckMountedRules } from './support/real-engine-checks.ts';
import { startPrometheus } from './support/real-prometheus.ts';
import { runTool } from './support/run-tool.ts';

// The user's rule files (`rules:`): checked at synth with located errors, shipped in their own
// ConfigMap and in promtool/rules/, accepted by the real promtool, loaded by a real Prometheus 3,
// and expected by `o11y check --manifests`.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/user/o11y.yaml');
const work = mkdtempSync(join(tmpdir(), 'o11y-user-rules-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removePodFiles();
});

/** The problems of one rule file text, as `line:col path: message`. */
function problemsOf(text: string): string[] {
  return ruleFileProblems(parseYaml(text, 'r.yaml')[0]!).map((p) => formatProblem(p).replace(/^r\.yaml:/, ''));
}

describe('rule file checks (the rule file format of Prometheus 3: keys it refuses, PromQL syntax)', () => {
  const cases: [string, string, RegExp][] = [
    ['a PromQL syntax error, at the expr of the rule file', 'groups:\n  - name: g\n    rules:\n      - record: x\n        expr: sum(rate(up[5m])\n', /^5:15 groups\[0\]\.rules\[0\]\.expr: PromQL parse error at character \d+/],
    ['a rule with neither alert nor record', 'groups:\n  - name: g\n    rules:\n      - expr: up\n', /^4:9 groups\[0\]\.rules\[0\]: a rule needs alert .* or record/],
    ['a rule with both', 'groups:\n  - name: g\n    rules:\n      - { alert: A, record: b, expr: up }\n', /^4:9 groups\[0\]\.rules\[0\]: a rule has either alert or record, not both/],
    ['for in a recording rule', 'groups:\n  - name: g\n    rules:\n      - record: x\n        expr: up\n        for: 5m\n', /^6:9 groups\[0\]\.rules\[0\]\.for: for is not allowed in a recording rule; allowed keys: record, expr, labels/],
    ['an unknown group key', 'groups:\n  - name: g\n    evaluation: 1m\n    rules: []\n', /^3:5 groups\[0\]\.evaluation: unknown key "evaluation"; allowed keys: name, interval, query_offset, limit, labels, rules/],
    ['a group without a name', 'groups:\n  - rules: []\n', /^2:5 groups\[0\]\.name: every rule group needs a name/],
    ['a bad duration', 'groups:\n  - name: g\n    interval: 1 minute\n    rules: []\n', /^3:15 groups\[0\]\.interval: "1 minute" is not a Prometheus duration/],
    ['a missing expr', 'groups:\n  - name: g\n    rules:\n      - alert: A\n', /^4:9 groups\[0\]\.rules\[0\]\.expr: every rule needs expr/],
    ['a label value that is a mapping', 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        labels: { team: { name: x } }\n', /^6:25 groups\[0\]\.rules\[0\]\.labels\.team: expected a string value, got a mapping/],
    ['not a rule file at all', '- just\n- a list\n', /^1:1 a rule file is a mapping with `groups:`, got a list/],
    ['an unknown top-level key', 'groups: []\nrules: []\n', /^2:1 rules: unknown key "rules"; allowed keys: groups/],
  ];
  it.each(cases)('%s', (_, text, expected) => {
    const found = problemsOf(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });

  it('a valid file with every key Prometheus 3 allows has no problems (promtool agrees)', () => {
    const text = readFileSync(join(ROOT, 'test/fixtures/user/rules/team.rules.yaml'), 'utf8');
    expect(problemsOf(text)).toEqual([]);
    const file = join(work, 'valid.yaml');
    writeFileSync(file, `${text}  - name: every-key\n    interval: 1m\n    query_offset: 30s\n    limit: 10\n    labels: { team: x }\n    rules:\n      - { alert: A, expr: up == 0, for: 0s, keep_firing_for: 1m, labels: { a: b }, annotations: { s: t } }\n`);
    expect(problemsOf(readFileSync(file, 'utf8'))).toEqual([]);
    const run = runTool('promtool', ['check', 'rules', file]);
    expect(run.status, run.output).toBe(0);
  });

  it('every refused shape is refused by the real promtool too', () => {
    for (const [name, text] of cases.filter(([n]) => !n.includes('PromQL'))) {
      const file = join(work, 'refused.yaml');
      writeFileSync(file, text);
      expect(runTool('promtool', ['check', 'rules', file]).status, name).not.toBe(0);
    }
  });
});

describe('duplicate rule group names across the rule files one Prometheus loads', () => {
  const located = (name: string, line: number) => ({ configMap: 'prometheus-rules-user', fileName: 'user.rules.yaml', content: { groups: [{ name }] }, origins: [{ file: 'team.yaml', line, column: 11 }] });
  const stack = { configMap: 'prometheus-rules-stack', fileName: 'stack.rules.yaml', content: { groups: [{ name: 'o11y-targets' }, { name: 'o11y-prometheus' }] } };

  it("a user's group named like one of the stack's is located at the user's group", () => {
    const [p, ...rest] = duplicateGroupProblems([stack, located('o11y-targets', 7)]);
    expect(rest).toEqual([]);
    expect(formatProblem(p!)).toBe('team.yaml:7:11 duplicate rule group name "o11y-targets" (also in the stack\'s stack.rules.yaml); rule group names must be unique across the rule files Prometheus loads');
  });

  it("two of the user's groups with one name: the second is located and names the first", () => {
    const problems = duplicateGroupProblems([stack, located('payments', 3), located('payments', 9)]);
    expect(problems.map(formatProblem)).toEqual([expect.stringMatching(/^team\.yaml:9:11 duplicate rule group name "payments" \(also in team\.yaml:3:11\)/)]);
  });

  it('distinct names pass', () => {
    expect(duplicateGroupProblems([stack, located('payments', 3)])).toEqual([]);
  });
});

describe('loadUserRules', () => {
  it('joins the groups of every file in order, remembering where each was written', () => {
    const dir = join(ROOT, 'test/fixtures/user/rules');
    const files = ['team.rules.yaml', 'vms.rules.yml'].map((f) => join(dir, f));
    const out = loadUserRules(files)!;
    expect(out.configMap).toBe(USER_RULES.configMap);
    expect(out.content.groups.map((g) => (g as { name: string }).name)).toEqual(['payments-recording', 'payments-alerts', 'legacy-vms']);
    expect(out.origins!.map((o) => `${basename(o.file)}:${o.line}`)).toEqual(['team.rules.yaml:3', 'team.rules.yaml:7', 'vms.rules.yml:2']);
  });

  it('reports the problems of every file at once, each in its file', () => {
    const a = join(work, 'a.yaml');
    const b = join(work, 'b.yaml');
    writeFileSync(a, 'groups:\n  - name: a\n    rules:\n      - record: x\n        expr: rate(up[5m]\n');
    writeFileSync(b, 'groups: [\n');
    const error = (() => {
      try {
        loadUserRules([a, b]);
      } catch (e) {
        return e as InputError;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error.problems.map((p) => `${basename(p.location.file)}:${p.location.line}`)).toEqual(['a.yaml:5', 'b.yaml:2']);
  });
});

describe('bad rule files stop the synth, located in the rule file, with nothing written', () => {
  function synthWith(ruleFile: string): string[] {
    const dir = mkdtempSync(join(work, 'bad-'));
    writeFileSync(join(dir, 'mine.yaml'), ruleFile);
    writeFileSync(join(dir, 'o11y.yaml'), 'clusters:\n  - { name: local, cloud: onprem, region: dc1, storageClass: standard }\nrules: [mine.yaml]\n');
    try {
      synthesize({ configFile: join(dir, 'o11y.yaml'), outDir: join(dir, 'dist') });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      expect(readdirSync(dir).sort()).toEqual(['mine.yaml', 'o11y.yaml']);
      return e.problems.map((p) => formatProblem(p).replace(`${dir}/`, ''));
    }
    throw new Error('synthesized');
  }

  it('a rule whose PromQL does not parse', () => {
    expect(synthWith('groups:\n  - name: mine\n    rules:\n      - alert: A\n        expr: up ==\n')).toEqual([expect.stringMatching(/^mine\.yaml:5:15 groups\[0\]\.rules\[0\]\.expr: PromQL parse error/)]);
  });

  it("a group named like one of the stack's", () => {
    expect(synthWith('groups:\n  - name: o11y-stack.watchdog\n    rules: []\n')).toEqual([
      `mine.yaml:2:11 duplicate rule group name "o11y-stack.watchdog" (also in the stack's stack.rules.yaml); rule group names must be unique across the rule files Prometheus loads`,
    ]);
  });
});

describe('the synthesized stack with user rules', () => {
  const out = join(work, 'dist');
  let objs: ReturnType<typeof loadManifestDir>;
  let userFile: string;
  beforeAll(() => {
    synthesize({ configFile: FIXTURE, outDir: out });
    objs = loadManifestDir(join(out, 'local'));
    userFile = join(out, 'promtool/local/rules/user.rules.yaml');
  });

  it('ships them in their own ConfigMap, mounted and loaded by Prometheus, and in promtool/rules/', () => {
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-rules-user')!;
    expect(cm.metadata.labels?.['app.kubernetes.io/component']).toBe('prometheus-rules');
    expect((cm.data as Record<string, string>)['user.rules.yaml']).toBe(readFileSync(userFile, 'utf8'));
    const config = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-config')!;
    expect((config.data as Record<string, string>)['prometheus.yml']).toContain(`${RULES_DIR}/prometheus-rules-user/*.yaml`);
  });

  it('promtool check rules accepts the synthesized user rule file and every mounted rule file', () => {
    const run = runTool('promtool', ['check', 'rules', userFile]);
    expect(run.output).toMatch(/SUCCESS: 3 rules found/);
    expect(run.status, run.output).toBe(0);
    const mounted = promtoolCheckMountedRules(objs);
    expect(mounted.map((m) => basename(m.file)).sort()).toEqual(['kubernetes.rules.yaml', 'stack.rules.yaml', 'user.rules.yaml']);
    for (const { file, run } of mounted) expect(run.status, `${file}\n${run.output}`).toBe(0);
  });

  it('o11y check --manifests expects the user groups, from the file Prometheus loads them from', () => {
    const expected = expectedRuleGroupsFromManifests(join(out, 'local'));
    const file = `${RULES_DIR}/prometheus-rules-user/user.rules.yaml`;
    expect(expected.filter((g) => g.file === file).map((g) => g.name)).toEqual(['payments-recording', 'payments-alerts', 'legacy-vms']);
    expect(expected.some((g) => g.file.endsWith('stack.rules.yaml'))).toBe(true);
  });

  it('a real Prometheus 3 loads them, and the check finds every expected group loaded and healthy', async () => {
    const rules = join(out, 'promtool/local/rules');
    const prometheus = await startPrometheus({
      // Every rule file the stack mounts: the stack's, the Kubernetes rules and the user's.
      ruleFiles: Object.fromEntries(readdirSync(rules).map((f) => [f, readFileSync(join(rules, f), 'utf8')])),
    });
    try {
      // The manifests name the in-pod path; this Prometheus loads the same files from its temp dir.
      const expected: ExpectedRuleGroup[] = expectedRuleGroupsFromManifests(join(out, 'local')).map((g) => ({ ...g, file: join(prometheus.rulesDir, basename(g.file)) }));
      let groups: { name: string; health: string }[] = [];
      for (let i = 0; i < 100; i++) {
        groups = (await checkPrometheus({ url: prometheus.url }, expected)).rules.groups;
        if (groups.every((g) => g.health !== 'unknown')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const health = Object.fromEntries(groups.map((g) => [g.name, g.health]));
      expect({ recording: health['payments-recording'], alerts: health['payments-alerts'], vms: health['legacy-vms'] }).toEqual({ recording: 'ok', alerts: 'ok', vms: 'ok' });
      expect(groups.filter((g) => g.health === 'missing')).toEqual([]);
    } finally {
      await prometheus.stop();
    }
  });
});
