import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FOOTPRINT_REPLICAS, sizeTable } from '../scripts/size-table.ts';
import { cpuMillis, memoryMiB } from '../src/config/quantity.ts';
import { footprint, SIZE_PRESETS } from '../src/config/sizes.ts';
import { SIZES } from '../src/model/types.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { podTemplates, type K8sObject } from './support/manifest-checks.ts';
import { readTree, treeDifferences } from './support/tree.ts';

// Sizes: medium is the stack as it shipped (the default dist, byte for byte); each size's
// footprint in the README is what its synthesized manifests ask for.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-sizes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const DEFAULT = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8');

function synth(name: string, text: string): string {
  // Beside o11y.yaml, so that its SLO globs resolve the same way.
  const file = join(ROOT, `.sizes-${name}-${process.pid}.yaml`);
  writeFileSync(file, text);
  try {
    const out = join(work, name);
    synthesize({ configFile: file, outDir: out });
    return out;
  } finally {
    rmSync(file, { force: true });
  }
}

/** Requests and limits of the long-running pods, replicas counted; DaemonSet pods apart (per node). */
function asked(objs: K8sObject[]) {
  const total = { cpuRequest: 0, cpuLimit: 0, memoryRequestMiB: 0, memoryLimitMiB: 0 };
  const perNode: unknown[] = [];
  for (const t of podTemplates(objs).filter((p) => p.longRunning)) {
    for (const c of t.spec.containers as { resources: { requests: Record<string, string>; limits: Record<string, string> } }[]) {
      if (t.owner.kind === 'DaemonSet') {
        perNode.push(c.resources);
        continue;
      }
      const replicas = (t.owner.spec as { replicas?: number }).replicas ?? 1;
      total.cpuRequest += cpuMillis(c.resources.requests.cpu!) * replicas;
      total.cpuLimit += cpuMillis(c.resources.limits.cpu!) * replicas;
      total.memoryRequestMiB += memoryMiB(c.resources.requests.memory!) * replicas;
      total.memoryLimitMiB += memoryMiB(c.resources.limits.memory!) * replicas;
    }
  }
  return { total, perNode };
}

describe('sizes', () => {
  it('size: medium is the default, and synthesizes exactly the committed dist/', () => {
    const explicit = synth('medium', DEFAULT.replace('architectures:', 'size: medium\narchitectures:'));
    expect(treeDifferences(readTree(join(ROOT, 'dist')), readTree(explicit))).toEqual([]);
  });

  it.each(SIZES)('%s: the manifests ask for the footprint the README states', (size) => {
    const out = synth(size, DEFAULT.replace('architectures:', `size: ${size}\narchitectures:`));
    const objs = loadManifestDir(join(out, 'local'));
    const f = footprint(size, FOOTPRINT_REPLICAS, cpuMillis, memoryMiB);
    const { total, perNode } = asked(objs);
    expect(total).toEqual({ cpuRequest: f.cpuRequest, cpuLimit: f.cpuLimit, memoryRequestMiB: f.memoryRequestMiB, memoryLimitMiB: f.memoryLimitMiB });
    const asResources = (r: (typeof SIZE_PRESETS)[typeof size]['resources']['otelAgent']) => ({ requests: { cpu: r.cpu.request, memory: r.memory.request }, limits: { cpu: r.cpu.limit, memory: r.memory.limit } });
    const { otelAgent, nodeExporter } = SIZE_PRESETS[size].resources;
    expect(perNode).toEqual(expect.arrayContaining([asResources(otelAgent), asResources(nodeExporter)]));
    expect(perNode).toHaveLength(2);
  });

  it('a size with nothing else set gives the backends its retention and volumes', () => {
    const text = DEFAULT.replace(/^ {2}(prometheus|tempo|loki):.*\n/gm, '').replace('architectures:', 'size: small\narchitectures:');
    const objs = loadManifestDir(join(synth('small-bare', text), 'local'));
    const volume = (name: string) => ((objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name)!.spec as any).volumeClaimTemplates[0].spec.resources.requests.storage as string);
    expect([volume('prometheus'), volume('loki'), volume('tempo')]).toEqual([SIZE_PRESETS.small.prometheus.storage, SIZE_PRESETS.small.loki.storage, SIZE_PRESETS.small.tempo.storage]);
    const args = (name: string) => JSON.stringify(objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name));
    expect(args('prometheus')).toContain(`--storage.tsdb.retention.time=${SIZE_PRESETS.small.prometheus.retention}`);
  });

  it('explicit per-component values win over the size', () => {
    const text = DEFAULT.replace('architectures:', 'size: large\narchitectures:').replace('  grafana:      { adminSecret: grafana-admin }', '  grafana:      { adminSecret: grafana-admin, resources: { limits: { memory: 3Gi } } }');
    const objs = loadManifestDir(join(synth('large-override', text), 'local'));
    const grafana = podTemplates(objs).find((t) => t.owner.metadata.name === 'grafana')!;
    const large = SIZE_PRESETS.large.resources.grafana;
    expect((grafana.spec.containers[0] as { resources: unknown }).resources).toEqual({ requests: { cpu: large.cpu.request, memory: large.memory.request }, limits: { cpu: large.cpu.limit, memory: '3Gi' } });
  });

  it('the README states each size\'s footprint as scripts/size-table.ts prints it', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(sizeTable());
  });
});
