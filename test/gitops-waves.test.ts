import { Chart, Testing, ApiObject } from 'cdk8s';
import fengari from 'fengari';
import { describe, expect, it } from 'vitest';
import { annotateForArgoCd, needsServerSideApply, SERVER_SIDE_APPLY_MIN_BYTES, withServerSideApply } from '../src/gitops/apply-options.ts';
import { PROMETHEUS_OPERATOR_HEALTH_LUA, healthCustomizations } from '../src/gitops/health.ts';
import type { Manifest } from '../src/gitops/manifest.ts';
import { referencesOf } from '../src/gitops/references.ts';
import { SYNC_WAVES, syncWaveFor } from '../src/gitops/waves.ts';
import { fixtureStack } from './support/gitops-stack.ts';
import { prng } from './support/prng.ts';

const obj = (apiVersion: string, kind: string, component?: string, annotations?: Record<string, string>): Manifest => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'observability', ...(component ? { labels: { 'app.kubernetes.io/component': component } } : {}), ...(annotations ? { annotations } : {}) },
});


describe('syncWaveFor', () => {
  it.each([
    ['v1', 'Namespace', 'namespace', SYNC_WAVES.namespacesAndCrds],
    ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, SYNC_WAVES.namespacesAndCrds],
    ['v1', 'ServiceAccount', 'grafana', SYNC_WAVES.rbacAndConfig],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'o11y-controller', SYNC_WAVES.rbacAndConfig],
    ['v1', 'ConfigMap', 'prometheus-rules', SYNC_WAVES.rbacAndConfig],
    ['v1', 'Secret', 'grafana', SYNC_WAVES.rbacAndConfig],
    ['networking.k8s.io/v1', 'NetworkPolicy', 'loki', SYNC_WAVES.rbacAndConfig],
    ['apps/v1', 'StatefulSet', 'loki', SYNC_WAVES.storageBackends],
    ['v1', 'Service', 'tempo', SYNC_WAVES.storageBackends],
    ['apps/v1', 'StatefulSet', 'prometheus', SYNC_WAVES.metrics],
    ['apps/v1', 'StatefulSet', 'alertmanager', SYNC_WAVES.metrics],
    ['monitoring.coreos.com/v1', 'PrometheusRule', 'prometheus-rules', SYNC_WAVES.metrics],
    ['apps/v1', 'DaemonSet', 'otel-agent', SYNC_WAVES.collectors],
    ['apps/v1', 'Deployment', 'otel-gateway', SYNC_WAVES.collectors],
    ['apps/v1', 'Deployment', 'kube-state-metrics', SYNC_WAVES.collectors],
    ['apps/v1', 'Deployment', 'grafana', SYNC_WAVES.grafana],
    ['apps/v1', 'Deployment', 'otel-scraper', SYNC_WAVES.collectors],
    ['apps/v1', 'Deployment', 'controller', SYNC_WAVES.controller],
    ['apps/v1', 'Deployment', 'something-new', SYNC_WAVES.collectors],
  ])('%s %s of %s → wave %i', (apiVersion, kind, component, wave) => {
    expect(syncWaveFor(obj(apiVersion, kind, component))).toBe(wave);
  });

  it('puts any hook last, whatever its component', () => {
    expect(syncWaveFor(obj('batch/v1', 'Job', 'grafana', { 'argocd.argoproj.io/hook': 'PostSync' }))).toBe(SYNC_WAVES.postSyncCheck);
  });

  it('orders the waves as documented: namespaces/CRDs, RBAC/config, storage, metrics, collectors, Grafana, controller, check', () => {
    const values = Object.values(SYNC_WAVES);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
  });

  it('property: every reference a workload can make points to an earlier or equal wave (2000 random objects)', () => {
    const random = prng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const components = ['namespace', 'loki', 'tempo', 'prometheus', 'alertmanager', 'prometheus-rules', 'otel-agent', 'otel-gateway', 'otel-scraper', 'kube-state-metrics', 'grafana', 'controller', 'unlisted'];
    const kinds = [['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['batch/v1', 'Job'], ['batch/v1', 'CronJob'], ['v1', 'Pod']] as const;
    for (let i = 0; i < 2000; i++) {
      const [apiVersion, kind] = pick(kinds);
      const pod = {
        serviceAccountName: 'sa',
        imagePullSecrets: [{ name: 'pull' }],
        volumes: [{ name: 'a', configMap: { name: 'cm' } }, { name: 'b', secret: { secretName: 's' } }, { name: 'c', persistentVolumeClaim: { claimName: 'pvc' } }],
        containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cm2' } }], env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 's2', key: 'k' } } }] }],
      };
      const spec = kind === 'Pod' ? pod : kind === 'CronJob' ? { jobTemplate: { spec: { template: { spec: pod } } } } : { template: { spec: pod } };
      const hook = random() < 0.1 ? { 'argocd.argoproj.io/hook': 'PostSync' } : undefined;
      const workload = { ...obj(apiVersion, kind, pick(components), hook), spec };
      const refs = referencesOf(workload);
      expect(refs.length).toBeGreaterThanOrEqual(8);
      for (const r of refs) {
        const apiVersionOf = r.target.group ? `${r.target.group}/v1` : 'v1';
        const target = obj(apiVersionOf, r.target.kind, pick(components));
        expect(syncWaveFor(target), `${kind} → ${r.target.kind}`).toBeLessThanOrEqual(syncWaveFor(workload));
      }
    }
  });

  it('labels every object of the fixture stack so that nothing refers to a later wave', () => {
    const stack = fixtureStack();
    const waves = new Map(stack.map((m) => [`${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`, syncWaveFor(m)]));
    for (const m of stack) {
      for (const r of referencesOf(m)) {
        const target = waves.get(`${r.target.kind}/${r.target.namespace}/${r.target.name}`);
        if (target !== undefined) expect(target).toBeLessThanOrEqual(syncWaveFor(m));
      }
    }
  });
});

