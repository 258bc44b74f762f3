import type { Command } from 'commander';
import type { CliContext } from './main.ts';
import { addSelectionOptions, type SelectionFlags } from './check.ts';
import { parseListen } from './listen.ts';

export function registerWatch(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('watch')
    .description('Run the controller: keep checking the stack and serve /metrics, /healthz and /readyz');
  addSelectionOptions(cmd)
    .option('--listen <[host]:port>', 'address to serve metrics and probes on', ':9464')
    .action(async (flags: SelectionFlags & { listen: string }) => {
      const [{ startController }, { resolveSelection }] = await Promise.all([import('../controller/serve.ts'), import('./check-run.ts')]);
      const { host, port } = parseListen(flags.listen);
      const { reader, options } = resolveSelection(flags);
      const controller = await startController(reader, { ...options, host, port });
      ctx.stderr.write(`o11y controller serving ${controller.url}/metrics\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void controller.stop().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
