import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { StackContext } from '../constructs/common.ts';
import { StackNamespace } from '../constructs/namespaces.ts';

/** The stack's namespaces, with Pod Security labels and default-deny NetworkPolicies. Applied first. */
export class NamespacesChart extends Chart {
  constructor(scope: Construct, id: string, ctx: StackContext) {
    super(scope, id, { disableResourceNameHashes: true });
    new StackNamespace(this, 'stack', ctx, { name: ctx.config.namespace });
    new StackNamespace(this, 'agent', ctx, { name: ctx.config.agentNamespace, podSecurity: 'privileged' });
  }
}
