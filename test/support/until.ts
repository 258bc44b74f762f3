/**
 * Polls `probe` until it returns a value (anything but undefined), for up to `timeoutMs`; a probe
 * that throws counts as not yet. Then throws, naming `what`, the probe's last error and `context()`
 * (a daemon's log, say).
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs?: number; intervalMs?: number; context?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}${opts.context ? `\n${opts.context()}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
