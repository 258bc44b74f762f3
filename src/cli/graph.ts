import type { Command } from 'commander';
import type { CliContext } from './main.ts';

export function registerGraph(program: Command, ctx: CliContext): void {
  program
    .command('graph')
    .description('Print a Mermaid flowchart of the clusters, their roles and the routing of telemetry by cloud')
    .option('--config <file>', 'stack config file', 'o11y.yaml')
    .action(async (opts: { config: string }) => {
      const [{ loadConfigFile }, { mermaidGraph }] = await Promise.all([import('../config/load.ts'), import('../graph/mermaid.ts')]);
      ctx.stdout.write(mermaidGraph(loadConfigFile(opts.config)));
    });
}
