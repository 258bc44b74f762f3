import { ingressAuthProblem } from '../src/config/grafana-checks.ts';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectLocatedProblem, problemsOf, synthRefuses } from './support/bad-config.ts';

// Bad Grafana and exposure input of issue 15: refused with file:line:col, the key path and what is
// allowed; one case through the CLI for exit code 2 and an untouched output folder.

const BASE = `clusters: [{ name: c1, cloud: aws, region: eu-west-1 }]
networkPolicy: { ingressNamespace: ingress-nginx }
components:
  grafana:
`;

const CASES: { name: string; text: string; at: string; message: RegExp }[] = [
  {
    name: 'an Ingress host that is not a DNS name',
    text: `${BASE}    expose: { ingress: { host: "Grafana_Example.com" } }\n`,
    at: '5:32 components.grafana.expose.ingress.host',
    message: /"Grafana_Example.com" is not allowed; expected a DNS name such as grafana.example.com/,
  },
  {
    name: 'an Ingress host with a scheme',
    text: `${BASE}    expose: { ingress: { host: "https://grafana.example.com" } }\n`,
    at: '5:32 components.grafana.expose.ingress.host',
    message: /expected a DNS name/,
  },
  {
    name: 'both an Ingress and an HTTPRoute',
    text: `${BASE}    expose:\n      ingress: { host: g.example.com }\n      httpRoute: { gateway: { name: gw, namespace: gw }, host: g.example.com }\n`,
    at: '6:7 components.grafana.expose',
    message: /exactly one of ingress or httpRoute/,
  },
  {
    name: 'an Ingress without a controller namespace anywhere',
    text: `clusters: [{ name: c1, cloud: aws, region: eu-west-1 }]\ncomponents:\n  grafana:\n    expose: { ingress: { host: g.example.com } }\n`,
    at: '4:24 components.grafana.expose.ingress',
    message: /name the namespace of your ingress controller/,
  },
  {
    name: 'OIDC without an issuer',
    text: `${BASE}    oidc: { clientId: grafana, clientSecret: { secret: grafana-oidc, key: client-secret } }\n`,
    at: '5:11 components.grafana.oidc',
    message: /missing required key "issuer"/,
  },
  {
    name: 'OIDC with an issuer of unknown layout and no endpoints',
    text: `${BASE}    oidc: { issuer: "https://sso.example.com/", clientId: grafana, clientSecret: { secret: grafana-oidc, key: client-secret } }\n`,
    at: '5:21 components.grafana.oidc.issuer',
    message: /cannot derive the OAuth endpoints of "https:\/\/sso.example.com\/".*give authUrl, tokenUrl and apiUrl/,
  },
  {
    name: 'OIDC with a plain-http issuer',
    text: `${BASE}    oidc: { issuer: "http://keycloak.example.com/realms/ops", clientId: grafana, clientSecret: { secret: s, key: k } }\n`,
    at: '5:21 components.grafana.oidc.issuer',
    message: /expected an https:\/\/ URL/,
  },
  {
    name: 'a plugin without a version',
    text: `${BASE}    plugins: [grafana-piechart-panel]\n`,
    at: '5:15 components.grafana.plugins[0]',
    message: /"grafana-piechart-panel" is not allowed; expected a plugin id with its exact version/,
  },
  {
    name: 'a plugin at "latest"',
    text: `${BASE}    plugins: ["grafana-clock-panel@latest"]\n`,
    at: '5:15 components.grafana.plugins[0]',
    message: /expected a plugin id with its exact version/,
  },
  {
    name: 'replicas > 1 without an external database',
    text: `${BASE}    replicas: 2\n`,
    at: '5:15 components.grafana.replicas',
    message: /2 replicas need an external database/,
  },
  {
    name: 'a database without passwordSecret',
    text: `${BASE}    database: { type: postgres, host: "pg.example.com:5432", name: grafana, user: grafana }\n`,
    at: '5:15 components.grafana.database',
    message: /missing required key "passwordSecret"/,
  },
  {
    name: 'a database sslMode of the other engine',
    text: `${BASE}    database: { type: postgres, host: "pg.example.com:5432", name: grafana, user: grafana, sslMode: skip-verify, passwordSecret: { secret: pg, key: password } }\n`,
    at: '5:101 components.grafana.database.sslMode',
    message: /"skip-verify" is not an sslMode of postgres; expected one of disable, require, verify-full/,
  },
  {
    name: 'Alertmanager exposed without the ingress\'s authentication',
    text: `${BASE}    {}\n  alertmanager:\n    expose: { ingress: { host: am.example.com, tlsSecret: am-tls } }\n`.replace('  grafana:\n    {}\n', ''),
    at: '5:24 components.alertmanager.expose.ingress.annotations',
    message: /alertmanager has no login of its own: set the ingress's authentication in annotations: nginx\.ingress\.kubernetes\.io\/auth-url .* or nginx\.ingress\.kubernetes\.io\/auth-type: basic with nginx\.ingress\.kubernetes\.io\/auth-secret/,
  },
  {
    name: 'Prometheus behind basic authentication without its Secret',
    text: `${BASE}    {}\n  prometheus:\n    expose: { ingress: { host: prom.example.com, tlsSecret: prom-tls, annotations: { nginx.ingress.kubernetes.io/auth-type: basic } } }\n`.replace('  grafana:\n    {}\n', ''),
    at: '5:84 components.prometheus.expose.ingress.annotations',
    message: /nginx\.ingress\.kubernetes\.io\/auth-type: basic needs nginx\.ingress\.kubernetes\.io\/auth-secret/,
  },
  {
    name: 'Prometheus behind authentication without TLS',
    text: `${BASE}    {}\n  prometheus:\n    expose: { ingress: { host: prom.example.com, annotations: { nginx.ingress.kubernetes.io/auth-url: "https://auth.example.com/" } } }\n`.replace('  grafana:\n    {}\n', ''),
    at: '5:24 components.prometheus.expose.ingress',
    message: /prometheus behind the ingress's authentication needs TLS \(tlsSecret or certManagerIssuer\)/,
  },
  {
    name: 'Prometheus through an HTTPRoute (no standard authentication)',
    text: `${BASE}    {}\n  prometheus:\n    expose: { httpRoute: { gateway: { name: public, namespace: gateways }, host: prom.example.com } }\n`.replace('  grafana:\n    {}\n', ''),
    at: '5:15 components.prometheus.expose.httpRoute',
    message: /unknown key "httpRoute"; allowed keys: ingress/,
  },
];

