import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../src/errors.ts';
import { parseConfig } from '../src/config/load.ts';
import { CLOUDS, KUBERNETES_RULE_GROUPS, type Cloud } from '../src/model/types.ts';
import { producedBy, synthesizedJobs, type JobName } from '../src/monitoring/metric-catalogue.ts';
import { allKubernetesAlerts, KUBERNETES_RULE_FILE, kubernetesRules, type KubernetesRuleFile } from '../src/rules/kubernetes/index.ts';
import { anchorLink } from '../src/rules/runbook.ts';
import { selectorsOf } from '../src/slo/promql.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { runTool } from './support/run-tool.ts';

const TESTS = fileURLToPath(new URL('./kubernetes-rules', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNBOOK = 'https://runbooks.example.com/o11y.md';
const rulesFor = (cloud: Cloud, disabledGroups: readonly (typeof KUBERNETES_RULE_GROUPS)[number][] = []): KubernetesRuleFile =>
  kubernetesRules({ jobs: synthesizedJobs(cloud), disabledGroups, runbook: anchorLink(RUNBOOK) });
const alertsOf = (file: KubernetesRuleFile) => file.groups.flatMap((g) => g.rules.flatMap((r) => ('alert' in r ? [r] : [])));
const recordsOf = (file: KubernetesRuleFile) => new Map(file.groups.flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [[r.record, r.expr] as const] : []))));

