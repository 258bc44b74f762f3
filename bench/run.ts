/**
 * `npm run bench [-- topic...]`: runs the benchmark modules (bench/<topic>.ts, each exporting
 * `run(): Promise<BenchResult[]>`) and rewrites BENCHMARKS.md with the machine and the date.
 * Topics not run keep their previous section.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { provisionTestTools, publishTestTools } from '../test/support/test-tools.ts';
import type { BenchResult } from './types.ts';

const TOPICS: Record<string, string> = {
  synth: 'Synthesis (issue 2, issue 5)',
  slo: 'SLO rule generation and evaluation (issue 3)',
  controller: 'Controller (issue 4)',
  multicloud: 'Multi-cloud synthesis (issue 5)',
  gitops: 'GitOps delivery (issue 6)',
  suite: 'The test suite, with its real components (issue 9)',
  library: 'The construct library and its compiled build (issue 14)',
  kubernetes: 'Kubernetes monitoring: synthesis and rule evaluation (issue 12)',
  startup: 'Start-up cost: synthesis and the checkout commands against a trivial app (issue 23)',
  'check-real': '`o11y check` against a kubectl loop on a real kube-apiserver (issue 23)',
  victoriametrics: 'The victoriametrics-cluster metrics mode against Prometheus: ingestion and rule evaluation (issue 20)',
  redaction: 'Redaction through the real OTTL: the default preset set against none (issue 22)',
};
const FILE = resolve(import.meta.dirname, '..', 'BENCHMARKS.md');

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`;
}

function section(topic: string, results: readonly BenchResult[], method?: string): string {
  const rows = results.map((r) => `| ${r.name} | ${Number(r.value.toPrecision(4))} ${r.unit} | ${r.target ?? ''} | ${r.note ?? ''} |`);
  return [
    `<!-- bench:${topic} -->`,
    `## ${TOPICS[topic]}`,
    '',
    ...(method ? [method, ''] : []),
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}.`,
    '',
    '| measure | value | target | note |',
    '| --- | --- | --- | --- |',
    ...rows,
    `<!-- /bench:${topic} -->`,
  ].join('\n');
}

function previousSections(): Map<string, string> {
  const sections = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync(FILE, 'utf8');
  } catch {
    return sections;
  }
  for (const m of text.matchAll(/<!-- bench:([\w-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g)) sections.set(m[1]!, m[0]);
  return sections;
}

const requested = process.argv.slice(2);
const unknown = requested.filter((t) => !(t in TOPICS));
if (unknown.length) {
  process.stderr.write(`unknown benchmark topic(s): ${unknown.join(', ')}; known: ${Object.keys(TOPICS).join(', ')}\n`);
  process.exit(2);
}
// Benchmarks run the same real components as the tests (a real Prometheus, a real registry).
publishTestTools(provisionTestTools((line) => process.stderr.write(`[test-tools] ${line}\n`)));
const sections = previousSections();
for (const topic of requested.length ? requested : Object.keys(TOPICS)) {
  process.stderr.write(`bench: ${topic}…\n`);
  // A module may export `method`: how it measures, kept above its table.
  const mod = (await import(`./${topic}.ts`)) as { run(): Promise<BenchResult[]>; method?: string };
  const results = await mod.run();
  for (const r of results) process.stderr.write(`  ${r.name}: ${r.value} ${r.unit}\n`);
  sections.set(topic, section(topic, results, mod.method));
}
const body = Object.keys(TOPICS)
  .filter((t) => sections.has(t))
  .map((t) => sections.get(t))
  .join('\n\n');
writeFileSync(
  FILE,
  `# Benchmarks\n\nWritten by \`npm run bench\` (bench/run.ts); each section records the machine and the date it was measured on.\nTimings are medians of several runs unless noted.\n\n${body}\n`,
);
