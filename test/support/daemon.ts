import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real server binary run by a test, with its own temp dir; `stop()` kills it and removes the dir. */
export interface Daemon {
  readonly url: string;
  readonly dir: string;
  /** What the daemon wrote to stdout/stderr so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL, as a node failure: the dir stays, for a restart on the same data. */
  kill(): Promise<void>;
}

/**
 * Starts `binary` and waits until GET `url + readyPath` answers `readyStatus`.
 * A missing binary is an error, never a skip: these tests exist to run against the real thing.
 */
export async function startDaemon(opts: {
  binary: string;
  args: (dir: string) => string[];
  /** Writes config files into the temp dir before start. */
  prepare?: (dir: string) => void;
  url: string;
  readyPath: string;
  readyStatus?: number;
  /** Replaces the plain GET of `url + readyPath` (e.g. for a server that wants a client certificate). */
  probe?: () => Promise<boolean>;
  tmpPrefix: string;
  timeoutMs?: number;
  /** Run in this existing dir (a restart on a killed daemon's data); `stop()` then leaves it to the caller. */
  dir?: string;
}): Promise<Daemon> {
  if (!existsSync(opts.binary)) throw new Error(`${opts.binary} is not installed; this test needs the real binary`);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), opts.tmpPrefix));
  opts.prepare?.(dir);
  const child: ChildProcess = spawn(opts.binary, opts.args(dir), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const daemon: Daemon = {
    url: opts.url,
    dir,
    output: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killLater = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killLater);
      }
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  // Generous: a loaded 2-core machine starts Prometheus (WAL, rule loading) slowly.
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) {
      await daemon.stop();
      throw new Error(`${opts.binary} exited with ${child.exitCode}:\n${log}`);
    }
    try {
      if (opts.probe) {
        if (await opts.probe()) return daemon;
      } else {
        const res = await fetch(opts.url + opts.readyPath, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === (opts.readyStatus ?? 200)) return daemon;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`${opts.binary} did not become ready at ${opts.url}${opts.readyPath}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
