/**
 * Pure verdicts over Prometheus API responses: rule health, alerts and SLO error budgets.
 * Shapes follow prometheus/web/api/v1/api.go; only the fields we judge are typed.
 */

/** A rule group the stack synthesized. `file` is the path Prometheus loads it from; '' matches any file. */
export interface ExpectedRuleGroup {
  name: string;
  file: string;
}

export type GroupHealth = 'ok' | 'err' | 'unknown' | 'missing';

export interface RuleGroupReport {
  name: string;
  file: string;
  health: GroupHealth;
  lastError?: string;
  lastEvaluation?: string;
  /** Every rule of the group whose health is not `ok`, with its error. */
  failingRules?: { name: string; health: string; lastError?: string }[];
}

export interface RulesReport {
  status: 'Current' | 'Failed' | 'Unknown';
  message?: string;
  groups: RuleGroupReport[];
}

export interface AlertReport {
  name: string;
  state: 'firing' | 'pending';
  labels: Record<string, string>;
}

export interface SloBudget {
  slo: string;
  service: string;
  /** Ratio of the period's error budget left: 1 untouched, 0 spent, negative overspent. */
  remaining: number;
}

/** `data` of GET /api/v1/rules. */
export interface RulesApiData {
  groups: ApiRuleGroup[];
}

export interface ApiRuleGroup {
  name: string;
  file: string;
  /** Seconds. */
  interval: number;
  lastEvaluation?: string;
  rules: ApiRule[];
}

export interface ApiRule {
  name: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  state?: 'inactive' | 'pending' | 'firing' | 'unknown';
}

/** `data` of GET /api/v1/status/runtimeinfo (only what we judge). */
export interface RuntimeInfo {
  reloadConfigSuccess: boolean;
  startTime?: string;
}

/** `data.alerts[]` of GET /api/v1/alerts. */
export interface ApiAlert {
  labels: Record<string, string>;
  state: string;
}

/** `data` of an instant query returning a vector. */
export interface VectorData {
  resultType: string;
  result: { metric: Record<string, string>; value: [number, string] }[];
}

/** A group that has not run for this many intervals is stuck (rule manager hung, or evaluation slower than its interval). */
export const STALE_INTERVALS = 3;

/** Go's zero time: what Prometheus reports for a group or rule that never ran. */
const NEVER = '0001-01-01T00:00:00Z';

/**
 * Judges rule health:
 * - every expected group is loaded (else `missing`);
 * - every rule has health `ok` and no lastError (else `err`);
 * - every group was evaluated within {@link STALE_INTERVALS}× its interval (else `err`; `unknown` while
 *   Prometheus has been up for less than that, because a fresh server has not evaluated yet);
 * - `reloadConfigSuccess` is true (a failed reload means Prometheus still runs an older config).
 * Loaded groups that nobody expected are reported too: a broken rule is broken wherever it came from.
 * `runtime` undefined means the runtime info could not be read, which leaves the verdict Unknown at best.
 */
export function evaluateRules(
  expected: readonly ExpectedRuleGroup[],
  rules: RulesApiData,
  runtime: RuntimeInfo | undefined,
  now: Date,
): RulesReport {
  const loaded = rules.groups ?? [];
  const used = new Set<ApiRuleGroup>();
  const groups: RuleGroupReport[] = [];
  for (const want of expected) {
    const found = loaded.find((g) => !used.has(g) && g.name === want.name && (want.file === '' || g.file === want.file));
    if (found) {
      used.add(found);
      groups.push(judgeGroup(found, runtime, now));
    } else {
      groups.push({ name: want.name, file: want.file, health: 'missing', lastError: missingReason(want, loaded) });
    }
  }
  for (const g of loaded) if (!used.has(g)) groups.push(judgeGroup(g, runtime, now));

  const problems: string[] = [];
  const count = (h: GroupHealth) => groups.filter((g) => g.health === h).length;
  if (runtime && !runtime.reloadConfigSuccess) problems.push('the last configuration reload failed (reloadConfigSuccess=false)');
  if (count('missing')) problems.push(`${count('missing')} expected rule group(s) not loaded`);
  if (count('err')) problems.push(`${count('err')} rule group(s) unhealthy`);
  if (problems.length) return { status: 'Failed', message: problems.join('; '), groups };

  const unknowns: string[] = [];
  if (!runtime) unknowns.push('runtime info unavailable, so reloadConfigSuccess is unknown');
  if (count('unknown')) unknowns.push(`${count('unknown')} rule group(s) not evaluated yet`);
  if (unknowns.length) return { status: 'Unknown', message: unknowns.join('; '), groups };
  return { status: 'Current', message: `${groups.length} rule group(s) healthy`, groups };
}

