/**
 * `o11y watch`: the in-cluster controller. Informers keep the verdict current; Prometheus (which
 * has no watch API) is read on an interval. It serves /metrics, /healthz (the informers are
 * working) and /readyz (a verdict exists) and never writes to the cluster.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { buildReport, prometheusHealth, rearmExpiry, RULES_SKIPPED, type CheckOptions, type PrometheusResult, type PrometheusTarget } from './check.ts';
import { ClusterWatch } from './informers.ts';
import type { KubeReader } from './kube.ts';
import type { CheckReport, Status } from './report.ts';

const STATUSES: readonly Status[] = ['Current', 'InProgress', 'Failed', 'NotFound', 'Unknown'];
const HEALTHS = ['ok', 'err', 'unknown', 'missing'] as const;

/** The controller's gauges, rebuilt from each verdict (state-set style, like kube-state-metrics). */
export class ReportMetrics {
  readonly registry = new Registry();
  private readonly healthy = new Gauge({ name: 'o11y_healthy', help: '1 when every workload is Current and the SLO rules are healthy (or not checked)', registers: [this.registry] });
  private readonly workloadStatus = new Gauge({ name: 'o11y_workload_status', help: 'Status of each workload (1 for its current status)',
    labelNames: ['kind', 'namespace', 'name', 'status'], registers: [this.registry] });
  private readonly readyPods = new Gauge({ name: 'o11y_workload_ready_pods', help: 'Ready pods of a workload per node architecture',
    labelNames: ['kind', 'namespace', 'name', 'arch'], registers: [this.registry] });
  private readonly pods = new Gauge({ name: 'o11y_workload_pods', help: 'Pods of a workload per node architecture',
    labelNames: ['kind', 'namespace', 'name', 'arch'], registers: [this.registry] });
  private readonly warnings = new Gauge({ name: 'o11y_workload_warnings', help: 'Warnings about a workload (e.g. a preferred spread over architectures that did not happen)',
    labelNames: ['kind', 'namespace', 'name'], registers: [this.registry] });
  private readonly nodes = new Gauge({ name: 'o11y_nodes', help: 'Nodes per architecture', labelNames: ['arch'], registers: [this.registry] });
  private readonly ruleGroup = new Gauge({ name: 'o11y_rule_group_health', help: 'Health of each expected or loaded rule group (1 for its current health)',
    labelNames: ['group', 'file', 'health'], registers: [this.registry] });
  private readonly rulesStatus = new Gauge({ name: 'o11y_rules_status', help: 'Overall rule status (1 for the current one)', labelNames: ['status'], registers: [this.registry] });
  private readonly budget = new Gauge({ name: 'o11y_slo_error_budget_remaining', help: 'Ratio of the error budget left per SLO',
    labelNames: ['service', 'slo'], registers: [this.registry] });
  private readonly alerts = new Gauge({ name: 'o11y_alerts', help: 'Active alerts by state', labelNames: ['alertname', 'state'], registers: [this.registry] });

  update(report: CheckReport): void {
    for (const g of [this.workloadStatus, this.readyPods, this.pods, this.warnings, this.nodes, this.ruleGroup, this.rulesStatus, this.budget, this.alerts]) g.reset();
    this.healthy.set(report.healthy ? 1 : 0);
    for (const w of report.workloads) {
      const id = { kind: w.kind, namespace: w.namespace, name: w.name };
      for (const s of STATUSES) this.workloadStatus.set({ ...id, status: s }, s === w.status ? 1 : 0);
      this.warnings.set(id, w.warnings.length);
      for (const [arch, c] of Object.entries(w.architectures)) {
        this.readyPods.set({ ...id, arch }, c.ready);
        this.pods.set({ ...id, arch }, c.total);
      }
    }
    for (const [arch, n] of Object.entries(report.nodes)) this.nodes.set({ arch }, n);
    for (const g of report.rules.groups) for (const h of HEALTHS) this.ruleGroup.set({ group: g.name, file: g.file, health: h }, h === g.health ? 1 : 0);
    for (const s of ['Current', 'Failed', 'Unknown', 'Skipped']) this.rulesStatus.set({ status: s }, s === report.rules.status ? 1 : 0);
    for (const b of report.budgets) this.budget.set({ service: b.service, slo: b.slo }, b.remaining);
    for (const a of report.alerts) this.alerts.inc({ alertname: a.name, state: a.state });
  }
}

export interface ControllerOptions extends CheckOptions {
  host?: string;
  port: number;
  /** How often Prometheus is read. @default 30000 */
  prometheusIntervalMs?: number;
  /** How long an informer may be failing or unsynced before /healthz answers 503. @default 120000 */
  unhealthyAfterMs?: number;
}

export interface RunningController {
  readonly url: string;
  report(): CheckReport | undefined;
  stop(): Promise<void>;
}

export async function startController(reader: KubeReader, opts: ControllerOptions): Promise<RunningController> {
  const metrics = new ReportMetrics();
  let prom: PrometheusResult = opts.prometheus ? { rules: { status: 'Unknown', message: 'not read yet', groups: [] }, alerts: [], budgets: [] } : RULES_SKIPPED;
  let last: CheckReport | undefined;
  /** Forbidden or unreachable: not ready, keep retrying (RBAC may be fixed without a restart). */
  let fatal: string | undefined;
  let pending: NodeJS.Timeout | undefined;
  let expiry: NodeJS.Timeout | undefined;

  const evaluate = () => {
    pending = undefined;
    if (!cluster.synced) return;
    last = buildReport(cluster.state(), prom, opts);
    metrics.update(last);
    expiry = rearmExpiry(expiry, last, evaluate);
  };
  const cluster = new ClusterWatch(reader, opts.scope, {
    onChange: () => {
      fatal = undefined;
      pending ??= setTimeout(evaluate, 50);
    },
    onFatal: (e) => {
      fatal = e.message;
      return true;
    },
  });
  const readPrometheus = async (target: PrometheusTarget) => {
    prom = await prometheusHealth(target);
    evaluate();
  };
  const target = opts.prometheus;
  const promTimer = target && setInterval(() => void readPrometheus(target), opts.prometheusIntervalMs ?? 30_000);

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (path === '/metrics') {
      metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(e.message));
    } else if (path === '/healthz') {
      // A liveness failure restarts the process: worth it only when the watches stay broken.
      const broken = cluster.broken(opts.unhealthyAfterMs ?? 120_000);
      res.writeHead(broken.length ? 503 : 200, { 'content-type': 'text/plain' })
        .end(broken.length ? `informers not working:\n${broken.map((b) => `  ${b}\n`).join('')}` : 'ok\n');
    } else if (path === '/readyz') {
      const ready = cluster.synced && last !== undefined && !fatal;
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : `not ready: ${fatal ?? 'informers not synced'}\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  cluster.start();
  if (target) void readPrometheus(target);
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    report: () => last,
    stop: async () => {
      clearInterval(promTimer);
      clearTimeout(pending);
      clearTimeout(expiry);
      cluster.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
