import type { Command } from 'commander';
import type { CliContext } from './main.ts';

export function registerSynth(program: Command, ctx: CliContext): void {
  program
    .command('synth')
    .description('Synthesize the stack into DIR/<cluster>/ (same output as `cdk8s synth`)')
    .option('--config <file>', 'stack config file', 'o11y.yaml')
    .option('--out <dir>', 'output folder', 'dist')
    .action(async (opts: { config: string; out: string }) => {
      // cdk8s and the constructs load only for this command, not for every `o11y` start.
      const { synthesize } = await import('../synth.ts');
      const written = synthesize({ configFile: opts.config, outDir: opts.out });
      ctx.stdout.write(`wrote ${written.files.length} files to ${opts.out}/\n`);
    });
}