function missingReason(want: ExpectedRuleGroup, loaded: readonly ApiRuleGroup[]): string {
  const elsewhere = loaded.filter((g) => g.name === want.name).map((g) => g.file);
  if (elsewhere.length) return `not loaded from ${want.file}; a group of that name is loaded from ${elsewhere.join(', ')}`;
  return want.file ? `not loaded (expected from ${want.file})` : 'not loaded';
}

function judgeGroup(g: ApiRuleGroup, runtime: RuntimeInfo | undefined, now: Date): RuleGroupReport {
  const report: RuleGroupReport = { name: g.name, file: g.file, health: 'ok' };
  const evaluated = g.lastEvaluation && g.lastEvaluation !== NEVER ? g.lastEvaluation : undefined;
  if (evaluated) report.lastEvaluation = evaluated;

  const failing = (g.rules ?? []).filter((r) => r.health !== 'ok' || r.lastError);
  if (failing.length) {
    report.failingRules = failing.map((r) => ({ name: r.name, health: r.health, ...(r.lastError ? { lastError: r.lastError } : {}) }));
  }
  const broken = failing.find((r) => r.health === 'err' || r.lastError);
  if (broken) {
    report.health = 'err';
    report.lastError = `rule ${broken.name}: ${broken.lastError ?? 'health err'}`;
    return report;
  }

  const staleAfterMs = STALE_INTERVALS * g.interval * 1000;
  const since = evaluated ?? runtime?.startTime;
  const ageMs = since ? now.getTime() - Date.parse(since) : NaN;
  if (ageMs > staleAfterMs) {
    report.health = 'err';
    report.lastError = evaluated
      ? `last evaluated ${formatSeconds(ageMs)} ago, more than ${STALE_INTERVALS}× its ${g.interval}s interval`
      : `never evaluated, ${formatSeconds(ageMs)} after Prometheus started (interval ${g.interval}s)`;
  } else if (!evaluated || failing.length) {
    // Not evaluated yet, or rules reporting `unknown` (they have not run since the last reload).
    report.health = 'unknown';
  }
  return report;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

/** Firing and pending alerts; inactive ones are not news. */
export function activeAlerts(alerts: readonly ApiAlert[]): AlertReport[] {
  return alerts
    .filter((a): a is ApiAlert & { state: 'firing' | 'pending' } => a.state === 'firing' || a.state === 'pending')
    .map((a) => ({ name: a.labels.alertname ?? '', state: a.state, labels: a.labels }))
    .sort((a, b) => a.name.localeCompare(b.name) || (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1));
}

/** Sloth's per-SLO error-budget series, the result of an instant query of {@link BUDGET_METRIC}. */
export const BUDGET_METRIC = 'slo:period_error_budget_remaining:ratio';

/** One budget per (service, SLO), from an instant vector of {@link BUDGET_METRIC}; NaN samples (no traffic yet) are dropped. */
export function sloBudgets(data: VectorData): SloBudget[] {
  if (data.resultType !== 'vector') return [];
  return data.result
    .filter((s) => s.metric.sloth_slo !== undefined)
    .map((s) => ({ slo: s.metric.sloth_slo!, service: s.metric.sloth_service ?? '', remaining: Number(s.value[1]) }))
    .filter((b) => Number.isFinite(b.remaining))
    .sort((a, b) => a.service.localeCompare(b.service) || a.slo.localeCompare(b.slo));
}
