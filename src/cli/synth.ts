import type { Command } from 'commander';
import type { CliContext } from './main.ts';
import { synthesize } from '../synth.ts';

export function registerSynth(program: Command, ctx: CliContext): void {
  program
    .command('synth')
    .description('Synthesize the stack into DIR/<cluster>/ (same output as `cdk8s synth`)')
    .option('--config <file>', 'stack config file', 'o11y.yaml')
    .option('--out <dir>', 'output folder', 'dist')
    .action(async (opts: { config: string; out: string }) => {
      const written = await synthesize({ configFile: opts.config, outDir: opts.out });
      ctx.stdout.write(`wrote ${written.files.length} files to ${opts.out}/\n`);
    });
}
