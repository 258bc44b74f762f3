#!/usr/bin/env node
// In this repository the CLI runs from the TypeScript sources (bundled once into .cache/ts-run by
// bin/ts-run.js), so `npx o11y` works straight after `npm ci`; the published package has no
// sources and runs lib/cli/, the CLI bundled from them (scripts/build-lib-cli.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sources = new URL('../src/cli/entry.ts', import.meta.url);
if (existsSync(sources)) {
  const { runTypeScript } = await import('./ts-run.js');
  await runTypeScript(fileURLToPath(sources));
} else {
  await import('../lib/cli/entry.js');
}
