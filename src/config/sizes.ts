import type { ComputeResources, Size } from '../model/types.ts';
import { WORKLOADS, type Workload } from './workloads.ts';

/** Retention and volume size of a backend that keeps data. */
export interface Keeping {
  readonly retention: string;
  readonly storage: string;
}

/**
 * Loki's ingestion limits for its one tenant (`auth_enabled: false`). Past them Loki refuses whole
 * pushes (429): the collector retries and the logs back up. Its defaults, 5000 active streams and
 * 4 MiB/s, hold a small cluster only.
 */
export interface LokiLimits {
  /** Active streams (`max_global_streams_per_user`): about one per container and one per instrumented pod's service. */
  readonly maxStreams: number;
  /** Ingestion rate in MiB/s (`ingestion_rate_mb`); the burst is 1.5 times that, as in Loki's defaults. */
  readonly ingestionMiBps: number;
}

/** What one `size` sets: every workload's resources, retention and storage of Prometheus, Loki and Tempo, and Loki's limits. */
export interface SizePreset {
  /** What the preset is for, in the README's words. */
  readonly intent: string;
  readonly resources: Readonly<Record<Workload, ComputeResources>>;
  readonly prometheus: Keeping;
  readonly loki: Keeping;
  readonly tempo: Keeping;
  readonly lokiLimits: LokiLimits;
}

const r = (cpuRequest: string, cpuLimit: string, memoryRequest: string, memoryLimit: string): ComputeResources => ({
  cpu: { request: cpuRequest, limit: cpuLimit },
  memory: { request: memoryRequest, limit: memoryLimit },
});

/**
 * The presets. `medium` is what the stack shipped before sizes existed (the default, byte for
 * byte), Loki's limits apart. Prometheus keeps 30 days in every size: SLO periods are up to 30
 * days and synth refuses a shorter retention. Collector memory limits stay at or above
 * {@link COLLECTOR_MIN_MEMORY_MIB}. The global vmselect merges what the backends' vmselects have
 * already merged: it asks what one of them does. Loki's limits allow about 200 active streams per node of the
 * size's node count (a replaced pod's streams stay active until flushed) and 1/8 to 1/6 MiB/s of
 * logs per node; small keeps Loki's defaults.
 */
export const SIZE_PRESETS: Readonly<Record<Size, SizePreset>> = {
  small: {
    intent: 'a development or edge cluster: up to ~10 nodes, ~100k active series',
    resources: {
      prometheus: r('200m', '1', '1Gi', '2Gi'),
      alertmanager: r('25m', '100m', '32Mi', '128Mi'),
      grafana: r('50m', '250m', '128Mi', '256Mi'),
      loki: r('100m', '500m', '512Mi', '1Gi'),
      tempo: r('100m', '500m', '512Mi', '1Gi'),
      otelAgent: r('50m', '250m', '128Mi', '256Mi'),
      otelGateway: r('100m', '500m', '256Mi', '512Mi'),
      otelScraper: r('100m', '500m', '256Mi', '512Mi'),
      kubeStateMetrics: r('25m', '250m', '64Mi', '256Mi'),
      nodeExporter: r('25m', '200m', '48Mi', '128Mi'),
      controller: r('25m', '250m', '128Mi', '256Mi'),
      vmstorage: r('100m', '1', '512Mi', '1Gi'),
      vminsert: r('50m', '500m', '128Mi', '256Mi'),
      vmselect: r('50m', '500m', '256Mi', '512Mi'),
      vmselectGlobal: r('50m', '500m', '256Mi', '512Mi'),
      vmagent: r('50m', '500m', '128Mi', '256Mi'),
      vmalert: r('25m', '250m', '64Mi', '128Mi'),
    },
    prometheus: { retention: '30d', storage: '20Gi' },
    loki: { retention: '336h', storage: '10Gi' },
    tempo: { retention: '168h', storage: '10Gi' },
    lokiLimits: { maxStreams: 5000, ingestionMiBps: 4 },
  },
  medium: {
    intent: 'a production cluster: up to ~100 nodes, ~350k active series (the default)',
    resources: {
      prometheus: r('500m', '2', '2Gi', '4Gi'),
      alertmanager: r('50m', '200m', '64Mi', '256Mi'),
      grafana: r('100m', '500m', '256Mi', '512Mi'),
      loki: r('250m', '1', '1Gi', '2Gi'),
      tempo: r('250m', '1', '1Gi', '2Gi'),
      otelAgent: r('100m', '500m', '256Mi', '512Mi'),
      otelGateway: r('200m', '1', '512Mi', '1024Mi'),
      otelScraper: r('200m', '1', '512Mi', '1024Mi'),
      kubeStateMetrics: r('50m', '500m', '128Mi', '512Mi'),
      nodeExporter: r('50m', '250m', '64Mi', '180Mi'),
      controller: r('50m', '500m', '128Mi', '256Mi'),
      vmstorage: r('250m', '2', '1Gi', '4Gi'),
      vminsert: r('100m', '1', '256Mi', '512Mi'),
      vmselect: r('100m', '1', '512Mi', '1Gi'),
      vmselectGlobal: r('100m', '1', '512Mi', '1Gi'),
      vmagent: r('100m', '1', '256Mi', '512Mi'),
      vmalert: r('50m', '500m', '128Mi', '256Mi'),
    },
    prometheus: { retention: '30d', storage: '50Gi' },
    loki: { retention: '744h', storage: '20Gi' },
    tempo: { retention: '336h', storage: '20Gi' },
    lokiLimits: { maxStreams: 20000, ingestionMiBps: 16 },
  },
  large: {
    intent: 'a large production cluster: up to ~500 nodes, ~1.4M active series',
    resources: {
      prometheus: r('2', '4', '8Gi', '16Gi'),
      alertmanager: r('100m', '500m', '128Mi', '512Mi'),
      grafana: r('250m', '1', '512Mi', '1Gi'),
      loki: r('1', '4', '4Gi', '8Gi'),
      tempo: r('1', '4', '4Gi', '8Gi'),
      otelAgent: r('200m', '1', '512Mi', '1Gi'),
      otelGateway: r('1', '2', '2Gi', '4Gi'),
      otelScraper: r('500m', '2', '1Gi', '2Gi'),
      kubeStateMetrics: r('200m', '1', '512Mi', '2Gi'),
      nodeExporter: r('100m', '500m', '128Mi', '256Mi'),
      controller: r('100m', '1', '256Mi', '512Mi'),
      vmstorage: r('1', '4', '4Gi', '16Gi'),
      vminsert: r('500m', '2', '512Mi', '1Gi'),
      vmselect: r('500m', '4', '2Gi', '8Gi'),
      vmselectGlobal: r('500m', '4', '2Gi', '8Gi'),
      vmagent: r('500m', '2', '1Gi', '2Gi'),
      vmalert: r('100m', '1', '256Mi', '512Mi'),
    },
    prometheus: { retention: '30d', storage: '200Gi' },
    loki: { retention: '744h', storage: '100Gi' },
    tempo: { retention: '336h', storage: '100Gi' },
    lokiLimits: { maxStreams: 100000, ingestionMiBps: 64 },
  },
};

