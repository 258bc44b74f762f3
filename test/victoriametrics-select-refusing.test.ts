import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorLink } from '../src/rules/runbook.ts';
import { victoriaMetricsRules } from '../src/rules/victoriametrics.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { engines } from './support/engines.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { removePodFiles } from './support/pod-files.ts';
import { runTool } from './support/run-tool.ts';
import { until } from './support/until.ts';
import { selectQuery, startVmCluster, type VmCluster } from './support/vm-cluster.ts';
import { synthesizeVmMode } from './support/vm-mode.ts';

// A backend vmselect with the synthesized flags (-replicationFactor=2, -search.denyPartialResponse)
// over two vmstorage nodes: one node down, it answers in full; both down, it refuses, and counts
// that only as failed storage RPCs per node (vm_partial_results_total stays 0). Its /metrics after
// each phase, as series, go through the real promtool with the stack's VictoriaMetrics rules:
// O11yVmSelectRefusingQueries fires on the refusals only, not on malformed queries nor on one node down.

const found = engines(import.meta.url, ['vminsert', 'vmselect', 'vmstorage']);
const ALERT = 'O11yVmSelectRefusingQueries';
const QUERY_PATH = 'vm_http_requests_total{path="/select/{}/prometheus/api/v1/query"}';

/** The `vm_request_errors_total{type="rpcClient"}` lines of a /metrics text: labels → value. */
function rpcErrors(metrics: string): Map<string, number> {
  return new Map(metrics.split('\n').flatMap((l) => {
    const m = /^vm_request_errors_total\{([^}]*type="rpcClient"[^}]*)\} (\S+)$/.exec(l);
    return m ? [[m[1]!, Number(m[2])] as const] : [];
  }));
}
const failedNodes = (before: string, after: string) => [...rpcErrors(after)].filter(([k, v]) => v > (rpcErrors(before).get(k) ?? 0)).map(([k]) => /addr="([^"]+)"/.exec(k)![1]!);

const scratch = mkdtempSync(join(tmpdir(), 'o11y-vm-refusing-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const rules = victoriaMetricsRules(anchorLink('https://runbooks.example.com/o11y.md'));
writeFileSync(join(scratch, 'vm.rules.yaml'), dumpYaml(rules));

/**
 * promtool on the stack's VictoriaMetrics rules with the rpcClient error counters of /metrics
 * `before`, then growing each minute by what `after` added (the same queries keep coming), of a
 * vmselect pod in cluster `local`: does the alert fire?
 */
function promtool(before: string, after: string, firing: boolean) {
  const [b, a] = [rpcErrors(before), rpcErrors(after)];
  const input_series = [...a].map(([labels, v]) => ({
    series: `vm_request_errors_total{${labels}, job="vmselect", instance="10.0.0.5:8481", k8s_cluster_name="local"}`,
    values: `${b.get(labels) ?? 0}x5 ${b.get(labels) ?? 0}+${v - (b.get(labels) ?? 0)}x15`,
  }));
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => 'alert' in r && r.alert === ALERT) as { annotations: Record<string, string> };
  const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, v.replace('{{ $labels.instance }}', '10.0.0.5:8481').replace('{{ $value }}', '2')]));
  const exp_alerts = firing ? [{ exp_labels: { severity: 'critical', cluster: 'local', instance: '10.0.0.5:8481' }, exp_annotations: annotations }] : [];
  writeFileSync(join(scratch, 'refusing.test.yaml'), JSON.stringify({
    rule_files: ['vm.rules.yaml'],
    evaluation_interval: '1m',
    tests: [{ interval: '1m', input_series, alert_rule_test: [{ eval_time: '18m', alertname: ALERT, exp_alerts }] }],
  }));
  return runTool('promtool', ['test', 'rules', 'refusing.test.yaml'], { cwd: scratch });
}

