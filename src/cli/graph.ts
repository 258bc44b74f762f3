import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import { mermaidGraph } from '../graph/mermaid.ts';
import type { CliContext } from './main.ts';

export function registerGraph(program: Command, ctx: CliContext): void {
  program
    .command('graph')
    .description('Print a Mermaid flowchart of the clusters, their roles and the routing of telemetry by cloud')
    .option('--config <file>', 'stack config file', 'o11y.yaml')
    .action((opts: { config: string }) => {
      ctx.stdout.write(mermaidGraph(loadConfigFile(opts.config)));
    });
}
