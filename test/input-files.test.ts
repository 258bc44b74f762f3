import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.ts';
import { synthesize } from '../src/synth.ts';
import { expectLocatedIn, expectLocatedProblem, synthRefuses } from './support/bad-config.ts';

// A config lists files relative to its folder (slos, rules, dashboards, scrape.monitors). Copied to
// another folder, its globs match nothing: that is a located error, never a stack that silently
// lost its SLOs, unless the entry says `optional: true`.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'o11y-input-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CLUSTER = 'clusters: [{ name: local, cloud: onprem, region: dc1, storageClass: standard }]\n';

/** Synthesizes `config` (written in a fresh folder holding `files`) and returns its problems, one per line. */
function problemsOf(config: string, files: Record<string, string> = {}): string[] {
  const dir = mkdtempSync(join(tmp, 'case-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, 'bad.yaml'), CLUSTER + config);
  try {
    synthesize({ configFile: join(dir, 'bad.yaml'), outDir: join(dir, 'dist') });
  } catch (e) {
    if (e instanceof InputError) return e.message.split('\n').map((line) => line.replaceAll(dir, '<dir>'));
    throw e;
  }
  return [];
}

describe('a file list entry may be absolute', () => {
  // Joined to the config's folder, an absolute path named a file that does not exist.
  it.each([
    ['a file', join(ROOT, 'slos', 'stack.yaml')],
    ['a glob', `${join(ROOT, 'slos')}/*.yaml`],
  ])('%s', (_, entry) => {
    expect(problemsOf(`slos: [${JSON.stringify(entry)}]\n`)).toEqual([]);
  });
});

describe('a file list entry that matches nothing is a located error naming the folder searched', () => {
  it.each([
    ['an SLO glob (a typo of the folder)', 'slos: [slo/*.yaml]\n', '2:8 slos[0]', '"slo/*.yaml" matches no SLO file in <dir>'],
    ['an SLO file', 'slos: [slos/api.yaml]\n', '2:8 slos[0]', 'SLO file "slos/api.yaml" not found in <dir>'],
    ['a scoped SLO entry', 'slos:\n  - { files: [slos/a.yaml, x/*.yaml], clouds: [onprem] }\n', '3:28 slos[0].files[1]', '"x/*.yaml" matches no SLO file in <dir>'],
    ['a rule glob', 'rules: [rules/*.yaml]\n', '2:9 rules[0]', '"rules/*.yaml" matches no rule file in <dir>'],
    ['a dashboard glob', 'dashboards: [a.json, dashboards/*.json]\n', '2:22 dashboards[1]', '"dashboards/*.json" matches no dashboard in <dir>'],
    ['a monitor glob', 'scrape:\n  monitors: [monitors/*.yaml]\n', '3:14 scrape.monitors[0]', '"monitors/*.yaml" matches no monitor file in <dir>'],
  ])('%s', (_, config, at, message) => {
    const files = { 'slos/a.yaml': readFileSync(join(ROOT, 'slos/stack.yaml'), 'utf8'), 'a.json': '{"uid": "mine", "title": "Mine", "panels": []}' };
    const located = expectLocatedIn(problemsOf(config, files), '<dir>/bad.yaml', at, message);
    expect(located).toContain('allowed: a file or glob (absolute, or relative to the config\'s folder) that matches at least one file, or { files: [...], optional: true }');
  });

  it('every empty entry of rules, dashboards and monitors at once', () => {
    expect(problemsOf('rules: [a/*.yaml]\ndashboards: [b/*.json]\nscrape: { monitors: [c/*.yaml] }\n')).toHaveLength(3);
  });

  it.each([
    ['SLOs', 'slos:\n  - { files: [slos/*.yaml], optional: true }\n'],
    ['scoped SLOs', 'slos:\n  - { files: [slos/*.yaml], clouds: [onprem], optional: true }\n'],
    ['rules', 'rules:\n  - { files: [rules/*.yaml, extra.rules.yaml], optional: true }\n'],
    ['dashboards', 'dashboards: [{ files: [dashboards/*.json], optional: true }]\n'],
    ['monitors', 'scrape: { monitors: [{ files: [monitors/*.yaml], optional: true }] }\n'],
  ])('optional %s may match nothing', (_, config) => {
    expect(problemsOf(config)).toEqual([]);
  });
});

describe('the optional form in the schema', () => {
  it.each([
    ['optional that is no boolean', `${CLUSTER}rules: [{ files: [a.yaml], optional: yes }]\n`, '2:38 rules[0].optional', /expected boolean, got "yes"/],
    ['an entry without files', `${CLUSTER}dashboards: [{ optional: true }]\n`, '2:14 dashboards[0]', /files/],
    ['an unknown key', `${CLUSTER}scrape: { monitors: [{ files: [a.yaml], optinal: true }] }\n`, '2:41 scrape.monitors[0].optinal', /unknown key "optinal"; allowed keys: files, optional/],
    ['an SLO entry with files only', `${CLUSTER}slos: [{ files: [a.yaml] }]\n`, '2:8 slos[0]', /optional: true/],
  ])('refuses %s, located', (_, text, at, message) => {
    expectLocatedProblem(text, at, message);
  });
});

describe('o11y synth --config /elsewhere/o11y.yaml', () => {
  it('exits 2 naming the entry and the folder, and writes nothing', () => {
    const elsewhere = mkdtempSync(join(tmp, 'elsewhere-'));
    cpSync(join(ROOT, 'o11y.yaml'), join(elsewhere, 'o11y.yaml'));
    const out = join(elsewhere, 'dist');
    mkdirSync(out);
    writeFileSync(join(out, 'earlier.k8s.yaml'), 'kind: List\n');
    const line = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8').split('\n').findIndex((l) => l.startsWith('slos:')) + 1;
    const stderr = synthRefuses(join(elsewhere, 'o11y.yaml'), out);
    expect(stderr).toContain(`${join(elsewhere, 'o11y.yaml')}:${line}:8 slos[0]: "slos/*.yaml" matches no SLO file in ${elsewhere};`);
    expect(readdirSync(out)).toEqual(['earlier.k8s.yaml']);
    expect(existsSync(join(elsewhere, 'dist', 'local'))).toBe(false);
  });
});
