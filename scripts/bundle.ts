/**
 * Bundles a TypeScript entry point for plain `node`, as ES modules.
 * - `bundle`: the entry and its dependencies in one file. The controller image runs it: no tsx at
 *   run time, and only the parts of @kubernetes/client-node that are used (about 60 MiB less
 *   resident memory than tsx + the package).
 * - `bundleSources`: the project's own sources only (dependencies stay imports of node_modules),
 *   split at dynamic imports so that a command loads only what it runs. The npm package's `o11y`
 *   runs it (lib/cli/): one module graph of a few files instead of resolving and loading some 170
 *   compiled modules at every start.
 */
import { build } from 'esbuild';

/** CommonJS dependencies inside an ESM bundle still call `require`. */
const REQUIRE_SHIM = "import { createRequire as __o11yCreateRequire } from 'node:module'; const require = __o11yCreateRequire(import.meta.url);";
const COMMON = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', legalComments: 'none' } as const;

export async function bundle(entry: string, outfile: string): Promise<void> {
  await build({ ...COMMON, entryPoints: [entry], outfile, banner: { js: REQUIRE_SHIM } });
}

export async function bundleSources(entry: string, outdir: string): Promise<void> {
  await build({ ...COMMON, entryPoints: { entry }, outdir, chunkNames: 'chunk-[hash]', splitting: true, packages: 'external' });
}
