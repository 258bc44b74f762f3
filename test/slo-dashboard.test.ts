import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { globSync } from 'tinyglobby';
import { compileSloFiles } from '../src/slo/index.ts';
import { WHOLE_SERVICE, wholeServiceQueries } from '../src/slo/dashboard.ts';
import { errorBudget } from '../src/slo/rules.ts';
import { synthesize } from '../src/synth.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { sloRecordedSeries, type SloRates } from './fixtures/stack-series.ts';
import type { Daemon } from './support/daemon.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { startPrometheusWith } from './support/real-prometheus.ts';
import { remoteWrite } from './support/remote-write.ts';

// The SLO dashboards of the global Grafana (examples/multi-cloud.yaml): an SLO placed in several
// clouds also shows the whole service's budget and burn rates, added up over those clouds' Prometheus
// as sum(errors) / sum(requests), never as an average of the clouds' ratios. The per-cloud queries
// run against one real Prometheus per cloud holding the recorded series; the panel's math expression
// is evaluated here, as Grafana's server-side expressions would.

const work = mkdtempSync(join(tmpdir(), 'o11y-slo-dashboard-'));
const out = join(work, 'dist');
synthesize({ configFile: 'examples/multi-cloud.yaml', outDir: out });
const grafana = loadManifestDir(join(out, 'aks-backend'));
const slos = compileSloFiles(globSync('examples/slos/*.yaml', { absolute: true }).sort()).slos;

const configMap = (objs: K8sObject[], name: string) => objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)!.data as Record<string, string>;

type Datasource = { type?: string; uid: string };
type Target = { refId: string; datasource: Datasource; expr?: string; type?: string; expression?: string; hide?: boolean; instant?: boolean };
type Panel = { id: number; type: string; title: string; datasource?: Datasource; targets?: Target[]; transformations?: { id: string; options: { include: string } }[] };

const dashboards = Object.entries(configMap(grafana, 'grafana-dashboards-slos'))
  .map(([file, text]) => ({ file, json: JSON.parse(text) as { tags: string[]; panels: Panel[] } }))
  .filter((d) => d.json.tags.includes('slo'));
const provisioned = new Set(
  (parseYaml(configMap(grafana, 'grafana-datasources')['datasources.yaml']!.replaceAll('$$', '$')) as { datasources: Datasource[] }).datasources.map((d) => d.uid),
);

/** The panels of one SLO: those under its row (up to the next row). */
function sloPanels(id: string): Panel[] {
  for (const { json } of dashboards) {
    const rows = json.panels.map((p, i) => [p, i] as const).filter(([p]) => p.type === 'row');
    for (const [k, [, start]] of rows.entries()) {
      const panels = json.panels.slice(start + 1, rows[k + 1]?.[1] ?? json.panels.length);
      if (panels.some((p) => p.targets?.some((t) => t.expr?.includes(`sloth_id="${id}"`)))) return panels;
    }
  }
  throw new Error(`no dashboard row for ${id}`);
}

const wholeService = (panels: Panel[]) => panels.filter((p) => p.title.startsWith(WHOLE_SERVICE));

/** `$A`-style references of a Grafana math expression. */
const references = (expression: string) => [...expression.matchAll(/\$\{?([A-Z]+)\}?/g)].map((m) => m[1]!);

/**
 * Grafana's math expression on numbers: `$X` from `values`, + - * / and comparisons (1 or 0), with
 * Go's float semantics (x/0 = ±Inf, 0/0 = NaN) and the usual precedence.
 */
function evaluateMath(expression: string, values: Record<string, number>): number {
  const tokens = expression.match(/\$\{?[A-Z]+\}?|\d+(?:\.\d+)?(?:e[-+]?\d+)?|[-+*/()]|[<>]=?|==|!=/gi)!;
  expect(tokens.join('').replace(/\s/g, '')).toBe(expression.replace(/\s/g, ''));
  let i = 0;
  const peek = () => tokens[i];
  const primary = (): number => {
    const t = tokens[i++]!;
    if (t === '(') {
      const v = comparison();
      expect(tokens[i++]).toBe(')');
      return v;
    }
    if (t === '-') return -primary();
    if (t.startsWith('$')) {
      const v = values[t.replace(/[${}]/g, '')];
      if (v === undefined) throw new Error(`no value for ${t}`);
      return v;
    }
    return Number(t);
  };
  const product = (): number => {
    let v = primary();
    while (peek() === '*' || peek() === '/') v = tokens[i++] === '*' ? v * primary() : v / primary();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') v = tokens[i++] === '+' ? v + product() : v - product();
    return v;
  };
  const comparison = (): number => {
    let v = sum();
    for (;;) {
      const op = peek();
      if (!op || !['>', '<', '>=', '<=', '==', '!='].includes(op)) return v;
      i++;
      const r = sum();
      v = Number({ '>': v > r, '<': v < r, '>=': v >= r, '<=': v <= r, '==': v === r, '!=': v !== r }[op]);
    }
  };
  const result = comparison();
  expect(i).toBe(tokens.length);
  return result;
}

