/** The shape of `o11y check -o json` (contract, see DESIGN.md and README). */
import type { AlertReport, RulesReport, SloBudget } from './prometheus/index.ts';
import type { WorkloadKind } from './k8s-types.ts';

export type Status = 'Current' | 'InProgress' | 'Failed' | 'NotFound' | 'Unknown';

export interface ArchCount {
  ready: number;
  total: number;
}

/** A pod with something to say: why it is not running, or why it restarted. */
export interface PodReport {
  name: string;
  node?: string;
  arch?: string;
  reason: string;
  message: string;
  /** A problem given time to clear (an image pull): when it turns the workload Failed (RFC 3339). */
  failsAt?: string;
}

export interface WorkloadReport {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  status: Status;
  message: string;
  architectures: Record<string, ArchCount>;
  pods: PodReport[];
  /** Worth knowing but not a failure, e.g. a preferred spread over architectures that did not happen. */
  warnings: string[];
}

/** Rule health from Prometheus, or `Skipped` when the check was told not to read it (`--no-rules`). */
export type RulesVerdict = RulesReport | { status: 'Skipped'; message: string; groups: [] };

export interface CheckReport {
  healthy: boolean;
  nodes: Record<string, number>;
  workloads: WorkloadReport[];
  rules: RulesVerdict;
  alerts: AlertReport[];
  /** Error budget remaining per SLO (0..1); an addition to the contract's keys. */
  budgets: SloBudget[];
}

