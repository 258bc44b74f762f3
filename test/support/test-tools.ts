import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The real components the tests run, found or provisioned before any test starts: from
// O11Y_TEST_TOOLS, from PATH, from the project cache, or downloaded from Debian with a private apt
// configuration and unpacked into the cache. Nothing is installed system-wide and the machine's apt
// sources are only read.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * Project-local, git-ignored: one folder per package and version, plus the private apt state.
 * `O11Y_TEST_TOOLS_CACHE` moves it (the provisioning tests use an empty one).
 */
export function toolsCache(): string {
  return process.env.O11Y_TEST_TOOLS_CACHE ?? join(ROOT, '.cache', 'test-tools');
}

/** Which Debian suite a package comes from: `unstable`, or the machine's own release (`stable`). */
type Suite = 'unstable' | 'stable';

export interface ToolSpec {
  /** How tests ask for it (`toolPath('amtool')`). */
  readonly name: string;
  /** Executable names, the Debian name first (Debian renames some upstream binaries). */
  readonly executables: readonly string[];
  readonly debianPackage: string;
  readonly suite: Suite;
  /** Lowest version the tests accept. */
  readonly floor: string;
  readonly versionArgs: readonly string[];
}

export const TEST_TOOLS: readonly ToolSpec[] = [
  { name: 'prometheus', executables: ['prometheus'], debianPackage: 'prometheus', suite: 'unstable', floor: '3.0.0', versionArgs: ['--version'] },
  { name: 'promtool', executables: ['promtool'], debianPackage: 'promtool', suite: 'unstable', floor: '3.0.0', versionArgs: ['--version'] },
  { name: 'alertmanager', executables: ['prometheus-alertmanager', 'alertmanager'], debianPackage: 'prometheus-alertmanager', suite: 'unstable', floor: '0.28.0', versionArgs: ['--version'] },
  { name: 'amtool', executables: ['amtool'], debianPackage: 'prometheus-alertmanager', suite: 'unstable', floor: '0.28.0', versionArgs: ['--version'] },
  { name: 'docker-registry', executables: ['docker-registry', 'registry'], debianPackage: 'docker-registry', suite: 'stable', floor: '2.8.0', versionArgs: ['--version'] },
  { name: 'node-exporter', executables: ['prometheus-node-exporter', 'node_exporter'], debianPackage: 'prometheus-node-exporter', suite: 'stable', floor: '1.5.0', versionArgs: ['--version'] },
  // The kube-apiserver's store (the engine itself comes from O11Y_TEST_TOOLS: support/engines.ts).
  { name: 'etcd', executables: ['etcd'], debianPackage: 'etcd-server', suite: 'unstable', floor: '3.5.0', versionArgs: ['--version'] },
  { name: 'openssl', executables: ['openssl'], debianPackage: 'openssl', suite: 'stable', floor: '3.0.0', versionArgs: ['version'] },
];

/** Absolute path of each tool, by {@link ToolSpec.name}. */
export type ResolvedTools = Record<string, string>;

const ENV_PREFIX = 'O11Y_TOOL_';
const envKey = (name: string) => ENV_PREFIX + name.toUpperCase().replace(/\W/g, '_');

/**
 * The path of a provisioned tool. Vitest's global setup (and `npm run bench`) provision them first
 * and publish each path in the environment; a missing one is an error, never a skip.
 */
export function toolPath(name: string): string {
  const path = process.env[envKey(name)];
  if (!path) throw new Error(`test tool "${name}" was not provisioned: run the tests with \`npm test\` (vitest's globalSetup provisions it)`);
  return path;
}

/** The version of a provisioned tool, as its binary reports it. */
export function toolVersion(name: string): string {
  const spec = TEST_TOOLS.find((t) => t.name === name);
  if (!spec) throw new Error(`unknown test tool "${name}"`);
  return versionOf(toolPath(name), spec) ?? 'unknown';
}

export class ToolProvisionError extends Error {}