/** The phases in order: all nodes up (valid queries), malformed queries, one node of two down, both down. */
const PHASES = ['all-up', 'malformed', 'one-down', 'both-down'] as const;
/** Which phase's increments fire the alert: only the refusals. */
const FIRES: Record<(typeof PHASES)[number], boolean> = { 'all-up': false, malformed: false, 'one-down': false, 'both-down': true };
const fixture = (phase: string) => readFileSync(new URL(`./fixtures/vmselect/backend-${phase}.metrics.txt`, import.meta.url), 'utf8');

/** Each phase against the previous one (all-up against itself: nothing moves), both expectations. */
function expectAlerts(texts: Record<string, string>) {
  PHASES.forEach((phase, i) => {
    const [before, after] = [texts[PHASES[Math.max(0, i - 1)]!]!, texts[phase]!];
    const run = promtool(before, after, FIRES[phase]);
    expect(run.status, `${phase}: ${run.output}`).toBe(0);
    expect(promtool(before, after, !FIRES[phase]).status, phase).not.toBe(0);
  });
}

// /metrics captured from the real vmselect 1.150 through these phases (2 valid, 2 malformed, 1 and 2 queries).
describe(`${ALERT} under promtool, on captured vmselect /metrics`, () => {
  it('fires on the refusals with both nodes down only; not on malformed queries, one node down, or all up', () => {
    expectAlerts(Object.fromEntries(PHASES.map((p) => [p, fixture(p)])));
  });
});

describe.runIf(found)('victoriametrics-cluster: vmselect refusing queries when storage nodes fail', () => {
  const bin = found!;
  let work: string;
  let objects: K8sObject[];
  let cluster: VmCluster;
  let sent = 0;
  const phases: Record<string, string> = {};

  /** Sends `query`; then captures vmselect's /metrics once it counts every query sent (it serves a cached page for a few seconds). */
  const phase = async (name: string, query: string, times = 2) => {
    const select = cluster.selects[0]!;
    const answers = [];
    for (let i = 0; i < times; i++, sent++) answers.push(await selectQuery(select, query));
    phases[name] = await until(`vmselect /metrics counting ${sent} queries`, async () => {
      const text = await (await fetch(`${select.url}/metrics`)).text();
      return text.split('\n').includes(`${QUERY_PATH} ${sent}`) ? text : undefined;
    }, { intervalMs: 500, context: select.output });
    return answers;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'o11y-vm-refusing-'));
    objects = synthesizeVmMode(work);
    cluster = await startVmCluster(bin, objects, work);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    removePodFiles();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('counts refusals as failed storage RPCs on each node, nothing for a malformed query; the alert fires on the refusals only', { timeout: 120_000 }, async () => {
    for (const a of await phase('all-up', 'up')) expect(a.status, a.error).toBe(200);
    for (const a of await phase('malformed', 'sum(')) expect(a.status).toBe(400);
    await cluster.nodes[1]!.daemon!.kill();
    for (const a of await phase('one-down', 'up')) expect([a.status, a.partial], a.error).toEqual([200, false]);
    await cluster.nodes[0]!.daemon!.kill();
    for (const a of await phase('both-down', 'up')) {
      expect(a.status).toBe(503);
      expect(a.error).toMatch(/cannot fetch query results from vmstorage nodes/);
    }
    expect([...rpcErrors(phases['all-up']!).values()].every((v) => v === 0)).toBe(true);
    expect(failedNodes(phases['all-up']!, phases.malformed!)).toEqual([]);
    expect(failedNodes(phases.malformed!, phases['one-down']!)).toEqual([`127.0.0.1:${cluster.nodes[1]!.ports.select}`]);
    expect(failedNodes(phases['one-down']!, phases['both-down']!).sort()).toEqual(cluster.nodes.map((n) => `127.0.0.1:${n.ports.select}`).sort());
    // What the old alert read: a refused query is no partial result.
    expect(phases['both-down']).toMatch(/^vm_partial_results_total\{action="search", name="vmselect"\} 0$/m);
    expectAlerts(phases);
  });

});
