import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import type { Flow } from '../constructs/network-policy.ts';
import { isAllowed, type Endpoint, type NetworkPolicyObject, type PodEndpoint } from '../src/policy/network-policy-eval.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { schemaViolations, type K8sObject } from './support/manifest-checks.ts';

// Who reaches Grafana, evaluated over the synthesized NetworkPolicies with Kubernetes semantics
// (src/policy/network-policy-eval.ts): the ingress controller's (or gateway's) namespace only where
// an exposure is configured, and Grafana's own egress (database, OIDC provider, grafana.com) only
// where its options need it.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-exposure-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const BASE = parseYaml(readFileSync(join(ROOT, 'o11y.yaml'), 'utf8')) as Record<string, any>;
function stack(name: string, grafana: Record<string, unknown>, networkPolicy: Record<string, unknown> = {}, components: Record<string, unknown> = {}): { objects: K8sObject[]; flows: readonly Flow[] } {
  const config = { ...BASE, slos: [], components: { ...BASE.components, grafana: { ...BASE.components.grafana, ...grafana }, ...components }, networkPolicy: { ...BASE.networkPolicy, ...networkPolicy } };
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  const out = join(work, name);
  const { flows } = synthesize({ configFile: file, outDir: out });
  return { objects: loadManifestDir(join(out, 'local')), flows: flows.local! };
}

const podIn = (namespace: string, labels: Record<string, string> = { app: 'x' }): PodEndpoint => ({ kind: 'pod', namespace, labels, namespaceLabels: { 'kubernetes.io/metadata.name': namespace } });
const GRAFANA = podIn('observability', { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'o11y' });
const PROMETHEUS = podIn('observability', { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'o11y' });
const CONTROLLER = podIn('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' });
const GATEWAY_PROXY = podIn('gateways', { 'gateway.networking.k8s.io/gateway-name': 'public' });
const APP = podIn('shop');
const INTERNET: Endpoint = { kind: 'external', ip: '198.51.100.7' };

const allowed = (objs: K8sObject[], from: Endpoint, to: Endpoint, port: number) =>
  isAllowed(objs.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[], { from, to, port, protocol: 'TCP' }).allowed;

describe('ingress to Grafana', () => {
  const none = stack('none', {});
  const ingress = stack('ingress', { expose: { ingress: { host: 'grafana.example.com', tlsSecret: 'grafana-tls' } } }, { ingressNamespace: 'ingress-nginx' });
  const route = stack('route', { expose: { httpRoute: { gateway: { name: 'public', namespace: 'gateways' }, host: 'grafana.example.com' } } });

  it('without exposure, no pod outside the stack reaches Grafana (port-forward does not cross the pod network)', () => {
    expect(allowed(none.objects, CONTROLLER, GRAFANA, 3000)).toBe(false);
    expect(allowed(none.objects, APP, GRAFANA, 3000)).toBe(false);
    expect(none.objects.filter((o) => ['Ingress', 'HTTPRoute'].includes(o.kind))).toEqual([]);
  });

  it('with an Ingress, the controller\'s namespace reaches Grafana, and only Grafana', () => {
    expect(allowed(ingress.objects, CONTROLLER, GRAFANA, 3000)).toBe(true);
    expect(allowed(ingress.objects, APP, GRAFANA, 3000)).toBe(false);
    expect(allowed(ingress.objects, CONTROLLER, PROMETHEUS, 9090)).toBe(false);
    expect(ingress.flows).toContainEqual(expect.objectContaining({ from: { namespacePods: 'ingress-nginx' }, to: { app: 'grafana', namespace: 'observability' }, ports: [3000] }));
  });

  it('with an HTTPRoute, the Gateway\'s namespace reaches Grafana', () => {
    expect(allowed(route.objects, GATEWAY_PROXY, GRAFANA, 3000)).toBe(true);
    expect(allowed(route.objects, CONTROLLER, GRAFANA, 3000)).toBe(false);
  });

  it('the Ingress validates against the Kubernetes schema', () => {
    expect(schemaViolations(ingress.objects.filter((o) => o.kind === 'Ingress'))).toEqual([]);
  });
});

