import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ExitCode, InputError, UnreachableError, UsageError } from '../errors.ts';
import { registerSynth } from './synth.ts';
import { registerCheck } from './check.ts';
import { registerWatch } from './watch.ts';
import { registerImages } from './images.ts';
import { registerGitops } from './gitops.ts';
import { registerSlo } from './slo.ts';
import { registerGraph } from './graph.ts';
import { registerRelay } from './relay.ts';
import { registerVersion, VERSION } from './version.ts';

/** What a command needs from its caller: where to write, and where to leave its exit code. */
export interface CliContext {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** A command that finishes without throwing sets this (e.g. 1 when the stack is unhealthy). */
  exitCode: number;
}

/** Builds the `o11y` command tree. Each subcommand lives in its own module under src/cli/. */
export function buildProgram(ctx: CliContext, name = 'o11y'): Command {
  const program = new Command(name)
    .description('Synthesize an observability stack for Kubernetes and prove that it is healthy')
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) })
    .version(VERSION, '-V, --version', 'print the version of o11y')
    .showHelpAfterError()
    .exitOverride();
  registerSynth(program, ctx);
  registerCheck(program, ctx);
  registerWatch(program, ctx);
  registerImages(program, ctx);
  registerGitops(program, ctx);
  registerSlo(program, ctx);
  registerGraph(program, ctx);
  registerRelay(program, ctx);
  registerVersion(program, ctx);
  return program;
}

/**
 * Runs the CLI and returns its exit code (contract: 0 ok, 1 unhealthy or failed,
 * 2 bad input or usage, 3 could not check).
 */
export async function main(
  argv: readonly string[],
  io: Pick<CliContext, 'stdout' | 'stderr'> = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const ctx: CliContext = { ...io, exitCode: ExitCode.Ok };
  const invokedAs = basename(argv[1] ?? '').startsWith('kubectl-') ? 'kubectl o11y' : 'o11y';
  try {
    await buildProgram(ctx, invokedAs).parseAsync([...argv]);
    return ctx.exitCode;
  } catch (e) {
    return exitCodeFor(e, ctx);
  }
}

function exitCodeFor(e: unknown, ctx: CliContext): number {
  if (e instanceof CommanderError) {
    // --help and --version end through here too, with exit code 0.
    return e.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
  }
  if (e instanceof InputError || e instanceof UsageError) {
    ctx.stderr.write(`error: ${e.message}\n`);
    return ExitCode.BadInput;
  }
  if (e instanceof UnreachableError) {
    ctx.stderr.write(`error: cannot check: ${e.message}\n`);
    return ExitCode.Unreachable;
  }
  ctx.stderr.write(`internal error: ${(e as Error).stack ?? String(e)}\n`);
  return ExitCode.Failed;
}
