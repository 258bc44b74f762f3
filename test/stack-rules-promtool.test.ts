import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { anchorLink } from '../src/rules/runbook.ts';
import { allStackAlerts, stackRules } from '../src/rules/stack-rules.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { startDaemon, type Daemon } from './support/daemon.ts';
import { freePort } from './support/free-port.ts';
import { startPrometheusWith } from './support/real-prometheus.ts';
import { runTool } from './support/run-tool.ts';
import { toolPath } from './support/test-tools.ts';

// The stack's own alerts under the real promtool 3: each test file in test/stack-rules/ feeds
// realistic series and says which alerts fire, with which labels, and which stay quiet.

const TESTS = fileURLToPath(new URL('./stack-rules', import.meta.url));
// The test files expect each alert's runbook_url in this runbook.
const rules = stackRules(anchorLink('https://runbooks.example.com/o11y.md'));
const dir = mkdtempSync(join(tmpdir(), 'o11y-stack-rules-'));
writeFileSync(join(dir, 'stack.rules.yaml'), dumpYaml(rules));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stack alerts (promtool test rules)', () => {
  it.each(readdirSync(TESTS).filter((f) => f.endsWith('.test.yaml')))('%s', (file) => {
    copyFileSync(join(TESTS, file), join(dir, file));
    const run = runTool('promtool', ['test', 'rules', file], { cwd: dir });
    expect(run.output).toContain('SUCCESS');
    expect(run.status, run.output).toBe(0);
  });
});

// The metric names the stack alerts read from Prometheus and Alertmanager themselves, checked
// against what the real binaries export (a name that does not exist makes an alert that never fires).
describe('stack alerts read metrics the real Prometheus 3 and Alertmanager export', () => {
  const rulesText = dumpYaml(rules);
  const wanted = (prefix: string) => [...new Set([...rulesText.matchAll(new RegExp(`\\b${prefix}_[a-z_]+`, 'g'))].map((m) => m[0]))].sort();
  let prometheus: Daemon;
  let alertmanager: Daemon;
  beforeAll(async () => {
    const amPort = await freePort();
    alertmanager = await startDaemon({
      binary: toolPath('alertmanager'),
      tmpPrefix: 'o11y-am-names-',
      url: `http://127.0.0.1:${amPort}`,
      readyPath: '/-/ready',
      prepare: (d) => writeFileSync(join(d, 'am.yml'), 'route: { receiver: hook }\nreceivers: [{ name: hook, webhook_configs: [{ url: "http://127.0.0.1:9/" }] }]\n'),
      args: (d) => [`--config.file=${join(d, 'am.yml')}`, `--storage.path=${join(d, 'data')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address='],
    });
    // The stack rules (the Watchdog sends notifications), an Alertmanager and remote write
    // configured, so that every metric they are about exists.
    prometheus = await startPrometheusWith({
      tmpPrefix: 'o11y-prom-names-',
      prepare: (d) => {
        writeFileSync(join(d, 'stack.rules.yaml'), rulesText);
        writeFileSync(
          join(d, 'prometheus.yml'),
          `global: { evaluation_interval: 1s }\nrule_files: [${join(d, 'stack.rules.yaml')}]\nalerting: { alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:${amPort}"] }] }] }\nremote_write: [{ url: "http://127.0.0.1:9/api/v1/write", name: dead }]\n`,
        );
      },
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
  });

  it.each([
    ['prometheus', () => prometheus.url],
    ['alertmanager', () => alertmanager.url],
  ])('%s_* metrics', async (prefix, url) => {
    const names = wanted(prefix as string);
    expect(names.length).toBeGreaterThan(0);
    // Labelled series appear once something happened (an alert sent, a group evaluated): wait for them.
    let missing = names;
    for (const deadline = Date.now() + 90_000; missing.length && Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
      const exported = await (await fetch(`${(url as () => string)()}/metrics`)).text();
      missing = names.filter((n) => !new RegExp(`^${n}(\\{| )`, 'm').test(exported));
    }
    expect(missing).toEqual([]);
  });
});

describe("README's alert catalogue", () => {
  it('has one line per stack alert, with what it means and what to do', () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const rows = new Map([...readme.matchAll(/^\| `(\w+)` \| (\w+) \| [^|]+ \| (.+?) \| (.+?) \|$/gm)].map((m) => [m[1]!, m]));
    const missing = allStackAlerts().filter((r) => {
      const row = rows.get(r.alert);
      return !row || row[2] !== r.severity || row[3] !== r.summary || row[4] !== r.action;
    });
    expect(missing.map((r) => r.alert)).toEqual([]);
  });
});

describe('the promtool tests cover every stack alert', () => {
  interface AlertTest { alertname: string; exp_alerts?: unknown[] }
  const cases = readdirSync(TESTS)
    .filter((f) => f.endsWith('.test.yaml'))
    .flatMap((f) => (parseYaml(readFileSync(join(TESTS, f), 'utf8')) as { tests: { alert_rule_test?: AlertTest[] }[] }).tests.flatMap((t) => t.alert_rule_test ?? []));
  it.each(allStackAlerts().map((r) => r.alert))('%s: fires in one test and stays quiet in another', (name) => {
    expect(cases.some((c) => c.alertname === name && (c.exp_alerts?.length ?? 0) > 0), `${name} never fires`).toBe(true);
    // The Watchdog fires by design; every other alert must also be seen quiet.
    if (name !== 'Watchdog') expect(cases.some((c) => c.alertname === name && !c.exp_alerts?.length), `${name} is never shown quiet`).toBe(true);
  });
});
