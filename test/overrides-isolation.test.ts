import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IMAGES } from '../src/model/images.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { WORKLOAD_NAMES, WORKLOADS, type Workload } from '../src/config/workloads.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { architectureViolations, podTemplates, ref, stackExpectations, STACK_CHECKS, type K8sObject } from './support/manifest-checks.ts';

// Every per-component override lands on exactly the workload it names, in the cluster it names, and
// nowhere else; the example that uses every key passes every foundation check.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-overrides-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Two clusters: `hub` (backend and Grafana) runs every workload but the scraper, which runs in `edge`. */
const BASE = `architectures: [amd64, arm64]
clusters:
  - name: hub
    cloud: aws
    region: eu-west-1
    roles: [backend, grafana]
    otlpEndpoint: otlp.hub.example.com:4317
__HUB__
  - name: edge
    cloud: aws
    region: eu-central-1
__EDGE__
`;

/** The workload object of each workload, `Kind name`, and the cluster its override goes to. */
const TARGET: Record<Workload, { object: string; cluster: 'hub' | 'edge' }> = {
  prometheus: { object: 'StatefulSet prometheus', cluster: 'hub' },
  alertmanager: { object: 'StatefulSet alertmanager', cluster: 'hub' },
  loki: { object: 'StatefulSet loki', cluster: 'hub' },
  tempo: { object: 'StatefulSet tempo', cluster: 'hub' },
  controller: { object: 'Deployment o11y-controller', cluster: 'hub' },
  grafana: { object: 'Deployment grafana', cluster: 'hub' },
  kubeStateMetrics: { object: 'Deployment kube-state-metrics', cluster: 'hub' },
  otelGateway: { object: 'Deployment otel-gateway', cluster: 'hub' },
  otelAgent: { object: 'DaemonSet otel-agent', cluster: 'edge' },
  otelScraper: { object: 'Deployment otel-scraper', cluster: 'edge' },
  nodeExporter: { object: 'DaemonSet node-exporter', cluster: 'edge' },
  // In the hub switched to the victoriametrics-cluster metrics mode (baseline and override alike).
  vmstorage: { object: 'StatefulSet vmstorage', cluster: 'hub' },
  vminsert: { object: 'Deployment vminsert', cluster: 'hub' },
  vmselect: { object: 'Deployment vmselect', cluster: 'hub' },
  vmagent: { object: 'Deployment vmagent', cluster: 'hub' },
  vmalert: { object: 'Deployment vmalert', cluster: 'hub' },
  // The hub holds Grafana: with globalSelect on (baseline and override alike), it runs the global vmselect.
  vmselectGlobal: { object: 'Deployment vmselect-global', cluster: 'hub' },
};
const VM_HUB = '    metrics: { mode: victoriametrics-cluster }\n';
const GLOBAL_SELECT = 'components:\n  victoriametrics:\n    globalSelect: true\n';
const withGlobalSelect = (w: Workload) => WORKLOADS[w].runsIn === 'globalSelect';
const inVmHub = (w: Workload) => WORKLOADS[w].runsIn === 'victoriametrics' || withGlobalSelect(w);

/** Every override key but resources (which also size the collectors' queues, in their ConfigMaps: tested below). */
function overrideYaml(workload: Workload, indent: string): string {
  const keys = WORKLOADS[workload].keys;
  const lines = [`components:`];
  keys.forEach((k, i) => lines.push(`${'  '.repeat(i + 1)}${k}:`));
  const pad = '  '.repeat(keys.length + 1);
  lines.push(
    `${pad}nodeSelector: { probe: ${workload.toLowerCase()} }`,
    `${pad}tolerations: [{ key: probe, operator: Exists, effect: NoSchedule }]`,
    `${pad}affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: probe-zone, operator: In, values: [a] }] }] } } }`,
    `${pad}priorityClassName: probe-priority`,
    `${pad}podAnnotations: { probe/annotation: "yes" }`,
    `${pad}podLabels: { probe: label }`,
    `${pad}extraArgs: [--probe-flag]`,
    `${pad}extraEnv: [{ name: PROBE, value: "1" }, { name: PROBE_TOKEN, valueFrom: { secretKeyRef: { name: probe-secret, key: token } } }]`,
  );
  return lines.map((l) => `${indent}${l}`).join('\n');
}

