import { Option, type Command } from 'commander';
import type { CliContext } from './main.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { exitCodeOf, runCheck, type CheckOptions } from '../controller/check.ts';
import { KubeReader, loadKubeConfig } from '../controller/kube.ts';
import { expectedRuleGroupsFromManifests } from '../controller/prometheus/index.ts';
import { progressLine, renderTable } from '../controller/render.ts';
import { DEFAULT_NAMESPACE, scopeFromFlags, workloadsFromManifests } from '../controller/scope.ts';
import { waitForHealthy } from '../controller/wait.ts';

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
    .option('--require-arch <archs>', 'node architectures every spread workload needs a ready pod on, e.g. amd64,arm64');
}

/** Everything a check needs, resolved from the flags (reads the manifests and the kubeconfig). */
export function resolveSelection(flags: SelectionFlags): { reader: KubeReader; options: CheckOptions } {
  const manifests = flags.manifests ? workloadsFromManifests(flags.manifests) : undefined;
  const scope = scopeFromFlags({ namespaces: flags.namespace, selector: flags.selector, partOf: flags.partOf }, manifests);
  const kubeConfig = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context });
  const requireArch = flags.requireArch?.split(',').map((a) => a.trim()).filter(Boolean);
  const endpoint = flags.prometheusUrl
    ? { url: flags.prometheusUrl }
    : { kubeConfig, namespace: manifests?.prometheusNamespace ?? DEFAULT_NAMESPACE, service: 'prometheus', port: 9090 };
  const expected = flags.manifests ? expectedRuleGroupsFromManifests(flags.manifests) : [];
  return { reader: new KubeReader(kubeConfig), options: { scope, requireArch, prometheus: { endpoint, expected } } };
}

/** `30s`, `10m`, `1h30m`, `500ms` → milliseconds. */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`--timeout "${text}" is not a duration (allowed: e.g. 90s, 10m, 1h30m)`);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}

interface CheckFlags extends SelectionFlags {
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
      const timeoutMs = parseDuration(flags.timeout);
      const { reader, options } = resolveSelection(flags);
      let report;
      let timedOut = false;
      if (flags.wait) {
        let lastLine = '';
        ({ report, timedOut } = await waitForHealthy(reader, {
          ...options,
          timeoutMs,
          onProgress: (r) => {
            const line = progressLine(r);
            if (line !== lastLine) ctx.stderr.write(`${line}\n`);
            lastLine = line;
          },
        }));
      } else {
        report = await runCheck(reader, options);
      }
      if (flags.output === 'json') ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else ctx.stdout.write(renderTable(report, isColourTerminal(ctx.stdout)));
      if (timedOut) ctx.stderr.write(`timed out after ${flags.timeout}\n`);
      ctx.exitCode = timedOut && !report.healthy ? ExitCode.Failed : exitCodeOf(report);
    });
}

function isColourTerminal(stream: NodeJS.WritableStream): boolean {
  return Boolean((stream as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR;
}
