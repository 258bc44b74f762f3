import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { synthesize } from '../src/synth.ts';
import { engines } from './support/engines.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { layOutPodFiles, removePodFiles, reroot } from './support/pod-files.ts';
import { runBinary, runBinaryAsync } from './support/run-tool.ts';
import { startDaemon, type Daemon } from './support/daemon.ts';
import { freePort } from './support/free-port.ts';
import { VM_ALERT_METRICS } from '../src/rules/victoriametrics.ts';
import { victoriaMetricsDashboard } from '../src/dashboards/victoriametrics.ts';
import { containerArgs, vmalertPodArgs, vmModeConfig } from './support/vm-mode.ts';
import { withFlags } from './support/real-engine-checks.ts';
import { compileSloFiles, compileSlos } from '../src/slo/index.ts';
import { writeLayout } from './support/slo-promtool.ts';

// The victoriametrics-cluster metrics mode checked by the real binaries: every flag of every
// synthesized container, vmagent's scrape config, every rule file vmalert loads, and the SLO unit
// tests (generated for vmalert's rules) under vmalert-tool. Each check has a broken twin that must fail.

const found = engines(import.meta.url, ['vminsert', 'vmselect', 'vmstorage', 'vmalert', 'vmagent', 'vmalert-tool']);
/** The workloads of the mode, and the engine each runs. */
const WORKLOADS = ['vmstorage', 'vminsert', 'vmselect', 'vmagent', 'vmalert'] as const;