function synth(name: string, text: string): Record<string, K8sObject[]> {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, text);
  const out = join(work, name);
  synthesize({ configFile: file, outDir: out });
  return { hub: loadManifestDir(join(out, 'hub')), edge: loadManifestDir(join(out, 'edge')) };
}

const byRef = (objs: K8sObject[]) => new Map(objs.map((o) => [ref(o), o]));
const kindName = (o: K8sObject) => `${o.kind} ${o.metadata.name}`;

let prometheusBaseline: Record<string, K8sObject[]>;
let vmBaseline: Record<string, K8sObject[]>;
let globalSelectBaseline: Record<string, K8sObject[]>;
beforeAll(() => {
  prometheusBaseline = synth('baseline', BASE.replace('__HUB__\n', '').replace('__EDGE__\n', ''));
  vmBaseline = synth('baseline-vm', BASE.replace('__HUB__\n', VM_HUB).replace('__EDGE__\n', ''));
  globalSelectBaseline = synth('baseline-global-select', BASE.replace('__HUB__\n', VM_HUB).replace('__EDGE__\n', '') + GLOBAL_SELECT);
});

describe.each(WORKLOAD_NAMES)('an override of %s', (workload) => {
  const target = TARGET[workload];
  let changed: Record<string, K8sObject[]>;
  let baseline: Record<string, K8sObject[]>;
  beforeAll(() => {
    baseline = withGlobalSelect(workload) ? globalSelectBaseline : inVmHub(workload) ? vmBaseline : prometheusBaseline;
    const hub = (inVmHub(workload) ? VM_HUB : '') + (target.cluster === 'hub' ? `${overrideYaml(workload, '    ')}\n` : '');
    const edge = target.cluster === 'edge' ? `${overrideYaml(workload, '    ')}\n` : '';
    changed = synth(workload, BASE.replace('__HUB__\n', hub).replace('__EDGE__\n', edge) + (withGlobalSelect(workload) ? GLOBAL_SELECT : ''));
  });

  it(`changes only ${target.object} in cluster ${target.cluster}, and in it only the overridden fields`, () => {
    const differing: string[] = [];
    for (const cluster of ['hub', 'edge']) {
      const before = byRef(baseline[cluster]!);
      const after = byRef(changed[cluster]!);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [key, o] of after) if (JSON.stringify(o) !== JSON.stringify(before.get(key))) differing.push(`${cluster}: ${kindName(o)}`);
    }
    expect(differing).toEqual([`${target.cluster}: ${target.object}`]);

    const find = (objs: K8sObject[]) => podTemplates(objs).find((t) => kindName(t.owner) === target.object)!;
    const was = find(baseline[target.cluster]!);
    const now = find(changed[target.cluster]!);
    const spec = now.spec as Record<string, any>;
    const old = was.spec as Record<string, any>;
    expect(spec.nodeSelector).toEqual({ ...old.nodeSelector, probe: workload.toLowerCase() });
    expect(spec.tolerations).toEqual([...(old.tolerations ?? []), { key: 'probe', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(spec.priorityClassName).toBe('probe-priority');
    // The architecture requirement stays, in the same term as the user's expression.
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }, { key: 'probe-zone', operator: 'In', values: ['a'] }] },
    ]);
    expect(now.labels).toEqual({ ...was.labels, probe: 'label' });
    expect(now.annotations).toEqual({ ...was.annotations, 'probe/annotation': 'yes' });
    // The Secret the env var reads is the user's, and says so.
    expect(now.owner.metadata.annotations?.['o11y.dev/external-secrets']?.split(',')).toContain('probe-secret');
    const [c, ...others] = spec.containers;
    const [oc, ...oldOthers] = old.containers;
    expect(c.args).toEqual([...(oc.args ?? []), '--probe-flag']);
    expect(c.env).toEqual([...(oc.env ?? []), { name: 'PROBE', value: '1' }, { name: 'PROBE_TOKEN', valueFrom: { secretKeyRef: { name: 'probe-secret', key: 'token' } } }]);
    expect(others).toEqual(oldOthers);
    // Nothing else in the pod spec moved.
    const rest = (s: Record<string, any>) => {
      const { nodeSelector, tolerations, priorityClassName, affinity, containers, ...r } = s;
      return r;
    };
    expect(rest(spec)).toEqual(rest(old));
    expect({ ...c, args: undefined, env: undefined }).toEqual({ ...oc, args: undefined, env: undefined });
  });
});

