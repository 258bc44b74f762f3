import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assertRequiredEngines, ENGINES, engines, findEngines, skipSummary } from './support/engines.ts';

// The lookup of engines Debian does not package (test/support/engines.ts): found only where the
// user points, version-checked, a miss recorded for the closing summary, fatal when required.

const dir = mkdtempSync(join(tmpdir(), 'o11y-engines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeBinary(name: string, script: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(dir, name), 0o755);
}
fakeBinary('loki', 'echo "loki, version 3.7.6 (branch: v3.7.6, revision: 5003600d7c)"');
fakeBinary('tempo', 'echo "tempo, version v2.9.0 (branch: v2.9.0)"');
fakeBinary('vmagent', 'exit 1');
fakeBinary('kfake-broker', 'exit 0');
const env = { O11Y_TEST_TOOLS: dir, PATH: '' };

describe('findEngines', () => {
  const lookup = findEngines(env);
  it('finds an engine in O11Y_TEST_TOOLS at or above its floor, with its version', () => {
    expect(lookup.found.loki).toEqual({ path: join(dir, 'loki'), version: '3.7.6' });
  });
  it('accepts a versionless engine that runs cleanly', () => {
    expect(lookup.found['kfake-broker']?.path).toBe(join(dir, 'kfake-broker'));
  });
  it('passes over one below its floor and one that does not run, saying why', () => {
    expect(lookup.missing).toContainEqual({ name: 'tempo', why: `${join(dir, 'tempo')} is version 2.9.0, below 3.0.0` });
    expect(lookup.missing).toContainEqual({ name: 'vmagent', why: `${join(dir, 'vmagent')} does not run: exit 1` });
    expect(lookup.missing).toContainEqual({ name: 'ottl-run', why: 'not in O11Y_TEST_TOOLS or on PATH' });
  });
  it('accounts for every engine once', () => {
    expect([...Object.keys(lookup.found), ...lookup.missing.map((m) => m.name)].sort()).toEqual(ENGINES.map((e) => e.name).sort());
  });
  it('stops the run when engines are required and one is missing, naming each', () => {
    expect(() => assertRequiredEngines(lookup, { O11Y_REQUIRE_ENGINES: '1' })).toThrow(/tempo: .*below 3\.0\.0[\s\S]*ottl-run: not in O11Y_TEST_TOOLS/);
    expect(() => assertRequiredEngines(lookup, {})).not.toThrow();
    expect(() => assertRequiredEngines({ found: lookup.found, missing: [] }, { O11Y_REQUIRE_ENGINES: '1' })).not.toThrow();
  });
});

describe('a suite whose engine is missing', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('is not granted the engine, and the closing summary names the engine, the suite and how to provide it', () => {
    const skips = join(dir, 'skips.tsv');
    process.env.O11Y_ENGINE_SKIPS_FILE = skips;
    delete process.env.O11Y_ENGINE_TEMPO;
    delete process.env.O11Y_ENGINE_KFAKE_BROKER;
    process.env.O11Y_ENGINE_LOKI = '/x/loki';
    expect(engines(join(process.cwd(), 'test/a.test.ts'), ['loki'])).toEqual({ loki: '/x/loki' });
    expect(engines(join(process.cwd(), 'test/b.test.ts'), ['tempo', 'kfake-broker'])).toBeUndefined();
    expect(engines(join(process.cwd(), 'test/c.test.ts'), ['tempo'])).toBeUndefined();
    expect(readFileSync(skips, 'utf8')).not.toContain('loki');
    expect(skipSummary(skips)).toBe(
      'not run, engines not provided: kfake-broker (test/b.test.ts); tempo (test/b.test.ts, test/c.test.ts). ' +
        'Put the binaries in a folder and run `O11Y_TEST_TOOLS=DIR npm test` (README, Testing).',
    );
    expect(skipSummary(join(dir, 'none.tsv'))).toBeUndefined();
  });
});
