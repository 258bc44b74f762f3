import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSloFiles, compileSlos } from '../src/slo/index.ts';
import { serviceDashboard } from '../src/slo/dashboard.ts';
import { recordedLabels } from '../src/slo/promtool.ts';
import { SERIES } from '../src/slo/rules.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import type { Daemon } from './support/daemon.ts';
import { engines } from './support/engines.ts';
import { remoteWrite, type Series } from './support/remote-write.ts';
import { startVmAlert, startVmCluster, type VmCluster } from './support/vm-cluster.ts';
import { synthesizeVmMode } from './support/vm-mode.ts';

// The SLO rules live under a real vmalert, with the synthesized flags of vmstorage, vminsert,
// vmselect and vmalert: raw counters are remote-written to vminsert, vmalert evaluates the SLO rules
// against vmselect and writes their results back through vminsert. The rules generated for vmalert
// record the budget exactly at every evaluation, with Prometheus mode's labels; the same SLO's
// Prometheus rules, evaluated alongside, record `exported_sloth_window` (the negative case).
// To run in seconds, vmalert evaluates every 2s (not the scrape interval) with a lag of 6s (three
// intervals, as vmalertLag's two leave one spare), and vmselect shows samples after 1s, not 30s.

const found = engines(import.meta.url, ['vminsert', 'vmselect', 'vmstorage', 'vmalert']);

const INTERVAL_S = 2;
const LAG_S = 6;
/** 1 of 20 requests/s fails: an error ratio of 0.05; with a 90% objective (budget 0.1) half the budget remains. */
const RATES = { ok: 19, failed: 1 };
/** What the exactness test reads, and the value each must have. */
const CHECKED = [[SERIES.budgetRemaining, 0.5], [SERIES.periodBurnRate, 0.5], [SERIES.ratio(300), 0.05]] as const;
const SLOS = ['vm', 'prom']
  .map((service) => `version: o11y/v1
service: ${service}
slos:
  - name: requests
    objective: 90
    sli:
      events:
        errorQuery: sum(rate(live_requests_total{code="500"}[{{.window}}]))
        totalQuery: sum(rate(live_requests_total[{{.window}}]))
    alerting: {name: Live${service}}
`)
  .join('---\n');