// Where examples/multi-cloud.yaml places each SLO (its slos: entries), from tests/slo-placement.test.ts.
const PLACEMENT: [id: string, clouds: string[]][] = [
  ['api-latency', ['aws', 'gcp']],
  ['api-latency-native', ['aws', 'gcp']],
  ['api-probe-availability', ['aws', 'gcp']],
  ['api-requests-availability', ['aws', 'gcp']],
  ['checkout-checkout-availability', ['aws']],
  ['home-wifi-good-wifi-client-satisfaction', ['alibaba', 'azure']],
  ['myservice-requests-availability', ['aws', 'gcp']],
];

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('SLO dashboards of the global Grafana (examples/multi-cloud.yaml)', () => {
  it('cover every SLO of the example', () => {
    expect(slos.map((s) => s.id).sort()).toEqual(PLACEMENT.map(([id]) => id));
  });

  it.each(PLACEMENT)('%s (placed in %j): whole-service panels exactly when placed in several clouds, on provisioned datasources only', (id, clouds) => {
    const panels = sloPanels(id);
    const whole = wholeService(panels);
    const uids = clouds.map((c) => `prometheus-${c}`);
    for (const uid of uids) expect(provisioned, uid).toContain(uid);
    // Every datasource a panel or query names is provisioned, the cloud selector, an expression, or mixed.
    for (const p of panels) {
      for (const ds of [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]) {
        if (!ds) continue;
        expect(provisioned.has(ds.uid) || ['${datasource}', '__expr__', '-- Mixed --'].includes(ds.uid), `${p.title}: ${ds.uid}`).toBe(true);
      }
    }
    if (clouds.length === 1) {
      // Today's panels, on the one cloud that evaluates the SLO rather than the cloud selector.
      expect(whole).toEqual([]);
      expect(panels.map((p) => p.title)).toEqual(['SLI (5m)', 'Error budget remaining', 'Firing alerts', 'Period burn rate', 'Burn rate by window (1 = spending the budget exactly over the period)']);
      for (const p of panels) expect([p.datasource!.uid, ...p.targets!.map((t) => t.datasource.uid)], p.title).toEqual(Array(p.targets!.length + 1).fill(uids[0]));
      return;
    }
    // The selected cloud's panels stay, on the cloud selector; below them the whole service.
    expect(panels.slice(0, 5).every((p) => p.datasource?.uid === '${datasource}')).toBe(true);
    expect(whole.map((p) => p.title.replace(/ \(.*\)$/, ''))).toEqual([
      `${WHOLE_SERVICE}: error budget remaining`,
      `${WHOLE_SERVICE}: period burn rate`,
      `${WHOLE_SERVICE}: current burn rate`,
    ]);
    for (const p of whole) {
      expect(p.datasource).toEqual({ type: 'datasource', uid: '-- Mixed --' });
      const queries = p.targets!.filter((t) => t.datasource.type === 'prometheus');
      const [expression, ...more] = p.targets!.filter((t) => t.datasource.type === '__expr__');
      expect(more).toEqual([]);
      expect(expression).toMatchObject({ datasource: { type: '__expr__', uid: '__expr__' }, type: 'math' });
      // Per cloud an errors and a requests query, hidden; only the expression is shown.
      expect(queries.map((t) => t.datasource.uid)).toEqual(uids.flatMap((u) => [u, u]));
      expect(queries.every((t) => t.hide === true && t.expr!.includes(`sloth_id="${id}"`))).toBe(true);
      expect(new Set(references(expression!.expression!))).toEqual(new Set(queries.map((t) => t.refId)));
      expect(new Set(p.targets!.map((t) => t.refId)).size).toBe(p.targets!.length);
      expect(p.transformations).toEqual([{ id: 'filterByRefId', options: { include: expression!.refId } }]);
    }
  });
});

/**
 * Per cloud, different traffic and error ratios, and a different length of history: a busy, healthy
 * cloud and a quiet, failing one, so that sum/sum and the average of the ratios are far apart.
 */
const RATES: SloRates[] = [
  { requests: 100, errors: 0.05, samples: 40 },
  { requests: 2, errors: 0.4, samples: 10 },
];