describe('resources', () => {
  it('land on the named container, and a collector sizes GOMEMLIMIT and its exporter queues from its memory limit', () => {
    const objs = synth('resources', BASE.replace('__HUB__\n', '').replace('__EDGE__\n', '') + `components:\n  collector:\n    gateway:\n      resources: { requests: { cpu: 1, memory: 2Gi }, limits: { memory: 4Gi } }\n`).hub!;
    const gateway = podTemplates(objs).find((t) => kindName(t.owner) === 'Deployment otel-gateway')!;
    const c = (gateway.spec as any).containers[0];
    // cpu limit from the default size (medium: 1), the rest from the config.
    expect(c.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '4Gi' } });
    expect(c.env).toContainEqual({ name: 'GOMEMLIMIT', value: `${Math.floor(4096 * 0.8)}MiB` });
    const config = parse((objs.find((o) => o.metadata.name === 'otel-gateway-config')!.data as Record<string, string>)['config.yaml']) as { exporters: Record<string, { sending_queue?: { queue_size: number } }> };
    const queues = Object.values(config.exporters).map((e) => e.sending_queue?.queue_size).filter((q): q is number => q !== undefined);
    const base = parse((prometheusBaseline.hub!.find((o) => o.metadata.name === 'otel-gateway-config')!.data as Record<string, string>)['config.yaml']) as typeof config;
    const baseQueues = Object.values(base.exporters).map((e) => e.sending_queue?.queue_size).filter((q): q is number => q !== undefined);
    expect(queues.length).toBeGreaterThan(0);
    // The queues share half the memory limit (sendingQueue): 4 GiB now, 1 GiB by default.
    const items = (limitMiB: number, n: number) => Math.floor((limitMiB * 2 ** 20 * 0.5) / (n * 1024));
    expect(baseQueues).toEqual(baseQueues.map(() => items(1024, baseQueues.length)));
    expect(queues).toEqual(queues.map(() => items(4096, queues.length)));
  });
});

describe('examples/make-it-yours.yaml', () => {
  const example = join(ROOT, 'examples', 'make-it-yours.yaml');
  const config = loadConfigFile(example);
  const out = join(work, 'example');
  beforeAll(() => synthesize({ configFile: example, outDir: out }));

  describe.each(config.clusters.map((c) => c.name))('cluster %s', (name) => {
    let objs: K8sObject[];
    beforeAll(() => {
      objs = loadManifestDir(join(out, name));
    });
    const cluster = config.clusters.find((c) => c.name === name)!;
    const registry = cluster.images?.registry ?? config.images.registry!;

    it.each(Object.keys(STACK_CHECKS).filter((c) => c !== 'architectures'))('passes the %s checks', (check) => {
      expect(STACK_CHECKS[check]!(objs, stackExpectations(config))).toEqual([]);
    });

    it('passes the architecture checks, with the catalog as the cluster pulls it', () => {
      const prefixes = { ...config.images.pathPrefixes, ...cluster.images?.pathPrefixes };
      const mirrored = Object.values(IMAGES).map((image) => {
        const host = image.split('/')[0]!.includes('.') ? image.split('/')[0]! : 'docker.io';
        const path = host === 'docker.io' && !image.startsWith('docker.io/') ? image : image.slice(host.length + 1);
        return `${registry}/${prefixes[host]}/${path}`;
      });
      expect(architectureViolations(objs, config.architectures, mirrored)).toEqual([]);
    });

    it('pulls no image from outside its configured registry, with its pull secrets', () => {
      const templates = podTemplates(objs);
      expect(templates.length).toBeGreaterThan(2);
      const outside = templates.flatMap((t) => ((t.spec as any).containers as { image: string }[]).map((c) => c.image)).filter((image) => !image.startsWith(`${registry}/`));
      expect(outside).toEqual([]);
      const secrets = cluster.images?.pullSecrets ?? config.images.pullSecrets ?? [];
      for (const t of templates) expect((t.spec as any).imagePullSecrets, ref(t.owner)).toEqual(secrets.length ? secrets.map((n) => ({ name: n })) : undefined);
    });
  });
});