describe('Prometheus and Alertmanager behind the ingress controller\'s authentication', () => {
  const ALERTMANAGER = podIn('observability', { 'app.kubernetes.io/name': 'alertmanager', 'app.kubernetes.io/instance': 'o11y' });
  const auth = { 'nginx.ingress.kubernetes.io/auth-url': 'https://oauth2.example.com/oauth2/auth' };
  const exposed = stack('prometheus-exposed', {}, { ingressNamespace: 'ingress-nginx' }, {
    prometheus: { ...BASE.components.prometheus, expose: { ingress: { host: 'prometheus.example.com', certManagerIssuer: 'letsencrypt', annotations: auth } } },
    alertmanager: { ...BASE.components.alertmanager, expose: { ingress: { host: 'alertmanager.example.com', tlsSecret: 'am-tls', annotations: { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': 'am-users' } } } },
  });

  it('an Ingress carries the authentication annotations and TLS, and validates against the Kubernetes schema', () => {
    const ingresses = exposed.objects.filter((o) => o.kind === 'Ingress') as (K8sObject & { spec: any })[];
    const prometheus = ingresses.find((i) => i.metadata.name === 'prometheus')!;
    expect(prometheus.metadata.annotations).toMatchObject({ ...auth, 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect(prometheus.spec.tls).toEqual([{ hosts: ['prometheus.example.com'], secretName: 'prometheus-tls' }]);
    expect(prometheus.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'prometheus', port: { number: 9090 } });
    expect(ingresses.find((i) => i.metadata.name === 'alertmanager')!.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'alertmanager', port: { number: 9093 } });
    expect(schemaViolations(ingresses)).toEqual([]);
  });

  it('the controller\'s namespace reaches Prometheus and Alertmanager on their web ports, nothing else does', () => {
    expect(allowed(exposed.objects, CONTROLLER, PROMETHEUS, 9090)).toBe(true);
    expect(allowed(exposed.objects, CONTROLLER, ALERTMANAGER, 9093)).toBe(true);
    expect(allowed(exposed.objects, CONTROLLER, GRAFANA, 3000)).toBe(false);
    expect(allowed(exposed.objects, APP, PROMETHEUS, 9090)).toBe(false);
    expect(allowed(exposed.objects, CONTROLLER, ALERTMANAGER, 9094)).toBe(false);
  });

  it('without exposure the controller\'s namespace reaches neither', () => {
    const none = stack('prometheus-none', {}, { ingressNamespace: 'ingress-nginx' });
    expect(allowed(none.objects, CONTROLLER, PROMETHEUS, 9090)).toBe(false);
    expect(allowed(none.objects, CONTROLLER, ALERTMANAGER, 9093)).toBe(false);
  });
});

describe('Grafana egress with strict egress', () => {
  const strict = { egress: 'strict' };
  const plain = stack('strict', {}, strict);
  const full = stack(
    'strict-full',
    {
      database: { type: 'postgres', host: 'pg.example.com:5432', name: 'grafana', user: 'grafana', passwordSecret: { secret: 'grafana-db', key: 'password' } },
      oidc: { issuer: 'https://sso.example.com:8443/realms/ops', clientId: 'grafana', clientSecret: { secret: 'grafana-oidc', key: 'client-secret' } },
      plugins: ['grafana-piechart-panel@1.6.4'],
      replicas: 2,
    },
    strict,
  );

  it('without the options, Grafana reaches nothing outside the cluster: nothing phones home', () => {
    for (const port of [443, 5432, 8443]) expect(allowed(plain.objects, GRAFANA, INTERNET, port), `port ${port}`).toBe(false);
  });

  it('with them: the database port, the OIDC provider\'s port and grafana.com over 443, and not other ports', () => {
    expect(allowed(full.objects, GRAFANA, INTERNET, 5432)).toBe(true);
    expect(allowed(full.objects, GRAFANA, INTERNET, 8443)).toBe(true);
    expect(allowed(full.objects, GRAFANA, INTERNET, 443)).toBe(true);
    expect(allowed(full.objects, GRAFANA, INTERNET, 25)).toBe(false);
  });

  it('replicas gossip alert state with each other', () => {
    for (const protocol of ['TCP', 'UDP'] as const) {
      expect(isAllowed(full.objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[], { from: GRAFANA, to: GRAFANA, port: 9094, protocol }).allowed).toBe(true);
    }
  });
});
