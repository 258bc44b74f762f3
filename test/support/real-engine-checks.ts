import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { globSync } from 'tinyglobby';
import { parse as parseYaml } from 'yaml';
import { dumpYaml } from '../../src/yaml-output.ts';
import type { K8sObject } from './manifest-checks.ts';
import { layOutPodFiles, pathsUnder, reroot, type PodFiles } from './pod-files.ts';
import { runBinary, runTool, type ToolRun } from './run-tool.ts';

// The synthesized Prometheus and Alertmanager checked by the real binaries, on their files as the
// pods mount them (laid out under a temp root), with nothing stripped; the mounted config and the
// flag check serve the engines' suites too (test/support/real-tempo.ts).

/**
 * Flags of the upstream binaries that Debian's builds do not have. Debian builds Prometheus without
 * the OTLP receiver (Debian bug 1080354), so its `--help` lacks the flag; upstream documents it:
 * https://prometheus.io/docs/prometheus/latest/command-line/prometheus/ (`--web.enable-otlp-receiver`).
 */
export const UPSTREAM_ONLY_FLAGS: Readonly<Record<string, readonly string[]>> = {
  prometheus: ['web.enable-otlp-receiver'],
  alertmanager: [],
};

/** The value of `--name=value` (or Go's `-name=value`) in `args`. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  const arg = args.find((a) => a.startsWith(`--${name}=`) || a.startsWith(`-${name}=`));
  return arg?.slice(arg.indexOf('=') + 1);
}

/** The flag names in `args` (`--[no-]name[=…]`, Go's `-name[=…]`); a non-flag argument is named as such. */
export function flagNames(args: readonly string[]): string[] {
  return args.map((a) => /^(?:--(?:no-)?|-)([^=-][^=]*)/.exec(a)?.[1] ?? `(not a flag) ${a}`);
}

/**
 * The container's args with the given flags replaced (or dropped when the value is undefined);
 * `dashes` is how the binary spells its flags (`--name`, or Go's `-name` as VictoriaMetrics does).
 */
export function withFlags(args: readonly string[], replace: Record<string, string | undefined>, dashes: '--' | '-' = '--'): string[] {
  const out = args.filter((a) => !Object.keys(replace).some((f) => a === `${dashes}${f}` || a.startsWith(`${dashes}${f}=`)));
  for (const [f, v] of Object.entries(replace)) if (v !== undefined) out.push(`${dashes}${f}=${v}`);
  return out;
}

/** A component's config file as mounted, parsed, with the Secret files it names written as dummies. */
export interface MountedConfig {
  readonly pod: PodFiles;
  /** In-pod path of the config file. */
  readonly file: string;
  readonly config: Record<string, unknown>;
  /** The container's args with the in-pod paths they name moved under the temp root. */
  readonly args: readonly string[];
}

/**
 * Lays out `workload`'s container and writes its config (`--config.file`) back with every in-pod
 * path (its files, Secrets and data volumes) moved under the temp root. Files the config names
 * inside user-owned Secrets get `secretText`.
 */
export function mountedConfig(
  objects: readonly K8sObject[],
  workload: string,
  container: string,
  secretText: (podPath: string) => string = () => 'dummy\n',
): MountedConfig {
  const pod = layOutPodFiles(objects, workload, container);
  const file = flagValue(pod.args, 'config.file');
  if (!file) throw new Error(`${workload}: no --config.file`);
  const config = parseYaml(readFileSync(pod.hostPath(file), 'utf8')) as Record<string, unknown>;
  for (const path of pathsUnder(config, pod.secretMounts)) {
    if (existsSync(pod.hostPath(path))) continue;
    mkdirSync(dirname(pod.hostPath(path)), { recursive: true });
    writeFileSync(pod.hostPath(path), secretText(path));
  }
  const mounts = [...pod.configMapMounts, ...pod.secretMounts, ...pod.dataMounts];
  writeFileSync(pod.hostPath(file), dumpYaml(reroot(config, mounts, pod.root)));
  const args = pod.args.map((a) => a.replace(/^(-{1,2}[^=]+=)(\/.*)$/, (_, flag: string, path: string) => flag + reroot(path, mounts, pod.root)));
  return { pod, file, config, args };
}

/** `promtool check config` (files included: rule files, credentials, CA) on the mounted prometheus.yml. */
export function promtoolCheckConfig(objects: readonly K8sObject[]): ToolRun {
  const { pod, file } = mountedConfig(objects, 'prometheus', 'prometheus');
  return runTool('promtool', ['check', 'config', pod.hostPath(file)]);
}

