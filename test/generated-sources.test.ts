import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { GENERATED_SOURCES } from '../scripts/generated-sources.ts';

// Generated files are committed so that no start-up pays for generating them; they must be what
// their sources generate today (after a schema change: `npm run generate`).
it.each(GENERATED_SOURCES.map((g) => [g.file.replace(/.*\/(src|scripts)\//, '$1/'), g] as const))('%s is current (npm run generate)', (_, g) => {
  expect(readFileSync(g.file, 'utf8') === g.source(), `${g.file} is stale: run \`npm run generate\``).toBe(true);
});
