import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../../src/duration.ts';
import { dumpYaml } from '../../src/yaml-output.ts';
import { startDaemon, type Daemon } from './daemon.ts';
import type { K8sObject } from './manifest-checks.ts';
import { flagValue, mountedConfig, type MountedConfig } from './real-engine-checks.ts';
import { runBinary } from './run-tool.ts';

// The synthesized Loki checked by the real binary (`-verify-config`, `-print-config-stderr`) on its
// config as the pod mounts it, with the container's own args and environment.

/** How Loki prints a secret in its effective config. */
const MASKED = '********';

/** The Loki container of `objects`, laid out under a temp root (data paths included). */
export function mountedLoki(objects: readonly K8sObject[]): MountedConfig {
  return mountedConfig(objects, 'loki', 'loki');
}

/** The container's args with `-config.file` pointing at the laid-out file. */
export function hostArgs(loki: MountedConfig): string[] {
  return loki.pod.args.map((a) => (flagValue([a], 'config.file') === loki.file ? `-config.file=${loki.pod.hostPath(loki.file)}` : a));
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

/** The container's environment: plain values as written, a Secret's key as `dummy-<key>`. */
export function containerEnv(objects: readonly K8sObject[]): Record<string, string> {
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'loki');
  const c = (sts?.spec as { template: { spec: { containers: { name: string; env?: EnvVar[] }[] } } }).template.spec.containers.find((x) => x.name === 'loki');
  return Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? (e.valueFrom?.secretKeyRef ? `dummy-${e.valueFrom.secretKeyRef.key}` : '')]));
}

export interface LokiRun {
  readonly status: number | null;
  readonly output: string;
  /** The effective config Loki printed (`-print-config-stderr`); undefined when it printed none. */
  readonly effective?: Record<string, unknown>;
}

/** `loki <container args> -verify-config -print-config-stderr` on the laid-out config. */
export function verifyConfig(binary: string, loki: MountedConfig, env: Record<string, string>): LokiRun {
  // Only the container's env (plus PATH), as in the pod.
  const run = runBinary(binary, [...hostArgs(loki), '-verify-config', '-print-config-stderr'], { env: { PATH: process.env.PATH ?? '', ...env } });
  // The config comes first on stderr, then the log lines (`level=…`); a refused config prints none.
  const printed = run.stderr.startsWith('---\n# Loki Config') ? run.stderr.split(/^level=/m)[0]! : '';
  const effective = printed ? (parseYaml(printed) as Record<string, unknown>) : undefined;
  return { status: run.status, output: `${run.stdout}${run.stderr.slice(printed.length)}`, effective };
}

/** `${VAR}` references in the config text. */
export function envReferences(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))].sort();
}

/** `value` with each `${VAR}` replaced from `env`, as `-config.expand-env` does. */
export function expandEnv<T>(value: T, env: Record<string, string>): T {
  return JSON.parse(JSON.stringify(value).replace(/\$\{(\w+)\}/g, (_, v: string) => env[v] ?? '')) as T;
}

/**
 * Same value, durations compared by length (Loki prints `744h` as `31d`), masked secrets as set,
 * and a zero value as what Loki leaves out (`omitempty` fields such as `auth_enabled`).
 */
function sameSetting(ours: unknown, theirs: unknown): boolean {
  if (theirs === MASKED) return typeof ours === 'string' && ours !== '';
  if (theirs === undefined) return ours === false || ours === 0 || ours === '';
  if (typeof ours === 'string' && typeof theirs === 'string') {
    const [a, b] = [parseDuration(ours), parseDuration(theirs)];
    if (a !== undefined && b !== undefined) return a === b;
  }
  return String(ours) === String(theirs);
}

/**
 * Every setting `ours` makes that the effective config does not hold, as `key.path: ours ≠ theirs`.
 * A list of ours must appear in theirs item by item (Loki prepends its defaults to some lists).
 */
export function settingsNotInEffect(ours: unknown, theirs: unknown, path = ''): string[] {
  if (Array.isArray(ours)) {
    if (!Array.isArray(theirs)) return [`${path}: a list, Loki has ${JSON.stringify(theirs)}`];
    return ours.flatMap((item, i) => (theirs.some((t) => settingsNotInEffect(item, t).length === 0) ? [] : [`${path}[${i}]: ${JSON.stringify(item)} not in ${JSON.stringify(theirs)}`]));
  }
  if (ours && typeof ours === 'object') {
    if (!theirs || typeof theirs !== 'object') return [`${path}: a mapping, Loki has ${JSON.stringify(theirs)}`];
    return Object.entries(ours).flatMap(([k, v]) => settingsNotInEffect(v, (theirs as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return sameSetting(ours, theirs) ? [] : [`${path}: ${JSON.stringify(ours)} ≠ ${JSON.stringify(theirs)}`];
}

/** Absolute paths in `config`, with their key paths. */
function absolutePaths(config: unknown, path = ''): { key: string; path: string }[] {
  if (typeof config === 'string') return config.startsWith('/') ? [{ key: path, path: config }] : [];
  if (Array.isArray(config)) return config.flatMap((v, i) => absolutePaths(v, `${path}[${i}]`));
  if (config && typeof config === 'object') return Object.entries(config).flatMap(([k, v]) => absolutePaths(v, path ? `${path}.${k}` : k));
  return [];
}

/**
 * Paths of the effective config that the container could not write: outside its writable mounts
 * (its root file system is read-only), apart from the files we mount for it to read (the config
 * file). Paths under the temp root are mapped back to the pod's.
 */
export function unwritablePaths(loki: MountedConfig, effective: Record<string, unknown>): string[] {
  const podPath = (p: string) => (p === loki.pod.root || p.startsWith(`${loki.pod.root}/`) ? p.slice(loki.pod.root.length) || '/' : p);
  const under = (p: string, m: string) => p === m || p.startsWith(`${m}/`);
  return absolutePaths(effective)
    .map(({ key, path }) => ({ key, path: podPath(path) }))
    .filter(({ path }) => !loki.pod.configMapFiles.includes(path) && !loki.pod.writableMounts.some((m) => under(path, m)))
    .map(({ key, path }) => `${key}: ${path}`);
}

/**
 * What a live test changes in the mounted config: loopback and free ports; the ring address
 * (no eth0 to take it from); the first compaction (and retention pass) after 2 s instead of one
 * 10 min compaction interval; ready without the ingester's 15 s settling time.
 */
export function liveOverrides(http: number, grpc: number): Record<string, object> {
  return {
    server: { http_listen_address: '127.0.0.1', http_listen_port: http, grpc_listen_address: '127.0.0.1', grpc_listen_port: grpc },
    common: { instance_addr: '127.0.0.1' },
    compactor: { compaction_interval: '2s' },
    ingester: { lifecycler: { min_ready_duration: '0s' } },
  };
}

/** `base` with `over` merged in, mapping by mapping. */
function merged<T extends Record<string, unknown>>(base: T, over: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? merged(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out as T;
}

/** Starts the mounted Loki with its container args, on the laid-out config with `overrides` merged in. */
export async function startLoki(binary: string, loki: MountedConfig, overrides: Record<string, object>): Promise<Daemon> {
  const file = loki.pod.hostPath(loki.file);
  writeFileSync(file, dumpYaml(merged(parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>, overrides)));
  const port = (overrides.server as { http_listen_port: number }).http_listen_port;
  return startDaemon({ binary, args: () => hostArgs(loki), url: `http://127.0.0.1:${port}`, readyPath: '/ready', tmpPrefix: 'o11y-loki-' });
}
