#!/usr/bin/env node
// Runs a TypeScript entry point of this checkout (`node bin/ts-run.js main.ts [args]`, or through
// `runTypeScript` from bin/o11y.js) as one esbuild bundle of the project's own sources, kept in
// .cache/ts-run/ and rebuilt only when a source it holds changed: a start pays neither tsx's loader
// nor type-stripping the tree. Dependencies stay external (node_modules, loaded as by the compiled
// package). Without esbuild (a production install) or a writable cache, it falls back to tsx.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Inside the project by default, so a bundle's bare imports resolve to the project's node_modules.
const CACHE = process.env.O11Y_TS_RUN_CACHE ?? join(ROOT, '.cache', 'ts-run');
const MANIFEST = 'inputs.json';

/** The inputs a bundle was built from, as `{ path, mtimeMs, size }`; any change means rebuild. */
function isFresh(manifestFile) {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(manifestFile, 'utf8')).inputs;
  } catch {
    return false;
  }
  return inputs.every(({ path, mtimeMs, size }) => {
    try {
      const s = statSync(path);
      return s.mtimeMs === mtimeMs && s.size === size;
    } catch {
      return false;
    }
  });
}

async function bundle(entry, outdir) {
  const { build } = await import('esbuild');
  // Built into a private folder, then renamed into place: runs started at the same time never see half a bundle.
  const tmp = `${outdir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const result = await build({
    entryPoints: { main: entry },
    outdir: tmp,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    // Dynamic imports stay separate chunks, so a command loads only what it runs.
    splitting: true,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => {
    const path = resolve(ROOT, p);
    const { mtimeMs, size } = statSync(path);
    return { path, mtimeMs, size };
  });
  writeFileSync(join(tmp, MANIFEST), JSON.stringify({ entry, inputs }));
  rmSync(outdir, { recursive: true, force: true });
  renameSync(tmp, outdir);
}

/** Imports `entry` (a path to a .ts file of this checkout) from its cached bundle, building it if stale. */
export async function runTypeScript(entry) {
  const abs = resolve(entry);
  const key = createHash('sha256').update(abs).digest('hex').slice(0, 16);
  const outdir = join(CACHE, key);
  let bundled = isFresh(join(outdir, MANIFEST));
  if (!bundled) {
    try {
      mkdirSync(CACHE, { recursive: true });
      await bundle(abs, outdir);
      bundled = true;
    } catch (e) {
      if (process.env.O11Y_TS_RUN_DEBUG) process.stderr.write(`ts-run: no bundle (${e.message}); running through tsx\n`);
    }
  }
  if (bundled) return import(pathToFileURL(join(outdir, 'main.js')).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(abs).href);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [entry, ...args] = process.argv.slice(2);
  if (!entry) {
    process.stderr.write('usage: node bin/ts-run.js ENTRY.ts [ARGS...]\n');
    process.exit(2);
  }
  process.argv = [process.argv[0], resolve(entry), ...args];
  await runTypeScript(entry);
}
