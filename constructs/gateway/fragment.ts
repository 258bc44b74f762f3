import { isDeepStrictEqual } from 'node:util';
import type { EgressAllowance } from '../../src/model/platforms/profile.ts';
import type { Peer } from '../network-policy.ts';
import { collectorService, HEALTH_CHECK, MEMORY_LIMITER, type Pipeline } from '../otel-collector.ts';
import type { ClusterRoleRule } from '../workload.ts';
import { queued } from './queues.ts';

/**
 * One optional feature of the gateway, as a piece of collector config plus what the gateway's
 * workload needs for it. {@link composeGateway} merges fragments into one config; a fragment never
 * sees the others, it only names the components it connects to (given to it as inputs).
 */
export interface GatewayFragment {
  /** Names the fragment in composition errors. */
  readonly name: string;
  readonly extensions?: Readonly<Record<string, object>>;
  readonly receivers?: Readonly<Record<string, object>>;
  /** `memory_limiter` is the composition's: no fragment defines or lists it. */
  readonly processors?: Readonly<Record<string, object>>;
  readonly connectors?: Readonly<Record<string, object>>;
  /** Without queue settings: the composition sizes one queue per exporter across all of them. */
  readonly exporters?: Readonly<Record<string, object>>;
  readonly pipelines?: Readonly<Record<string, Pipeline>>;
  /**
   * This fragment's pipelines are written before every other fragment's (otherwise pipelines are
   * grouped by signal). The collector does not care about the order; readers and stable output do.
   * @default false
   */
  readonly leadingPipelines?: boolean;
  /** Container ports reached from outside the gateway's own replicas. */
  readonly ports?: readonly NamedPort[];
  /** Ports of the sharded tiers, behind the headless Service, reached by the gateway's own replicas. */
  readonly shardPorts?: readonly NamedPort[];
  /** Services beyond the gateway's ClusterIP and headless ones (a LoadBalancer for other clusters). */
  readonly services?: readonly GatewayServiceNeed[];
  /** User-owned Secrets mounted read-only. */
  readonly secretMounts?: readonly SecretMount[];
  /** User-owned Secrets the workload reads, for the external-secrets annotation, in its order. */
  readonly externalSecrets?: readonly string[];
  /** Kubernetes API access (read-only); any rule also opens the flow to the API server. */
  readonly rbac?: readonly ClusterRoleRule[];
  /** Connections into the gateway. */
  readonly ingress?: readonly { readonly from: Peer; readonly ports: readonly number[]; readonly why: string }[];
  /** Connections from the gateway. */
  readonly egress?: readonly { readonly to: Peer; readonly ports: readonly number[]; readonly why: string }[];
  /** Platform endpoints the gateway reaches with strict egress (instance metadata). */
  readonly egressAllowances?: readonly EgressAllowance[];
}

export interface NamedPort {
  readonly name: string;
  readonly port: number;
}

export interface SecretMount {
  readonly volume: string;
  readonly secretName: string;
  readonly mountPath: string;
}

/** A Service of type LoadBalancer selecting the gateway's pods. */
export interface GatewayServiceNeed {
  readonly name: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ports: readonly { readonly name: string; readonly port: number; readonly targetPort: string }[];
}

/** The gateway's collector config and its workload's needs, merged from the fragments. */
export interface GatewayComposition {
  readonly config: object;
  readonly ports: NamedPort[];
  readonly shardPorts: NamedPort[];
  readonly services: GatewayServiceNeed[];
  readonly secretMounts: SecretMount[];
  readonly externalSecrets: string[];
  readonly rbac: ClusterRoleRule[];
  readonly ingress: NonNullable<GatewayFragment['ingress']>[number][];
  readonly egress: NonNullable<GatewayFragment['egress']>[number][];
  readonly egressAllowances: EgressAllowance[];
}

const SECTIONS = ['extensions', 'receivers', 'processors', 'connectors', 'exporters'] as const;
type Section = (typeof SECTIONS)[number];
const SIGNAL_ORDER = ['traces', 'metrics', 'logs', 'profiles'];

/** What the composition itself puts in every gateway: the probes' endpoint and the memory limiter. */
const BUILT_IN: Readonly<Partial<Record<Section, Record<string, object>>>> = {
  extensions: { health_check: HEALTH_CHECK },
  processors: { memory_limiter: MEMORY_LIMITER },
};

/**
 * Merges fragments into the gateway's collector config (sections and components in fragment
 * order; every pipeline starts with `memory_limiter`; every exporter gets a share of the queue
 * memory of a collector limited to `memoryLimitMiB`) and the workload needs they declare. Refuses
 * what would be a broken or a dead config: one component id with two different settings, a
 * pipeline naming a component nobody defines, a component no pipeline uses, a connector that is
 * not both the end of one pipeline and the start of another, a pipeline id defined twice.
 */
