import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatProblem, InputError, UsageError, type InputProblem } from '../errors.ts';
import type { CliContext } from './main.ts';

const FORMATS = ['rules', 'prometheus-rule'] as const;

export function registerSlo(program: Command, ctx: CliContext): void {
  const slo = program.command('slo').description('SLO files (Sloth prometheus/v1 or CRD, OpenSLO v1, o11y/v1) to Prometheus rules');
  slo
    .command('generate')
    .description('Print the recording and alerting rules for SLO files (a rule file, or PrometheusRule objects)')
    .argument('<files...>', 'SLO files')
    .option('--format <format>', `output format: ${FORMATS.join(' | ')}`, 'rules')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (files: string[], opts: { format: string; out?: string }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) {
        throw new UsageError(`--format "${opts.format}" is not one of ${FORMATS.join(', ')}`);
      }
      const [{ compileSloFiles }, { dumpYaml }] = await Promise.all([import('../slo/index.ts'), import('../yaml-output.ts')]);
      const compiled = compileSloFiles(files);
      const text =
        opts.format === 'rules' ? dumpYaml(compiled.ruleFile) : compiled.prometheusRules.map((r) => dumpYaml(r)).join('---\n');
      if (opts.out) writeFileSync(opts.out, text);
      else ctx.stdout.write(text);
    });
  slo
    .command('validate')
    .description('Check SLO files; exit 2 with file:line:col for every problem')
    .argument('<files...>', 'SLO files')
    .option(
      '--prometheus-url <url>',
      'also check that each classic-histogram latency threshold is an le value of the live _bucket series there, ' +
        'and accept an error query the lint cannot pair with its total when all their selectors return series there',
    )
    .action(async (files: string[], { prometheusUrl: url }: { prometheusUrl?: string }) => {
      const [{ checkSloFiles, isUnpairedProblem }, { bucketProblems, seriesMissing }] = await Promise.all([import('../slo/index.ts'), import('../slo/buckets.ts')]);
      const { slos, problems } = checkSloFiles(files);
      const unpaired = problems.filter(isUnpairedProblem);
      // Only worth asking Prometheus when nothing else is wrong: the problems are printed together.
      const missing = url && unpaired.length === problems.length ? await seriesMissing(unpaired, url) : new Map<InputProblem, string[]>();
      const left = problems.flatMap((p) => {
        const absent = missing.get(p);
        if (!absent) return [p];
        return absent.length ? [{ ...p, message: `${p.message}. At ${url} no series match ${absent.join(', ')}` }] : [];
      });
      if (url && !left.length) left.push(...(await bucketProblems(slos, url)));
      if (left.length) throw new InputError(left);
      for (const p of unpaired) {
        const message = `${p.selectors.join(', ')} all return series at ${url}; o11y synth and o11y slo generate refuse this SLO until you acknowledge it with ${p.how}`;
        ctx.stdout.write(`proven: ${formatProblem({ ...p, message })}\n`);
      }
      ctx.stdout.write(`ok: ${slos.length} SLO${slos.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}\n`);
    });
}
