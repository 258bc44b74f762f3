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
  // --web.config.file guards every request, and the stack's own callers carry no credentials yet:
  // Prometheus is written to by the gateway (OTLP) and Tempo, and read by Grafana and the controller;
  // Alertmanager is called by Prometheus and Grafana, and probed by the kubelet.
  const callers = { prometheus: 'the gateway\'s OTLP push, Tempo\'s remote write, Grafana, the controller', alertmanager: 'Prometheus sending alerts, Grafana, the kubelet\'s probes' };
  for (const app of ['prometheus', 'alertmanager'] as const) {
    if (config.components[app].expose) {
      at(
        ['components', app, 'expose'],
        `${app} cannot be exposed yet: its --web.config.file would demand the credentials from the stack's own callers too (${callers[app]}), which carry none; reach it through Grafana (Explore and the alerting UI, behind its login and SSO) or kubectl port-forward`,
      );
    }
  }
  return problems;
}
