import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { stackContext, type ChartContext } from '../constructs/common.ts';
import type { FlowTable } from '../constructs/network-policy.ts';
import { resolveStackInput, type StackInput } from '../src/config/input.ts';
import { resolveTopology, victoriaMetricsInUse, type Topology } from '../src/model/topology.ts';
import { metricsMode, type ClusterConfig, type InputFilesEntry, type StackConfig } from '../src/model/types.ts';
import { GLOBAL_SELECT_RULES_CONFIGMAP, GLOBAL_SELECT_RULES_FILE, globalSelectRules, victoriaMetricsRules, VM_RULES_CONFIGMAP, VM_RULES_FILE } from '../src/rules/victoriametrics.ts';
import type { DashboardFile } from '../src/dashboards/stack-health.ts';
import { InputError, type InputProblem } from '../src/errors.ts';
import { resolveInputFiles } from '../src/input/files.ts';
import { loadMonitorFiles } from '../src/scrape/monitors.ts';
import { loadUserDashboards } from '../src/user/dashboards.ts';
import { duplicateGroupProblems, loadUserRules } from '../src/user/rules.ts';
import { annotateForArgoCd } from '../src/gitops/apply-options.ts';
import { annotateForFlux, CLUSTER_KUSTOMIZE_FILE, clusterKustomization, type ManifestFile } from '../src/gitops/flux-objects.ts';
import type { Manifest } from '../src/gitops/manifest.ts';
import { runbookDashboard } from '../src/dashboards/runbook.ts';
import { runbookLink, runbookParts } from '../src/rules/catalogue.ts';
import { stackRules } from '../src/rules/stack-rules.ts';
import { KUBERNETES_RULE_FILE, KUBERNETES_RULES_CONFIGMAP, kubernetesRules } from '../src/rules/kubernetes/index.ts';
import { synthesizedJobs } from '../src/monitoring/metric-catalogue.ts';
import { PROMTOOL_RULE_FILE } from '../src/slo/index.ts';
import { placeSlos } from '../src/slo/placement.ts';
import type { PromtoolTestOutput, RuleFileOutput } from '../src/synth-types.ts';
import { dumpYaml, ruleFileYaml } from '../src/yaml-output.ts';
import { BackendsChart } from './backends.ts';
import { ClusterMetricsChart } from './cluster-metrics.ts';
import { CollectorsChart } from './collectors.ts';
import { ControllerChart } from './controller.ts';
import { GrafanaChart, grafanaPrometheusUid, provisionedDatasources, stackDashboards } from './grafana.ts';
import { NamespacesChart } from './namespaces.ts';
import { PrometheusChart } from './prometheus.ts';

/**
 * Folder of `dist/` with one `<cluster>/` of files for `promtool` each. Outside the cluster folders,
 * so that `dist/<cluster>/` holds Kubernetes objects only: kustomize and Flux read folders recursively.
 */
export const PROMTOOL_DIR = 'promtool';

/** Everything a stack synthesizes beside the Kubernetes objects, shared by its clusters. */
export interface StackArtifacts {
  readonly dashboards: readonly DashboardFile[];
  /** The runbook dashboard: every alert's section, and every SLO's. */
  readonly runbook: DashboardFile;
  /** The user's dashboards (`dashboards:`), checked against the Grafana cluster's datasources. */
  readonly customDashboards: readonly DashboardFile[];
  /** The user's scrape configs: converted `scrape.monitors`, then `scrape.extraConfigs`. */
  readonly userJobs: readonly object[];
  /** What one backend cluster's Prometheus evaluates: the stack's rules and the SLOs placed in its cloud. */
  forBackend(cluster: ClusterConfig): BackendRules;
}

export interface BackendRules {
  readonly ruleFiles: readonly RuleFileOutput[];
  readonly promtoolTests: readonly PromtoolTestOutput[];
}

/**
 * The stack's own rules, the Kubernetes rules, everything compiled from the config's SLO files, and the user's rules,
 * dashboards and scrape targets (files relative to the config).
 */
