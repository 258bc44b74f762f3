import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { exposureUrl, type ExposureUrl } from '../src/grafana/root-url.ts';
import type { ExposeConfig } from '../src/model/types.ts';
import type { StackContext } from './common.ts';
import { componentMetadata, type ComponentId } from './workload.ts';

/** cert-manager's ingress-shim annotation: it issues the Ingress's TLS Secret from this ClusterIssuer. */
const CERT_MANAGER_ISSUER = 'cert-manager.io/cluster-issuer';

export interface ExposureProps {
  readonly expose: ExposeConfig;
  /** The component's Service port. */
  readonly servicePort: number;
  /** The pods' port the traffic reaches (what the NetworkPolicy admits). */
  readonly podPort: number;
  /** Namespace of the ingress controller when the exposure does not name one (networkPolicy.ingressNamespace). */
  readonly defaultControllerNamespace?: string;
}

/** Where users reach an exposed component. */
export type Exposure = ExposureUrl;

/**
 * Makes a component's Service reachable from outside the cluster through an Ingress
 * (networking.k8s.io/v1) or a Gateway API HTTPRoute (gateway.networking.k8s.io/v1) on an existing
 * Gateway, and admits the controller's namespace, and only it, through the flow table. Without an
 * exposure, nothing outside the stack reaches the component (port-forward still works: it does not
 * cross the pod network).
 */
export function exposeComponent(scope: Construct, ctx: StackContext, id: ComponentId, props: ExposureProps): Exposure {
  const { ingress, httpRoute } = props.expose;
  const self = { app: id.app, namespace: id.namespace };
  if (ingress) {
    const controllerNamespace = ingress.controllerNamespace ?? props.defaultControllerNamespace;
    if (!controllerNamespace) throw new Error(`exposure of ${id.app} names no ingress controller namespace`);
    const tlsSecret = ingress.tlsSecret ?? (ingress.certManagerIssuer ? `${id.app}-tls` : undefined);
    const annotations = { ...ingress.annotations, ...(ingress.certManagerIssuer ? { [CERT_MANAGER_ISSUER]: ingress.certManagerIssuer } : {}) };
    new k8s.KubeIngress(scope, `${id.app}-ingress`, {
      metadata: componentMetadata(ctx, id, { annotations, externalSecrets: ingress.tlsSecret ? [ingress.tlsSecret] : [] }),
      spec: {
        ...(ingress.className ? { ingressClassName: ingress.className } : {}),
        ...(tlsSecret ? { tls: [{ hosts: [ingress.host], secretName: tlsSecret }] } : {}),
        rules: [
          {
            host: ingress.host,
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: id.app, port: { number: props.servicePort } } } }] },
          },
        ],
      },
    });
    ctx.flows.add({ from: { namespacePods: controllerNamespace }, to: self, ports: [props.podPort], why: `the ingress controller forwards users to ${id.app}` });
    return exposureUrl(props.expose);
  }
  if (!httpRoute) throw new Error(`exposure of ${id.app} has neither ingress nor httpRoute`);
  new ApiObject(scope, `${id.app}-httproute`, {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: componentMetadata(ctx, id),
    spec: {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: httpRoute.gateway.name, namespace: httpRoute.gateway.namespace }],
      hostnames: [httpRoute.host],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: id.app, port: props.servicePort }] }],
    },
  });
  ctx.flows.add({
    from: { namespacePods: httpRoute.controllerNamespace ?? httpRoute.gateway.namespace },
    to: self,
    ports: [props.podPort],
    why: `the gateway's proxies forward users to ${id.app}`,
  });
  return exposureUrl(props.expose);
}
