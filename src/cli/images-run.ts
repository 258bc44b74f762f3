// The `o11y images` commands' work: loaded only when one of them runs (the registry client is heavy).
import { writeFileSync } from 'node:fs';
import { IMAGES } from '../model/images.ts';
import { deployedImages, formatImageLock, imageLockPath, imagePulls } from '../config/images.ts';
import { loadConfigFile } from '../config/load.ts';
import { resolveIndexDigests } from '../controller/registry/lock.ts';
import type { CliContext } from './main.ts';
import type { ImagesListOptions, ImagesLockOptions, VerifyOptions } from './images.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { RegistryClient } from '../controller/registry/client.ts';
import { dockerConfigCredentials } from '../controller/registry/credentials.ts';
import { imagesFromManifests } from '../controller/registry/manifest-images.ts';
import { formatPlatform, parsePlatform, type Platform } from '../controller/registry/platform.ts';
import { parseImageReference } from '../controller/registry/reference.ts';
import { verifyImages, type ImageVerdict } from '../controller/registry/verify.ts';

/** Verdicts that prove an image unusable (exit 1), and those that only mean we could not look (exit 3). */
const FAILED = new Set<ImageVerdict['status']>(['missing-platform', 'not-found', 'error']);
const NOT_CHECKED = new Set<ImageVerdict['status']>(['unreachable', 'unauthorized']);

export async function verify(args: string[], opts: VerifyOptions, ctx: CliContext): Promise<void> {
  const platforms = parsePlatformList(opts.platforms);
  if (opts.output !== 'table' && opts.output !== 'json') throw new UsageError(`--output "${opts.output}" is not one of table, json`);
  const sources = [opts.manifests !== undefined, opts.config !== undefined, args.length > 0].filter(Boolean).length;
  if (sources > 1) throw new UsageError('give one of --manifests DIR, --config FILE or IMAGE arguments, not several');
  if (sources === 0) throw new UsageError('nothing to verify: give --manifests DIR, --config FILE or IMAGE arguments');
  const targets =
    opts.manifests !== undefined
      ? imagesFromManifests(opts.manifests)
      : opts.config !== undefined
        ? deployedImages(loadConfigFile(opts.config), Object.values(IMAGES))
        : [...new Set(args)].map(checkedImageArg);

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
}

export function list(opts: ImagesListOptions, ctx: CliContext): void {
  const line = LIST_FORMATS[opts.format];
  if (!line) throw new UsageError(`--format "${opts.format}" is not one of ${Object.keys(LIST_FORMATS).join(', ')}`);
  const config = loadConfigFile(opts.config, { imageLock: false });
  for (const { source, pulls } of imagePulls(config, Object.values(IMAGES))) {
    for (const pull of pulls) ctx.stdout.write(`${line(source, pull)}\n`);
  }
}

export async function lock(opts: ImagesLockOptions, ctx: CliContext): Promise<void> {
  const config = loadConfigFile(opts.config, { imageLock: false });
  const platforms = parsePlatformList(opts.platforms ?? config.architectures.map((a) => `linux/${a}`).join(','));
  const entries = await resolveIndexDigests(imagePulls(config, Object.values(IMAGES)), platforms, new RegistryClient({ credentials: dockerConfigCredentials() }));
  const failed = entries.filter((e) => !e.digest);
  if (failed.length) {
    const unreachable = failed.every((e) => e.verdicts.some((v) => NOT_CHECKED.has(v.status)));
    ctx.exitCode = unreachable ? ExitCode.Unreachable : ExitCode.Failed;
    ctx.stdout.write(`not written: ${failed.length} of ${entries.length} image(s) not resolved to a multi-arch index:\n${failed.map((e) => `  ${e.source}: ${e.problem}`).join('\n')}\n`);
    return;
  }
  const file = imageLockPath(opts.config);
  writeFileSync(file, formatImageLock(Object.fromEntries(entries.map((e) => [e.source, e.digest!]))));
  ctx.exitCode = ExitCode.Ok;
  ctx.stdout.write(`${entries.map((e) => `${e.source}\t${e.digest}`).join('\n')}\n\nwrote ${file}\n`);
}

/** `images list` lines: one copy of `source` to `mirror` per line. */
const LIST_FORMATS: Record<string, (source: string, mirror: string) => string> = {
  tsv: (source, mirror) => `${source}\t${mirror}`,
  // Both copy the whole index, every platform. skopeo may recompress layers and so change the digest
  // (containers/skopeo#1451): `images lock` resolves digests through the mirror, after the copy.
  crane: (source, mirror) => `crane copy ${source} ${mirror}`,
  skopeo: (source, mirror) => `skopeo copy --all docker://${source} docker://${mirror}`,
};

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
