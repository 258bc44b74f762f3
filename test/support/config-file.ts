import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../o11y.yaml', import.meta.url));

/**
 * Writes a config derived from `from` (default `o11y.yaml`) as `<dir>/o11y.yaml`, with `from`'s SLO
 * files beside it (`slos/`, linked): its SLO globs are relative to the config, and a glob that
 * matches nothing is an error. Returns the config's path.
 */
export function writeDerivedConfig(dir: string, text: string, from = DEFAULT_CONFIG): string {
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(dirname(from), 'slos'), join(dir, 'slos'));
  const file = join(dir, 'o11y.yaml');
  writeFileSync(file, text);
  return file;
}
