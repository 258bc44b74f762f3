import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.ts';
import { parseConfig } from '../src/config/load.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { writeDerivedConfig } from './support/config-file.ts';

// Where pods may run: the node agents on every node, tainted pools included; nothing on Windows.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'o11y-scheduling-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function agentPodSpec(configText: string): { tolerations?: object[]; nodeSelector?: Record<string, string> } {
  const dir = join(work, `c${Math.random().toString(36).slice(2)}`);
  const configFile = writeDerivedConfig(`${dir}-config`, configText);
  synthesize({ configFile, outDir: dir });
  const agent = loadManifestDir(join(dir, 'local')).find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'otel-agent')!;
  return (agent.spec as { template: { spec: { tolerations?: object[]; nodeSelector?: Record<string, string> } } }).template.spec;
}

describe('the node agent', () => {
  it('tolerates every taint by default (GPU, dedicated, infra and control-plane pools get logs and kubelet metrics too)', () => {
    const spec = agentPodSpec(DEFAULT);
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
  });

  it('tolerates exactly what collector.agentTolerations lists', () => {
    const only = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];
    const text = DEFAULT.replace('collector:    { agent: true,', `collector:    { agentTolerations: ${JSON.stringify(only)}, agent: true,`);
    expect(agentPodSpec(text).tolerations).toEqual(only);
  });

  it('refuses a toleration the API would reject, naming the key path', () => {
    const text = DEFAULT.replace('collector:    { agent: true,', 'collector:    { agentTolerations: [{ operator: Maybe }], agent: true,');
    expect(() => parseConfig(text, 'o11y.yaml')).toThrow(InputError);
    expect(() => parseConfig(text, 'o11y.yaml')).toThrow(/o11y\.yaml:\d+:\d+.*components\.collector\.agentTolerations\[0\]\.operator.*Exists, Equal/s);
  });
});
