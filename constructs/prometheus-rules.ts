import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { RuleFormat } from '../src/model/types.ts';
import { RULES_COMPONENT } from '../src/rules/layout.ts';
import { ruleFileYaml } from '../src/yaml-output.ts';
import { metadata, type StackContext } from './common.ts';
import { configMap } from './workload.ts';


export interface PrometheusRulesProps {
  readonly namespace: string;
  /** Object name: the ConfigMap (mounted by Prometheus) or the PrometheusRule. */
  readonly name: string;
  /** File name of the rule file inside the ConfigMap, e.g. `stack.rules.yaml`. */
  readonly fileName: string;
  /** The rule file: `{ groups: [...] }`. */
  readonly ruleFile: { readonly groups: readonly object[] };
  /**
   * `configmap`: a rule file in a ConfigMap that our Prometheus mounts; `prometheus-rule`: a
   * prometheus-operator `PrometheusRule` for clusters that run the operator.
   * @default 'configmap'
   */
  readonly format?: RuleFormat;
}

/** One Prometheus rule file, as a mounted ConfigMap or as a prometheus-operator PrometheusRule. */
export class PrometheusRules extends Construct {
  constructor(scope: Construct, id: string, ctx: StackContext, props: PrometheusRulesProps) {
    super(scope, id);
    const owner = { app: 'prometheus', component: RULES_COMPONENT, namespace: props.namespace };
    if ((props.format ?? 'configmap') === 'configmap') {
      configMap(this, ctx, owner, props.name, { [props.fileName]: ruleFileYaml(props.ruleFile) });
      return;
    }
    new ApiObject(this, 'prometheusrule', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: metadata(ctx, { name: props.name, namespace: props.namespace, app: owner.app, component: owner.component }),
      spec: { groups: props.ruleFile.groups },
    });
  }
}