/** First dotted version in a `--version` output, e.g. `3.5.3` from `prometheus, version 3.5.3+ds1 (…)`. */
export function parseVersion(output: string): string | undefined {
  return /(\d+\.\d+(?:\.\d+)?)/.exec(output.replace(/^[^\n]*?\bversion\b/i, ''))?.[1] ?? /(\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1];
}

/** `a >= b` for dotted numeric versions. */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

function versionOf(binary: string, spec: ToolSpec): string | undefined {
  const run = spawnSync(binary, spec.versionArgs, { encoding: 'utf8', timeout: 30_000 });
  if (run.error || run.status !== 0) return undefined;
  return parseVersion(`${run.stdout}\n${run.stderr}`);
}

/** The first executable of `spec` in `dirs` whose version meets the floor. */
function findIn(dirs: readonly string[], spec: ToolSpec): { path: string; version: string } | undefined {
  for (const dir of dirs) {
    for (const exe of spec.executables) {
      const path = join(dir, exe);
      if (!existsSync(path)) continue;
      const version = versionOf(path, spec);
      if (version && versionAtLeast(version, spec.floor)) return { path, version };
    }
  }
  return undefined;
}

/** A package unpacked in the cache: `<cache>/<package>-<version>/`, complete once `.complete` exists. */
function cachedPackageDirs(pkg: string): string[] {
  if (!existsSync(toolsCache())) return [];
  return readdirSync(toolsCache())
    .filter((d) => d.startsWith(`${pkg}-`) && /^\d/.test(d.slice(pkg.length + 1)) && existsSync(join(toolsCache(), d, '.complete')))
    .sort()
    .reverse()
    .map((d) => join(toolsCache(), d));
}

const BIN_DIRS = ['usr/bin', 'usr/sbin', 'bin'];

/** A mirror line of the machine's own apt sources that serves Debian's main archive. */
export interface DebianMirror {
  readonly uri: string;
  readonly codename: string;
  readonly signedBy?: string;
}

/**
 * Reads the machine's apt sources (one-line `.list` and deb822 `.sources`) and returns the entry
 * for the release itself (not `-security`/`-updates`), whose URI the private list reuses.
 */