export function composeGateway(fragments: readonly GatewayFragment[], options: { readonly memoryLimitMiB: number }): GatewayComposition {
  const sections = Object.fromEntries(SECTIONS.map((s) => [s, { ...BUILT_IN[s] }])) as Record<Section, Record<string, object>>;
  const definedBy = new Map<string, string>();
  for (const f of fragments) {
    for (const section of SECTIONS) {
      for (const [id, settings] of Object.entries(f[section] ?? {})) {
        const existing = sections[section][id];
        if (existing === undefined) {
          sections[section][id] = settings;
          definedBy.set(`${section}/${id}`, f.name);
        } else if (!isDeepStrictEqual(existing, settings)) {
          throw new Error(`gateway fragment "${f.name}" defines ${section} "${id}" differently from ${definedBy.get(`${section}/${id}`) ?? 'the composition'}`);
        }
      }
    }
  }

  const pipelines = orderedPipelines(fragments);
  checkWiring(sections, pipelines);

  return {
    config: {
      extensions: sections.extensions,
      receivers: sections.receivers,
      processors: sections.processors,
      ...(Object.keys(sections.connectors).length ? { connectors: sections.connectors } : {}),
      exporters: queued(sections.exporters, options.memoryLimitMiB),
      service: collectorService(Object.keys(sections.extensions), Object.fromEntries(pipelines)),
    },
    ports: named(union(fragments, (f) => f.ports), (p) => p.name, 'container port'),
    shardPorts: named(union(fragments, (f) => f.shardPorts), (p) => p.name, 'container port'),
    services: named(union(fragments, (f) => f.services), (s) => s.name, 'Service'),
    secretMounts: named(union(fragments, (f) => f.secretMounts), (m) => m.volume, 'volume'),
    externalSecrets: union(fragments, (f) => f.externalSecrets),
    rbac: union(fragments, (f) => f.rbac),
    ingress: union(fragments, (f) => f.ingress),
    egress: union(fragments, (f) => f.egress),
    egressAllowances: union(fragments, (f) => f.egressAllowances),
  };
}

/** Pipelines of leading fragments first, then by signal; within each, in fragment order. */
function orderedPipelines(fragments: readonly GatewayFragment[]): [string, Pipeline][] {
  const owner = new Map<string, string>();
  const entries = fragments.flatMap((f) =>
    Object.entries(f.pipelines ?? {}).map(([id, pipeline]) => {
      const previous = owner.get(id);
      if (previous !== undefined) throw new Error(`gateway fragments "${previous}" and "${f.name}" both define pipeline "${id}"`);
      owner.set(id, f.name);
      if ((pipeline.processors ?? []).includes('memory_limiter')) throw new Error(`gateway fragment "${f.name}": pipeline "${id}" lists memory_limiter, which the composition puts first in every pipeline`);
      return { id, pipeline, rank: f.leadingPipelines ? -1 : SIGNAL_ORDER.indexOf(id.split('/')[0]!) };
    }),
  );
  // Array.prototype.sort is stable: fragment order is kept within a rank.
  return entries.sort((a, b) => a.rank - b.rank).map((e) => [e.id, e.pipeline]);
}

/** The collector refuses a pipeline naming an undefined component and a connector used on one side only; unused components are dead config. */
function checkWiring(sections: Record<Section, Record<string, object>>, pipelines: readonly [string, Pipeline][]): void {
  const has = (section: Section, id: string) => Object.hasOwn(sections[section], id);
  const used = { receivers: new Set<string>(), processors: new Set<string>(['memory_limiter']), exporters: new Set<string>() };
  for (const [id, p] of pipelines) {
    for (const r of p.receivers) if (!has('receivers', r) && !has('connectors', r)) throw new Error(`gateway pipeline "${id}" receives from "${r}", which no fragment defines`);
    for (const x of p.processors ?? []) if (!has('processors', x)) throw new Error(`gateway pipeline "${id}" names processor "${x}", which no fragment defines`);
    for (const e of p.exporters) if (!has('exporters', e) && !has('connectors', e)) throw new Error(`gateway pipeline "${id}" exports to "${e}", which no fragment defines`);
    p.receivers.forEach((r) => used.receivers.add(r));
    (p.processors ?? []).forEach((x) => used.processors.add(x));
    p.exporters.forEach((e) => used.exporters.add(e));
  }
  for (const section of ['receivers', 'processors', 'exporters'] as const) {
    for (const id of Object.keys(sections[section])) if (!used[section].has(id)) throw new Error(`gateway ${section.slice(0, -1)} "${id}" is used by no pipeline`);
  }
  for (const id of Object.keys(sections.connectors)) {
    if (!used.exporters.has(id) || !used.receivers.has(id)) throw new Error(`gateway connector "${id}" must end one pipeline and start another`);
  }
}

/** The fragments' contributions of one kind, in fragment order, each distinct one once. */
function union<T>(fragments: readonly GatewayFragment[], pick: (f: GatewayFragment) => readonly T[] | undefined): T[] {
  const out: T[] = [];
  for (const f of fragments) for (const item of pick(f) ?? []) if (!out.some((o) => isDeepStrictEqual(o, item))) out.push(item);
  return out;
}

/** Workload needs with one name and two meanings would clash in the pod spec: refused. */
function named<T>(items: T[], name: (item: T) => string, what: string): T[] {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(name(item))) throw new Error(`gateway fragments need ${what} "${name(item)}" with different settings`);
    seen.add(name(item));
  }
  return items;
}