describe('whole-service panels against one real Prometheus per cloud', () => {
  const clouds = [...new Set(PLACEMENT.filter(([, c]) => c.length > 1).flatMap(([, c]) => c))];
  const prometheus = new Map<string, Daemon>();
  const now = Date.now() - 5_000;
  const multiCloud = slos.filter((s) => PLACEMENT.find(([id]) => id === s.id)![1].length > 1);
  const cloudsOf = (id: string) => PLACEMENT.find(([i]) => i === id)![1];

  beforeAll(async () => {
    await Promise.all(
      clouds.map(async (cloud) => {
        const daemon = await startPrometheusWith({
          tmpPrefix: `o11y-slo-dashboard-${cloud}-`,
          flags: ['--web.enable-remote-write-receiver'],
          prepare: (dir) => writeFileSync(join(dir, 'prometheus.yml'), dumpYaml({ global: { evaluation_interval: '1s' }, storage: { tsdb: { out_of_order_time_window: '1h' } } })),
        });
        prometheus.set(cloud, daemon);
      }),
    );
    // Each SLO's first cloud the busy one, its second the quiet one; as each backend's rules record them.
    for (const slo of multiCloud) {
      const labels = { sloth_id: slo.id, sloth_service: slo.service, sloth_slo: slo.name };
      await Promise.all(cloudsOf(slo.id).map((cloud, i) => remoteWrite(prometheus.get(cloud)!.url, sloRecordedSeries(labels, RATES[i]!, now))));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...prometheus.values()].map((p) => p.stop()));
  });

  async function instantValue(daemon: Daemon, query: string): Promise<number> {
    const res = await fetch(`${daemon.url}/api/v1/query?${new URLSearchParams({ query, time: String(now / 1000 + 1) })}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: { value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`${query}: ${body.error}`);
    expect(body.data.result, query).toHaveLength(1);
    return Number(body.data.result[0]!.value[1]);
  }

  /** The panel's shown value: every hidden query on its cloud's Prometheus, then the math expression. */
  async function panelValue(p: Panel): Promise<number> {
    const uidToCloud = (uid: string) => uid.replace(/^prometheus-/, '');
    const values: Record<string, number> = {};
    for (const t of p.targets!.filter((x) => x.expr)) values[t.refId] = await instantValue(prometheus.get(uidToCloud(t.datasource.uid))!, t.expr!);
    const expression = p.targets!.find((t) => t.type === 'math')!;
    return evaluateMath(expression.expression!, values);
  }

  it.each(PLACEMENT.filter(([, c]) => c.length > 1).map(([id]) => id))('%s: budget remaining and burn rates are sum(errors) / sum(requests) over the clouds, not an average of ratios', async (id) => {
    const slo = slos.find((s) => s.id === id)!;
    const budget = errorBudget(slo);
    const [budgetPanel, periodPanel, currentPanel] = wholeService(sloPanels(id));
    // Over the period: every recorded 5m rate of every cloud, summed.
    const periodRatio = RATES.reduce((a, r) => a + r.errors * r.samples, 0) / RATES.reduce((a, r) => a + r.requests * r.samples, 0);
    // Now: the latest 5m rates of every cloud.
    const currentRatio = RATES.reduce((a, r) => a + r.errors, 0) / RATES.reduce((a, r) => a + r.requests, 0);
    const averageOfRatios = RATES.reduce((a, r) => a + r.errors / r.requests, 0) / RATES.length;

    expect(await panelValue(periodPanel!)).toBeCloseTo(periodRatio / budget, 6);
    expect(await panelValue(budgetPanel!)).toBeCloseTo(1 - periodRatio / budget, 6);
    expect(await panelValue(currentPanel!)).toBeCloseTo(currentRatio / budget, 6);
    // The test data tells the two apart: a 10% difference at the very least.
    expect(Math.abs(averageOfRatios - periodRatio) / periodRatio).toBeGreaterThan(0.1);
    expect(Math.abs(averageOfRatios - currentRatio) / currentRatio).toBeGreaterThan(0.1);
  });

  it('a cloud with no recordings of the SLO (not deployed there yet) counts as no errors and no requests', async () => {
    const id = 'api-requests-availability';
    const [, periodPanel] = wholeService(sloPanels(id));
    const slo = slos.find((s) => s.id === id)!;
    // Only the first cloud's Prometheus answers with data: the second's queries fall back to 0.
    const onlyFirst: Panel = {
      ...periodPanel!,
      targets: periodPanel!.targets!.map((t) => (t.expr && t.datasource.uid === `prometheus-${cloudsOf(id)[1]}` ? { ...t, expr: t.expr.replaceAll(`sloth_id="${id}"`, 'sloth_id="not-deployed"') } : t)),
    };
    expect(await panelValue(onlyFirst)).toBeCloseTo(RATES[0]!.errors / RATES[0]!.requests / errorBudget(slo), 6);
  });

  it('a 100% objective burns infinitely with any error and not at all without (as the rules)', () => {
    const slo = { ...slos.find((s) => s.id === 'api-requests-availability')!, objective: 100 };
    const clouds = [{ cloud: 'aws', prometheusUid: 'prometheus-aws' }, { cloud: 'gcp', prometheusUid: 'prometheus-gcp' }];
    const math = (output: 'burnRate' | 'budgetRemaining') => (wholeServiceQueries(slo, clouds, '30d', output, true).at(-1) as Target).expression!;
    expect(evaluateMath(math('burnRate'), { A: 0, B: 100, C: 0, D: 1 })).toBe(0);
    expect(evaluateMath(math('budgetRemaining'), { A: 0, B: 100, C: 0, D: 1 })).toBe(1);
    expect(evaluateMath(math('burnRate'), { A: 0, B: 100, C: 0.5, D: 1 })).toBe(Infinity);
    expect(evaluateMath(math('budgetRemaining'), { A: 0, B: 100, C: 0.5, D: 1 })).toBe(-Infinity);
  });
});
