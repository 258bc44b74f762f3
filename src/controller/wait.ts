/**
 * `o11y check --wait`: informers instead of a polling loop. Every watch event re-judges the cached
 * state; the wait ends as soon as everything is Current or anything is Failed, or at the timeout.
 *
 * Prometheus has no watch API, so its rules are read once the workloads are all Current, and
 * re-read with backoff only while they are not yet judged (rule groups that have not run yet).
 */
import { UnreachableError } from '../errors.ts';
import { buildReport, isSettled, prometheusHealth, rearmExpiry, RULES_SKIPPED, type CheckOptions, type PrometheusResult, type PrometheusTarget } from './check.ts';
import { ClusterWatch } from './informers.ts';
import type { KubeReader } from './kube.ts';
import type { CheckReport } from './report.ts';

export interface WaitOptions extends CheckOptions {
  timeoutMs: number;
  /** Called with each new verdict while waiting (for progress output). */
  onProgress?: (report: CheckReport) => void;
}

export interface WaitResult {
  report: CheckReport;
  timedOut: boolean;
}

const NOT_YET: PrometheusResult = {
  rules: { status: 'Unknown', message: 'checked once the workloads are Current', groups: [] }, alerts: [], budgets: [],
};
/** Coalesces bursts of watch events (a rollout touches many pods at once) into one evaluation. */
const SETTLE_MS = 50;
const PROMETHEUS_RETRY_MAX_MS = 15_000;

export function waitForHealthy(reader: KubeReader, opts: WaitOptions): Promise<WaitResult> {
  return new Promise<WaitResult>((resolve, reject) => {
    let prom = opts.prometheus ? NOT_YET : RULES_SKIPPED;
    let promBusy = false;
    let promRetryMs = 1000;
    let last: CheckReport | undefined;
    let pending: NodeJS.Timeout | undefined;
    let promTimer: NodeJS.Timeout | undefined;
    let expiry: NodeJS.Timeout | undefined;
    let finished = false;

    const finish = (outcome: { result?: WaitResult; error?: Error }) => {
      if (finished) return;
      finished = true;
      clearTimeout(pending);
      clearTimeout(promTimer);
      clearTimeout(expiry);
      clearTimeout(deadline);
      cluster.stop();
      if (outcome.error) reject(outcome.error);
      else resolve(outcome.result!);
    };

    const evaluate = () => {
      pending = undefined;
      if (finished || !cluster.synced) return;
      const report = buildReport(cluster.state(), prom, opts);
      last = report;
      opts.onProgress?.(report);
      if (isSettled(report)) return finish({ result: { report, timedOut: false } });
      expiry = rearmExpiry(expiry, report, evaluate);
      const workloadsCurrent = report.workloads.every((w) => w.status === 'Current');
      if (workloadsCurrent && opts.prometheus && !promBusy && !promTimer) void readPrometheus(opts.prometheus);
    };

    const readPrometheus = async (target: PrometheusTarget) => {
      promBusy = true;
      prom = await prometheusHealth(target);
      promBusy = false;
      if (finished) return;
      if (prom.rules.status === 'Unknown') {
        promTimer = setTimeout(() => {
          promTimer = undefined;
          evaluate();
        }, promRetryMs);
        promRetryMs = Math.min(promRetryMs * 2, PROMETHEUS_RETRY_MAX_MS);
      }
      evaluate();
    };

    const cluster = new ClusterWatch(reader, opts.scope, {
      onChange: () => {
        pending ??= setTimeout(evaluate, SETTLE_MS);
      },
      onFatal: (error: UnreachableError) => {
        finish({ error });
        return false;
      },
    });
    const deadline = setTimeout(() => {
      const report = last ?? buildReport(cluster.state(), prom, opts);
      finish({ result: { report, timedOut: true } });
    }, opts.timeoutMs);
    cluster.start();
  });
}
