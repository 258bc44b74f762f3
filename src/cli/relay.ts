import type { Command } from 'commander';
import { parseListen } from './listen.ts';
import type { CliContext } from './main.ts';

export function registerRelay(program: Command, ctx: CliContext): void {
  program
    .command('relay')
    .description('Run the alert relay: Alertmanager webhooks in, DingTalk, Feishu/Lark and WeCom robot messages out')
    .requiredOption('--config <file>', 'relay config (JSON, written by synth into the alert-relay-config ConfigMap)')
    .option('--listen <[host]:port>', 'address to serve on', ':8080')
    .action(async (flags: { config: string; listen: string }) => {
      const [{ loadRelayConfig }, { startRelay }] = await Promise.all([import('../relay/targets.ts'), import('../relay/server.ts')]);
      const { host, port } = parseListen(flags.listen);
      const config = loadRelayConfig(flags.config);
      const relay = await startRelay(config, { host, port, log: (line) => ctx.stderr.write(`${new Date().toISOString()} ${line}\n`) });
      ctx.stderr.write(`o11y relay serving ${config.targets.length} target(s) at ${relay.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void relay.stop().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
