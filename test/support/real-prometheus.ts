import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemon.ts';
import { freePort } from './free-port.ts';
import { toolPath } from './test-tools.ts';

/**
 * Starts the real Prometheus 3 (provisioned by test/support/test-tools.ts) on a free loopback port with a temp TSDB and the
 * `prometheus.yml` (plus any files it reads) that `prepare` writes into its temp dir, and any extra `flags`.
 */
export async function startPrometheusWith(opts: { tmpPrefix: string; prepare: (dir: string) => void; flags?: readonly string[] }): Promise<Daemon> {
  const port = await freePort();
  return startDaemon({
    binary: toolPath('prometheus'),
    tmpPrefix: opts.tmpPrefix,
    url: `http://127.0.0.1:${port}`,
    readyPath: '/-/ready',
    prepare: opts.prepare,
    args: (dir) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...(opts.flags ?? []),
    ],
  });
}

/**
 * Starts the real Prometheus with rule files only,
 * loading `ruleFiles` (relative name → rule-file YAML) from `<dir>/rules/`, evaluated every `evaluationInterval`.
 * `rulesDir` is where those files live, i.e. the prefix of the `file` the rules API reports.
 */
export async function startPrometheus(opts: {
  ruleFiles: Record<string, string>;
  evaluationInterval?: string;
}): Promise<Daemon & { rulesDir: string }> {
  let rulesDir = '';
  const daemon = await startPrometheusWith({
    tmpPrefix: 'o11y-prometheus-',
    prepare: (dir) => {
      rulesDir = join(dir, 'rules');
      mkdirSync(rulesDir);
      for (const [name, text] of Object.entries(opts.ruleFiles)) writeFileSync(join(rulesDir, name), text);
      const interval = opts.evaluationInterval ?? '1s';
      writeFileSync(
        join(dir, 'prometheus.yml'),
        `global:\n  evaluation_interval: ${interval}\n  scrape_interval: ${interval}\nrule_files:\n  - ${join(rulesDir, '*.yaml')}\n`,
      );
    },
  });
  return Object.assign(daemon, { rulesDir });
}