describe('server-side apply', () => {
  const configMap = (bytes: number): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dashboards' }, data: { 'd.json': 'x'.repeat(bytes) } });

  it('is chosen by size: objects at half the 256 KiB annotation limit, and every CRD', () => {
    expect(needsServerSideApply(configMap(1000))).toBe(false);
    expect(needsServerSideApply(configMap(SERVER_SIDE_APPLY_MIN_BYTES - 200))).toBe(false);
    expect(needsServerSideApply(configMap(SERVER_SIDE_APPLY_MIN_BYTES))).toBe(true);
    expect(needsServerSideApply({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'a.b' } })).toBe(true);
  });

  it('keeps other sync options', () => {
    expect(withServerSideApply(undefined)).toBe('ServerSideApply=true');
    expect(withServerSideApply('Prune=false, ServerSideApply=false')).toBe('Prune=false,ServerSideApply=true');
  });

  it('annotateForArgoCd writes waves on every object and server-side apply on the large ones only', () => {
    const chart = new Chart(Testing.app(), 'c');
    const labels = (component: string) => ({ 'app.kubernetes.io/component': component });
    new ApiObject(chart, 'small', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'small', labels: labels('grafana') }, data: { a: 'b' } });
    new ApiObject(chart, 'big', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', labels: labels('grafana'), annotations: { 'argocd.argoproj.io/sync-options': 'Validate=false' } }, data: { a: 'x'.repeat(200 * 1024) } });
    new ApiObject(chart, 'grafana', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'grafana', labels: labels('grafana') } });
    annotateForArgoCd(chart);
    const out = Testing.synth(chart) as Manifest[];
    const byName = Object.fromEntries(out.map((m) => [m.metadata.name, m.metadata.annotations ?? {}]));
    expect(byName.small).toEqual({ 'argocd.argoproj.io/sync-wave': '1' });
    expect(byName.big).toEqual({ 'argocd.argoproj.io/sync-wave': '1', 'argocd.argoproj.io/sync-options': 'Validate=false,ServerSideApply=true' });
    expect(byName.grafana).toEqual({ 'argocd.argoproj.io/sync-wave': '5' });
  });
});

/** Runs an Argo CD health script the way Argo CD does: `obj` is a global table, the script returns {status, message}. */
function runHealthLua(script: string, object: unknown): { status: string; message: string } {
  const { lua, lauxlib, lualib, to_luastring, to_jsstring } = fengari;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const program = `obj = ${toLua(object)}\nlocal function check()\n${script}\nend\nlocal hs = check()\nreturn hs.status, hs.message`;
  if (lauxlib.luaL_loadstring(L, to_luastring(program)) !== lua.LUA_OK || lua.lua_pcall(L, 0, 2, 0) !== lua.LUA_OK) {
    throw new Error(to_jsstring(lua.lua_tostring(L, -1)));
  }
  return { status: to_jsstring(lua.lua_tostring(L, -2)), message: to_jsstring(lua.lua_tostring(L, -1)) };
}

function toLua(value: unknown): string {
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  if (value && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`).join(', ')}}`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

describe('Argo CD health for prometheus-operator objects (Lua, run)', () => {
  const rule = (status?: unknown) => ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'r', generation: 2 }, ...(status ? { status } : {}) });
  const binding = (condition: Record<string, unknown>) => ({ bindings: [{ group: 'monitoring.coreos.com', resource: 'prometheuses', name: 'k8s', namespace: 'observability', conditions: [{ type: 'Accepted', observedGeneration: 2, ...condition }] }] });

  it.each([
    ['no status (feature gate off)', 'Healthy', rule(), /No status/],
    ['accepted', 'Healthy', rule(binding({ status: 'True' })), /Accepted/],
    ['rejected', 'Degraded', rule(binding({ status: 'False', reason: 'InvalidConfiguration', message: 'bad expr' })), /observability\/k8s: bad expr/],
    ['unknown', 'Progressing', rule(binding({ status: 'Unknown' })), /waiting/],
    ['old generation', 'Progressing', rule(binding({ status: 'True', observedGeneration: 1 })), /generation 2/],
  ])('%s → %s', (_name, status, object, message) => {
    const hs = runHealthLua(PROMETHEUS_OPERATOR_HEALTH_LUA, object);
    expect(hs.status).toBe(status);
    expect(hs.message).toMatch(message);
  });

  it('is offered only for the operator kinds we emit', () => {
    expect(Object.keys(healthCustomizations(fixtureStack()))).toEqual(['resource.customizations.health.monitoring.coreos.com_PrometheusRule']);
    expect(healthCustomizations(fixtureStack().filter((m) => m.kind !== 'PrometheusRule'))).toEqual({});
  });
});