/** `promtool check rules` on every rule file mounted into Prometheus; one run per file. */
export function promtoolCheckMountedRules(objects: readonly K8sObject[]): { file: string; run: ToolRun }[] {
  const { pod, file } = mountedConfig(objects, 'prometheus', 'prometheus');
  return mountedRuleFiles(pod, file).map((file) => ({ file, run: runTool('promtool', ['check', 'rules', pod.hostPath(file)]) }));
}

/** Every file mounted from a ConfigMap except those beside the config file: the rule files. */
function mountedRuleFiles(pod: PodFiles, configFile: string): string[] {
  return pod.configMapFiles.filter((f) => dirname(f) !== dirname(configFile));
}

/**
 * Every `rule_files` pattern matches at least one mounted file, and every mounted rule file is
 * matched by a pattern (Prometheus' own glob: `*` only within a path element).
 */
export function ruleGlobProblems(objects: readonly K8sObject[]): string[] {
  const { pod, file, config } = mountedConfig(objects, 'prometheus', 'prometheus');
  const globs = (config.rule_files as string[] | undefined) ?? [];
  const ruleFiles = mountedRuleFiles(pod, file);
  const matched = new Set<string>();
  const problems: string[] = [];
  for (const pattern of globs) {
    const hits = globSync(pod.hostPath(pattern).replace(/\\/g, '/'), { absolute: true, onlyFiles: true, dot: true });
    if (!hits.length) problems.push(`rule_files pattern ${pattern} matches no mounted file`);
    for (const h of hits) matched.add(h);
  }
  for (const f of ruleFiles) if (!matched.has(pod.hostPath(f))) problems.push(`mounted rule file ${f} is matched by no rule_files pattern`);
  return problems;
}

const helpFlags = new Map<string, Set<string>>();

/** A provisioned tool with kingpin flags, or an engine binary (by path) with Go's `flag` package. */
export type FlagsOf = 'prometheus' | 'alertmanager' | { readonly engine: string };

/** Long flag names a tool's `--help` lists (`--name=…`, `--[no-]name`), or an engine's `-help` (`  -name type`). */
export function knownFlags(tool: FlagsOf): Set<string> {
  const key = typeof tool === 'string' ? tool : tool.engine;
  let known = helpFlags.get(key);
  if (!known) {
    const help = typeof tool === 'string' ? runTool(tool, ['--help']).output : runBinary(tool.engine, ['-help']).output;
    const flag = typeof tool === 'string' ? /^\s+--(?:\[no-\])?([a-z0-9][\w.-]*)/gm : /^ {2}-([a-z0-9][\w.-]*)/gm;
    known = new Set([...help.matchAll(flag)].map((m) => m[1]!));
    if (known.size < 10) throw new Error(`${key} help listed too few flags:\n${help}`);
    if (typeof tool === 'string') for (const f of UPSTREAM_ONLY_FLAGS[tool] ?? []) known.add(f);
    helpFlags.set(key, known);
  }
  return known;
}

/** Flags in `args` that `tool` does not know. */
export function unknownFlagsIn(args: readonly string[], tool: FlagsOf): string[] {
  const known = knownFlags(tool);
  return flagNames(args).filter((n) => !known.has(n));
}

/** Flags of `workload`'s container that `tool` does not know. */
export function unknownFlags(objects: readonly K8sObject[], workload: string, container: string, tool: FlagsOf): string[] {
  return unknownFlagsIn(layOutPodFiles(objects, workload, container).args, tool);
}

/** Receiver URLs for the mounted Alertmanager: each `*-url` file gets `urlFor(receiver)`. */
export function alertmanagerWithReceivers(objects: readonly K8sObject[], urlFor: (receiver: string) => string): MountedConfig {
  return mountedConfig(objects, 'alertmanager', 'alertmanager', (path) => `${urlFor(path.split('/').pop()!.replace(/-url$/, ''))}\n`);
}

/** `amtool check-config` on the mounted alertmanager.yml. */
export function amtoolCheckConfig(objects: readonly K8sObject[]): ToolRun {
  const { pod, file } = alertmanagerWithReceivers(objects, (r) => `https://hooks.example.com/${r}`);
  return runTool('amtool', ['check-config', pod.hostPath(file)]);
}

/** The receivers `amtool config routes test` picks for an alert with `labels`. */
export function amtoolRoute(mounted: MountedConfig, labels: Record<string, string>): string[] {
  const run = runTool('amtool', ['config', 'routes', 'test', `--config.file=${mounted.pod.hostPath(mounted.file)}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  if (run.status !== 0) throw new Error(`amtool config routes test failed:\n${run.output}`);
  return run.stdout.trim().split(',').map((s) => s.trim()).filter(Boolean);
}
