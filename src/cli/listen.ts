import { UsageError } from '../errors.ts';

/** `:9464`, `0.0.0.0:9464`, `[::1]:9464` → host and port. */
export function parseListen(text: string): { host?: string; port: number } {
  const m = /^(?:\[?([^\]]*?)\]?)?:(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen "${text}" is not [HOST]:PORT (e.g. :9464)`);
  return { host: m[1] || undefined, port };
}
