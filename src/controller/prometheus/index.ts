import { UnreachableError } from '../../errors.ts';
import { PrometheusApiError, PrometheusClient, type PrometheusEndpoint, type RetryPolicy } from './client.ts';
import {
  activeAlerts,
  BUDGET_METRIC,
  evaluateRules,
  sloBudgets,
  type AlertReport,
  type ApiAlert,
  type ExpectedRuleGroup,
  type RulesApiData,
  type RulesReport,
  type RuntimeInfo,
  type SloBudget,
  type VectorData,
} from './health.ts';

export type { PrometheusEndpoint, RetryPolicy } from './client.ts';
export { serviceProxyPath } from './client.ts';
export { expectedRuleGroupsFromManifests, expectedRuleGroups } from './expected.ts';
export * from './health.ts';

export interface PrometheusCheck {
  rules: RulesReport;
  alerts: AlertReport[];
  budgets: SloBudget[];
  /** What could not be read without making the whole check fail (e.g. the budget query), one line each. */
  warnings: string[];
}

/**
 * Reads rules, runtime info, alerts and SLO budgets from Prometheus and judges them (see {@link evaluateRules}).
 * Throws UnreachableError when Prometheus cannot be reached, answers 401/403, or keeps answering 5xx after retries.
 * A failing side query (alerts, budgets, runtime info) leaves only its own part empty or Unknown, with a warning.
 */
export async function checkPrometheus(
  ep: PrometheusEndpoint,
  expected: ExpectedRuleGroup[],
  now: Date = new Date(),
  retry?: RetryPolicy,
): Promise<PrometheusCheck> {
  const client = await PrometheusClient.connect(ep, retry);
  const warnings: string[] = [];
  const optional = async <T>(what: string, read: Promise<T>): Promise<T | undefined> => {
    try {
      return await read;
    } catch (e) {
      if (e instanceof PrometheusApiError) {
        warnings.push(`${what}: ${e.message}`);
        return undefined;
      }
      throw e;
    }
  };
  const [rules, runtime, alerts, budgets] = await Promise.all([
    client.get<RulesApiData>('/api/v1/rules').catch((e: unknown) => {
      // Without the rules there is nothing to judge: an API that cannot list them is not a Prometheus we can check.
      throw e instanceof PrometheusApiError ? new UnreachableError(`${client.describe}: ${e.message}`) : e;
    }),
    optional('runtime info', client.get<RuntimeInfo>('/api/v1/status/runtimeinfo')),
    optional('alerts', client.get<{ alerts: ApiAlert[] }>('/api/v1/alerts')),
    optional('SLO error budgets', client.get<VectorData>('/api/v1/query', { query: BUDGET_METRIC })),
  ]);
  return {
    rules: evaluateRules(expected, rules, runtime, now),
    alerts: activeAlerts(alerts?.alerts ?? []),
    budgets: budgets ? sloBudgets(budgets) : [],
    warnings,
  };
}