export function stackArtifacts(config: StackConfig, topology: Topology): StackArtifacts {
  // The Grafana cluster's context: its datasources are what dashboards refer to.
  const grafana = stackContext(config, topology.grafanaCluster, topology);
  // Every alert links to its runbook section: the user's runbook, or the dashboard on the Grafana users open.
  const runbook = runbookLink(config, topology);
  const slos = placeSlos(config, topology, {
    partOf: config.name,
    prometheusUid: grafanaPrometheusUid(grafana),
    runbook,
  });
  const stack: RuleFileOutput = { configMap: 'prometheus-rules-stack', fileName: 'stack.rules.yaml', content: stackRules(runbook) };
  const globalSelect = config.components.victoriametrics.globalSelect;
  const runbookFile = runbookDashboard(runbookParts(slos.all.slos, { victoriaMetrics: victoriaMetricsInUse(config.clusters, topology), globalSelect }));
  // The global vmselect's alerts, where its metrics are stored: the backend of the Grafana cluster's cloud (in either metrics mode).
  const grafanaBackend = topology.backendOf(topology.grafanaCluster.cloud);
  const globalSelectRuleFile: RuleFileOutput = { configMap: GLOBAL_SELECT_RULES_CONFIGMAP, fileName: GLOBAL_SELECT_RULES_FILE, content: globalSelectRules(runbook) };
  const user = userArtifacts(config, grafana, slos.all.dashboards, runbookFile);
  return {
    dashboards: slos.all.dashboards,
    runbook: runbookFile,
    customDashboards: user.dashboards,
    userJobs: user.scrapeJobs,
    forBackend: (cluster) => {
      const own = slos.forBackend(cluster);
      const sloRules: RuleFileOutput = { configMap: 'prometheus-rules-slo', fileName: basename(PROMTOOL_RULE_FILE), content: own.ruleFile };
      // The Kubernetes rules read the jobs the backend's cloud scrapes: a cloud's clusters send their metrics to its backend.
      const kubernetes: RuleFileOutput = {
        configMap: KUBERNETES_RULES_CONFIGMAP,
        fileName: KUBERNETES_RULE_FILE,
        content: kubernetesRules({ jobs: synthesizedJobs(cluster.cloud), disabledGroups: config.monitoring.kubernetes.disabledGroups, runbook }),
      };
      // The VictoriaMetrics cluster's own alerts, only where it runs.
      const vm: RuleFileOutput[] = metricsMode(cluster) === 'victoriametrics-cluster' ? [{ configMap: VM_RULES_CONFIGMAP, fileName: VM_RULES_FILE, content: victoriaMetricsRules(runbook) }] : [];
      const global = globalSelect && grafanaBackend?.kind === 'cluster' && grafanaBackend.cluster.name === cluster.name ? [globalSelectRuleFile] : [];
      const ruleFiles = [stack, ...vm, ...global, kubernetes, ...(own.slos.length ? [sloRules] : []), ...(user.rules ? [user.rules] : [])];
      const duplicates = duplicateGroupProblems(ruleFiles);
      if (duplicates.length) throw new InputError(duplicates);
      return { ruleFiles, promtoolTests: own.promtoolTests };
    },
  };
}

/** The user's rule files, dashboards and scrape targets (files relative to the config), checked; every problem of all three at once. */
function userArtifacts(config: StackConfig, grafana: ChartContext, sloDashboards: readonly DashboardFile[], runbook: DashboardFile) {
  const baseDir = dirname(resolve(config.source));
  const problems: InputProblem[] = [];
  const attempt = <T>(load: () => T, fallback: T): T => {
    try {
      return load();
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problems.push(...e.problems);
      return fallback;
    }
  };
  const files = (entries: readonly InputFilesEntry[], what: string, ...key: string[]) => resolveInputFiles(entries, { what, key }, baseDir, config.source);
  const rules = attempt(() => loadUserRules(files(config.rules, 'rule file', 'rules')), undefined);
  const dashboards = attempt(
    () => loadUserDashboards(files(config.dashboards, 'dashboard', 'dashboards'), provisionedDatasources(grafana), stackDashboards(grafana, sloDashboards, runbook).flatMap((f) => f.dashboards.map((d) => (d.json as { uid: string }).uid))),
    [],
  );
  const monitors = attempt(() => loadMonitorFiles(files(config.scrape.monitors, 'monitor file', 'scrape', 'monitors')), []);
  if (problems.length) throw new InputError(problems);
  return { rules, dashboards, scrapeJobs: [...monitors, ...config.scrape.extraConfigs] };
}

/**
 * One cluster of a stack whose config is already resolved: what `o11y synth` builds for each
 * cluster of `o11y.yaml`. Users compose {@link O11yStackProps} instead.
 */
export interface ResolvedClusterProps {
  readonly resolved: {
    readonly config: StackConfig;
    readonly cluster: ClusterConfig;
    readonly topology: Topology;
    readonly artifacts: StackArtifacts;
  };
}

/**
 * One cluster's stack, as `o11y.yaml` with this one cluster describes it: every key of the config
 * file (with the same defaults and checks), `clusters` replaced by `cluster`.
 */
export interface O11yStackProps extends StackInput {
  /**
   * Folder the `slos` paths are relative to, and the name problems are reported against.
   * @default process.cwd()
   */
  readonly baseDir?: string;
}

/**
 * One cluster's observability stack: the charts `00-namespaces` … `50-controller` that `o11y synth`
 * writes to `dist/<cluster>/`, added to `scope`, which should be an App of their own (cdk8s names a
 * chart's file after its id: one App per cluster, `outdir` the cluster's folder).
 *
 * Add your own objects to {@link charts} or to charts of your own before `app.synth()`; declare their
 * network flows on {@link flows} (register the component, add its flows) and the NetworkPolicies of
 * both ends include them. The NetworkPolicies and the GitOps annotations are generated once, when
 * the app synthesizes (or at {@link finalize}), so they see everything you added.
 */
