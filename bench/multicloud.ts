import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLOUDS, type Cloud } from '../src/model/types.ts';
import { coldSynthSeconds } from './synth.ts';
import type { BenchResult } from './types.ts';

const SIZES = [10, 25, 50];
const RUNS = 3;

/** Object storage per cloud for its backend cluster (on-prem: MinIO). */
const STORAGE: Record<Cloud, object> = {
  aws: { type: 's3', traces: 'bench-traces', logs: 'bench-logs' },
  alibaba: { type: 'oss', traces: 'bench-traces', logs: 'bench-logs', credentialsSecret: 'oss-keys' },
  azure: { type: 'azure', storageAccount: 'benchacct', traces: 'traces', logs: 'logs' },
  gcp: { type: 'gcs', traces: 'bench-traces', logs: 'bench-logs' },
  onprem: { type: 's3', traces: 'bench-traces', logs: 'bench-logs', endpoint: 'minio.storage:9000', insecure: true, credentialsSecret: 'minio-keys' },
};

/** `size` clusters spread evenly over the five clouds; the first of each cloud is its backend, the first of all holds Grafana. */
export function stackConfig(size: number): object {
  const perCloud = size / CLOUDS.length;
  const clusters = CLOUDS.flatMap((cloud) =>
    Array.from({ length: perCloud }, (_, i) => {
      const name = `${cloud}-${String(i).padStart(2, '0')}`;
      const backend = i === 0;
      return {
        name,
        cloud,
        region: `${cloud}-r${i % 3}`,
        ...(cloud === 'onprem' ? { storageClass: 'local-path' } : {}),
        ...(backend
          ? {
              roles: cloud === 'aws' ? ['backend', 'grafana'] : ['backend'],
              otlpEndpoint: `otlp.${name}.example.com:4317`,
              ...(cloud === 'aws' ? {} : { query: { prometheus: `https://p.${name}.example.com`, loki: `https://l.${name}.example.com`, tempo: `https://t.${name}.example.com` } }),
              objectStorage: STORAGE[cloud],
            }
          : {}),
      };
    }),
  );
  return {
    clusters,
    routing: { default: 'onprem', routes: [{ tenant: 'payments', cloud: 'aws' }, { namespace: 'china-apps', cloud: 'alibaba' }] },
    scale: { loadBalancing: true, tailSampling: { enabled: true } },
    cardinality: { urlTemplates: [{ pattern: '/users/\\d+', template: '/users/{id}' }], dropAttributes: ['user.email'] },
  };
}

export async function run(): Promise<BenchResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'o11y-bench-multicloud-'));
  try {
    const results: BenchResult[] = [];
    const times = new Map<number, number>();
    for (const size of SIZES) {
      const file = join(work, `o11y-${size}.yaml`);
      writeFileSync(file, stringify(stackConfig(size)));
      const out = join(work, `dist-${size}`);
      const ms = coldSynthSeconds(file, out, RUNS) * 1000;
      times.set(size, ms);
      const folders = readdirSync(out).length;
      results.push({
        name: `cold \`cdk8s synth\`, ${size} clusters on 5 clouds`,
        value: ms / 1000,
        unit: 's',
        ...(size === 50 ? { target: '< 10 s' } : {}),
        note: `${folders} cluster folders; 5 backends, 1 Grafana, routing + tail sampling; median of ${RUNS}`,
      });
    }
    // Linear growth: the marginal cost per cluster between sizes should stay about the same.
    const perCluster = (a: number, b: number) => (times.get(b)! - times.get(a)!) / (b - a);
    results.push(
      { name: 'marginal time per cluster, 10 → 25', value: perCluster(10, 25), unit: 'ms' },
      { name: 'marginal time per cluster, 25 → 50', value: perCluster(25, 50), unit: 'ms', note: 'about equal to 10 → 25 means linear growth' },
    );
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
