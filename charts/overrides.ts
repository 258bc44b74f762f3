import type { ChartContext } from '../constructs/common.ts';
import type { WorkloadOverrides } from '../constructs/workload.ts';
import { resolveWorkload } from '../src/config/overrides.ts';
import type { Workload } from '../src/config/workloads.ts';

/** What a chart passes as a construct's `overrides`: the workload's settings in the chart's cluster. */
export function overridesFor(ctx: ChartContext, workload: Workload): WorkloadOverrides {
  const { resources, overrides } = resolveWorkload(ctx.config, ctx.cluster, workload);
  return { ...overrides, resources };
}
