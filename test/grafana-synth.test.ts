import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { GrafanaChart } from '../charts/grafana.ts';
import { stackContext } from '../constructs/common.ts';
import { GRAFANA_DASHBOARDS_DIR } from '../constructs/grafana.ts';
import { GRAFANA_SETTINGS, grafanaEnvName, grafanaSettingOf } from '../constructs/grafana-settings.ts';
import { parseConfig } from '../src/config/load.ts';
import type { DashboardFile } from '../src/dashboards/stack-health.ts';
import { oidcEndpoints } from '../src/grafana/oidc-endpoints.ts';

// The Grafana chart for each option of issue 15, read as Kubernetes objects.

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

const CLUSTER = 'clusters: [{ name: c1, cloud: aws, region: eu-west-1 }]\nnetworkPolicy: { ingressNamespace: ingress-nginx }\n';

function synthGrafana(grafanaYaml = '', opts: { extra?: string; dashboards?: DashboardFile[] } = {}): Obj[] {
  const config = parseConfig(`${CLUSTER}${opts.extra ?? ''}components:\n  grafana:\n${grafanaYaml || '    {}\n'}`, 'test.yaml');
  const app = new App();
  const chart = new GrafanaChart(app, 'grafana', stackContext(config), opts.dashboards ?? []);
  return chart.toJson() as Obj[];
}

const find = (objs: Obj[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};
const deployment = (objs: Obj[]) => find(objs, 'Deployment', 'grafana');
const podSpec = (objs: Obj[]) => deployment(objs).spec.template.spec;
const grafanaContainer = (objs: Obj[]) => podSpec(objs).containers.find((c: { name: string }) => c.name === 'grafana');
const envOf = (objs: Obj[]): Record<string, string> => Object.fromEntries(grafanaContainer(objs).env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));

const DB = `    replicas: 3
    database: { type: postgres, host: "pg.internal.example.com:5432", name: grafana, user: grafana, passwordSecret: { secret: grafana-db, key: password } }
`;
const OIDC = `    oidc:
      issuer: "https://sso.example.com/realms/ops"
      clientId: grafana
      clientSecret: { secret: grafana-oidc, key: client-secret }
      roleAttributePath: "contains(groups[*], 'sre') && 'Admin' || 'Viewer'"
      allowedGroups: [sre, "on call"]
      allowedDomains: [example.com]
`;
const PLUGINS = '    plugins: [grafana-piechart-panel@1.6.4, marcusolsson-json-datasource@1.3.24]\n';
const INGRESS = '    expose: { ingress: { className: nginx, host: grafana.example.com, certManagerIssuer: letsencrypt } }\n';
const ROUTE = '    expose: { httpRoute: { gateway: { name: public, namespace: gateways }, host: grafana.example.com } }\n';

/** One config per option, and all of them together. */
const VARIANTS: Record<string, string> = { default: '', database: DB, oidc: OIDC, plugins: PLUGINS, ingress: INGRESS, httpRoute: ROUTE, everything: DB + OIDC + PLUGINS + INGRESS };

