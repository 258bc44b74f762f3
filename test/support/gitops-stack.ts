import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildArgoCdObjects } from '../../src/gitops/argocd-objects.ts';
import type { Manifest } from '../../src/gitops/manifest.ts';
import type { GitopsSettings } from '../../src/gitops/settings.ts';
import { SYNC_WAVE_ANNOTATION, syncWaveFor } from '../../src/gitops/waves.ts';

type Mutable = Manifest & { metadata: { annotations?: Record<string, string> } };

/** A hand-written miniature of what the synth emits for one cluster, with the same labels and references. */
export function fixtureStack(): Manifest[] {
  const ns = 'observability';
  const agentNs = 'observability-agent';
  const meta = (name: string, component: string, namespace?: string, annotations?: Record<string, string>) => ({
    name,
    ...(namespace ? { namespace } : {}),
    labels: {
      'app.kubernetes.io/name': name,
      'app.kubernetes.io/instance': 'o11y',
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/part-of': 'o11y',
      'app.kubernetes.io/managed-by': 'cdk8s-o11y',
    },
    ...(annotations ? { annotations } : {}),
  });
  const pod = (sa: string, configMap: string, extra: Record<string, unknown> = {}) => ({
    serviceAccountName: sa,
    containers: [{ name: 'main', image: 'example/image:1', envFrom: [{ configMapRef: { name: configMap } }] }],
    volumes: [{ name: 'config', configMap: { name: configMap } }],
    ...extra,
  });
  const selector = (name: string) => ({ matchLabels: { 'app.kubernetes.io/name': name } });
  const template = (name: string, spec: unknown) => ({ metadata: { labels: { 'app.kubernetes.io/name': name } }, spec });
  const objects: Manifest[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns, 'namespace') },
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(agentNs, 'namespace') },
  ];
  for (const [name, component, kind] of [
    ['loki', 'loki', 'StatefulSet'],
    ['tempo', 'tempo', 'StatefulSet'],
    ['prometheus', 'prometheus', 'StatefulSet'],
    ['otel-gateway', 'otel-gateway', 'Deployment'],
    ['grafana', 'grafana', 'Deployment'],
    ['o11y-controller', 'controller', 'Deployment'],
  ] as const) {
    objects.push(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, component, ns) },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${name}-config`, component, ns), data: { 'config.yaml': 'x: 1\n' } },
      { apiVersion: 'v1', kind: 'Service', metadata: meta(name, component, ns), spec: { selector: { 'app.kubernetes.io/name': name }, ports: [{ port: 80 }] } },
      {
        apiVersion: 'apps/v1',
        kind,
        metadata: meta(name, component, ns),
        spec: {
          selector: selector(name),
          ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
          template: template(name, pod(name, `${name}-config`, name === 'grafana' ? { imagePullSecrets: [{ name: 'user-registry' }] } : {})),
        },
      },
    );
  }
  objects.push(
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta('o11y-controller', 'controller'), rules: [] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta('o11y-controller', 'controller'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'o11y-controller' },
      subjects: [{ kind: 'ServiceAccount', name: 'o11y-controller', namespace: ns }],
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('otel-agent', 'otel-agent', agentNs) },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('otel-agent-config', 'otel-agent', agentNs), data: { 'config.yaml': 'x: 1\n' } },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('otel-agent', 'otel-agent', agentNs),
      spec: { selector: selector('otel-agent'), template: template('otel-agent', pod('otel-agent', 'otel-agent-config')) },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: meta('o11y-slos', 'prometheus-rules', ns),
      spec: { groups: [{ name: 'slo', rules: [{ record: 'x', expr: 'up' }] }] },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('o11y-check', 'controller', ns, { 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' }),
      spec: { template: template('o11y-check', { ...pod('o11y-controller', 'o11y-controller-config'), restartPolicy: 'Never' }) },
    },
  );
  return objects.map(withWave);
}

/** The object with its sync-wave annotation, as the synth writes it. */
export function withWave(m: Manifest): Manifest {
  const copy = structuredClone(m) as Mutable;
  copy.metadata.annotations = { ...copy.metadata.annotations, [SYNC_WAVE_ANNOTATION]: String(syncWaveFor(m)) };
  return copy;
}

export function settingsFor(clusters: readonly string[], overrides: Partial<GitopsSettings> = {}): GitopsSettings {
  return {
    flavor: 'argocd',
    stackName: 'o11y',
    namespace: 'observability',
    repoURL: 'https://git.example.com/acme/deploy.git',
    targetRevision: 'HEAD',
    path: 'dist',
    mode: 'applicationset',
    project: 'o11y',
    argocdNamespace: 'argocd',
    fluxNamespace: 'flux-system',
    clusters: clusters.map((cluster) => ({
      cluster,
      destination: clusters.length === 1 ? { server: 'https://kubernetes.default.svc' } : { name: cluster },
      path: `dist/${cluster}`,
    })),
    ...overrides,
  };
}

/** File name cdk8s gives an object with one file per resource. */
export function fileNameOf(m: Manifest): string {
  return `${m.kind}.${m.metadata.name}.k8s.yaml`;
}

/**
 * Writes `<tmp>/dist/<cluster>/*.k8s.yaml` (one object per file) and `dist/argocd/` for the settings;
 * returns the dist folder. `argocd` replaces the generated Argo CD objects when given.
 */
export function writeDist(clusters: Readonly<Record<string, readonly Manifest[]>>, settings: GitopsSettings, argocd?: readonly Manifest[]): string {
  const dist = join(mkdtempSync(join(tmpdir(), 'o11y-gitops-')), 'dist');
  for (const [cluster, manifests] of Object.entries(clusters)) {
    mkdirSync(join(dist, cluster), { recursive: true });
    for (const m of manifests) writeFileSync(join(dist, cluster, fileNameOf(m)), stringify(m));
  }
  const inventories = Object.entries(clusters).map(([cluster, manifests]) => ({ cluster, manifests }));
  mkdirSync(join(dist, 'argocd'), { recursive: true });
  for (const m of argocd ?? buildArgoCdObjects(settings, inventories)) writeFileSync(join(dist, 'argocd', fileNameOf(m)), stringify(m));
  return dist;
}
