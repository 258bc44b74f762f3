import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import type { EgressMode } from '../src/model/types.ts';
import { metadata, type StackContext } from './common.ts';
import { DNS_PORTS } from './network-policy.ts';

/** Pod Security Standards level enforced on a namespace. */
export type PodSecurityLevel = 'restricted' | 'privileged';

export interface StackNamespaceProps {
  readonly name: string;
  /**
   * Enforced PSS level. Only the node-agent namespace is `privileged` (its pods read host logs);
   * it still warns and audits at `restricted` so that every exception stays visible.
   * @default 'restricted'
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * Labels a platform needs on the namespace, e.g. Alibaba's RRSA webhook injection switch.
   * @default {}
   */
  readonly extraLabels?: Readonly<Record<string, string>>;
  /**
   * `open`: default-deny ingress only; `strict`: default-deny egress too, plus DNS to kube-dns
   * pods and to NodeLocal DNSCache.
   * @default 'open'
   */
  readonly egress?: EgressMode;
  /** NodeLocal DNSCache's address, which is not a kube-dns pod. @default '169.254.20.10' */
  readonly nodeLocalDnsIp?: string;
}

/**
 * A namespace of the stack with its Pod Security labels and a default-deny NetworkPolicy for
 * ingress (and, with strict egress, for egress too, plus the one flow every pod then needs: DNS).
 */
export class StackNamespace extends Construct {
  constructor(scope: Construct, id: string, ctx: StackContext, props: StackNamespaceProps) {
    super(scope, id);
    const level = props.podSecurity ?? 'restricted';
    const meta = metadata(ctx, { name: props.name, app: props.name, component: 'namespace' });
    new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        ...meta,
        labels: {
          ...meta.labels,
          ...props.extraLabels,
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/enforce-version': 'v1.28',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': 'v1.28',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/audit-version': 'v1.28',
        },
      },
    });
    const policyMeta = (name: string) => metadata(ctx, { name, namespace: props.name, app: props.name, component: 'namespace' });
    const strict = props.egress === 'strict';
    new k8s.KubeNetworkPolicy(this, 'default-deny', {
      metadata: policyMeta('default-deny'),
      spec: { podSelector: {}, policyTypes: strict ? ['Ingress', 'Egress'] : ['Ingress'] },
    });
    if (!strict) return;
    const dnsPorts = DNS_PORTS.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol }));
    new k8s.KubeNetworkPolicy(this, 'allow-dns', {
      metadata: policyMeta('allow-dns'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
              // NodeLocal DNSCache answers on a link-local address on every node, not from a kube-dns pod.
              { ipBlock: { cidr: `${props.nodeLocalDnsIp ?? '169.254.20.10'}/32` } },
            ],
            ports: dnsPorts,
          },
        ],
      },
    });
  }
}