describe.runIf(found)('victoriametrics-cluster: the SLO rules under a real vmalert', () => {
  const bin = found!;
  let work: string;
  let cluster: VmCluster | undefined;
  let vmalert: Daemon | undefined;
  let select: string;

  type Exported = { metric: Record<string, string>; values: number[]; timestamps: number[] };
  /** The raw samples vmalert wrote for `selector` (`/api/v1/export`: no lookback, no deduplication). */
  const exported = async (selector: string): Promise<Exported[]> => {
    const res = await fetch(`${select}/api/v1/export?match[]=${encodeURIComponent(selector)}&start=${Math.floor(Date.now() / 1000) - 600}`);
    expect(res.status).toBe(200);
    return (await res.text()).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Exported);
  };
  const labelsOf = (e: Exported) => Object.fromEntries(Object.entries(e.metric).filter(([k]) => k !== '__name__'));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'o11y-vm-slo-'));
    const objects = synthesizeVmMode(work);
    writeFileSync(join(work, 'slos.yaml'), SLOS);
    const slos = compileSloFiles([join(work, 'slos.yaml')]).slos;
    // The vm service's rules as a victoriametrics-cluster backend gets them; the prom service's as Prometheus mode does.
    const groups = [
      ...compileSlos(slos.filter((s) => s.service === 'vm'), { vmalert: { lag: LAG_S } }).ruleFile.groups,
      ...compileSlos(slos.filter((s) => s.service === 'prom')).ruleFile.groups,
    ];
    writeFileSync(join(work, 'slo.rules.yaml'), dumpYaml({ groups }));

    // One storage node (no replication), and no deduplication: vmalert evaluates every 2s, not every scrape interval.
    const single = { replicationFactor: undefined, 'dedup.minScrapeInterval': undefined };
    cluster = await startVmCluster(bin, objects, work, { storage: 1, flags: { vmstorage: single, vminsert: single, vmselect: { ...single, 'search.latencyOffset': '1s' } } });
    const [vminsert, vmselect] = [cluster.inserts[0]!, cluster.selects[0]!];
    select = cluster.selectUrl;

    // Counters from 10 minutes ago to 10 minutes ahead, a sample every 5s: rate() over 5m is exact at every evaluation.
    const now = Math.floor(Date.now() / 5000) * 5000;
    const counter = (code: string, perSecond: number): Series => ({
      labels: { __name__: 'live_requests_total', code },
      samples: Array.from({ length: 241 }, (_, i) => [perSecond * 5 * i, now - 600_000 + i * 5000] as const),
    });
    await remoteWrite(`${vminsert.url}/insert/0/prometheus`, [counter('200', RATES.ok), counter('500', RATES.failed)]);

    vmalert = await startVmAlert(bin.vmalert, objects, {
      select: vmselect,
      insert: vminsert,
      name: 'vmalert',
      flags: { rule: join(work, 'slo.rules.yaml'), evaluationInterval: `${INTERVAL_S}s`, 'rule.evalDelay': '1s' },
    });
    // The lag, then six evaluations of what the tests read.
    const evaluations = async () => Math.min(...(await Promise.all(CHECKED.map(async ([series]) => (await exported(`${series}{sloth_service="vm"}`))[0]?.values.length ?? 0))));
    for (let i = 0; i < 90 && (await evaluations()) < 6; i++) await new Promise((r) => setTimeout(r, 1000));
  }, 180_000);

  afterAll(async () => {
    await vmalert?.stop();
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('vmalert\'s rules record every series with Prometheus mode\'s labels, and no exported_ copy', async () => {
    const slo = compileSloFiles([join(work, 'slos.yaml')]).slos.find((s) => s.service === 'vm')!;
    for (const [series, labels] of recordedLabels(slo)) {
      const got = await exported(`${series}{sloth_service="vm"}`);
      expect(got.map(labelsOf).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), series).toEqual([...labels].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
    }
  });

  it('the budget is exact at every evaluation, from the first: 5m ratio 0.05, half the budget left, no evaluation missing', async () => {
    for (const [series, want] of CHECKED) {
      // Each reads the 5m rates recorded LAG_S earlier: it starts that long after them, and never reads a partial answer.
      const [got] = await exported(`${series}{sloth_service="vm"}`);
      expect(got?.values.length, series).toBeGreaterThanOrEqual(6);
      for (const v of got!.values) expect(v, series).toBeCloseTo(want, 9);
      const gaps = got!.timestamps.slice(1).map((t, i) => t - got!.timestamps[i]!);
      expect(new Set(gaps), series).toEqual(new Set([INTERVAL_S * 1000]));
    }
  });

  it('every query of the SLO dashboard answers from vmselect, without NaN (the budget panels read what vmalert records)', async () => {
    const slo = compileSloFiles([join(work, 'slos.yaml')]).slos.find((s) => s.service === 'vm')!;
    const exprs = (JSON.stringify(serviceDashboard('vm', [slo]).json).match(/"expr":"((?:[^"\\]|\\.)*)"/g) ?? []).map((m) => JSON.parse(m.slice('"expr":'.length)) as string);
    expect(exprs.length).toBeGreaterThanOrEqual(7);
    for (const expr of exprs) {
      const res = await fetch(`${select}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      expect(body.data.result.length, expr).toBeGreaterThan(0);
      for (const r of body.data.result) expect(Number.isFinite(Number(r.value[1])), `${expr}: ${r.value[1]}`).toBe(true);
    }
  });

  it('negative: the same SLO\'s Prometheus rules under vmalert record exported_sloth_window on the period series', async () => {
    const [period] = await exported(`${SERIES.ratio(30 * 86400)}{sloth_service="prom"}`);
    expect(period?.metric).toMatchObject({ sloth_window: '30d', exported_sloth_window: '5m' });
    const [vm] = await exported(`${SERIES.ratio(30 * 86400)}{sloth_service="vm"}`);
    expect(Object.keys(vm!.metric).filter((k) => k.startsWith('exported_'))).toEqual([]);
  });
});