export class O11yStack extends Construct {
  /** The validated config with every default made explicit. */
  readonly config: StackConfig;
  readonly cluster: ClusterConfig;
  /** This cluster's network flows; the NetworkPolicies come from them. */
  readonly flows: FlowTable;
  /** The rule files this cluster's Prometheus loads (none without a Prometheus), and their promtool tests. */
  readonly rules?: BackendRules;
  readonly namespaces: NamespacesChart;
  readonly backends?: BackendsChart;
  readonly prometheus?: PrometheusChart;
  readonly clusterMetrics?: ClusterMetricsChart;
  readonly collectors: CollectorsChart;
  readonly grafana?: GrafanaChart;
  readonly controller?: ControllerChart;
  /** What the stack's constructs build from: pass it to the workload helpers for a component of your own. */
  readonly context: ChartContext;
  private finalized = false;

  constructor(scope: Construct, id: string, props: O11yStackProps | ResolvedClusterProps) {
    super(scope, id);
    const { config, cluster, topology, artifacts } = 'resolved' in props ? props.resolved : resolveSingleCluster(props, id);
    const ctx = stackContext(config, cluster, topology);
    this.context = ctx;
    this.config = config;
    this.cluster = cluster;
    this.flows = ctx.flows;
    // The charts are the App's children, named as `o11y synth` names its files.
    const roles = topology.rolesOf(cluster);
    this.rules = roles.has('backend') ? artifacts.forBackend(cluster) : undefined;
    this.namespaces = new NamespacesChart(scope, '00-namespaces', ctx);
    if (this.rules) {
      this.backends = new BackendsChart(scope, '10-backends', ctx);
      this.prometheus = new PrometheusChart(scope, '20-prometheus', ctx, this.rules.ruleFiles, artifacts.userJobs);
    } else {
      this.clusterMetrics = new ClusterMetricsChart(scope, '20-cluster-metrics', ctx, artifacts.userJobs);
    }
    this.collectors = new CollectorsChart(scope, '30-collectors', ctx);
    if (roles.has('grafana')) this.grafana = new GrafanaChart(scope, '40-grafana', ctx, artifacts.dashboards, artifacts.customDashboards, artifacts.runbook);
    // The controller checks rollout and the rules of the Prometheus beside it (`o11y check` from CI covers the other clusters).
    if (roles.has('backend')) this.controller = new ControllerChart(scope, '50-controller', ctx);
    this.node.addValidation({ validate: () => (this.finalize(), []) });
  }

  /** The stack's charts, in apply order. */
  get charts(): Chart[] {
    return [this.namespaces, this.backends, this.prometheus, this.clusterMetrics, this.collectors, this.grafana, this.controller].filter((c): c is NonNullable<typeof c> => c !== undefined);
  }

  /**
   * Generates the NetworkPolicies from {@link flows} and annotates the stack's objects for Argo CD
   * (sync waves, server-side apply for large objects) or Flux. Runs once; `app.synth()` calls it.
   */
  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    this.flows.generatePolicies(this.context);
    for (const chart of this.charts) {
      annotateForArgoCd(chart);
      if (this.config.gitops?.flavor === 'flux') annotateForFlux(chart);
    }
  }

  /**
   * After `app.synth()`: writes the cluster folder's `Kustomization` (listing every chart file of
   * `app`, yours included) and the rule files and promtool tests to `distDir/promtool/<cluster>/`.
   * Returns the files of the cluster folder with their objects.
   */
  writeFiles(app: App, distDir: string): ManifestFile[] {
    const files = app.charts.map((chart) => ({ name: `${chart.node.id}${app.outputFileExtension}`, manifests: chart.toJson() as Manifest[] }));
    writeFileSync(join(app.outdir, CLUSTER_KUSTOMIZE_FILE), dumpYaml(clusterKustomization(files)));
    if (this.rules) writePromtoolFiles(this.rules, join(distDir, PROMTOOL_DIR, this.cluster.name));
    return files;
  }
}

function resolveSingleCluster(props: O11yStackProps, id: string): ResolvedClusterProps['resolved'] {
  const { baseDir, ...input } = props;
  const config = resolveStackInput(input, join(baseDir ?? process.cwd(), `O11yStack ${id}`));
  const topology = resolveTopology(config);
  return { config, cluster: config.clusters[0]!, topology, artifacts: stackArtifacts(config, topology) };
}

/** The rule files and their promtool tests, for `promtool` in users' CI. */
function writePromtoolFiles(rules: BackendRules, dir: string): void {
  mkdirSync(join(dir, 'rules'), { recursive: true });
  for (const file of rules.ruleFiles) writeFileSync(join(dir, 'rules', file.fileName), ruleFileYaml(file.content));
  if (rules.promtoolTests.length) {
    mkdirSync(join(dir, 'tests'), { recursive: true });
    for (const test of rules.promtoolTests) writeFileSync(join(dir, 'tests', test.fileName), dumpYaml(test.content));
  }
}
