import type { Command } from 'commander';
import type { CliContext } from './main.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { RegistryClient } from '../controller/registry/client.ts';
import { dockerConfigCredentials } from '../controller/registry/credentials.ts';
import { imagesFromManifests } from '../controller/registry/manifest-images.ts';
import { formatPlatform, parsePlatform, type Platform } from '../controller/registry/platform.ts';
import { parseImageReference } from '../controller/registry/reference.ts';
import { verifyImages, type ImageVerdict } from '../controller/registry/verify.ts';

interface VerifyOptions {
  manifests?: string;
  platforms: string;
  output: string;
}

/** Verdicts that prove an image unusable (exit 1), and those that only mean we could not look (exit 3). */
const FAILED = new Set<ImageVerdict['status']>(['missing-platform', 'not-found', 'error']);
const NOT_CHECKED = new Set<ImageVerdict['status']>(['unreachable', 'unauthorized']);

export function registerImages(program: Command, ctx: CliContext): void {
  const images = program.command('images').description('Check the container images the stack uses');
  images
    .command('verify')
    .description(
      'Ask each image\'s registry (OCI distribution API) whether it has every required platform.\n' +
        'Exit 0: all images have all platforms; 1: an image lacks a platform or does not exist; 2: bad arguments; ' +
        '3: a registry could not be reached or denied access (and nothing failed outright).',
    )
    .argument('[image...]', 'image references, e.g. grafana/grafana:13.0.0 or ghcr.io/org/app@sha256:…')
    .option('--manifests <dir>', 'read every workload image from DIR/*.k8s.yaml (a dist/<cluster> folder)')
    .option('--platforms <list>', 'required platforms, comma-separated', 'linux/amd64,linux/arm64')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (args: string[], opts: VerifyOptions) => {
      const platforms = parsePlatformList(opts.platforms);
      if (opts.output !== 'table' && opts.output !== 'json') throw new UsageError(`--output "${opts.output}" is not one of table, json`);
      if (opts.manifests !== undefined && args.length) throw new UsageError('give either --manifests DIR or IMAGE arguments, not both');
      if (opts.manifests === undefined && !args.length) throw new UsageError('nothing to verify: give --manifests DIR or IMAGE arguments');
      const targets = opts.manifests !== undefined ? imagesFromManifests(opts.manifests) : [...new Set(args)].map(checkedImageArg);

      const verdicts = await verifyImages(targets, platforms, new RegistryClient({ credentials: dockerConfigCredentials() }));
      const failed = verdicts.some((v) => FAILED.has(v.status));
      const notChecked = verdicts.some((v) => NOT_CHECKED.has(v.status));
      ctx.exitCode = failed ? ExitCode.Failed : notChecked ? ExitCode.Unreachable : ExitCode.Ok;
      const required = platforms.map(formatPlatform);
      if (opts.output === 'json') {
        ctx.stdout.write(`${JSON.stringify({ ok: ctx.exitCode === ExitCode.Ok, platforms: required, images: verdicts }, null, 2)}\n`);
      } else {
        ctx.stdout.write(formatTable(verdicts, isColourTerminal(ctx.stdout)));
        ctx.stdout.write(summary(verdicts, required));
      }
    });
}

function parsePlatformList(list: string): Platform[] {
  const items = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new UsageError('--platforms is empty (want e.g. linux/amd64,linux/arm64)');
  return items.map((item) => {
    try {
      return parsePlatform(item);
    } catch (e) {
      throw new UsageError(`--platforms: ${(e as Error).message}`);
    }
  });
}

function checkedImageArg(image: string): { image: string } {
  try {
    parseImageReference(image);
  } catch (e) {
    throw new UsageError(`image "${image}": ${(e as Error).message}`);
  }
  return { image };
}

const COLOUR: Partial<Record<ImageVerdict['status'], string>> = { ok: '\x1b[32m', unreachable: '\x1b[33m', unauthorized: '\x1b[33m' };

export function formatTable(verdicts: readonly ImageVerdict[], colour: boolean): string {
  const rows = [['IMAGE', 'STATUS', 'PLATFORMS', 'DETAIL'], ...verdicts.map((v) => [v.image, v.status, v.platforms.join(',') || '-', v.status === 'ok' ? '' : v.message])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r, i) => {
      const cells = r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)));
      const status = verdicts[i - 1]?.status;
      if (colour && status) cells[1] = `${COLOUR[status] ?? '\x1b[31m'}${cells[1]}\x1b[0m`;
      return `${cells.join('  ').trimEnd()}\n`;
    })
    .join('');
}

function summary(verdicts: readonly ImageVerdict[], required: string[]): string {
  const bad = verdicts.filter((v) => v.status !== 'ok');
  if (!bad.length) return `\nall ${verdicts.length} image(s) have ${required.join(', ')}\n`;
  const lines = bad.map((v) => `  ${v.reference}: ${v.message}${v.usedBy?.length ? ` [used by ${v.usedBy.join('; ')}]` : ''}`);
  return `\n${bad.length} of ${verdicts.length} image(s) not verified for ${required.join(', ')}:\n${lines.join('\n')}\n`;
}

function isColourTerminal(stream: NodeJS.WritableStream): boolean {
  return Boolean((stream as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR;
}