export function debianMirrorFrom(sources: readonly { file: string; text: string }[], codename: string): DebianMirror | undefined {
  for (const { file, text } of sources) {
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(stanza.replace(/^#.*$/gm, ''))?.[1]?.trim();
        const types = field('Types')?.split(/\s+/) ?? [];
        const suites = field('Suites')?.split(/\s+/) ?? [];
        const enabled = field('Enabled') !== 'no';
        const uri = field('URIs')?.split(/\s+/)[0];
        if (enabled && types.includes('deb') && suites.includes(codename) && uri) return { uri, codename, signedBy: field('Signed-By') };
      }
    } else {
      for (const raw of text.split('\n')) {
        const line = raw.replace(/#.*$/, '').trim();
        const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (!m || m[3] !== codename) continue;
        const signedBy = /signed-by=(\S+)/.exec(m[1] ?? '')?.[1];
        return { uri: m[2]!, codename, signedBy };
      }
    }
  }
  return undefined;
}

function machineCodename(): string | undefined {
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  return /^VERSION_CODENAME=(\S+)/m.exec(osRelease)?.[1]?.replace(/"/g, '');
}

function machineAptSources(): { file: string; text: string }[] {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) files.push(...readdirSync(dir).filter((f) => f.endsWith('.list') || f.endsWith('.sources')).sort().map((f) => join(dir, f)));
  return files.filter((f) => existsSync(f)).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/** Downloads and unpacks Debian packages with a private apt configuration under the cache. */
class PrivateApt {
  private readonly dir = join(toolsCache(), 'apt');
  private updated = false;
  private readonly mirror: DebianMirror;

  constructor() {
    const codename = machineCodename();
    const apt = spawnSync('apt-get', ['--version'], { encoding: 'utf8' });
    if (!codename || apt.error) throw new ToolProvisionError('this machine has no apt (not Debian or Ubuntu)');
    const mirror = debianMirrorFrom(machineAptSources(), codename);
    if (!mirror) throw new ToolProvisionError(`no Debian archive for "${codename}" in /etc/apt/sources.list{,.d}`);
    this.mirror = mirror;
  }

  private options(): string[] {
    return [
      '-o', `Dir::Etc::SourceList=${join(this.dir, 'sources.list')}`,
      '-o', 'Dir::Etc::SourceParts=/dev/null',
      '-o', `Dir::State::Lists=${join(this.dir, 'lists')}`,
      '-o', `Dir::Cache=${join(this.dir, 'cache')}`,
      '-o', 'Debug::NoLocking=1',
      // Downloads land in a folder of ours that apt's _apt user cannot write to.
      '-o', 'APT::Sandbox::User=root',
      '-qq',
    ];
  }

  private update(): void {
    if (this.updated) return;
    mkdirSync(join(this.dir, 'lists', 'partial'), { recursive: true });
    mkdirSync(join(this.dir, 'cache', 'archives', 'partial'), { recursive: true });
    const keyring = this.mirror.signedBy && existsSync(this.mirror.signedBy) ? this.mirror.signedBy : '/usr/share/keyrings/debian-archive-keyring.gpg';
    const line = (suite: string) => `deb [signed-by=${keyring}] ${this.mirror.uri} ${suite} main`;
    writeFileSync(join(this.dir, 'sources.list'), `${line(this.mirror.codename)}\n${line('unstable')}\n`);
    this.run(['update'], 'apt-get update (private lists)');
    this.updated = true;
  }

  private run(args: string[], what: string): string {
    const run = spawnSync('apt-get', [...this.options(), ...args], { encoding: 'utf8', cwd: this.dir, timeout: 600_000 });
    if (run.error || run.status !== 0) throw new ToolProvisionError(`${what} failed: ${run.error?.message ?? ''}${run.stderr}`);
    return run.stdout;
  }

  /** Downloads `pkg` from `suite` and unpacks it into `<cache>/<pkg>-<version>/`; returns that folder. */
  fetch(pkg: string, suite: Suite): string {
    this.update();
    const release = suite === 'unstable' ? 'unstable' : this.mirror.codename;
    const downloads = join(this.dir, 'downloads');
    rmSync(downloads, { recursive: true, force: true });
    mkdirSync(downloads, { recursive: true });
    const run = spawnSync('apt-get', [...this.options(), 'download', `${pkg}/${release}`], { encoding: 'utf8', cwd: downloads, timeout: 600_000 });
    if (run.error || run.status !== 0) throw new ToolProvisionError(`apt-get download ${pkg}/${release} failed: ${run.error?.message ?? ''}${run.stderr}`);
    const deb = readdirSync(downloads).find((f) => f.endsWith('.deb'));
    if (!deb) throw new ToolProvisionError(`apt-get download ${pkg}/${release} wrote no .deb`);
    // <pkg>_<version>_<arch>.deb; an epoch (1:2.3) is written as 1%3a2.3.
    const version = decodeURIComponent(deb.split('_')[1]!).replace(/^\d+:/, '');
    const target = join(toolsCache(), `${pkg}-${version}`);
    const staging = `${target}.partial`;
    rmSync(staging, { recursive: true, force: true });
    execFileSync('dpkg', ['-x', join(downloads, deb), staging], { stdio: 'pipe' });
    writeFileSync(join(staging, '.complete'), `${pkg} ${version} from Debian ${release}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    rmSync(downloads, { recursive: true, force: true });
    return target;
  }
}

/**
 * Debian's Alertmanager reads its default notification templates only from
 * `/usr/share/prometheus/alertmanager/` (no flag or config key changes that). For an unpacked
 * package, a wrapper runs it in a private mount namespace where the package's `usr/share` is
 * overlaid on `/usr/share`: the host's file system is not touched.
 */
function alertmanagerWrapper(packageDir: string, binary: string): string {
  const share = join(packageDir, 'usr', 'share');
  if (!existsSync(join(share, 'prometheus', 'alertmanager', 'default.tmpl'))) return binary;
  const wrapperDir = join(packageDir, 'o11y-bin');
  mkdirSync(wrapperDir, { recursive: true });
  const wrapper = join(wrapperDir, 'alertmanager');
  const userns = process.getuid?.() === 0 ? '' : ' --map-root-user';
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      '# Written by test/support/test-tools.ts: see alertmanagerWrapper().',
      `exec unshare --mount --propagation private${userns} sh -c 'mount -t overlay o11y-share -o lowerdir="$0":/usr/share /usr/share && exec "$@"' \\`,
      `  '${share}' '${binary}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/** Where `spec` was found, and what to say about it. */
interface Found {
  readonly path: string;
  readonly version: string;
  readonly source: 'O11Y_TEST_TOOLS' | 'PATH' | 'cache' | 'provisioned';
}

function howToProvide(spec: ToolSpec): string {
  return (
    `test tool "${spec.name}" (${spec.executables.join(' or ')} >= ${spec.floor}) is missing and could not be provisioned. ` +
    `Provide it on PATH, or put the binary in a folder and set O11Y_TEST_TOOLS=DIR; ` +
    `on Debian, with access to the Debian mirror its apt sources name, \`npm test\` downloads Debian's ${spec.suite} package "${spec.debianPackage}" into ${toolsCache()}.`
  );
}

/**
 * Finds or provisions every tool; returns their paths. Throws one {@link ToolProvisionError} naming
 * each tool that could not be provided.
 */
export function provisionTestTools(log: (line: string) => void = () => {}): ResolvedTools {
  const explicit = process.env.O11Y_TEST_TOOLS;
  const explicitDirs = explicit ? explicit.split(delimiter).flatMap((d) => [d, ...BIN_DIRS.map((b) => join(d, b))]) : [];
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  let apt: PrivateApt | undefined;
  let aptError: Error | undefined;
  const resolved: ResolvedTools = {};
  const failures: string[] = [];

  for (const spec of TEST_TOOLS) {
    const fromCache = (): Found | undefined => {
      for (const dir of cachedPackageDirs(spec.debianPackage)) {
        const hit = findIn(BIN_DIRS.map((b) => join(dir, b)), spec);
        if (hit) return { ...hit, path: spec.name === 'alertmanager' ? alertmanagerWrapper(dir, hit.path) : hit.path, source: 'cache' };
      }
      return undefined;
    };
    let found: Found | undefined =
      (explicitDirs.length ? (() => { const h = findIn(explicitDirs, spec); return h && { ...h, source: 'O11Y_TEST_TOOLS' as const }; })() : undefined) ??
      (() => { const h = findIn(pathDirs, spec); return h && { ...h, source: 'PATH' as const }; })() ??
      fromCache();
    if (!found && !aptError) {
      try {
        apt ??= new PrivateApt();
        log(`provisioning ${spec.debianPackage} (Debian ${spec.suite}) for ${spec.name} into ${toolsCache()}`);
        apt.fetch(spec.debianPackage, spec.suite);
        found = fromCache();
        if (found) found = { ...found, source: 'provisioned' };
        else failures.push(`${spec.name}: Debian's ${spec.debianPackage} was unpacked, but no ${spec.executables.join('/')} >= ${spec.floor} in it runs here`);
      } catch (error) {
        if (!(error instanceof ToolProvisionError)) throw error;
        aptError = error;
      }
    }
    if (found) {
      resolved[spec.name] = found.path;
      log(`${spec.name} ${found.version} (${found.source}): ${found.path}`);
    } else if (!failures.some((f) => f.startsWith(`${spec.name}:`))) {
      failures.push(`${howToProvide(spec)}${aptError ? ` Provisioning failed: ${aptError.message.trim()}` : ''}`);
    }
  }
  if (failures.length) throw new ToolProvisionError(failures.join('\n'));
  return resolved;
}

/** Publishes resolved tools to this process (and the processes it starts): env vars and PATH. */
export function publishTestTools(tools: ResolvedTools): void {
  for (const [name, path] of Object.entries(tools)) process.env[envKey(name)] = path;
  const dirs = [...new Set(Object.values(tools).map((p) => dirname(p)))];
  process.env.PATH = [...dirs, ...(process.env.PATH ?? '').split(delimiter)].join(delimiter);
}