describe('bad Grafana and exposure input', () => {
  it('the base with a full Grafana section is valid', () => {
    const good = `${BASE}    replicas: 3
    database: { type: mysql, host: "mysql.example.com:3306", name: grafana, user: grafana, passwordSecret: { secret: grafana-db, key: password } }
    oidc: { issuer: "https://login.microsoftonline.com/0b9c/v2.0", clientId: grafana, clientSecret: { secret: grafana-oidc, key: client-secret }, allowedGroups: [sre] }
    plugins: [grafana-piechart-panel@1.6.4]
    expose: { httpRoute: { gateway: { name: public, namespace: gateways }, host: grafana.example.com } }
`;
    expect(problemsOf(good)).toEqual([]);
  });

  it.each(CASES)('$name: located error', ({ text, at, message }) => expectLocatedProblem(text, at, message));
});

describe('o11y synth on bad Grafana input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-grafana-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2, prints every located problem, writes nothing', () => {
    const file = join(dir, 'o11y.yaml');
    const out = join(dir, 'dist');
    writeFileSync(file, `${BASE}    expose: { ingress: { host: "Grafana_Example.com" } }\n    plugins: [grafana-piechart-panel]\n`);
    const stderr = synthRefuses(file, out);
    expect(stderr).toContain(`${file}:5:32 components.grafana.expose.ingress.host: "Grafana_Example.com" is not allowed; expected a DNS name`);
    expect(stderr).toContain(`${file}:6:15 components.grafana.plugins[0]: "grafana-piechart-panel" is not allowed`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('ingressAuthProblem: which ingress-nginx annotations authenticate every request', () => {
  it.each([
    [{ 'nginx.ingress.kubernetes.io/auth-url': 'https://oauth2.example.com/oauth2/auth' }, undefined],
    [{ 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': 'users' }, undefined],
    [{ 'nginx.ingress.kubernetes.io/auth-type': 'digest', 'nginx.ingress.kubernetes.io/auth-secret': 'users' }, undefined],
    [{ 'nginx.ingress.kubernetes.io/auth-type': 'basic' }, /needs nginx\.ingress\.kubernetes\.io\/auth-secret/],
    [{ 'nginx.ingress.kubernetes.io/auth-secret': 'users' }, /set the ingress's authentication/],
    [{ 'nginx.ingress.kubernetes.io/auth-type': 'none', 'nginx.ingress.kubernetes.io/auth-secret': 'users' }, /set the ingress's authentication/],
    [{ 'traefik.ingress.kubernetes.io/router.middlewares': 'auth@kubernetescrd' }, /set the ingress's authentication/],
    [{}, /set the ingress's authentication/],
  ] as const)('%j', (annotations, expected) => {
    const problem = ingressAuthProblem(annotations);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
