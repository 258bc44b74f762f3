import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { Alertmanager, ALERTMANAGER_PORT } from '../constructs/alertmanager.ts';
import type { StackContext } from '../constructs/common.ts';
import { KubeStateMetrics } from '../constructs/kube-state-metrics.ts';
import { Prometheus } from '../constructs/prometheus.ts';
import { PrometheusRules } from '../constructs/prometheus-rules.ts';
import { remoteQueryPeers } from '../constructs/network-policy.ts';
import { InputError } from '../src/errors.ts';
import { readYamlFile } from '../src/input/yaml-source.ts';
import type { RuleFileOutput } from '../src/synth-types.ts';

/** Prometheus, Alertmanager, kube-state-metrics and the rule files Prometheus evaluates. */
export class PrometheusChart extends Chart {
  constructor(scope: Construct, id: string, ctx: StackContext, ruleFiles: readonly RuleFileOutput[]) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config } = ctx;
    const ns = config.namespace;
    refuseUnloadedRules(ctx);
    for (const rules of ruleFiles) {
      new PrometheusRules(this, rules.configMap, ctx, { namespace: ns, name: rules.configMap, fileName: rules.fileName, ruleFile: rules.content });
    }
    const alertmanager = new Alertmanager(this, 'alertmanager', ctx, {
      namespace: ns,
      replicas: config.components.alertmanager.replicas,
      receiversSecret: config.components.alertmanager.receiversSecret,
      watchdogReceiver: config.components.alertmanager.watchdogReceiver,
    });
    new Prometheus(this, 'prometheus', ctx, {
      namespace: ns,
      agentNamespace: config.agentNamespace,
      replicas: config.components.prometheus.replicas,
      retention: config.components.prometheus.retention,
      storage: config.components.prometheus.storage,
      scrapeInterval: config.components.prometheus.scrapeInterval,
      remoteWrite: config.components.prometheus.remoteWrite,
      ruleConfigMaps: ruleFiles.map((r) => r.configMap),
      alertmanager: { service: alertmanager.id.app, headlessService: alertmanager.headlessService, replicas: alertmanager.replicas, port: ALERTMANAGER_PORT },
      remoteReaders: remoteQueryPeers(ctx),
    });
    new KubeStateMetrics(this, 'kube-state-metrics', ctx, { namespace: ns });
  }
}

/**
 * This Prometheus loads rule files from ConfigMaps and runs no prometheus-operator: PrometheusRule
 * objects instead would leave it without a single alert, and both at once would be two sources of
 * the same groups. So `ruleFormat: prometheus-rule` is refused, located in the config file.
 */
function refuseUnloadedRules(ctx: StackContext): void {
  if (ctx.config.components.prometheus.ruleFormat !== 'prometheus-rule') return;
  const [source] = readYamlFile(ctx.config.source);
  throw new InputError([
    source!.problem(
      ['components', 'prometheus', 'ruleFormat'],
      'prometheus-rule would leave the stack\'s Prometheus, which loads rule files from ConfigMaps only, without alerts; remove it (configmap is the default) and, for a prometheus-operator of your own, use `o11y slo generate --format prometheus-rule`',
    ),
  ]);
}
