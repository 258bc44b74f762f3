import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseVersion, versionAtLeast } from './test-tools.ts';

// Engines the stack deploys that Debian does not package (Loki, Tempo, VictoriaMetrics, the
// kube-apiserver, the collector's OTTL, a Kafka-protocol broker). Unlike the Debian-provided tools,
// they cannot be provisioned: a user's fresh clone runs without them and the suites that need one
// are not run (and named at the end of the run); with O11Y_REQUIRE_ENGINES=1 (CI) a missing engine
// stops the run at once.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface EngineSpec {
  /** Binary name, and how tests ask for it. */
  readonly name: string;
  /** Lowest version accepted; undefined when the binary reports none (it must then run `versionArgs` cleanly). */
  readonly floor?: string;
  readonly versionArgs: readonly string[];
}

export const ENGINES: readonly EngineSpec[] = [
  { name: 'loki', floor: '3.7.0', versionArgs: ['-version'] },
  { name: 'tempo', floor: '3.0.0', versionArgs: ['-version'] },
  { name: 'vminsert', floor: '1.150.0', versionArgs: ['-version'] },
  { name: 'vmselect', floor: '1.150.0', versionArgs: ['-version'] },
  { name: 'vmstorage', floor: '1.150.0', versionArgs: ['-version'] },
  { name: 'vmalert', floor: '1.150.0', versionArgs: ['-version'] },
  { name: 'vmagent', floor: '1.150.0', versionArgs: ['-version'] },
  { name: 'vmalert-tool', floor: '1.150.0', versionArgs: ['--version'] },
  { name: 'kube-apiserver', floor: '1.28.0', versionArgs: ['--version'] },
  { name: 'ottl-run', floor: '0.150.0', versionArgs: ['version'] },
  { name: 'kfake-broker', versionArgs: ['-h'] },
];

export type EngineName = (typeof ENGINES)[number]['name'];

const ENV_PREFIX = 'O11Y_ENGINE_';
const envKey = (name: string) => ENV_PREFIX + name.toUpperCase().replace(/\W/g, '_');
/** Set by the global setup: a file each test file appends the engines it missed to. */
const SKIPS_FILE_ENV = 'O11Y_ENGINE_SKIPS_FILE';
/** `1` makes every engine required: a missing one fails the run before any test (CI sets it). */
const REQUIRE_ENV = 'O11Y_REQUIRE_ENGINES';

export interface EngineLookup {
  readonly found: Record<string, { path: string; version?: string }>;
  /** Each engine not provided, with why. */
  readonly missing: { name: string; why: string }[];
}

/** Looks for each engine in the O11Y_TEST_TOOLS folders, then on PATH; checks its version. */
export function findEngines(env: NodeJS.ProcessEnv = process.env): EngineLookup {
  const dirs = [...(env.O11Y_TEST_TOOLS ?? '').split(delimiter), ...(env.PATH ?? '').split(delimiter)].filter(Boolean);
  const found: EngineLookup['found'] = {};
  const missing: EngineLookup['missing'] = [];
  for (const spec of ENGINES) {
    let why = 'not in O11Y_TEST_TOOLS or on PATH';
    for (const dir of dirs) {
      const path = join(dir, spec.name);
      if (!existsSync(path)) continue;
      const run = spawnSync(path, spec.versionArgs, { encoding: 'utf8', timeout: 30_000 });
      if (run.error || run.status !== 0) {
        why = `${path} does not run: ${run.error?.message ?? `exit ${run.status}`}`;
        continue;
      }
      const version = spec.floor ? parseVersion(`${run.stdout}\n${run.stderr}`) : undefined;
      if (spec.floor && !(version && versionAtLeast(version, spec.floor))) {
        why = `${path} is version ${version ?? 'unknown'}, below ${spec.floor}`;
        continue;
      }
      found[spec.name] = { path, version };
      break;
    }
    if (!found[spec.name]) missing.push({ name: spec.name, why });
  }
  return { found, missing };
}

/** With O11Y_REQUIRE_ENGINES=1, any engine not provided stops the run: one message naming each. */
export function assertRequiredEngines(lookup: EngineLookup, env: NodeJS.ProcessEnv = process.env): void {
  if (env[REQUIRE_ENV] !== '1' || !lookup.missing.length) return;
  throw new Error(
    `${REQUIRE_ENV}=1 and these engines are not provided:\n` +
      lookup.missing.map((m) => `  ${m.name}: ${m.why}`).join('\n') +
      '\nSet O11Y_TEST_TOOLS to the folder that holds them (README, Testing).',
  );
}

/** Publishes found engines to this process and its workers. */
export function publishEngines(lookup: EngineLookup, skipsFile: string): void {
  for (const [name, { path }] of Object.entries(lookup.found)) process.env[envKey(name)] = path;
  process.env[SKIPS_FILE_ENV] = skipsFile;
}

/**
 * The paths of `names` for a suite in `testFile` (pass `import.meta.url`), or undefined when any is
 * not provided; the miss is recorded for the run's closing summary. Use with `describe.runIf`.
 */
export function engines<N extends EngineName>(testFile: string, names: readonly N[]): Record<N, string> | undefined {
  const paths = {} as Record<N, string>;
  const absent = names.filter((n) => {
    const path = process.env[envKey(n)];
    if (path) paths[n] = path;
    return !path;
  });
  if (!absent.length) return paths;
  const skips = process.env[SKIPS_FILE_ENV];
  if (!skips) throw new Error('engines were not looked up: run the tests with `npm test` (vitest\'s globalSetup looks them up)');
  const file = relative(ROOT, testFile.startsWith('file:') ? fileURLToPath(testFile) : testFile);
  appendFileSync(skips, absent.map((n) => `${n}\t${file}\n`).join(''));
  return undefined;
}

/** The closing line(s): each engine not provided, the suites not run for it, and how to provide it. */
export function skipSummary(skipsFile: string): string | undefined {
  if (!existsSync(skipsFile)) return undefined;
  const byEngine = new Map<string, Set<string>>();
  for (const line of readFileSync(skipsFile, 'utf8').split('\n').filter(Boolean)) {
    const [engine, file] = line.split('\t') as [string, string];
    if (!byEngine.has(engine)) byEngine.set(engine, new Set());
    byEngine.get(engine)!.add(file);
  }
  if (!byEngine.size) return undefined;
  const parts = [...byEngine].sort(([a], [b]) => a.localeCompare(b)).map(([e, files]) => `${e} (${[...files].sort().join(', ')})`);
  return (
    `not run, engines not provided: ${parts.join('; ')}. ` +
    'Put the binaries in a folder and run `O11Y_TEST_TOOLS=DIR npm test` (README, Testing).'
  );
}
