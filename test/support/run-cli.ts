import { main } from '../../src/cli/main.ts';

/** Runs the `o11y` CLI in-process with `args`; its exit code and what it wrote to stdout and stderr. */
export async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'o11y', ...args], {
    stdout: { write: (s: string) => ((out += s), true) } as never,
    stderr: { write: (s: string) => ((err += s), true) } as never,
  });
  return { code, out, err };
}