describe('persistence', () => {
  it('by default keeps SQLite on a PersistentVolume of the cloud\'s StorageClass, one replica, Recreate', () => {
    const objs = synthGrafana();
    const pvc = find(objs, 'PersistentVolumeClaim', 'grafana-data');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '10Gi' } } });
    expect(deployment(objs).spec.replicas).toBe(1);
    expect(deployment(objs).spec.strategy).toEqual({ type: 'Recreate' });
    const data = podSpec(objs).volumes.find((v: { name: string }) => v.name === 'data');
    expect(data).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'grafana-data' } });
    expect(envOf(objs).GF_PATHS_DATA).toBe('/var/lib/grafana');
    expect(grafanaContainer(objs).volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/grafana' });
    expect(Object.keys(envOf(objs)).filter((k) => k.startsWith('GF_DATABASE_'))).toEqual([]);
  });

  it('takes the configured size and the cluster\'s own StorageClass', () => {
    const objs = parseAndSynth('clusters: [{ name: c1, cloud: onprem, region: dc1, storageClass: ceph-rbd }]\n', '    storage: 25Gi\n');
    expect(find(objs, 'PersistentVolumeClaim', 'grafana-data').spec.storageClassName).toBe('ceph-rbd');
    expect(find(objs, 'PersistentVolumeClaim', 'grafana-data').spec.resources.requests.storage).toBe('25Gi');
  });

  it('with an external database: no volume claim, several replicas rolling, the password from a mounted Secret file, alerting HA among replicas', () => {
    const objs = synthGrafana(DB);
    expect(objs.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(deployment(objs).spec.replicas).toBe(3);
    expect(deployment(objs).spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } });
    const env = envOf(objs);
    expect(env).toMatchObject({ GF_DATABASE_TYPE: 'postgres', GF_DATABASE_HOST: 'pg.internal.example.com:5432', GF_DATABASE_NAME: 'grafana', GF_DATABASE_USER: 'grafana', GF_DATABASE_SSL_MODE: 'require' });
    expect(env.GF_DATABASE_PASSWORD__FILE).toBe('/etc/grafana/database/password');
    expect(env.GF_DATABASE_PASSWORD).toBeUndefined();
    expect(podSpec(objs).volumes).toContainEqual({ name: 'database', secret: { secretName: 'grafana-db' } });
    expect(grafanaContainer(objs).volumeMounts).toContainEqual({ name: 'database', mountPath: '/etc/grafana/database', readOnly: true });
    expect(deployment(objs).metadata.annotations!['o11y.dev/external-secrets']).toBe('grafana-admin,grafana-db');
    expect(env.GF_UNIFIED_ALERTING_HA_PEERS).toBe('grafana-headless.observability.svc:9094');
    expect(env.GF_UNIFIED_ALERTING_HA_ADVERTISE_ADDRESS).toBe('$(POD_IP):9094');
    expect(find(objs, 'Service', 'grafana-headless').spec.clusterIP).toBe('None');
  });

  it('keeps the local admin for break-glass, from its Secret files', () => {
    for (const grafana of Object.values(VARIANTS)) {
      const env = envOf(synthGrafana(grafana));
      expect(env.GF_SECURITY_ADMIN_USER__FILE).toBe('/etc/grafana/admin/admin-user');
      expect(env.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe('/etc/grafana/admin/admin-password');
    }
  });
});

function parseAndSynth(clusters: string, grafanaYaml: string): Obj[] {
  const config = parseConfig(`${clusters}components:\n  grafana:\n${grafanaYaml}`, 'test.yaml');
  return new GrafanaChart(new App(), 'grafana', stackContext(config), []).toJson() as Obj[];
}

