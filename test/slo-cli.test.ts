import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';

const BAD_OBJECTIVE = `version: prometheus/v1
service: svc
slos:
  - name: a
    objective: 120
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting: {name: A}
`;

describe('o11y slo CLI', () => {
  const run = runCli;
  const dir = mkdtempSync(join(tmpdir(), 'o11y-slo-cli-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, BAD_OBJECTIVE);

  it('validate: exit 0 on good files, 2 with a located message on bad ones', async () => {
    expect(await run('slo', 'validate', 'examples/slos/native.yaml')).toMatchObject({ code: 0, stdout: 'ok: 4 SLOs in 1 file\n' });
    const r = await run('slo', 'validate', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:5:16 slos[0].objective: objective 120 is outside (0, 100]`);
  });

  it('validate: an error query that does not read the total\'s series (a misspelt metric) exits 2, located, saying what is allowed', async () => {
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, BAD_OBJECTIVE.replace('objective: 120', 'objective: 99').replace('http_requests_total{code', 'http_requests_totl{code'));
    const r = await run('slo', 'validate', typo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${typo}:8:22 slos[0].sli.events.error_query: SLO "a": http_requests_totl{code=~"5.."} does not read the total query's series: metric http_requests_totl is not the total's (http_requests_total)`);
    expect(r.stderr).toContain('. Allowed: the metric of a total selector, another series of its histogram');
  });

  it('generate: rule YAML to stdout, PrometheusRule objects, --out, bad --format', async () => {
    const rules = await run('slo', 'generate', 'examples/slos/sloth-prometheus-v1.yaml');
    expect(rules.code).toBe(0);
    expect(rules.stdout).toMatch(/^groups:\n {2}- name: sloth-slo-sli-recordings-myservice-requests-availability\n/);
    expect(rules.stdout).not.toMatch(/[&*]a\d/); // no YAML anchors: other tools read this file
    const pr = await run('slo', 'generate', '--format', 'prometheus-rule', 'examples/slos/native.yaml', 'slos/stack.yaml');
    expect(pr.stdout.split('---\n')).toHaveLength(4);
    expect(pr.stdout).toContain('kind: PrometheusRule');
    const out = join(dir, 'out.yaml');
    expect((await run('slo', 'generate', '--out', out, 'slos/stack.yaml')).stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('slo:sli_error:ratio_rate30d');
    expect((await run('slo', 'generate', '--format', 'json', 'slos/stack.yaml')).code).toBe(2);
  });
});
