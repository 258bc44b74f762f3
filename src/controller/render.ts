/** Human output of a check: an aligned table, coloured only when written to a terminal. */
import type { CheckReport, Status, WorkloadReport } from './report.ts';

const COLOURS: Record<string, number> = { Current: 32, ok: 32, Skipped: 33, warning: 33, InProgress: 33, unknown: 33, Unknown: 35, Failed: 31, NotFound: 31, err: 31, missing: 31, firing: 31, pending: 33 };

export function renderTable(report: CheckReport, colour: boolean): string {
  const paint = (s: string, key = s) => (colour && COLOURS[key] ? `\x1b[${COLOURS[key]}m${s}\x1b[0m` : s);
  const archs = [...new Set([...Object.keys(report.nodes), ...report.workloads.flatMap((w) => Object.keys(w.architectures))])].sort();
  const header = ['KIND', 'NAMESPACE', 'NAME', 'STATUS', ...archs.map((a) => a.toUpperCase()), 'MESSAGE'];
  const rows = report.workloads.map((w) => [w.kind, w.namespace, w.name, w.status, ...archs.map((a) => archCell(w, a)), w.message]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], status?: Status) =>
    cells.map((c, i) => {
      const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]!);
      return i === 3 && status ? paint(padded, status) : padded;
    }).join('  ').trimEnd();

  const out: string[] = [];
  out.push(`NODES  ${Object.entries(report.nodes).map(([a, n]) => `${a}=${n}`).join(' ') || '(none)'}`, '');
  out.push(line(header));
  report.workloads.forEach((w, i) => {
    out.push(line(rows[i]!, w.status));
    for (const p of w.pods) out.push(`  pod ${p.name}${p.node ? ` on ${p.node}` : ''}${p.arch ? ` (${p.arch})` : ''}: ${paint(p.reason, 'Failed')}: ${p.message}`);
    for (const warning of w.warnings) out.push(`  ${paint('warning')}: ${warning}`);
  });
  out.push('', `RULES  ${paint(report.rules.status)}${report.rules.message ? `  ${report.rules.message}` : ''}`);
  const ok = report.rules.groups.filter((g) => g.health === 'ok').length;
  if (report.rules.groups.length > 0) out.push(`  ${ok}/${report.rules.groups.length} rule groups ok`);
  for (const g of report.rules.groups.filter((g) => g.health !== 'ok')) {
    out.push(`  group ${g.name} (${g.file || 'any file'}): ${paint(g.health)}${g.lastError ? `: ${g.lastError}` : ''}`);
  }
  for (const a of report.alerts) out.push(`ALERT  ${paint(a.state)} ${a.name} ${Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const b of report.budgets) out.push(`BUDGET ${b.service}/${b.slo}: ${(b.remaining * 100).toFixed(1)}% of the error budget left`);
  out.push('', report.healthy ? paint('HEALTHY', 'Current') : paint('UNHEALTHY', 'Failed'));
  return `${out.join('\n')}\n`;
}

function archCell(w: WorkloadReport, arch: string): string {
  const c = w.architectures[arch];
  return c ? `${c.ready}/${c.total}` : '-';
}

/** One line for progress while waiting: counts and the first thing still in the way. */
export function progressLine(report: CheckReport): string {
  const current = report.workloads.filter((w) => w.status === 'Current').length;
  const blocking = report.workloads.find((w) => w.status !== 'Current');
  const detail = blocking ? `; ${blocking.kind} ${blocking.namespace}/${blocking.name}: ${blocking.status}: ${blocking.message}`
    : `; rules: ${report.rules.status}${report.rules.message ? ` (${report.rules.message})` : ''}`;
  return `waiting: ${current}/${report.workloads.length} workloads Current${detail}`;
}
