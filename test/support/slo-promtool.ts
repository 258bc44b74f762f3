import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpYaml } from '../../src/yaml-output.ts';
import type { CompiledSlos } from '../../src/slo/index.ts';
import { runBinaryAsync } from './run-tool.ts';
import { toolPath } from './test-tools.ts';

/**
 * Runs the real promtool (provisioned by test/support/test-tools.ts) asynchronously: testing every SLO
 * takes about a minute, and blocking the worker that long times out vitest's RPC and fails the run.
 */
export async function promtool(args: string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  const run = await runBinaryAsync(toolPath('promtool'), args, { cwd });
  return { ok: run.status === 0, output: run.output };
}

/** Lays out the compiled output as synth does: promtool/rules/slo.rules.yaml + promtool/tests/*. */
export function writeLayout(compiled: CompiledSlos): string {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-slo-promtool-'));
  mkdirSync(join(dir, 'rules'));
  mkdirSync(join(dir, 'tests'));
  writeFileSync(join(dir, 'rules', 'slo.rules.yaml'), dumpYaml(compiled.ruleFile));
  for (const t of compiled.promtoolTests) writeFileSync(join(dir, 'tests', t.fileName), dumpYaml(t.content));
  return dir;
}
