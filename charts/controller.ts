import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { ChartContext } from '../constructs/common.ts';
import { overridesFor } from './overrides.ts';
import { O11yController } from '../constructs/controller.ts';
import { metricsEndpoints } from './metrics-endpoints.ts';

/**
 * The `o11y watch` controller, next to the Prometheus whose rules it checks; with a `gitops`
 * section (Argo CD delivers the stack), also the PostSync hook that fails a sync on an unhealthy stack.
 */
export class ControllerChart extends Chart {
  constructor(scope: Construct, id: string, ctx: ChartContext) {
    super(scope, id, { disableResourceNameHashes: true });
    const { query } = metricsEndpoints(ctx);
    new O11yController(this, 'o11y-controller', ctx, {
      namespace: ctx.config.namespace,
      hook: ctx.config.gitops !== undefined,
      prometheus: { namespace: ctx.config.namespace, port: query.port, app: query.service, ...(query.path ? { path: query.path } : {}) },
      overrides: overridesFor(ctx, 'controller'),
    });
  }
}
