/**
 * SLO benchmarks (issue 3): generation time for 1,000 SLOs, rules per SLO, and rule-group
 * evaluation time in the real Prometheus for 100 SLOs over 5,000 series each, our rules and
 * Sloth-shaped rules side by side in one Prometheus fed by one scrape target.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpYaml } from '../src/yaml-output.ts';
import { compileSloFiles, compileSlos, type CompiledSlos } from '../src/slo/index.ts';
import type { Slo } from '../src/slo/model.ts';
import { renderWindow } from '../src/slo/promql.ts';
import { errorBudget, type Rule, type RuleGroup } from '../src/slo/rules.ts';
import { burnWindows } from '../src/slo/windows.ts';
import { startPrometheusWith } from '../test/support/real-prometheus.ts';
import { toolVersion } from '../test/support/test-tools.ts';
import { median, type BenchResult } from './types.ts';

const SLOS_EVAL = 100;
/** Instances × 2 status codes = series every SLO's total query reads. */
const INSTANCES = 2500;
/** Long enough for Prometheus to finish every group within it on 2 cores, so durations measure work, not queueing. */
const EVAL_INTERVAL_S = 60;
/** Time the rules run with data before sampling, and how many evaluations are sampled. */
const WARMUP_S = 75;
const SAMPLES = 2;

/** A native-format file of `n` SLOs; each reads the shared 5,000-series metric through its own (no-op) matcher. */
function sloFile(n: number, service: string): string {
  const slos = Array.from({ length: n }, (_, i) => `  - name: s${i}
    objective: 99.9
    sli:
      events:
        errorQuery: sum(rate(bench_requests_total{code="500", slo!="${service}-${i}"}[{{.window}}]))
        totalQuery: sum(rate(bench_requests_total{slo!="${service}-${i}"}[{{.window}}]))
    alerting: {name: BenchBurn}
`);
  return `version: o11y/v1\nservice: ${service}\nslos:\n${slos.join('')}`;
}

/**
 * Rules in the shape Sloth v0.16 documents (examples/_gen/getting-started.yml): raw queries on all
 * seven windows, the 30d figure as an average of the 5m ratios, meta rules and two alerts.
 */
export function slothShapedGroups(slo: Slo): RuleGroup[] {
  const ids = { sloth_id: slo.id, sloth_service: slo.service, sloth_slo: slo.name };
  const sel = `{sloth_id="${slo.id}", sloth_service="${slo.service}", sloth_slo="${slo.name}"}`;
  const budget = errorBudget(slo);
  const windows = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];
  const sli: Rule[] = windows.map((w) => ({
    record: `slo:sli_error:ratio_rate${w}`,
    expr: `(${renderWindow(slo.sli.errorQuery, w)})\n/\n(${renderWindow(slo.sli.totalQuery, w)})\n`,
    labels: { ...ids, sloth_window: w },
  }));
  sli.push({
    record: 'slo:sli_error:ratio_rate30d',
    expr: `sum_over_time(slo:sli_error:ratio_rate5m${sel}[30d])\n/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate5m${sel}[30d])\n`,
    labels: { ...ids, sloth_window: '30d' },
  });
  const on = 'on(sloth_id, sloth_slo, sloth_service) group_left';
  const meta: Rule[] = [
    { record: 'slo:objective:ratio', expr: `vector(${slo.objective / 100})`, labels: ids },
    { record: 'slo:error_budget:ratio', expr: `vector(1-${slo.objective / 100})`, labels: ids },
    { record: 'slo:time_period:days', expr: 'vector(30)', labels: ids },
    { record: 'slo:current_burn_rate:ratio', expr: `slo:sli_error:ratio_rate5m${sel}\n/ ${on}\nslo:error_budget:ratio${sel}\n`, labels: ids },
    { record: 'slo:period_burn_rate:ratio', expr: `slo:sli_error:ratio_rate30d${sel}\n/ ${on}\nslo:error_budget:ratio${sel}\n`, labels: ids },
    { record: 'slo:period_error_budget_remaining:ratio', expr: `1 - slo:period_burn_rate:ratio${sel}`, labels: ids },
    { record: 'sloth_slo_info', expr: 'vector(1)', labels: { ...ids, sloth_mode: 'cli-gen-prom', sloth_objective: String(slo.objective), sloth_spec: 'prometheus/v1', sloth_version: 'v0.16.0' } },
  ];
  const term = (w: string, f: number) => `max(slo:sli_error:ratio_rate${w}${sel} > (${f} * ${budget})) without (sloth_window)`;
  const alert = (severity: 'page' | 'ticket', pairs: [string, string][]) => ({
    alert: 'BenchBurn',
    expr: burnWindows(severity, slo.period).map((bw, i) => `(\n    ${term(pairs[i]![0], bw.factor)}\n    and\n    ${term(pairs[i]![1], bw.factor)}\n)`).join('\nor\n'),
    labels: { sloth_severity: severity },
  });
  return [
    { name: `sloth-slo-sli-recordings-${slo.id}`, rules: sli },
    { name: `sloth-slo-meta-recordings-${slo.id}`, rules: meta },
    { name: `sloth-slo-alerts-${slo.id}`, rules: [alert('page', [['5m', '1h'], ['30m', '6h']]), alert('ticket', [['2h', '1d'], ['6h', '3d']])] },
  ];
}

