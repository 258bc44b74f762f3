import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpYaml } from '../../src/yaml-output.ts';
import type { CompiledSlos } from '../../src/slo/index.ts';
import { toolPath } from './test-tools.ts';

/**
 * Runs the real promtool (provisioned by test/support/test-tools.ts) asynchronously: testing every SLO
 * takes about a minute, and blocking the worker that long times out vitest's RPC and fails the run.
 */
export function promtool(args: string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(toolPath('promtool'), args, { cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // A numeric code is promtool's own exit status; anything else (not found, killed) is no verdict.
      if (error && typeof error.code !== 'number') reject(new Error(`cannot run promtool: ${error.message}`));
      else resolve({ ok: !error, output: `${stdout}${stderr}` });
    });
  });
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
