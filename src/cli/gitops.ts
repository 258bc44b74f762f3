import type { Command } from 'commander';
import { ExitCode, UsageError } from '../errors.ts';
import type { CliContext } from './main.ts';

export function registerGitops(program: Command, ctx: CliContext): void {
  const gitops = program.command('gitops').description('Argo CD or Flux delivery of the synth output');
  gitops
    .command('check')
    .description('Check that Argo CD or Flux applies DIR completely, once and in a working order (exit 1 names each problem)')
    .argument('<dir>', 'synth output folder, e.g. dist')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (dir: string, opts: { output: string }) => {
      if (opts.output !== 'text' && opts.output !== 'json') throw new UsageError(`--output "${opts.output}" is not one of text, json`);
      const [{ checkGitopsLayout, formatGitopsProblem }, { readGitopsLayout }] = await Promise.all([import('../gitops/check.ts'), import('../gitops/layout.ts')]);
      const report = checkGitopsLayout(readGitopsLayout(dir));
      ctx.exitCode = report.problems.length ? ExitCode.Failed : ExitCode.Ok;
      if (opts.output === 'json') {
        ctx.stdout.write(`${JSON.stringify({ ok: report.problems.length === 0, ...report }, null, 2)}\n`);
        return;
      }
      for (const p of report.problems) ctx.stdout.write(`${formatGitopsProblem(p)}\n`);
      for (const w of report.warnings) ctx.stdout.write(`warning: ${formatGitopsProblem(w)}\n`);
      const delivery = report.kustomizations ? `${report.kustomizations} Flux Kustomization(s)` : `${report.applications} Application(s)`;
      const summary = `${delivery}, ${report.files} file(s), ${report.objects} object(s)`;
      ctx.stdout.write(report.problems.length ? `FAILED: ${report.problems.length} problem(s) in ${summary}\n` : `ok: ${summary}\n`);
    });
}