describe('single sign-on', () => {
  it('configures the generic OAuth client from the issuer, the client secret from a file', () => {
    const objs = synthGrafana(OIDC);
    expect(envOf(objs)).toMatchObject({
      GF_AUTH_GENERIC_OAUTH_ENABLED: 'true',
      GF_AUTH_GENERIC_OAUTH_CLIENT_ID: 'grafana',
      GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET__FILE: '/etc/grafana/oidc/client-secret',
      GF_AUTH_GENERIC_OAUTH_SCOPES: 'openid email profile',
      GF_AUTH_GENERIC_OAUTH_AUTH_URL: 'https://sso.example.com/realms/ops/protocol/openid-connect/auth',
      GF_AUTH_GENERIC_OAUTH_TOKEN_URL: 'https://sso.example.com/realms/ops/protocol/openid-connect/token',
      GF_AUTH_GENERIC_OAUTH_API_URL: 'https://sso.example.com/realms/ops/protocol/openid-connect/userinfo',
      GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH: "contains(groups[*], 'sre') && 'Admin' || 'Viewer'",
      // A JSON list, so that a group name with a space stays one group.
      GF_AUTH_GENERIC_OAUTH_ALLOWED_GROUPS: '["sre","on call"]',
      GF_AUTH_GENERIC_OAUTH_ALLOWED_DOMAINS: 'example.com',
      GF_AUTH_GENERIC_OAUTH_USE_PKCE: 'true',
    });
    expect(envOf(objs).GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET).toBeUndefined();
    expect(podSpec(objs).volumes).toContainEqual({ name: 'oidc', secret: { secretName: 'grafana-oidc' } });
  });

  it.each([
    ['https://sso.example.com/realms/ops', 'https://sso.example.com/realms/ops/protocol/openid-connect/auth', 'https://sso.example.com/realms/ops/protocol/openid-connect/userinfo'],
    ['https://old.example.com/auth/realms/ops/', 'https://old.example.com/auth/realms/ops/protocol/openid-connect/auth', 'https://old.example.com/auth/realms/ops/protocol/openid-connect/userinfo'],
    ['https://acme.okta.com/oauth2/default', 'https://acme.okta.com/oauth2/default/v1/authorize', 'https://acme.okta.com/oauth2/default/v1/userinfo'],
    ['https://acme.okta.com', 'https://acme.okta.com/v1/authorize', 'https://acme.okta.com/v1/userinfo'],
    ['https://login.microsoftonline.com/0b9c-tenant/v2.0', 'https://login.microsoftonline.com/0b9c-tenant/oauth2/v2.0/authorize', 'https://graph.microsoft.com/oidc/userinfo'],
  ])('derives the endpoints of %s', (issuer, authUrl, apiUrl) => {
    const e = oidcEndpoints(issuer)!;
    expect(e.authUrl).toBe(authUrl);
    expect(e.apiUrl).toBe(apiUrl);
    expect(e.tokenUrl).toMatch(/\/token$/);
  });

  it('derives nothing for an issuer of unknown layout unless every endpoint is given', () => {
    expect(oidcEndpoints('https://dex.example.com/')).toBeUndefined();
    expect(oidcEndpoints('https://dex.example.com/', { authUrl: 'https://dex.example.com/auth', tokenUrl: 'https://dex.example.com/token' })).toBeUndefined();
    const all = { authUrl: 'https://dex.example.com/auth', tokenUrl: 'https://dex.example.com/token', apiUrl: 'https://dex.example.com/userinfo' };
    expect(oidcEndpoints('https://dex.example.com/', all)).toEqual(all);
    // Given endpoints win over derived ones.
    expect(oidcEndpoints('https://acme.okta.com', { apiUrl: 'https://acme.okta.com/custom' })!.apiUrl).toBe('https://acme.okta.com/custom');
  });
});

describe('plugins', () => {
  it('installs each pinned plugin with grafana cli in an init container, into the plugins emptyDir; the server downloads nothing itself', () => {
    const objs = synthGrafana(PLUGINS);
    const init = podSpec(objs).initContainers as { name: string; image: string; command: string[]; volumeMounts: { name: string; mountPath: string }[]; securityContext: object }[];
    expect(init.map((c) => c.command)).toEqual([
      ['grafana', 'cli', '--pluginsDir', '/var/lib/grafana-plugins', 'plugins', 'install', 'grafana-piechart-panel', '1.6.4'],
      ['grafana', 'cli', '--pluginsDir', '/var/lib/grafana-plugins', 'plugins', 'install', 'marcusolsson-json-datasource', '1.3.24'],
    ]);
    expect(new Set(init.map((c) => c.image))).toEqual(new Set([grafanaContainer(objs).image]));
    for (const c of init) expect(c.volumeMounts).toContainEqual({ name: 'plugins', mountPath: '/var/lib/grafana-plugins' });
    expect(envOf(objs).GF_PATHS_PLUGINS).toBe('/var/lib/grafana-plugins');
    expect(envOf(objs).GF_PLUGINS_PREINSTALL_DISABLED).toBe('true');
    // Plugins need their signing keys from grafana.com; without plugins that download is off too.
    expect(envOf(objs).GF_PLUGINS_PUBLIC_KEY_RETRIEVAL_DISABLED).toBeUndefined();
    expect(envOf(synthGrafana()).GF_PLUGINS_PUBLIC_KEY_RETRIEVAL_DISABLED).toBe('true');
    expect(podSpec(synthGrafana()).initContainers).toBeUndefined();
  });

  it('pulls the plugin installers from the configured mirror, like the server', () => {
    const objs = synthGrafana(PLUGINS, { extra: 'images: { registry: harbor.example.com }\n' });
    const images = [grafanaContainer(objs).image, ...(podSpec(objs).initContainers as { image: string }[]).map((c) => c.image)];
    expect(images.length).toBe(3);
    for (const image of images) expect(image).toMatch(/^harbor\.example\.com\/docker\.io\/grafana\/grafana:/);
  });

  it('nothing phones home: reporting, update checks, news, external snapshots and the background plugin installer are off in every variant', () => {
    for (const grafana of Object.values(VARIANTS)) {
      expect(envOf(synthGrafana(grafana))).toMatchObject({
        GF_ANALYTICS_REPORTING_ENABLED: 'false',
        GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
        GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: 'false',
        GF_NEWS_NEWS_FEED_ENABLED: 'false',
        GF_SNAPSHOTS_EXTERNAL_ENABLED: 'false',
        GF_PLUGINS_PREINSTALL_DISABLED: 'true',
      });
    }
  });
});

