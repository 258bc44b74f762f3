import type { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { IMAGES, type ImageName } from '../model/images.ts';
import { UsageError } from '../errors.ts';
import type { CliContext } from './main.ts';

/** The package's version; bundles (the controller image) carry it inlined. */
export const VERSION: string = pkg.version;

/** An image reference's tag: what follows the last `:` after the last `/`. */
const tagOf = (image: string) => image.slice(image.lastIndexOf('/') + 1).split(':')[1] ?? 'latest';

/** `o11y version [-o text|json]`: the version, and the images (with their tags) a synthesized stack deploys. */
export function registerVersion(program: Command, ctx: CliContext): void {
  program
    .command('version')
    .description('Print the version of o11y and the images, with their tags, that the stacks it synthesizes deploy')
    .option('-o, --output <format>', 'text or json', 'text')
    .action((opts: { output: string }) => {
      const images = (Object.keys(IMAGES) as ImageName[]).map((name) => ({ name, image: IMAGES[name], tag: tagOf(IMAGES[name]) }));
      if (opts.output === 'json') {
        ctx.stdout.write(`${JSON.stringify({ version: VERSION, images }, null, 2)}\n`);
        return;
      }
      if (opts.output !== 'text') throw new UsageError(`--output "${opts.output}" is not one of text, json`);
      const width = Math.max(...images.map((i) => i.name.length));
      ctx.stdout.write(`o11y ${VERSION}\nimages:\n${images.map((i) => `  ${i.name.padEnd(width)}  ${i.image}\n`).join('')}`);
    });
}
