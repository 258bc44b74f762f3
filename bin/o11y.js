#!/usr/bin/env node
// In this repository the CLI runs from the TypeScript sources through tsx, so `npx o11y` works
// straight after `npm ci`; the published package has no sources and runs its compiled lib/.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/entry.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
} else {
  await import('../lib/src/cli/entry.js');
}