describe('exposure', () => {
  it('an Ingress (networking.k8s.io/v1) with cert-manager TLS, and the root URL from the host', () => {
    const objs = synthGrafana(INGRESS);
    const ingress = find(objs, 'Ingress', 'grafana');
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['grafana.example.com'], secretName: 'grafana-tls' }],
      rules: [{ host: 'grafana.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'grafana', port: { number: 3000 } } } }] } }],
    });
    expect(envOf(objs)).toMatchObject({ GF_SERVER_DOMAIN: 'grafana.example.com', GF_SERVER_ROOT_URL: 'https://grafana.example.com/', GF_SECURITY_COOKIE_SECURE: 'true' });
  });

  it('an Ingress without TLS serves plain http and does not mark cookies secure', () => {
    const objs = synthGrafana('    expose: { ingress: { host: grafana.lab.example.com, tlsSecret: null } }\n'.replace(', tlsSecret: null', ''));
    expect(find(objs, 'Ingress', 'grafana').spec.tls).toBeUndefined();
    expect(envOf(objs).GF_SERVER_ROOT_URL).toBe('http://grafana.lab.example.com/');
    expect(envOf(objs).GF_SECURITY_COOKIE_SECURE).toBeUndefined();
  });

  it('an HTTPRoute (gateway.networking.k8s.io/v1) on the named Gateway', () => {
    const route = find(synthGrafana(ROUTE), 'HTTPRoute', 'grafana');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways' }],
      hostnames: ['grafana.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'grafana', port: 3000 }] }],
    });
  });

  it('nothing is exposed without the key', () => {
    const objs = synthGrafana();
    expect(objs.filter((o) => ['Ingress', 'HTTPRoute'].includes(o.kind))).toEqual([]);
    expect(envOf(objs).GF_SERVER_ROOT_URL).toBeUndefined();
  });
});

describe('restarts: only what Grafana reads at start rolls its pods', () => {
  const dashboard = (title: string): DashboardFile => ({ fileName: 'slo-checkout.json', json: { uid: 'slo-checkout', title, panels: [] } } as unknown as DashboardFile);
  const template = (objs: Obj[]) => JSON.stringify(deployment(objs).spec.template);
  const dashboards = (objs: Obj[]) => JSON.stringify(find(objs, 'ConfigMap', 'grafana-dashboards-slos').data);

  it('a dashboard or SLO change changes the dashboards ConfigMap, not the pod template', () => {
    const before = synthGrafana('', { dashboards: [dashboard('Checkout SLO')] });
    const after = synthGrafana('', { dashboards: [dashboard('Checkout SLO (99.9%)')] });
    expect(dashboards(after)).not.toBe(dashboards(before));
    expect(template(after)).toBe(template(before));
  });

  it('a datasource change changes the pod template (its config hash)', () => {
    const before = synthGrafana();
    // Span metrics from the gateway change the trace → metrics queries of the Tempo datasource.
    const after = synthGrafana('', { extra: 'scale: { spanMetricsInGateway: true }\n' });
    expect(find(after, 'ConfigMap', 'grafana-datasources').data).not.toEqual(find(before, 'ConfigMap', 'grafana-datasources').data);
    expect(template(after)).not.toBe(template(before));
  });

  it('a setting change rolls the pods', () => {
    expect(template(synthGrafana(OIDC))).not.toBe(template(synthGrafana()));
  });

  it('the file provider rescans the dashboards, read-only in the UI, and removes a dashboard whose file is gone', () => {
    const provider = find(synthGrafana(), 'ConfigMap', 'grafana-dashboard-providers').data!['dashboards.yaml']!;
    expect(provider).toMatch(/updateIntervalSeconds: 30/);
    expect(provider).toMatch(/allowUiUpdates: false/);
    expect(provider).toMatch(/disableDeletion: false/);
    expect(provider).toContain(`path: ${GRAFANA_DASHBOARDS_DIR}`);
  });
});

