import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

// bin/ts-run.js runs a TypeScript entry from a cached bundle: what matters is that it never runs a
// stale one. An entry under a temp folder, bundled into a temp cache, edited between runs.

const TS_RUN = fileURLToPath(new URL('../bin/ts-run.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'o11y-ts-run-'));
const cache = join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = join(dir, 'entry.ts');
const dep = join(dir, 'dep.ts');
writeFileSync(entry, "import { word } from './dep.ts';\nconst args: string[] = process.argv.slice(2);\nprocess.stdout.write(`${word()} ${args.join(',')}`);\n");

function run(): string {
  const r = spawnSync(process.execPath, [TS_RUN, entry, 'a', 'b'], { encoding: 'utf8', env: { ...process.env, O11Y_TS_RUN_CACHE: cache } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

it('runs the entry with its arguments, and reruns an edited import, also one whose size did not change', () => {
  writeFileSync(dep, "export const word = (): string => 'one';\n");
  expect(run()).toBe('one a,b');
  expect(readdirSync(cache)).toHaveLength(1);
  expect(run()).toBe('one a,b');

  writeFileSync(dep, "export const word = (): string => 'three';\n");
  expect(run()).toBe('three a,b');

  writeFileSync(dep, "export const word = (): string => 'seven';\n");
  const later = new Date(Date.now() + 5000);
  utimesSync(dep, later, later);
  expect(run()).toBe('seven a,b');
});
