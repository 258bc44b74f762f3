/** A healthy Prometheus verdict: the controller benchmarks measure the Kubernetes side only. */
export const NO_PROMETHEUS = { rules: { status: 'Current' as const, groups: [] }, alerts: [], budgets: [] };
