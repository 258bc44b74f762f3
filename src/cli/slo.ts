import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError, UsageError } from '../errors.ts';
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
    .option('--prometheus-url <url>', 'also check that each classic-histogram latency threshold is an le value of the live _bucket series there')
    .action(async (files: string[], opts: { prometheusUrl?: string }) => {
      const [{ compileSloFiles }, { bucketProblems }] = await Promise.all([import('../slo/index.ts'), import('../slo/buckets.ts')]);
      const { slos } = compileSloFiles(files);
      const problems = opts.prometheusUrl ? await bucketProblems(slos, opts.prometheusUrl) : [];
      if (problems.length) throw new InputError(problems);
      ctx.stdout.write(`ok: ${slos.length} SLO${slos.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}\n`);
    });
}
