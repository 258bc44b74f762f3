import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { Alertmanager, ALERTMANAGER_PORT } from '../constructs/alertmanager.ts';
import type { StackContext } from '../constructs/common.ts';
import { overridesFor } from './overrides.ts';
import { KubeStateMetrics } from '../constructs/kube-state-metrics.ts';
import { Prometheus } from '../constructs/prometheus.ts';
import { PrometheusRules } from '../constructs/prometheus-rules.ts';
import { remoteQueryPeers } from '../constructs/network-policy.ts';
import type { RuleFileOutput } from '../src/synth-types.ts';

/** Prometheus, Alertmanager, kube-state-metrics and the rule files Prometheus evaluates. */
export class PrometheusChart extends Chart {
  constructor(scope: Construct, id: string, ctx: StackContext, ruleFiles: readonly RuleFileOutput[], userJobs: readonly object[] = []) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config } = ctx;
    const ns = config.namespace;
    for (const rules of ruleFiles) {
      new PrometheusRules(this, rules.configMap, ctx, { namespace: ns, name: rules.configMap, fileName: rules.fileName, ruleFile: rules.content });
    }
    const alertmanager = new Alertmanager(this, 'alertmanager', ctx, {
      namespace: ns,
      replicas: config.components.alertmanager.replicas,
      receiversSecret: config.components.alertmanager.receiversSecret,
      watchdogReceiver: config.components.alertmanager.watchdogReceiver,
      overrides: overridesFor(ctx, 'alertmanager'),
    });
    new Prometheus(this, 'prometheus', ctx, {
      namespace: ns,
      agentNamespace: config.agentNamespace,
      replicas: config.components.prometheus.replicas,
      retention: config.components.prometheus.retention,
      storage: config.components.prometheus.storage,
      scrapeInterval: config.components.prometheus.scrapeInterval,
      userJobs,
      remoteWrite: config.components.prometheus.remoteWrite,
      ruleConfigMaps: ruleFiles.map((r) => r.configMap),
      alertmanager: { service: alertmanager.id.app, headlessService: alertmanager.headlessService, replicas: alertmanager.replicas, port: ALERTMANAGER_PORT },
      remoteReaders: remoteQueryPeers(ctx),
      overrides: overridesFor(ctx, 'prometheus'),
    });
    new KubeStateMetrics(this, 'kube-state-metrics', ctx, { namespace: ns, overrides: overridesFor(ctx, 'kubeStateMetrics') });
  }
}