describe.runIf(found)('victoriametrics-cluster mode against the real binaries', () => {
  const bin = found!;
  let work: string;
  let objects: K8sObject[];
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'o11y-vm-engines-'));
    writeFileSync(join(work, 'o11y.yaml'), vmModeConfig());
    synthesize({ configFile: join(work, 'o11y.yaml'), outDir: join(work, 'dist') });
    objects = loadManifestDir(join(work, 'dist', 'local'));
  });
  afterAll(() => {
    removePodFiles();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  const argsOf = (name: string) => containerArgs(objects, name);

  it.each(WORKLOADS)('every flag of %s is known to its binary, with a valid value', (name) => {
    const args = argsOf(name);
    expect(args.length).toBeGreaterThan(3);
    // `-version` parses every flag (names and values) and exits; an unknown one exits 2.
    const run = runBinary(bin[name], [...args, '-version']);
    expect(run.status, run.output).toBe(0);
    const broken = runBinary(bin[name], [...args, '-no.such.flag=1', '-version']);
    expect(broken.status).not.toBe(0);
    expect(broken.output).toContain('flag provided but not defined: -no.such.flag');
  });

  it('a flag value the binary refuses fails the check (vmstorage retention in Prometheus syntax)', () => {
    const args = argsOf('vmstorage').map((a) => (a.startsWith('-retentionPeriod=') ? '-retentionPeriod=30dd' : a));
    expect(runBinary(bin.vmstorage, [...args, '-version']).status).not.toBe(0);
  });

  /** vmagent's pod files, its scrape config rewritten to point under the temp root. */
  const vmagentFiles = () => {
    const pod = layOutPodFiles(objects, 'vmagent', 'vmagent');
    const podPath = pod.args.find((a) => a.startsWith('-promscrape.config='))!.slice('-promscrape.config='.length);
    const config = parse(readFileSync(pod.hostPath(podPath), 'utf8')) as Record<string, unknown>;
    return { pod, file: pod.hostPath(podPath), config: reroot(config, [...pod.configMapMounts, ...pod.secretMounts], pod.root) };
  };

  it('vmagent accepts the scrape config it mounts (strict parsing), and refuses a broken one', () => {
    const { file, config } = vmagentFiles();
    expect((config.scrape_configs as object[]).length).toBeGreaterThan(5);
    writeFileSync(file, stringify(config));
    const run = runBinary(bin.vmagent, [`-promscrape.config=${file}`, '-dryRun']);
    expect(run.status, run.output).toBe(0);
    writeFileSync(file, stringify({ ...config, global: { ...(config.global as object), scrape_intervall: '30s' } }));
    const broken = runBinary(bin.vmagent, [`-promscrape.config=${file}`, '-dryRun']);
    expect(broken.status).not.toBe(0);
    expect(broken.output).toContain('scrape_intervall');
  });

  /** vmalert's laid-out pod, and its `-rule` patterns moved under the pod root. */
  const vmalertRules = () => {
    const pod = layOutPodFiles(objects, 'vmalert', 'vmalert');
    return { pod, rules: vmalertPodArgs(pod, '127.0.0.1:9093').filter((a) => a.startsWith('-rule=')) };
  };

  it('vmalert loads every rule file it mounts (stack, VictoriaMetrics, Kubernetes, SLO), and refuses a broken one', () => {
    const { pod, rules } = vmalertRules();
    expect(pod.configMapFiles.map((f) => f.split('/').at(-1)).sort()).toEqual(['kubernetes.rules.yaml', 'notifiers.yaml', 'slo.rules.yaml', 'stack.rules.yaml', 'victoriametrics.rules.yaml']);
    const run = runBinary(bin.vmalert, ['-dryRun', ...rules]);
    expect(run.status, run.output).toBe(0);
    const stackFile = pod.hostPath(pod.configMapFiles.find((f) => f.endsWith('stack.rules.yaml'))!);
    writeFileSync(stackFile, `${readFileSync(stackFile, 'utf8')}\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(rate(up[5m]) by (\n`);
    expect(runBinary(bin.vmalert, ['-dryRun', ...rules]).status).not.toBe(0);
  });

  it('the metrics the VictoriaMetrics alerts read are on the real binaries\' /metrics, run with the synthesized flags', async () => {
    const [storageHttp, storageInsert, storageSelect, insertHttp, selectHttp, agentHttp, alertHttp, notifier] = await Promise.all(Array.from({ length: 8 }, () => freePort()));
    const loopback = (p: number) => `127.0.0.1:${p}`;
    // Its metric names do not depend on the jobs: no Kubernetes API to discover targets from here.
    const agent = vmagentFiles();
    writeFileSync(agent.file, stringify({ scrape_configs: [] }));
    const vmalertArgs = vmalertPodArgs(vmalertRules().pod, loopback(notifier));
    const flags: Record<(typeof WORKLOADS)[number], (dir: string) => Record<string, string>> = {
      vmstorage: (dir) => ({ storageDataPath: dir, httpListenAddr: loopback(storageHttp), vminsertAddr: loopback(storageInsert), vmselectAddr: loopback(storageSelect) }),
      vminsert: () => ({ storageNode: loopback(storageInsert), httpListenAddr: loopback(insertHttp) }),
      vmselect: (dir) => ({ storageNode: loopback(storageSelect), httpListenAddr: loopback(selectHttp), cacheDataPath: dir }),
      vmagent: (dir) => ({ 'promscrape.config': agent.file, 'remoteWrite.url': `http://${loopback(insertHttp)}/insert/0/prometheus/api/v1/write`, 'remoteWrite.tmpDataPath': dir, httpListenAddr: loopback(agentHttp) }),
      vmalert: () => ({
        'datasource.url': `http://${loopback(selectHttp)}/select/0/prometheus`,
        'remoteRead.url': `http://${loopback(selectHttp)}/select/0/prometheus`,
        'remoteWrite.url': `http://${loopback(insertHttp)}/insert/0/prometheus`,
        httpListenAddr: loopback(alertHttp),
      }),
    };
    const http = { vmstorage: storageHttp, vminsert: insertHttp, vmselect: selectHttp, vmagent: agentHttp, vmalert: alertHttp };
    const daemons: Daemon[] = [];
    const everyName = new Set<string>();
    try {
      for (const name of WORKLOADS) {
        // vmalert's files are laid out under a temp root: its `-rule` and `-notifier.config` paths move there.
        const own = name === 'vmalert' ? vmalertArgs : argsOf(name);
        daemons.push(await startDaemon({
          binary: bin[name],
          tmpPrefix: `o11y-${name}-`,
          args: (dir) => withFlags(own, flags[name](dir), '-'),
          url: `http://${loopback(http[name])}`,
          readyPath: '/health',
        }));
        const exported = new Set((await (await fetch(`http://${loopback(http[name])}/metrics`)).text()).split('\n').map((l) => l.split(/[{ ]/)[0]));
        exported.forEach((m) => everyName.add(m));
        const missing = (VM_ALERT_METRICS[name] as readonly string[]).filter((m) => !exported.has(m));
        expect(missing, name).toEqual([]);
        expect(exported.has('vm_no_such_metric_total')).toBe(false);
      }
      // The dashboard's VictoriaMetrics series too.
      const exprs = JSON.stringify(victoriaMetricsDashboard({ prometheus: 'prometheus', loki: 'loki', tempo: 'tempo' }).json).match(/\bvm[a-z_]*_[a-z_]+\b/g) ?? [];
      expect(exprs.length).toBeGreaterThan(10);
      expect([...new Set(exprs)].filter((m) => !everyName.has(m))).toEqual([]);
    } finally {
      for (const d of daemons.reverse()) await d.stop();
    }
  });

  /** vmalert-tool on test files of `dir` (a synthesized `promtool/<cluster>/tests`). */
  const unittest = (dir: string, files: readonly string[]) => runBinaryAsync(bin['vmalert-tool'], ['unittest', ...files.map((f) => `--files=${f}`)], { cwd: dir });
  const testsDir = () => join(work, 'dist', 'promtool', 'local', 'tests');
  const sloTests = () => readdirSync(testsDir()).filter((f) => f.startsWith('slo-'));

  it('the generated SLO tests pass in vmalert-tool: alerts, budget, no NaN, and the exact labels of every recorded series', { timeout: 900_000 }, async () => {
    const files = sloTests();
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const test = parse(readFileSync(join(testsDir(), name), 'utf8')) as { tests: { metricsql_expr_test: { expr: string }[] }[] };
      const exprs = test.tests.flatMap((t) => t.metricsql_expr_test.map((e) => e.expr));
      // Every SLO has a firing scenario, a quiet one with budget and label checks, and (with traffic) a no-traffic one.
      expect(exprs.some((e) => e.includes('ALERTS{')), name).toBe(true);
      expect(exprs.some((e) => e.includes('slo:period_error_budget_remaining:ratio') && e.includes('>')), name).toBe(true);
      expect(exprs.some((e) => /^count without \(\) \(slo:sli_error:ratio_rate\d+[dw]\{/.test(e)), name).toBe(true);
      const run = await unittest(testsDir(), [name]);
      expect(run.status, `${name}: ${run.output}`).toBe(0);
      expect(run.output).toContain('SUCCESS');
    }
  });

  it('the examples\' SLOs (events, latency, raw, gauge; Sloth, OpenSLO and o11y/v1 files) pass their vmalert-tool tests too', { timeout: 900_000 }, async () => {
    const files = readdirSync('examples/slos').filter((f) => f.endsWith('.yaml')).map((f) => join('examples/slos', f));
    // Native histograms: VictoriaMetrics does not store them, and MetricsQL has no histogram_count.
    const slos = compileSloFiles(files).slos.filter((s) => !s.sli.histogram?.native);
    expect(new Set(slos.map((s) => s.sli.kind))).toEqual(new Set(['events', 'latency', 'raw', 'availability']));
    const compiled = compileSlos(slos, { vmalert: { lag: 60 } });
    const dir = writeLayout(compiled);
    for (const t of compiled.promtoolTests) {
      const run = await unittest(join(dir, 'tests'), [t.fileName]);
      expect(run.status, `${t.fileName}: ${run.output}`).toBe(0);
    }
  });

  it('a wrong expectation fails (the quiet scenario expecting a firing alert)', { timeout: 300_000 }, async () => {
    const name = sloTests()[0]!;
    const test = parse(readFileSync(join(testsDir(), name), 'utf8')) as { tests: { name: string; metricsql_expr_test: { expr: string; exp_samples: object[] }[] }[] };
    const quiet = test.tests.find((t) => t.name.includes('half the lowest alert threshold'))!;
    const wrong = { ...test, tests: [{ ...quiet, metricsql_expr_test: quiet.metricsql_expr_test.map((e) => (e.expr.includes('ALERTS{') ? { ...e, exp_samples: [{ labels: '{}', value: 1 }] } : e)) }] };
    writeFileSync(join(testsDir(), 'vm-wrong.yaml'), stringify(wrong));
    const run = await unittest(testsDir(), ['vm-wrong.yaml']);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('ALERTS{');
  });

  it('the Prometheus rules fail the same tests in vmalert-tool: exported_sloth_window on the period series, no 5m ratio, no budget', { timeout: 300_000 }, async () => {
    // Why vmalert gets its own rules: the same SLOs' rules as Prometheus mode ships them (the default dist/), under the tests above.
    const dir = mkdtempSync(join(work, 'prometheus-rules-'));
    mkdirSync(join(dir, 'rules'));
    mkdirSync(join(dir, 'tests'));
    copyFileSync(join('dist', 'promtool', 'local', 'rules', 'slo.rules.yaml'), join(dir, 'rules', 'slo.rules.yaml'));
    const name = sloTests().find((f) => f.includes('http-availability'))!;
    copyFileSync(join(testsDir(), name), join(dir, 'tests', name));
    const run = await unittest(join(dir, 'tests'), [name]);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('exported_sloth_window="5m"');
    expect(run.output).toMatch(/count\(slo:sli_error:ratio_rate5m\{[^}]*\} == 0\)", time: 6h0m0s,\s+exp: \{\} 1E\+00\s+got: nil/);
  });
});
