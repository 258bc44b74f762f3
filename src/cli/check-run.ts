import { ExitCode } from '../errors.ts';
import { exitCodeOf, runCheck, type CheckOptions } from '../controller/check.ts';
import { KubeReader, loadKubeConfig } from '../controller/kube.ts';
import { expectedRuleGroupsFromManifests } from '../controller/prometheus/index.ts';
import { progressLine, renderTable } from '../controller/render.ts';
import { DEFAULT_NAMESPACE, scopeFromFlags, workloadsFromManifests } from '../controller/scope.ts';
import { waitForHealthy } from '../controller/wait.ts';
import { durationFlagMs, type CheckFlags, type SelectionFlags } from './check.ts';
import type { CliContext } from './main.ts';

/** The I/O half of `o11y check` and `o11y watch`, loaded only when one of them runs. */

/** Everything a check needs, resolved from the flags (reads the manifests and the kubeconfig). */
export function resolveSelection(flags: SelectionFlags): { reader: KubeReader; options: CheckOptions } {
  const imagePullGraceMs = durationFlagMs('--image-pull-grace', flags.imagePullGrace);
  const manifests = flags.manifests ? workloadsFromManifests(flags.manifests) : undefined;
  const scope = scopeFromFlags({ namespaces: flags.namespace, selector: flags.selector, partOf: flags.partOf }, manifests);
  const kubeConfig = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context });
  const requireArch = flags.requireArch?.split(',').map((a) => a.trim()).filter(Boolean);
  const options: CheckOptions = { scope, requireArch, imagePullGraceMs, ...(manifests?.reachability ? { reachability: manifests.reachability } : {}) };
  if (flags.rules) {
    // The victoriametrics-cluster mode: vmselect answers the rules and alerts API (proxied to vmalert) and queries.
    const endpoint = flags.prometheusUrl
      ? { url: flags.prometheusUrl }
      : manifests?.vmselectNamespace
        ? { kubeConfig, namespace: manifests.vmselectNamespace, service: 'vmselect', port: 8481, path: '/select/0/prometheus' }
        : { kubeConfig, namespace: manifests?.prometheusNamespace ?? DEFAULT_NAMESPACE, service: 'prometheus', port: 9090 };
    options.prometheus = { endpoint, expected: flags.manifests ? expectedRuleGroupsFromManifests(flags.manifests) : [] };
  }
  return { reader: new KubeReader(kubeConfig), options };
}

/** Runs `o11y check` (one-shot or `--wait`) and prints the report. */
export async function runCheckCommand(flags: CheckFlags, timeoutMs: number, ctx: CliContext): Promise<void> {
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
}

function isColourTerminal(stream: NodeJS.WritableStream): boolean {
  return Boolean((stream as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR;
}
