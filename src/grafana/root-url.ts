import { resolveWorkload } from '../config/overrides.ts';
import type { Topology } from '../model/topology.ts';
import type { ExposeConfig, StackConfig } from '../model/types.ts';

/** Grafana's port, in the pod and on its Service. */
export const GRAFANA_PORT = 3000;

/** Where users reach an exposed component. */
export interface ExposureUrl {
  readonly host: string;
  /** The public base URL, e.g. `https://grafana.example.com/`. */
  readonly url: string;
  readonly tls: boolean;
}

/**
 * The public URL of an exposure: `https://` with a TLS Secret or a cert-manager issuer, `http://`
 * otherwise; an HTTPRoute's is taken to be `https://` (a browser-facing Gateway listener terminates
 * TLS; the route cannot tell).
 */
export function exposureUrl(expose: ExposeConfig): ExposureUrl {
  if (expose.ingress) {
    const tls = !!(expose.ingress.tlsSecret ?? expose.ingress.certManagerIssuer);
    return { host: expose.ingress.host, url: `${tls ? 'https' : 'http'}://${expose.ingress.host}/`, tls };
  }
  if (!expose.httpRoute) throw new Error('an exposure has neither ingress nor httpRoute');
  return { host: expose.httpRoute.host, url: `https://${expose.httpRoute.host}/`, tls: true };
}

/**
 * Where users open the stack's Grafana (in a multi-cluster stack, the Grafana cluster's), ending in
 * `/`: the user's own `GF_SERVER_ROOT_URL` (`extraEnv`) wins, then the exposure's URL; without
 * either, `kubectl port-forward svc/grafana 3000`'s `http://localhost:3000/`.
 */
export function grafanaRootUrl(config: StackConfig, topology: Topology): string {
  const env = resolveWorkload(config, topology.grafanaCluster, 'grafana').overrides.extraEnv ?? [];
  const own = env.find((e) => e.name === 'GF_SERVER_ROOT_URL');
  const url = own && 'value' in own && /^https?:\/\//.test(own.value) ? own.value : config.components.grafana.expose ? exposureUrl(config.components.grafana.expose).url : `http://localhost:${GRAFANA_PORT}/`;
  return url.endsWith('/') ? url : `${url}/`;
}
