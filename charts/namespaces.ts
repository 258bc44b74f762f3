import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { ChartContext } from '../constructs/common.ts';
import { StackNamespace } from '../constructs/namespaces.ts';
import { platformProfile } from '../src/model/platforms/index.ts';

/** The stack's namespaces, with Pod Security labels and default-deny NetworkPolicies. Applied first. */
export class NamespacesChart extends Chart {
  constructor(scope: Construct, id: string, ctx: ChartContext) {
    super(scope, id, { disableResourceNameHashes: true });
    const identity = platformProfile(ctx.cluster.cloud).identityBinding(ctx.cluster.identity);
    const policy = { egress: ctx.config.networkPolicy.egress, nodeLocalDnsIp: ctx.config.networkPolicy.nodeLocalDnsIp };
    new StackNamespace(this, 'stack', ctx, { name: ctx.config.namespace, extraLabels: identity.namespaceLabels, ...policy });
    new StackNamespace(this, 'agent', ctx, { name: ctx.config.agentNamespace, podSecurity: 'privileged', ...policy });
  }
}
