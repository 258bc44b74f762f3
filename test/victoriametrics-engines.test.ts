import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { synthesize } from '../src/synth.ts';
import { engines } from './support/engines.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { layOutPodFiles, removePodFiles, reroot } from './support/pod-files.ts';
import { runBinary } from './support/run-tool.ts';
import { startDaemon, type Daemon } from './support/daemon.ts';
import { freePort } from './support/free-port.ts';
import { VM_ALERT_METRICS } from '../src/rules/victoriametrics.ts';
import { victoriaMetricsDashboard } from '../src/dashboards/victoriametrics.ts';
import { containerArgs, vmModeConfig } from './support/vm-mode.ts';
import { withFlags } from './support/real-engine-checks.ts';

// The victoriametrics-cluster metrics mode checked by the real binaries: every flag of every
// synthesized container, vmagent's scrape config, every rule file vmalert loads, and the SLO unit
// tests under vmalert-tool. Each check has a broken twin that must fail.

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

  /** vmalert's `-rule` patterns, moved under its laid-out pod root. */
  const vmalertRules = () => {
    const pod = layOutPodFiles(objects, 'vmalert', 'vmalert');
    return { pod, rules: pod.args.filter((a) => a.startsWith('-rule=')).map((a) => `-rule=${pod.hostPath(a.slice('-rule='.length))}`) };
  };

  it('vmalert loads every rule file it mounts (stack, VictoriaMetrics, Kubernetes, SLO), and refuses a broken one', () => {
    const { pod, rules } = vmalertRules();
    expect(pod.configMapFiles.filter((f) => f.endsWith('.rules.yaml')).map((f) => f.split('/').at(-1)).sort()).toEqual(['kubernetes.rules.yaml', 'slo.rules.yaml', 'stack.rules.yaml', 'victoriametrics.rules.yaml']);
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
    const { rules } = vmalertRules();
    const flags: Record<(typeof WORKLOADS)[number], (dir: string) => Record<string, string | undefined>> = {
      vmstorage: (dir) => ({ storageDataPath: dir, httpListenAddr: loopback(storageHttp), vminsertAddr: loopback(storageInsert), vmselectAddr: loopback(storageSelect) }),
      vminsert: () => ({ storageNode: loopback(storageInsert), httpListenAddr: loopback(insertHttp) }),
      vmselect: (dir) => ({ storageNode: loopback(storageSelect), httpListenAddr: loopback(selectHttp), cacheDataPath: dir }),
      vmagent: (dir) => ({ 'promscrape.config': agent.file, 'remoteWrite.url': `http://${loopback(insertHttp)}/insert/0/prometheus/api/v1/write`, 'remoteWrite.tmpDataPath': dir, httpListenAddr: loopback(agentHttp) }),
      vmalert: () => ({
        'datasource.url': `http://${loopback(selectHttp)}/select/0/prometheus`,
        'remoteRead.url': `http://${loopback(selectHttp)}/select/0/prometheus`,
        'remoteWrite.url': `http://${loopback(insertHttp)}/insert/0/prometheus`,
        // Its notifier file names the Alertmanager pods: a loopback URL instead (the live tests run the file).
        'notifier.config': undefined,
        'notifier.url': `http://${loopback(notifier)}`,
        httpListenAddr: loopback(alertHttp),
      }),
    };
    const http = { vmstorage: storageHttp, vminsert: insertHttp, vmselect: selectHttp, vmagent: agentHttp, vmalert: alertHttp };
    const daemons: Daemon[] = [];
    const everyName = new Set<string>();
    try {
      for (const name of WORKLOADS) {
        // vmalert's rule files are laid out under a temp root: its `-rule` patterns move there.
        const own = name === 'vmalert' ? argsOf(name).filter((a) => !a.startsWith('-rule=')).concat(rules) : argsOf(name);
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

  /**
   * A promtool test file as vmalert-tool reads it (`metricsql_expr_test`), keeping the checks of
   * which alerts fire (`ALERTS`). The budget and ratio checks do not pass under vmalert: its
   * recording rules keep a clashing label as `exported_<name>` instead of replacing it, and a rule
   * does not see another's result of the same evaluation (README, "Metrics modes").
   */
  type ExprTest = { expr: string; eval_time: string; exp_samples: { labels: string; value: number }[] };
  const alertChecksOnly = (text: string) => {
    const file = parse(text) as { tests: { promql_expr_test?: ExprTest[] }[] };
    const tests = file.tests.map(({ promql_expr_test, ...t }) => ({ ...t, metricsql_expr_test: (promql_expr_test ?? []).filter((e) => e.expr.includes('ALERTS{')) }));
    return { ...file, tests: tests.filter((t) => t.metricsql_expr_test.length) };
  };

  it('the SLO tests\' alert checks pass in vmalert-tool, and a wrong expectation fails', { timeout: 900_000 }, () => {
    const dir = join(work, 'dist', 'promtool', 'local', 'tests');
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const test = alertChecksOnly(readFileSync(join(dir, name), 'utf8'));
      // Every SLO has a firing scenario and a quiet one.
      expect(test.tests.length, name).toBeGreaterThanOrEqual(2);
      writeFileSync(join(dir, `vm-${name}`), stringify(test));
      const run = runBinary(bin['vmalert-tool'], ['unittest', `--files=vm-${name}`], { cwd: dir });
      expect(run.status, `${name}: ${run.output}`).toBe(0);
    }
    // The quiet scenario expecting a firing alert.
    const test = alertChecksOnly(readFileSync(join(dir, files[0]!), 'utf8'));
    const quiet = test.tests.at(-1)!;
    const wrong = { ...test, tests: [{ ...quiet, metricsql_expr_test: quiet.metricsql_expr_test.map((e) => ({ ...e, exp_samples: [{ labels: '{}', value: 1 }] })) }] };
    writeFileSync(join(dir, 'vm-wrong.yaml'), stringify(wrong));
    expect(runBinary(bin['vmalert-tool'], ['unittest', '--files=vm-wrong.yaml'], { cwd: dir }).status).not.toBe(0);
  });
});
