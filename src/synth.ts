import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { App, YamlOutputType } from 'cdk8s';
import { BackendsChart } from '../charts/backends.ts';
import { ClusterMetricsChart } from '../charts/cluster-metrics.ts';
import { CollectorsChart } from '../charts/collectors.ts';
import { ControllerChart } from '../charts/controller.ts';
import { GrafanaChart, grafanaPrometheusUid } from '../charts/grafana.ts';
import { NamespacesChart } from '../charts/namespaces.ts';
import { PrometheusChart } from '../charts/prometheus.ts';
import { synthArgoCd } from '../charts/argocd.ts';
import { stackContext, type StackContext } from '../constructs/common.ts';
import type { Flow } from '../constructs/network-policy.ts';
import { loadConfigFile } from './config/load.ts';
import { resolveTopology, type Topology } from './config/topology.ts';
import type { ClusterConfig, StackConfig } from './config/types.ts';
import type { DashboardFile } from './dashboards/stack-health.ts';
import { PROMTOOL_RULE_FILE } from './slo/index.ts';
import { placeSlos } from './slo/placement.ts';
import { KUBERNETES_RULE_FILE, KUBERNETES_RULES_CONFIGMAP, kubernetesRules } from './rules/kubernetes/index.ts';
import { stackRules } from './rules/stack-rules.ts';
import { synthesizedJobs } from './monitoring/metric-catalogue.ts';
import type { PromtoolTestOutput, RuleFileOutput } from './synth-types.ts';
import { dumpYaml } from './yaml-output.ts';
import { annotateForArgoCd } from './gitops/apply-options.ts';
import type { Manifest } from './gitops/manifest.ts';

/** Folder, inside `dist/<cluster>/`, of files for `promtool` (ignored by `kubectl apply -f dist/<cluster>/`). */
export const PROMTOOL_DIR = 'promtool';

export interface SynthOptions {
  readonly configFile: string;
  readonly outDir: string;
}

/** Everything synthesized beside the Kubernetes objects. */
interface StackArtifacts {
  readonly dashboards: readonly DashboardFile[];
  /** What one backend cluster's Prometheus evaluates: the SLOs placed in its cloud. */
  forBackend(cluster: ClusterConfig): BackendRules;
}

interface BackendRules {
  readonly ruleFiles: readonly RuleFileOutput[];
  readonly promtoolTests: readonly PromtoolTestOutput[];
}

/**
 * Validates the config and writes `outDir/<cluster>/` for every cluster. Atomic: everything is
 * written to a staging folder beside `outDir` and renamed into place, so a failure (bad config,
 * bad SLO file) leaves `outDir` exactly as it was.
 */
export function synthesize(opts: SynthOptions): { files: string[]; flows: Record<string, readonly Flow[]> } {
  const config = loadConfigFile(opts.configFile);
  const topology = resolveTopology(config);
  const artifacts = stackArtifacts(config, topology);
  const outDir = resolve(opts.outDir);
  mkdirSync(dirname(outDir), { recursive: true });
  const staging = mkdtempSync(join(dirname(outDir), `.${basename(outDir)}.staging-`));
  try {
    const flows: Record<string, readonly Flow[]> = {};
    const inventories = config.clusters.map((cluster) => {
      const ctx = stackContext(config, cluster, topology);
      const manifests = synthCluster(ctx, artifacts, join(staging, cluster.name));
      flows[cluster.name] = ctx.flows.flows();
      return { cluster: cluster.name, manifests };
    });
    synthArgoCd(config, inventories, join(staging, 'argocd'));
    const files = listFiles(staging).map((f) => relative(staging, f));
    replaceDir(staging, outDir);
    return { files, flows };
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The stack's own rules, the Kubernetes rules (for the jobs the backend's cloud scrapes: a cloud's
 * clusters send their metrics to its backend), and everything compiled from the config's SLO files
 * (relative to the config).
 */
function stackArtifacts(config: StackConfig, topology: Topology): StackArtifacts {
  const slos = placeSlos(config, topology, {
    partOf: config.name,
    prometheusUid: grafanaPrometheusUid(stackContext(config, topology.grafanaCluster, topology)),
  });
  const stack: RuleFileOutput = { configMap: 'prometheus-rules-stack', fileName: 'stack.rules.yaml', content: stackRules() };
  return {
    dashboards: slos.all.dashboards,
    forBackend: (cluster) => {
      const own = slos.forBackend(cluster);
      const sloRules: RuleFileOutput = { configMap: 'prometheus-rules-slo', fileName: basename(PROMTOOL_RULE_FILE), content: own.ruleFile };
      const kubernetes: RuleFileOutput = {
        configMap: KUBERNETES_RULES_CONFIGMAP,
        fileName: KUBERNETES_RULE_FILE,
        content: kubernetesRules({ jobs: synthesizedJobs(cluster.cloud), monitoring: config.monitoring.kubernetes }),
      };
      return { ruleFiles: own.slos.length ? [stack, kubernetes, sloRules] : [stack, kubernetes], promtoolTests: own.promtoolTests };
    },
  };
}

/**
 * Builds what one cluster runs, by its roles, in apply order (the file prefixes keep
 * `kubectl apply -f` in order too): every cluster gets namespaces, cluster metrics and collectors;
 * a backend cluster its cloud's storage backends and Prometheus; the grafana cluster Grafana.
 */
function synthCluster(ctx: StackContext, artifacts: StackArtifacts, dir: string): Manifest[] {
  const app = new App({ outdir: dir, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const roles = ctx.topology.rolesOf(ctx.cluster);
  const backend = roles.has('backend') ? artifacts.forBackend(ctx.cluster) : undefined;
  new NamespacesChart(app, '00-namespaces', ctx);
  if (backend) {
    new BackendsChart(app, '10-backends', ctx);
    new PrometheusChart(app, '20-prometheus', ctx, backend.ruleFiles);
  } else {
    new ClusterMetricsChart(app, '20-cluster-metrics', ctx);
  }
  new CollectorsChart(app, '30-collectors', ctx);
  if (roles.has('grafana')) new GrafanaChart(app, '40-grafana', ctx, artifacts.dashboards);
  // The controller checks rollout and the rules of the Prometheus beside it (`o11y check` from CI covers the other clusters).
  if (roles.has('backend')) new ControllerChart(app, '50-controller', ctx);
  ctx.flows.generatePolicies(ctx);
  for (const chart of app.charts) annotateForArgoCd(chart);
  app.synth();
  if (backend) writePromtoolFiles(backend, dir);
  return app.charts.flatMap((chart) => chart.toJson() as Manifest[]);
}

/** The rule files and their promtool tests, beside the manifests, for `promtool` in users' CI. */
function writePromtoolFiles(artifacts: BackendRules, dir: string): void {
  const promtool = join(dir, PROMTOOL_DIR);
  mkdirSync(join(promtool, 'rules'), { recursive: true });
  for (const rules of artifacts.ruleFiles) writeFileSync(join(promtool, 'rules', rules.fileName), dumpYaml(rules.content));
  if (artifacts.promtoolTests.length) {
    mkdirSync(join(promtool, 'tests'), { recursive: true });
    for (const test of artifacts.promtoolTests) writeFileSync(join(promtool, 'tests', test.fileName), dumpYaml(test.content));
  }
}

/** Swaps `staging` into `target`; the old tree is removed only once the new one is in place. */
function replaceDir(staging: string, target: string): void {
  const old = `${staging}.old`;
  let moved = false;
  try {
    renameSync(target, old);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  renameSync(staging, target);
  if (moved) rmSync(old, { recursive: true, force: true });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