describe('Grafana settings: every GF_* variable is a setting of the pinned Grafana', () => {
  it('the list derives each variable from its ini section and key, with a source at the pinned version', () => {
    for (const s of GRAFANA_SETTINGS) {
      expect(grafanaEnvName(s)).toMatch(/^GF_[A-Z0-9_]+$/);
      expect(s.source).toMatch(/v13\.1(\.3)?\//);
    }
    expect(grafanaEnvName({ section: 'auth.generic_oauth', key: 'client_id' })).toBe('GF_AUTH_GENERIC_OAUTH_CLIENT_ID');
    expect(new Set(GRAFANA_SETTINGS.map(grafanaEnvName)).size).toBe(GRAFANA_SETTINGS.length);
  });

  it.each(Object.entries(VARIANTS))('%s: every GF_* is listed, secrets only as __FILE paths into mounted Secrets', (_, grafana) => {
    const objs = synthGrafana(grafana);
    const spec = podSpec(objs);
    const secretVolumes = new Set(spec.volumes.filter((v: { secret?: object }) => v.secret).map((v: { name: string }) => v.name));
    const secretMounts: string[] = grafanaContainer(objs).volumeMounts.filter((m: { name: string }) => secretVolumes.has(m.name)).map((m: { mountPath: string }) => m.mountPath);
    const env = grafanaContainer(objs).env as { name: string; value?: string }[];
    const gf = env.filter((e) => e.name.startsWith('GF_'));
    expect(gf.length).toBeGreaterThan(10);
    for (const e of gf) {
      const setting = grafanaSettingOf(e.name);
      expect(setting, `${e.name} is not a Grafana 13.1.3 setting we know`).toBeDefined();
      if (setting!.secret) {
        expect(e.name, `${e.name} carries a secret inline`).toMatch(/__FILE$/);
        expect(secretMounts.some((m) => e.value!.startsWith(`${m}/`)), `${e.name}=${e.value} is not in a mounted Secret`).toBe(true);
      } else {
        expect(e.name.endsWith('__FILE')).toBe(false);
      }
    }
  });

  it.each(Object.entries(VARIANTS))('%s: the provisioning, data and plugin paths are mounts', (_, grafana) => {
    const objs = synthGrafana(grafana);
    const env = envOf(objs);
    const mounts = new Map<string, string>(grafanaContainer(objs).volumeMounts.map((m: { mountPath: string; name: string }) => [m.mountPath, m.name]));
    const volumes = new Map<string, any>(podSpec(objs).volumes.map((v: { name: string }) => [v.name, v]));
    const volumeAt = (path: string) => volumes.get(mounts.get(path)!);
    expect(volumeAt(`${env.GF_PATHS_PROVISIONING}/datasources`).configMap.name).toBe('grafana-datasources');
    expect(volumeAt(`${env.GF_PATHS_PROVISIONING}/dashboards`).configMap.name).toBe('grafana-dashboard-providers');
    // One folder per ConfigMap, each mounted where its provider reads.
    expect(volumeAt(`${GRAFANA_DASHBOARDS_DIR}/slos`).configMap.name).toBe('grafana-dashboards-slos');
    expect(volumeAt(`${GRAFANA_DASHBOARDS_DIR}/kubernetes-nodes`).configMap.name).toBe('grafana-dashboards-kubernetes-nodes');
    expect(volumeAt(env.GF_PATHS_DATA!)).toBeDefined();
    expect(volumeAt(env.GF_PATHS_PLUGINS!).emptyDir).toBeDefined();
  });
});