const dir = mkdtempSync(join(tmpdir(), 'o11y-kubernetes-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// On-prem (kubeadm) scrapes every job, so its rule file holds every alert.
describe('Kubernetes alerts (promtool test rules, real promtool 3)', () => {
  writeFileSync(join(dir, KUBERNETES_RULE_FILE), dumpYaml(rulesFor('onprem')));
  it('the on-prem rule file holds every alert', () => {
    expect(alertsOf(rulesFor('onprem')).map((a) => a.alert).sort()).toEqual(allKubernetesAlerts().map((a) => a.alert).sort());
  });
  it.each(readdirSync(TESTS).filter((f) => f.endsWith('.test.yaml')))('%s', (file) => {
    copyFileSync(join(TESTS, file), join(dir, file));
    const run = runTool('promtool', ['test', 'rules', file], { cwd: dir });
    expect(run.output).toContain('SUCCESS');
    expect(run.status, run.output).toBe(0);
  });
});

describe('the promtool tests cover every Kubernetes alert', () => {
  interface TestGroup {
    alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
    promql_expr_test?: { expr: string; exp_samples?: { labels: string }[] }[];
  }
  const groups = readdirSync(TESTS)
    .filter((f) => f.endsWith('.test.yaml'))
    .flatMap((f) => (parseYaml(readFileSync(join(TESTS, f), 'utf8')) as { tests: TestGroup[] }).tests);
  // Firing is shown on the ALERTS series (labels exactly as sent); quiet as an alert_rule_test expecting no alert.
  const fires = (name: string) => groups.some((g) => (g.promql_expr_test ?? []).some((t) => /^ALERTS\{/.test(t.expr) && (t.exp_samples ?? []).some((s) => s.labels.includes(`alertname="${name}"`) && s.labels.includes('alertstate="firing"'))));
  const quiet = (name: string) => groups.some((g) => (g.alert_rule_test ?? []).some((t) => t.alertname === name && !t.exp_alerts?.length));
  it.each(allKubernetesAlerts().map((a) => a.alert))('%s: fires in one test and stays quiet in another', (name) => {
    expect(fires(name), `${name} never fires`).toBe(true);
    expect(quiet(name), `${name} is never shown quiet`).toBe(true);
  });
});

describe('per cloud: the rule file parses and reads only what the cloud scrapes', () => {
  /** Metric names an expression reads, recorded series replaced by what they read. */
  function metricsRead(expr: string, records: ReadonlyMap<string, string>): string[] {
    return selectorsOf(expr).flatMap((s) => {
      const name = s.matchers.find((m) => m.name === '__name__' && m.op === '=')?.value;
      if (!name) return [];
      const recorded = records.get(name);
      return recorded ? metricsRead(recorded, records) : [name];
    });
  }
  const jobsSelected = (expr: string) => selectorsOf(expr).flatMap((s) => s.matchers.filter((m) => m.name === 'job' && m.op === '=').map((m) => m.value));

  it.each(CLOUDS)('%s: promtool check rules accepts the synthesized file', (cloud) => {
    const file = join(dir, `${cloud}.rules.yaml`);
    writeFileSync(file, dumpYaml(rulesFor(cloud)));
    const run = runTool('promtool', ['check', 'rules', file]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });

  it.each(CLOUDS)('%s: every metric of every rule is produced by a job the cloud synthesizes, and every job matcher names one', (cloud) => {
    const jobs = synthesizedJobs(cloud);
    const file = rulesFor(cloud);
    const records = recordsOf(file);
    const orphans = file.groups.flatMap((g) =>
      g.rules.flatMap((r) => {
        const name = 'alert' in r ? r.alert : r.record;
        const metrics = metricsRead(r.expr, records).filter((m) => !producedBy(m).some((j) => jobs.has(j)));
        const unknownJobs = jobsSelected(r.expr).filter((j) => !jobs.has(j as JobName));
        return [...metrics.map((m) => `${name}: ${m}`), ...unknownJobs.map((j) => `${name}: job ${j}`)];
      }),
    );
    expect(orphans).toEqual([]);
  });

  // The table that decides: the control plane only where the cloud lets the scrapers reach it.
  it.each([
    ['onprem', ['EtcdDown', 'EtcdNoLeader', 'KubeSchedulerDown', 'KubeControllerManagerDown', 'KubeSchedulerPendingPods']],
    ['aws', ['KubeSchedulerDown', 'KubeControllerManagerDown', 'KubeSchedulerPendingPods']],
    ['gcp', []],
    ['azure', []],
    ['alibaba', []],
  ] as const)('%s: control-plane alerts %j and no other', (cloud, expected) => {
    const controlPlane = alertsOf(rulesFor(cloud)).map((a) => a.alert).filter((a) => /^(Etcd|KubeScheduler|KubeControllerManager)/.test(a));
    expect(controlPlane).toEqual(expect.arrayContaining([...expected]));
    if (cloud !== 'onprem') expect(controlPlane.filter((a) => a.startsWith('Etcd'))).toEqual([]);
    if (expected.length === 0) expect(controlPlane).toEqual([]);
    // Every cloud gets the API server's, the kubelets', the nodes' and the workloads' alerts.
    expect(alertsOf(rulesFor(cloud)).map((a) => a.alert)).toEqual(expect.arrayContaining(['KubeAPIDown', 'KubeletDown', 'KubeNodeNotReady', 'KubePodCrashLooping', 'NodeFilesystemAlmostOutOfSpace']));
  });
});

describe('monitoring.kubernetes in the config', () => {
  const base = 'clusters: [{ name: local, cloud: onprem, region: dc1, storageClass: standard }]\n';
  it('disabledGroups leaves those groups out of the rule file', () => {
    const config = parseConfig(`${base}monitoring: { kubernetes: { disabledGroups: [etcd, node] } }\n`, 'o11y.yaml');
    const file = kubernetesRules({ jobs: synthesizedJobs('onprem'), disabledGroups: config.monitoring.kubernetes.disabledGroups, runbook: anchorLink(RUNBOOK) });
    const names = file.groups.map((g) => g.name);
    expect(names).not.toContain('kubernetes.etcd');
    expect(names).not.toContain('kubernetes.node');
    expect(names).toContain('kubernetes.workloads');
  });
  it('defaults: every group, and no runbook of the user\'s (the stack\'s own runbook dashboard)', () => {
    const config = parseConfig(base, 'o11y.yaml');
    expect(config.monitoring).toEqual({ kubernetes: { disabledGroups: [] } });
  });
  it.each([
    ['an unknown group', 'monitoring:\n  kubernetes:\n    disabledGroups: [etcd, nodes]\n', 'o11y.yaml:4:28', 'monitoring.kubernetes.disabledGroups[1]: "nodes" is not one of node, workloads'],
    ['a runbook that is no URL', 'monitoring:\n  runbookUrl: docs/runbook.md\n', 'o11y.yaml:3:15', 'monitoring.runbookUrl: "docs/runbook.md" is not allowed; expected an http:// or https:// URL without a #fragment'],
    ['a runbook URL with a fragment', 'monitoring:\n  runbookUrl: https://wiki.example.com/o11y#alerts\n', 'o11y.yaml:3:15', 'monitoring.runbookUrl: "https://wiki.example.com/o11y#alerts" is not allowed'],
    ['the runbook where it was before', 'monitoring:\n  kubernetes:\n    runbookUrl: https://wiki.example.com/o11y\n', 'o11y.yaml:4:5', 'monitoring.kubernetes.runbookUrl: unknown key "runbookUrl"; allowed keys: disabledGroups'],
    ['an unknown key', 'monitoring:\n  kubernetes:\n    groups: []\n', 'o11y.yaml:4:5', 'monitoring.kubernetes.groups: unknown key "groups"; allowed keys: disabledGroups'],
  ])('refuses %s, located', (_, yaml, where, message) => {
    let error: unknown;
    try {
      parseConfig(base + yaml, 'o11y.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const text = (error as InputError).message;
    expect(text).toContain(where);
    expect(text).toContain(message);
  });
});

describe("README's Kubernetes alert catalogue", () => {
  it('has one line per Kubernetes alert, with its severity, for, meaning and what to do', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = new Map([...readme.matchAll(/^\| `(\w+)` \| (\w+) \| ([^|]+) \| (.+?) \| (.+?) \|$/gm)].map((m) => [m[1]!, m]));
    const wrong = allKubernetesAlerts().filter((a) => {
      const row = rows.get(a.alert);
      return !row || row[2] !== a.severity || row[3]!.trim() !== (a.for ?? '—') || row[4] !== a.summary || row[5] !== a.action;
    });
    expect(wrong.map((a) => a.alert)).toEqual([]);
  });
});