/** The size of a config that names none. */
export const DEFAULT_SIZE: Size = 'medium';

/**
 * A collector's memory limit must hold its exporter queues (one 16384-item batch each, in half the
 * limit: 32 MiB per queue) besides the collector itself; the gateway holds several queues.
 */
export const COLLECTOR_MIN_MEMORY_MIB: Readonly<Partial<Record<Workload, number>>> = { otelAgent: 128, otelScraper: 128, otelGateway: 512 };

/**
 * Fills what the schema leaves to the size (retention and storage of Prometheus, Loki and Tempo)
 * and reads `collector.agent: true | false` as `{ enabled }`; the schema-valid config is changed in place.
 */
export function applySize(config: { size: Size; components: Record<string, unknown> }): void {
  const preset = SIZE_PRESETS[config.size];
  for (const backend of ['prometheus', 'loki', 'tempo'] as const) {
    const section = config.components[backend] as { retention?: string; storage?: string };
    section.retention ??= preset[backend].retention;
    section.storage ??= preset[backend].storage;
  }
  const collector = config.components.collector as { agent: boolean | { enabled?: boolean } };
  collector.agent = typeof collector.agent === 'boolean' ? { enabled: collector.agent } : { ...collector.agent, enabled: collector.agent.enabled ?? true };
}

/** What a size asks of one cluster, in millicores and MiB: the stack's pods, one node agent, and the volumes. */
export interface Footprint {
  readonly cpuRequest: number;
  readonly cpuLimit: number;
  readonly memoryRequestMiB: number;
  readonly memoryLimitMiB: number;
  /** Per node: the collector agent and node-exporter. */
  readonly agent: ComputeResources;
  readonly nodeExporter: ComputeResources;
  readonly storageGiB: number;
}

/**
 * The footprint of a single cluster that runs everything (roles backend and grafana), with
 * `replicas` per workload (1 where not given); the node agents and node-exporter are per node, apart.
 */
export function footprint(size: Size, replicas: Partial<Record<Workload, number>>, cpuMillis: (q: string) => number, memoryMiB: (q: string) => number): Footprint {
  const preset = SIZE_PRESETS[size];
  const pods = (Object.entries(preset.resources) as [Workload, ComputeResources][]).filter(([w]) => w !== 'otelAgent' && w !== 'otelScraper' && w !== 'nodeExporter' && WORKLOADS[w].runsIn !== 'victoriametrics' && WORKLOADS[w].runsIn !== 'globalSelect');
  const sum = (f: (r: ComputeResources) => number) => pods.reduce((total, [w, r]) => total + f(r) * (replicas[w] ?? 1), 0);
  return {
    cpuRequest: sum((r) => cpuMillis(r.cpu.request)),
    cpuLimit: sum((r) => cpuMillis(r.cpu.limit)),
    memoryRequestMiB: sum((r) => memoryMiB(r.memory.request)),
    memoryLimitMiB: sum((r) => memoryMiB(r.memory.limit)),
    agent: preset.resources.otelAgent,
    nodeExporter: preset.resources.nodeExporter,
    storageGiB: [preset.prometheus, preset.loki, preset.tempo].reduce((total, k) => total + memoryMiB(k.storage) / 1024, 0),
  };
}
