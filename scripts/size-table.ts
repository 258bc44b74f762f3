/**
 * Prints the README's table of what each `size` asks of a cluster (`npx tsx scripts/size-table.ts`);
 * test/overrides-sizes.test.ts checks the README against it and it against synthesized manifests.
 */
import { cpuMillis, memoryMiB } from '../src/config/quantity.ts';
import { footprint, SIZE_PRESETS } from '../src/config/sizes.ts';
import { SIZES } from '../src/model/types.ts';

/** The default replicas that the footprint counts: the gateway runs two. */
export const FOOTPRINT_REPLICAS = { otelGateway: 2 } as const;

export function sizeTable(): string {
  const cores = (m: number) => `${m / 1000}`;
  const gib = (mib: number) => `${Math.round((mib / 1024) * 100) / 100} GiB`;
  const rows = SIZES.map((size) => {
    const f = footprint(size, FOOTPRINT_REPLICAS, cpuMillis, memoryMiB);
    const p = SIZE_PRESETS[size];
    return `| ${size} | ${p.intent} | ${cores(f.cpuRequest)} / ${cores(f.cpuLimit)} | ${gib(f.memoryRequestMiB)} / ${gib(f.memoryLimitMiB)} | ${f.agent.cpu.request} / ${f.agent.cpu.limit}, ${f.agent.memory.request} / ${f.agent.memory.limit}; ${f.nodeExporter.cpu.request} / ${f.nodeExporter.cpu.limit}, ${f.nodeExporter.memory.request} / ${f.nodeExporter.memory.limit} | ${p.prometheus.retention} / ${p.prometheus.storage} | ${p.loki.retention} / ${p.loki.storage} | ${p.tempo.retention} / ${p.tempo.storage} |`;
  });
  return [
    '| size | for | CPU cores, requests / limits | memory, requests / limits | per node: agent; node-exporter | Prometheus retention / volume | Loki | Tempo |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${sizeTable()}\n`);
