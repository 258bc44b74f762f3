import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { AlertRelay, alertRelayUrl } from '../constructs/alert-relay.ts';
import { Alertmanager, ALERTMANAGER_PORT } from '../constructs/alertmanager.ts';
import type { ChartContext } from '../constructs/common.ts';
import { overridesFor } from './overrides.ts';
import { KubeStateMetrics } from '../constructs/kube-state-metrics.ts';
import { exposeComponent } from '../constructs/exposure.ts';
import { Prometheus, PROMETHEUS_PORT, type PrometheusProps } from '../constructs/prometheus.ts';
import { PrometheusRules } from '../constructs/prometheus-rules.ts';
import { remoteQueryPeers } from '../constructs/network-policy.ts';
import { alertDelivery } from '../src/alerting/alertmanager-config.ts';
import type { RuleFileOutput } from '../src/synth-types.ts';
import { metricsMode, VICTORIAMETRICS_COMPONENTS } from '../src/model/types.ts';
import { VictoriaMetricsCluster } from '../constructs/victoriametrics/cluster.ts';
import { metricsEndpoints } from './metrics-endpoints.ts';

/**
 * Prometheus (or, in the `victoriametrics-cluster` metrics mode, the VictoriaMetrics cluster),
 * Alertmanager (and its robot relay), kube-state-metrics and the rule files they evaluate.
 */
export class PrometheusChart extends Chart {
  /** Absent in the `victoriametrics-cluster` metrics mode. */
  readonly prometheus?: Prometheus;
  /** Only in the `victoriametrics-cluster` metrics mode. */
  readonly victoriaMetrics?: VictoriaMetricsCluster;
  readonly alertmanager: Alertmanager;
  readonly kubeStateMetrics: KubeStateMetrics;
  /** Only with DingTalk, Feishu or WeCom receivers. */
  readonly alertRelay?: AlertRelay;

  constructor(scope: Construct, id: string, ctx: ChartContext, ruleFiles: readonly RuleFileOutput[], userJobs: readonly object[] = []) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config } = ctx;
    const ns = config.namespace;
    for (const rules of ruleFiles) {
      new PrometheusRules(this, rules.configMap, ctx, { namespace: ns, name: rules.configMap, fileName: rules.fileName, ruleFile: rules.content });
    }
    const delivery = alertDelivery({ alerting: config.alerting, watchdogReceiver: config.components.alertmanager.watchdogReceiver, relayUrl: alertRelayUrl(ns) });
    const alertmanager = new Alertmanager(this, 'alertmanager', ctx, {
      namespace: ns,
      replicas: config.components.alertmanager.replicas,
      storage: config.components.alertmanager.storage,
      receiversSecret: config.components.alertmanager.receiversSecret,
      delivery,
      templates: config.alerting?.templates,
      alertSender: metricsEndpoints(ctx).alertSender,
      overrides: overridesFor(ctx, 'alertmanager'),
    });
    this.alertmanager = alertmanager;
    const ingressNamespace = config.networkPolicy.ingressNamespace;
    if (config.components.alertmanager.expose) {
      exposeComponent(this, ctx, alertmanager.id, { expose: config.components.alertmanager.expose, servicePort: ALERTMANAGER_PORT, podPort: ALERTMANAGER_PORT, defaultControllerNamespace: ingressNamespace });
    }
    if (delivery.relayTargets.length) this.alertRelay = new AlertRelay(this, 'alert-relay', ctx, { namespace: ns, targets: delivery.relayTargets, secrets: delivery.relaySecrets });
    // What either metrics store (Prometheus, or the VictoriaMetrics cluster) is given alike.
    const store = {
      namespace: ns,
      agentNamespace: config.agentNamespace,
      retention: config.components.prometheus.retention,
      storage: config.components.prometheus.storage,
      scrapeInterval: config.components.prometheus.scrapeInterval,
      userJobs,
      metricRelabelConfigs: config.cardinality.metricRelabelConfigs,
      scrapeEgress: config.scrape.egress,
      ruleConfigMaps: ruleFiles.map((r) => r.configMap),
      alertmanager: { service: alertmanager.id.app, headlessService: alertmanager.headlessService, replicas: alertmanager.replicas, port: ALERTMANAGER_PORT },
      remoteReaders: remoteQueryPeers(ctx),
    };
    if (metricsMode(ctx.cluster) === 'victoriametrics-cluster') {
      const vm = config.components.victoriametrics;
      this.victoriaMetrics = new VictoriaMetricsCluster(this, 'victoriametrics', ctx, {
        ...store,
        replicas: Object.fromEntries(VICTORIAMETRICS_COMPONENTS.map((c) => [c, vm[c].replicas])),
        overrides: Object.fromEntries(VICTORIAMETRICS_COMPONENTS.map((c) => [c, overridesFor(ctx, c)])),
        // The Grafana cluster's global vmselect: a flow of its own here, else across the user's private network.
        clusternativeReaders: vm.globalSelect ? (ctx.topology.grafanaCluster.name === ctx.cluster.name ? [] : [{ internet: true }]) : undefined,
        // There each backend's series must stay apart: one backend per cloud, so its cloud tells them apart.
        storedLabels: vm.globalSelect ? { cloud: ctx.cluster.cloud } : undefined,
      });
    } else this.prometheus = this.addPrometheus(ctx, store);
    this.kubeStateMetrics = new KubeStateMetrics(this, 'kube-state-metrics', ctx, { namespace: ns, overrides: overridesFor(ctx, 'kubeStateMetrics') });
  }

  private addPrometheus(ctx: ChartContext, store: Omit<PrometheusProps, 'replicas' | 'remoteWrite' | 'overrides'>): Prometheus {
    const { config } = ctx;
    const prometheus = new Prometheus(this, 'prometheus', ctx, {
      ...store,
      replicas: config.components.prometheus.replicas,
      remoteWrite: config.components.prometheus.remoteWrite,
      overrides: overridesFor(ctx, 'prometheus'),
    });
    if (config.components.prometheus.expose) {
      exposeComponent(this, ctx, prometheus.id, { expose: config.components.prometheus.expose, servicePort: PROMETHEUS_PORT, podPort: PROMETHEUS_PORT, defaultControllerNamespace: config.networkPolicy.ingressNamespace });
    }
    return prometheus;
  }
}
