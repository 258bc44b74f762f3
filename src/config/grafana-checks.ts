import type { InputProblem } from '../errors.ts';
import { KNOWN_ISSUER_LAYOUTS, oidcEndpoints } from '../grafana/oidc-endpoints.ts';
import type { YamlSource } from '../input/yaml-source.ts';
import type { ComponentsConfig, ExposeConfig, NetworkPolicyConfig } from '../model/types.ts';

const SSL_MODES = { postgres: ['disable', 'require', 'verify-full'], mysql: ['true', 'false', 'skip-verify'] } as const;

/** Grafana and exposure rules that JSON Schema cannot express. */
export function grafanaProblems(source: YamlSource, config: { components: ComponentsConfig; networkPolicy: NetworkPolicyConfig }): InputProblem[] {
  const problems: InputProblem[] = [];
  const at = (path: (string | number)[], message: string) => problems.push(source.problem(path, message));
  const grafana = config.components.grafana;
  const g = ['components', 'grafana'];
  if (grafana.replicas > 1 && !grafana.database) {
    at([...g, 'replicas'], `${grafana.replicas} replicas need an external database (components.grafana.database): with the default SQLite on a ReadWriteOnce volume, only one pod can hold Grafana's state`);
  }
  const db = grafana.database;
  if (db?.sslMode && !(SSL_MODES[db.type] as readonly string[]).includes(db.sslMode)) {
    at([...g, 'database', 'sslMode'], `"${db.sslMode}" is not an sslMode of ${db.type}; expected one of ${SSL_MODES[db.type].join(', ')}`);
  }
  const oidc = grafana.oidc;
  if (oidc && !oidcEndpoints(oidc.issuer, oidc)) {
    at(
      [...g, 'oidc', 'issuer'],
      `cannot derive the OAuth endpoints of "${oidc.issuer}" (known layouts: ${KNOWN_ISSUER_LAYOUTS.join(', ')}); give authUrl, tokenUrl and apiUrl (authorization_endpoint, token_endpoint and userinfo_endpoint of ${oidc.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration)`,
    );
  }
  const exposures: [string[], ExposeConfig | undefined][] = [
    [[...g, 'expose'], grafana.expose],
    [['components', 'prometheus', 'expose'], config.components.prometheus.expose],
    [['components', 'alertmanager', 'expose'], config.components.alertmanager.expose],
  ];
  for (const [path, expose] of exposures) {
    if (expose?.ingress && !expose.ingress.controllerNamespace && !config.networkPolicy.ingressNamespace) {
      at([...path, 'ingress'], 'name the namespace of your ingress controller (ingress.controllerNamespace, or networkPolicy.ingressNamespace for every exposure): the NetworkPolicy admits its pods and no others');
    }
  }
  for (const app of ['prometheus', 'alertmanager'] as const) {
    const ingress = config.components[app].expose?.ingress;
    if (!ingress) continue;
    const path = ['components', app, 'expose', 'ingress'];
    const refusal = ingressAuthProblem(ingress.annotations ?? {});
    if (refusal) at([...path, 'annotations'], `${app} has no login of its own: ${refusal}`);
    if (!ingress.tlsSecret && !ingress.certManagerIssuer) at(path, `${app} behind the ingress's authentication needs TLS (tlsSecret or certManagerIssuer): credentials and session cookies must not cross the network in the clear`);
  }
  return problems;
}

/** ingress-nginx's authentication annotations (kubernetes.github.io/ingress-nginx, user-guide/nginx-configuration/annotations). */
export const INGRESS_NGINX_AUTH = {
  url: 'nginx.ingress.kubernetes.io/auth-url',
  type: 'nginx.ingress.kubernetes.io/auth-type',
  secret: 'nginx.ingress.kubernetes.io/auth-secret',
} as const;

/**
 * Why an Ingress's annotations do not make its controller authenticate every request, or undefined
 * when they do: ingress-nginx external authentication (`auth-url`, e.g. oauth2-proxy) or basic or
 * digest authentication (`auth-type` with `auth-secret`). Other controllers' schemes cannot be
 * told apart from unrelated middleware here, so they are refused rather than trusted. Pure.
 */
export function ingressAuthProblem(annotations: Readonly<Record<string, string>>): string | undefined {
  if (annotations[INGRESS_NGINX_AUTH.url]) return undefined;
  const type = annotations[INGRESS_NGINX_AUTH.type];
  if (type === 'basic' || type === 'digest') {
    return annotations[INGRESS_NGINX_AUTH.secret] ? undefined : `${INGRESS_NGINX_AUTH.type}: ${type} needs ${INGRESS_NGINX_AUTH.secret} (the htpasswd Secret)`;
  }
  return `set the ingress's authentication in annotations: ${INGRESS_NGINX_AUTH.url} (external authentication, e.g. oauth2-proxy) or ${INGRESS_NGINX_AUTH.type}: basic with ${INGRESS_NGINX_AUTH.secret} (ingress-nginx)`;
}
