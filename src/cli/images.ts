import type { Command } from 'commander';
import type { CliContext } from './main.ts';

export interface VerifyOptions {
  manifests?: string;
  config?: string;
  platforms: string;
  output: string;
}
export interface ImagesListOptions {
  config: string;
  format: string;
}
export interface ImagesLockOptions {
  config: string;
  platforms?: string;
}

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
    .option('--config <file>', 'every image every cluster of this stack config pulls (its mirror, pinned digests)')
    .option('--platforms <list>', 'required platforms, comma-separated', 'linux/amd64,linux/arm64')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (args: string[], opts: VerifyOptions) => (await import('./images-run.ts')).verify(args, opts, ctx));

  images
    .command('list')
    .description('Print every image of the stack with where the clusters pull it from, for a job that fills the mirror')
    .option('--config <file>', 'stack config file', 'o11y.yaml')
    .option('--format <format>', 'tsv (source, tab, mirror), crane (crane copy lines) or skopeo (skopeo copy --all lines)', 'tsv')
    .action(async (opts: ImagesListOptions) => (await import('./images-run.ts')).list(opts, ctx));

  images
    .command('lock')
    .description(
      `Resolve every image's tag, where the clusters pull it, to the digest of its multi-arch index and write ${'images.lock.yaml'} beside the config ` +
        '(read where images.digests is true). Exit 0: written; 1: an image is missing, not a multi-arch index, lacks a platform, or mirrors disagree ' +
        '(nothing written); 2: bad config; 3: a registry could not be reached or denied access (nothing written).',
    )
    .option('--config <file>', 'stack config file', 'o11y.yaml')
    .option('--platforms <list>', 'required platforms, comma-separated (default: the config\'s architectures on linux)')
    .action(async (opts: ImagesLockOptions) => (await import('./images-run.ts')).lock(opts, ctx));
}

