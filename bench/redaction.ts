/**
 * Issue 22: log records per second through the collector's own OTTL (`ottl-run`) running the
 * redaction statements of the full default preset set, against the same run without them, and the
 * CPU that redaction adds per 10,000 log lines per second. ottl-run reads, transforms and writes
 * OTLP JSON in one process: both runs pay the same JSON cost, so the difference is the statements'.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findEngines } from '../test/support/engines.ts';
import { redactionPolicy } from '../src/model/redaction.ts';
import { redactionTransform } from '../src/redaction/statements.ts';
import { median, type BenchResult } from './types.ts';

/** Log lines per run; `O11Y_BENCH_REDACTION_LINES` lowers it for a quick check. */
const LINES = Number(process.env.O11Y_BENCH_REDACTION_LINES ?? 20000);
const RUNS = 3;

/** Lines as services write them: mostly without personal data, one in ten with some. */
const TEMPLATES = [
  (i: number) => `level=info ts=2024-05-01T12:00:${String(i % 60).padStart(2, '0')}Z caller=http.go:194 msg="GET /api/orders/${i} 200 12.3ms" trace_id=4bf92f3577b34da6a3ce929d0e0e4736`,
  (i: number) => `{"level":"info","msg":"order placed","order_id":${1000000 + i},"items":3,"duration_ms":41}`,
  (i: number) => `2024-05-01 12:00:00 INFO [checkout] cart ${i} recalculated in 3ms`,
  (i: number) => `level=debug msg="cache hit" key=product:${i} ttl=300s`,
  (i: number) => `{"level":"warn","msg":"slow query","db.statement":"SELECT * FROM orders WHERE id = ${i}","duration_ms":812}`,
  (i: number) => `level=info msg="GET /healthz 200" remote=10.0.${i % 255}.7`,
  (i: number) => `2024-05-01 12:00:00 INFO [payments] authorised amount=${i % 500}.00 currency=EUR`,
  (i: number) => `level=info msg="job done" job=reindex-${i} took=1.2s`,
  (i: number) => `{"level":"info","msg":"login","user":"user${i}@example.com","ip":"10.1.2.3"}`,
  (i: number) => `level=error msg="charge failed" card=4111 1111 1111 ${String(1000 + (i % 9000))} auth="Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIke2l9In0.sig${i}"`,
];

function input(lines: number): object {
  const logRecords = Array.from({ length: lines }, (_, i) => ({ body: { stringValue: TEMPLATES[i % TEMPLATES.length]!(i) }, attributes: [{ key: 'log.iostream', value: { stringValue: 'stdout' } }] }));
  return { resourceLogs: [{ resource: { attributes: [{ key: 'k8s.namespace.name', value: { stringValue: 'shop' } }] }, scopeLogs: [{ logRecords }] }] };
}

/** Wall seconds and CPU seconds (user + system) of one ottl-run, read from bash's `time`. */
function timed(binary: string, config: string, inputFile: string): { wall: number; cpu: number } {
  const run = spawnSync('bash', ['-c', 'TIMEFORMAT="%3R %3U %3S"; time "$0" transform --signal logs --config "$1" --input "$2" > /dev/null', binary, config, inputFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`ottl-run exited ${run.status}: ${run.stderr}`);
  const [wall, user, sys] = run.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wall: wall!, cpu: user! + sys! };
}

export async function run(): Promise<BenchResult[]> {
  const engine = findEngines().found['ottl-run'];
  if (!engine) throw new Error('bench redaction needs the ottl-run engine: set O11Y_TEST_TOOLS (README, Testing)');
  const dir = mkdtempSync(join(tmpdir(), 'o11y-bench-redaction-'));
  try {
    const policy = redactionPolicy({ redaction: { enabled: true } }, {})!;
    const redacting = join(dir, 'redaction.json');
    // The salt is not used by the default presets (they mask); ottl-run would not expand it anyway.
    writeFileSync(redacting, JSON.stringify(redactionTransform({ ...policy, scopes: ['logBodies', 'logAttributes', 'resourceAttributes'] })));
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ error_mode: 'ignore', log_statements: [] }));
    const data = join(dir, 'input.json');
    writeFileSync(data, JSON.stringify(input(LINES)));
    // Interleaved, so that a change in the machine's load touches both alike.
    const with_: { wall: number; cpu: number }[] = [];
    const without: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      without.push(timed(engine.path, plain, data));
      with_.push(timed(engine.path, redacting, data));
    }
    const wall = (xs: typeof with_) => median(xs.map((x) => x.wall));
    const cpu = (xs: typeof with_) => median(xs.map((x) => x.cpu));
    const extraCpuPerLine = Math.max(0, cpu(with_) - cpu(without)) / LINES;
    const note = `${LINES} log lines per run (one in ten with personal data), ${policy.rules.length} rules, median of ${RUNS}`;
    return [
      { name: 'log records/s without redaction (ottl-run, JSON in and out)', value: LINES / wall(without), unit: 'records/s', note },
      { name: 'log records/s with the default preset set (log bodies, log and resource attributes)', value: LINES / wall(with_), unit: 'records/s', note },
      { name: 'CPU redaction adds at 10,000 log lines/s', value: extraCpuPerLine * 10000, unit: 'cores', note: 'CPU seconds per line with redaction minus without, × 10,000 lines/s' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