function generationSeconds(file: string, runs = 5): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    compileSloFiles([file]);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return median(times);
}

/** 5,000 counter series (2,500 instances × 200/500), 0.1% errors, growing on every scrape. */
function startTarget(): Promise<{ server: Server; port: number }> {
  let n = 0;
  const server = createServer((_req, res) => {
    n++;
    const lines: string[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      lines.push(`bench_requests_total{instance_id="i${i}",code="200"} ${999 * n}`, `bench_requests_total{instance_id="i${i}",code="500"} ${n}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

/** Sum of `prometheus_rule_group_last_duration_seconds` over the groups whose name contains `marker`. */
function groupSeconds(metrics: string, marker: string): number {
  let sum = 0;
  for (const line of metrics.split('\n')) {
    if (line.startsWith('prometheus_rule_group_last_duration_seconds{') && line.includes(marker)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function evaluationSeconds(): Promise<{ ours: number; sloth: number; oursRules: number; slothRules: number }> {
  const target = await startTarget();
  let ours: CompiledSlos | undefined;
  let slothGroups: RuleGroup[] = [];
  const prometheus = await startPrometheusWith({
    tmpPrefix: 'o11y-bench-slo-',
    prepare: (dir) => {
      writeFileSync(join(dir, 'ours.yaml'), sloFile(SLOS_EVAL, 'ours'));
      writeFileSync(join(dir, 'sloth.yaml'), sloFile(SLOS_EVAL, 'sloth'));
      ours = compileSloFiles([join(dir, 'ours.yaml')]);
      slothGroups = compileSloFiles([join(dir, 'sloth.yaml')]).slos.flatMap(slothShapedGroups);
      writeFileSync(join(dir, 'ours.rules.yaml'), dumpYaml(ours.ruleFile));
      writeFileSync(join(dir, 'sloth.rules.yaml'), dumpYaml({ groups: slothGroups }));
      writeFileSync(
        join(dir, 'prometheus.yml'),
        dumpYaml({
          global: { scrape_interval: '10s', evaluation_interval: `${EVAL_INTERVAL_S}s` },
          rule_files: [join(dir, 'ours.rules.yaml'), join(dir, 'sloth.rules.yaml')],
          scrape_configs: [{ job_name: 'bench', static_configs: [{ targets: [`127.0.0.1:${target.port}`] }] }],
        }),
      );
    },
  });
  try {
    process.stderr.write(`  slo: ${SLOS_EVAL} SLOs ours + ${SLOS_EVAL} Sloth-shaped in Prometheus, warming up ${WARMUP_S}s…\n`);
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const oursSamples: number[] = [];
    const slothSamples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const metrics = await (await fetch(`${prometheus.url}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
      oursSamples.push(groupSeconds(metrics, 'ours-s'));
      slothSamples.push(groupSeconds(metrics, 'sloth-s'));
      await new Promise((r) => setTimeout(r, EVAL_INTERVAL_S * 1000));
    }
    const count = (groups: object[]) => (groups as RuleGroup[]).flatMap((g) => g.rules).length;
    return { ours: median(oursSamples), sloth: median(slothSamples), oursRules: count(ours!.ruleFile.groups), slothRules: count(slothGroups) };
  } finally {
    await prometheus.stop();
    target.server.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-bench-slo-gen-'));
  try {
    const file = join(dir, 'thousand.yaml');
    writeFileSync(file, sloFile(1000, 'gen'));
    const generation = generationSeconds(file);
    process.stderr.write(`  slo: 1,000 SLOs generated in ${generation.toFixed(3)} s\n`);
    const perSlo = (slos: Slo[]) => (compileSlos(slos).ruleFile.groups as RuleGroup[]).flatMap((g) => g.rules).length / slos.length;
    const one = compileSloFiles([file]).slos.slice(0, 1);
    const evaluation = await evaluationSeconds();
    return [
      { name: 'generate 1,000 SLOs (parse, rules, promtool tests, dashboards, PrometheusRules)', value: generation, unit: 's', target: '< 2 s', note: 'median of 5, in process' },
      { name: 'rules per SLO (events SLI, page + ticket alerts)', value: perSlo(one), unit: 'rules', target: '< 17 (Sloth)', note: '+1 with the absent-data alert; 11 with alerts disabled' },
      { name: 'rules per SLO, Sloth-shaped', value: slothShapedGroups(one[0]!).flatMap((g) => g.rules).length, unit: 'rules' },
      { name: `rule evaluation, ${SLOS_EVAL} SLOs × 5,000 series: ours`, value: evaluation.ours * 1000, unit: 'ms', target: '< Sloth-shaped', note: `sum of prometheus_rule_group_last_duration_seconds over ${evaluation.oursRules} rules, median of ${SAMPLES} samples, Prometheus ${toolVersion('prometheus')}` },
      { name: `rule evaluation, ${SLOS_EVAL} SLOs × 5,000 series: Sloth-shaped`, value: evaluation.sloth * 1000, unit: 'ms', note: `same Prometheus, same input, ${evaluation.slothRules} rules; only ~${WARMUP_S + SAMPLES * EVAL_INTERVAL_S}s of data, so Sloth's 1d/3d raw ranges read far less than in production` },
      { name: 'evaluation time, ours / Sloth-shaped', value: evaluation.ours / evaluation.sloth, unit: '×' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
