import { Option, type Command } from 'commander';
import type { CliContext } from './main.ts';
import { parseDuration } from '../duration.ts';
import { UsageError } from '../errors.ts';

/** Flags shared by `check` and `watch` that say what to look at and where. */
export interface SelectionFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
  selector?: string;
  partOf: string;
  manifests?: string;
  prometheusUrl?: string;
  requireArch?: string;
  imagePullGrace: string;
  /** False with `--no-rules`. */
  rules: boolean;
}

export function addSelectionOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option('-n, --namespace <ns>', 'namespace to check (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('-l, --selector <selector>', 'label selector for the workloads')
    .option('--part-of <name>', 'stack name (app.kubernetes.io/part-of) when no -n, -l or --manifests is given', 'o11y')
    .option('--manifests <dir>', 'synthesized manifests (dist/<cluster>): every workload there must exist')
    .option('--prometheus-url <url>', 'Prometheus base URL (default: through the API server service proxy)')
    .addOption(new Option('--no-rules', 'check rollout only, without Prometheus rule health (no Prometheus needed)').conflicts('prometheusUrl'))
    .option('--require-arch <archs>', 'architectures a required spread over architectures is checked on, e.g. amd64,arm64 (default: all that can host the workload)')
    .option('--image-pull-grace <duration>', 'how long an image may fail to pull before its workload is Failed', '5m');
}

/** A duration flag (`90s`, `10m`, `1h30m`) in milliseconds; a bad one is a usage error (exit 2). */
export function durationFlagMs(flag: string, text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new UsageError(`${flag} "${text}" is not a duration (allowed: e.g. 90s, 10m, 1h30m)`);
  return seconds * 1000;
}

export interface CheckFlags extends SelectionFlags {
  wait?: boolean;
  timeout: string;
  output: 'table' | 'json';
}

export function registerCheck(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('check')
    .description('Check that the deployed stack is rolled out on every architecture and its SLO rules are healthy');
  addSelectionOptions(cmd)
    .option('--wait', 'watch until everything is Current or something Failed')
    .option('--timeout <duration>', 'how long --wait waits', '10m')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (flags: CheckFlags) => {
      const timeoutMs = durationFlagMs('--timeout', flags.timeout);
      // The Kubernetes client is heavy: load it only for commands that talk to a cluster.
      const { runCheckCommand } = await import('./check-run.ts');
      await runCheckCommand(flags, timeoutMs, ctx);
    });
}
