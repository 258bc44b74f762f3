import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/load.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { removePodFiles } from './support/pod-files.ts';
import {
  alertmanagerWithReceivers,
  amtoolCheckConfig,
  amtoolRoute,
  promtoolCheckConfig,
  promtoolCheckMountedRules,
  ruleGlobProblems,
  unknownFlags,
} from './support/real-engine-checks.ts';
import { writeDerivedConfig } from './support/config-file.ts';

// The synthesized Prometheus and Alertmanager of the default config and of every cluster of the
// multi-cloud example, checked by the real Prometheus 3 / Alertmanager tools on the files as the
// pods mount them: nothing stripped, kubernetes_sd and otlp included.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STACKS = { default: join(ROOT, 'o11y.yaml'), 'multi-cloud': join(ROOT, 'examples/multi-cloud.yaml') };
const work = mkdtempSync(join(tmpdir(), 'o11y-real-engines-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removePodFiles();
});

/** `<stack> <cluster>` → that cluster's synthesized objects, for clusters that run Prometheus. */
const clusters: [string, K8sObject[]][] = Object.entries(STACKS).flatMap(([stack, file]) => {
  const out = join(work, stack);
  synthesize({ configFile: file, outDir: out });
  return loadConfigFile(file).clusters.map((c) => [`${stack} ${c.name}`, loadManifestDir(join(out, c.name))] as [string, K8sObject[]]);
});
const withPrometheus = clusters.filter(([, objs]) => objs.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'prometheus'));

it('checks the default cluster and every backend cluster of the multi-cloud example', () => {
  expect(withPrometheus.map(([name]) => name)).toEqual(
    expect.arrayContaining(['default local', 'multi-cloud aws-backend', 'multi-cloud ack-backend', 'multi-cloud aks-backend', 'multi-cloud gke-backend']),
  );
});

describe.each(withPrometheus)('%s', (_, objs) => {
  it('promtool check config accepts prometheus.yml as mounted, with its rule, token and CA files', () => {
    const run = promtoolCheckConfig(objs);
    expect(run.output).toMatch(/SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
    expect(run.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(run.status, run.output).toBe(0);
  });

  it('every rule_files pattern matches a mounted rule file, and every mounted rule file is loaded', () => {
    expect(ruleGlobProblems(objs)).toEqual([]);
  });

  it('promtool check rules accepts every mounted rule file', () => {
    const results = promtoolCheckMountedRules(objs);
    expect(results.length).toBeGreaterThanOrEqual(2);
    for (const { file, run } of results) expect(run.status, `${file}\n${run.output}`).toBe(0);
  });

  it('every flag of the Prometheus and Alertmanager containers is one the binary knows', () => {
    expect(unknownFlags(objs, 'prometheus', 'prometheus', 'prometheus')).toEqual([]);
    expect(unknownFlags(objs, 'alertmanager', 'alertmanager', 'alertmanager')).toEqual([]);
  });

  it('amtool check-config accepts alertmanager.yml as mounted', () => {
    const run = amtoolCheckConfig(objs);
    expect(run.output).toContain('SUCCESS');
    expect(run.status, run.output).toBe(0);
  });

  it('routes page alerts to page, tickets to ticket and the rest to default (amtool config routes test)', () => {
    const am = alertmanagerWithReceivers(objs, (r) => `http://127.0.0.1:9/${r}`);
    const base = { alertname: 'Example', cluster: 'c', namespace: 'n' };
    expect(amtoolRoute(am, { ...base, severity: 'page' })).toEqual(['page']);
    expect(amtoolRoute(am, { ...base, severity: 'critical' })).toEqual(['page']);
    expect(amtoolRoute(am, { ...base, severity: 'ticket' })).toEqual(['ticket']);
    expect(amtoolRoute(am, { ...base, severity: 'warning' })).toEqual(['ticket']);
    expect(amtoolRoute(am, { ...base, severity: 'info' })).toEqual(['default']);
    expect(amtoolRoute(am, { alertname: 'Watchdog', severity: 'none' })).toEqual(['default']);
  });
});

describe('with components.alertmanager.watchdogReceiver', () => {
  const dir = join(work, 'watchdog');
  const file = writeDerivedConfig(`${dir}-config`, readFileSync(STACKS.default, 'utf8').replace('alertmanager: { replicas: 1 }', 'alertmanager: { replicas: 1, watchdogReceiver: true }'));
  synthesize({ configFile: file, outDir: dir });
  const objs = loadManifestDir(join(dir, 'local'));

  it('amtool accepts the config, and the Watchdog alone goes to its own receiver, every minute', () => {
    const run = amtoolCheckConfig(objs);
    expect(run.status, run.output).toBe(0);
    const am = alertmanagerWithReceivers(objs, (r) => `http://127.0.0.1:9/${r}`);
    expect(amtoolRoute(am, { alertname: 'Watchdog', severity: 'none', cluster: 'local' })).toEqual(['watchdog']);
    expect(amtoolRoute(am, { alertname: 'Example', severity: 'critical', cluster: 'local' })).toEqual(['page']);
    expect(amtoolRoute(am, { alertname: 'Example', severity: 'info', cluster: 'local' })).toEqual(['default']);
    const route = (am.config as { route: { routes: { receiver: string; repeat_interval?: string }[] } }).route.routes.find((r) => r.receiver === 'watchdog');
    expect(route?.repeat_interval).toBe('1m');
  });
});

// The checks above can fail: each is shown a deliberately broken copy of the default stack.
describe('the real-engine checks catch a broken stack', () => {
  const objs = (): K8sObject[] => JSON.parse(JSON.stringify(withPrometheus.find(([n]) => n === 'default local')![1])) as K8sObject[];
  const configMap = (list: K8sObject[], name: string) => list.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)!.data as Record<string, string>;
  const container = (list: K8sObject[], name: string) =>
    (list.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name)!.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!;

  it('an unknown Prometheus config key', () => {
    const broken = objs();
    const data = configMap(broken, 'prometheus-config');
    data['prometheus.yml'] = data['prometheus.yml']!.replace('global:\n', 'global:\n  scrape_intervall: 30s\n');
    const run = promtoolCheckConfig(broken);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/scrape_intervall/);
  });

  it('a rule_files pattern that matches nothing', () => {
    const broken = objs();
    const data = configMap(broken, 'prometheus-config');
    data['prometheus.yml'] = data['prometheus.yml']!.replace(/(rule_files:\n(?:\s+- .*\n)*?\s+- )(\S+)\/\*\.yaml/, '$1$2/*.yml');
    expect(ruleGlobProblems(broken).join('\n')).toMatch(/matches no mounted file[\s\S]*matched by no rule_files pattern/);
  });

  it('a broken Alertmanager matcher', () => {
    const broken = objs();
    const data = configMap(broken, 'alertmanager-config');
    data['alertmanager.yml'] = data['alertmanager.yml']!.replace('severity=~"page|critical"', 'severity=~"page|critical');
    const run = amtoolCheckConfig(broken);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/matcher|unexpected|quote/i);
  });

  it('an unknown flag on either container', () => {
    const broken = objs();
    container(broken, 'prometheus').args.push('--storage.tsdb.retention=15d');
    container(broken, 'alertmanager').args.push('--web.enable-lifecycle');
    expect(unknownFlags(broken, 'prometheus', 'prometheus', 'prometheus')).toEqual(['storage.tsdb.retention']);
    expect(unknownFlags(broken, 'alertmanager', 'alertmanager', 'alertmanager')).toEqual(['web.enable-lifecycle']);
  });
});
