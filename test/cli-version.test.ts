import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { imagesFromManifests } from '../src/controller/registry/manifest-images.ts';
import { runCli } from './support/run-cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGE_VERSION = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;

describe('o11y --version and o11y version', () => {
  it.each(['--version', '-V'])('%s prints the package version, exit 0', async (flag) => {
    expect(await runCli(flag)).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
  });

  it('version -o json: the version and every image the default stack deploys, with its tag', async () => {
    const run = await runCli('version', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as { version: string; images: { name: string; image: string; tag: string }[] };
    expect(printed.version).toBe(PACKAGE_VERSION);
    for (const i of printed.images) expect(i.image.endsWith(`:${i.tag}`), i.image).toBe(true);
    // What the committed dist/ actually runs (the default config pulls from the images' own registries).
    const deployed = imagesFromManifests(`${ROOT}dist/local`).map((i) => i.image);
    expect(deployed.length).toBeGreaterThan(5);
    expect(deployed.filter((image) => !printed.images.some((i) => i.image === image))).toEqual([]);
  });

  it('version: the same as text', async () => {
    const run = await runCli('version');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`o11y ${PACKAGE_VERSION}`);
    expect(run.stdout).toMatch(/^ {2}grafana +grafana\/grafana:\S+$/m);
  });

  it('version -o yaml is a usage error, exit 2', async () => {
    expect(await runCli('version', '-o', 'yaml')).toMatchObject({ code: 2, stderr: 'error: --output "yaml" is not one of text, json\n' });
  });
});
