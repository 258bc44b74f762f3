import { execFile, spawnSync } from 'node:child_process';
import { toolPath } from './test-tools.ts';

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, for assertion messages. */
  readonly output: string;
}

/** Runs a provisioned real tool (promtool, amtool, …) to completion. */
export function runTool(name: string, args: readonly string[], opts: { cwd?: string; input?: string } = {}): ToolRun {
  return runBinary(toolPath(name), args, opts);
}

/** Runs a binary (a tool's or an engine's path) to completion; `env` replaces the environment. */
export function runBinary(path: string, args: readonly string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): ToolRun {
  const run = spawnSync(path, args, { cwd: opts.cwd, input: opts.input, env: opts.env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`cannot run ${path}: ${run.error.message}`);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, output: `${run.stdout}${run.stderr}` };
}

/**
 * {@link runBinary} without blocking the worker: a run of a minute or more (promtool or vmalert-tool
 * on many SLOs) blocking it times out vitest's RPC and fails the run. Rejects only when there is no
 * exit status (not found, killed by the timeout).
 */
export function runBinaryAsync(path: string, args: readonly string[], opts: { cwd?: string } = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    execFile(path, args, { cwd: opts.cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`cannot run ${path}: ${error.message}`));
      else resolve({ status: error ? (error.code as number) : 0, stdout, stderr, output: `${stdout}${stderr}` });
    });
  });
}
