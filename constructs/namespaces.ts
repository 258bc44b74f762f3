import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { metadata, type StackContext } from './common.ts';

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
}

/**
 * A namespace of the stack with its Pod Security labels, a default-deny NetworkPolicy for both
 * directions, and the one flow every pod needs: DNS to the cluster resolver.
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
    new k8s.KubeNetworkPolicy(this, 'default-deny', {
      metadata: policyMeta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    new k8s.KubeNetworkPolicy(this, 'allow-dns', {
      metadata: policyMeta('allow-dns'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [
              { port: k8s.IntOrString.fromNumber(53), protocol: 'UDP' },
              { port: k8s.IntOrString.fromNumber(53), protocol: 'TCP' },
            ],
          },
        ],
      },
    });
  }
}
