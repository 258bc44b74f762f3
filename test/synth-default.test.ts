import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/load.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { schemaSkippedKinds, stackExpectations, STACK_CHECKS, type K8sObject } from './support/manifest-checks.ts';
import { readTree, treeDifferences } from './support/tree.ts';

// The default config, synthesized for real: every property check, determinism, the committed
// dist/ being current, and the CLI's handling of malformed configs. The real Prometheus, promtool,
// Alertmanager and amtool checks of the same output are in real-engines.test.ts.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_CONFIG = join(ROOT, 'o11y.yaml');
const config = loadConfigFile(DEFAULT_CONFIG);
const work = mkdtempSync(join(tmpdir(), 'o11y-synth-default-'));
const outDir = join(work, 'dist');

beforeAll(() => {
  synthesize({ configFile: DEFAULT_CONFIG, outDir });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const byComponent = (objs: K8sObject[], component: string, kind = 'ConfigMap'): K8sObject[] =>
  objs.filter((o) => o.kind === kind && o.metadata.labels?.['app.kubernetes.io/component'] === component);

describe.each(config.clusters.map((c) => c.name))('default config, cluster %s', (cluster) => {
  let objs: K8sObject[];
  beforeAll(() => {
    objs = loadManifestDir(join(outDir, cluster));
  });

  it('synthesizes the whole stack', () => {
    const workloads = objs.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
    expect(workloads.sort()).toEqual(expect.arrayContaining([
      `StatefulSet ${config.namespace}/prometheus`,
      `StatefulSet ${config.namespace}/alertmanager`,
      `StatefulSet ${config.namespace}/tempo`,
      `StatefulSet ${config.namespace}/loki`,
      `Deployment ${config.namespace}/grafana`,
      `Deployment ${config.namespace}/otel-gateway`,
      `Deployment ${config.namespace}/kube-state-metrics`,
      `DaemonSet ${config.agentNamespace}/otel-agent`,
    ]));
  });

  it('gives the wiring checks configs to check (so they cannot pass vacuously)', () => {
    const dataKeys = (component: string): string[] => byComponent(objs, component).flatMap((cm) => Object.keys((cm.data as object) ?? {}));
    expect(dataKeys('otel-agent')).toContain('config.yaml');
    expect(dataKeys('otel-gateway')).toContain('config.yaml');
    expect(dataKeys('grafana').filter((k) => k.endsWith('datasources.yaml'))).not.toEqual([]);
    expect(dataKeys('grafana').filter((k) => k.endsWith('.json'))).not.toEqual([]);
    expect(dataKeys('prometheus-rules')).not.toEqual([]);
    expect(objs.filter((o) => o.kind === 'NetworkPolicy')).not.toEqual([]);
  });

  it.each(Object.entries(STACK_CHECKS))('passes the %s checks', (_, check) => {
    expect(check(objs, stackExpectations(config))).toEqual([]);
  });

  it('emits only kinds with a schema (plain manifests, no Prometheus-operator objects)', () => {
    expect(schemaSkippedKinds(objs)).toEqual([]);
  });

  it('writes the rule files it mounts into Prometheus to promtool/rules/ too, byte for byte', () => {
    const mounted = byComponent(objs, 'prometheus-rules').flatMap((cm) => Object.entries(cm.data as Record<string, string>));
    const promtoolRules = join(outDir, 'promtool', cluster, 'rules');
    const shipped = readdirSync(promtoolRules).filter((f) => f.endsWith('.yaml'));
    expect(mounted.map(([key]) => key).sort()).toEqual(shipped.sort());
    for (const [key, text] of mounted) expect(readFileSync(join(promtoolRules, key), 'utf8'), key).toBe(text);
  });
});

describe('synth output', () => {
  it('is byte-identical across runs', () => {
    const again = join(work, 'again');
    synthesize({ configFile: DEFAULT_CONFIG, outDir: again });
    expect(treeDifferences(readTree(outDir), readTree(again))).toEqual([]);
  });

  it('matches the committed dist/', () => {
    const stale = treeDifferences(readTree(join(ROOT, 'dist')), readTree(outDir));
    expect(stale, 'dist/ is stale: run `npx cdk8s synth` and commit dist/').toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed configs through the real CLI: exit 2, a located message, fast, output untouched
// ---------------------------------------------------------------------------------------------

const VALID = readFileSync(DEFAULT_CONFIG, 'utf8');
const DEPTH = 10_000;

interface BadConfig {
  name: string;
  text: string | Buffer;
  /** What stderr must say besides `file:line:col`: the key path when there is one, else what is wrong. */
  mentions: (string | RegExp)[];
}

const BAD_CONFIGS: BadConfig[] = [
  { name: 'unknown key', text: `${VALID}colour: blue\n`, mentions: ['colour'] },
  { name: 'misspelt nested key', text: VALID.replace('retention: 30d', 'retension: 30d'), mentions: ['components.prometheus', 'retension'] },
  { name: 'wrong enum', text: VALID.replace('cloud: onprem', 'cloud: moon'), mentions: ['clusters[0].cloud', 'onprem'] },
  { name: 'bad duration', text: VALID.replace('retention: 30d', 'retention: 30 days'), mentions: ['components.prometheus.retention'] },
  { name: 'duplicate cluster', text: VALID.replace('clusters:\n', 'clusters:\n  - { name: local, cloud: aws, region: eu-west-1 }\n'), mentions: ['clusters[1].name', 'duplicate'] },
  { name: 'wrong type', text: VALID.replace('replicas: 1 }', 'replicas: two }'), mentions: ['components.prometheus.replicas'] },
  // Two replicas behind one Service would each get part of the pushed data.
  { name: 'prometheus replicas > 1', text: VALID.replace('storage: 50Gi, replicas: 1 }', 'storage: 50Gi, replicas: 2 }'), mentions: ['components.prometheus.replicas', /high availability/] },
  // The stack's Prometheus loads rule files only: PrometheusRule objects would leave it without alerts.
  { name: 'PrometheusRule output', text: VALID.replace('replicas: 1 }', 'replicas: 1, ruleFormat: prometheus-rule }'), mentions: ['components.prometheus.ruleFormat', /without alerts/] },
  // 9^10 leaves once expanded.
  { name: 'alias bomb', text: `a: &a [${Array(9).fill('"x"').join(',')}]\n${'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(',')}]`).join('\n')}\n`, mentions: [/alias/i] },
  { name: 'deep flow nesting', text: `name: ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}\n`, mentions: [/nest/i] },
  { name: 'deep block nesting', text: `name:\n${'- '.repeat(DEPTH)}x\n`, mentions: [/nest/i] },
  { name: 'binary garbage', text: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)), mentions: [/binary/i] },
  { name: 'empty file', text: '', mentions: [/document|empty/i] },
  { name: 'two documents', text: `${VALID}---\n${VALID}`, mentions: [/document/i] },
];

describe('o11y synth with a malformed config', () => {
  const cases = join(work, 'bad');
  const SENTINEL = 'written before the failed synth; must survive it\n';

  beforeAll(() => {
    mkdirSync(cases, { recursive: true });
  });

  it.each(BAD_CONFIGS)('$name: exit 2, located message, output untouched', ({ name, text, mentions }) => {
    const slug = name.replace(/\W+/g, '-');
    const file = join(cases, `${slug}.yaml`);
    const out = join(cases, `${slug}-out`);
    writeFileSync(file, text);
    mkdirSync(out);
    writeFileSync(join(out, 'sentinel.txt'), SENTINEL);

    const run = spawnSync(process.execPath, [join(ROOT, 'bin/o11y.js'), 'synth', '--config', file, '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

    expect(run.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`));
    for (const m of mentions) expect(run.stderr).toMatch(m);
    // A clean refusal, not a caught crash (stack traces, recursion exhaustion).
    expect(run.stderr).not.toMatch(/internal error|\n\s+at |Maximum call stack/);
    expect(run.status, run.stderr).toBe(2);
    expect(readdirSync(out)).toEqual(['sentinel.txt']);
    expect(readFileSync(join(out, 'sentinel.txt'), 'utf8')).toBe(SENTINEL);
    // No staging folder left beside the output either.
    expect(readdirSync(cases).filter((f) => f.includes('staging'))).toEqual([]);
    expect(existsSync(file)).toBe(true);
  });
});
