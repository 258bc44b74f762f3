import type { CardinalityConfig } from '../../src/model/types.ts';
import type { EgressAllowance } from '../../src/model/platforms/profile.ts';
import { SIGNALS, type Signal } from '../../src/routing/gateway.ts';
import { insertAttributes, K8S_ATTRIBUTES_RULES, k8sAttributesProcessor, otlpReceiver } from '../otel-collector.ts';
import type { GatewayFragment } from './fragment.ts';

export interface IntakeInputs {
  /** `resource_detection` detectors of the cluster's platform, in precedence order. */
  readonly detectors: readonly string[];
  /** What those detectors read with strict egress (instance metadata). */
  readonly detectionEgress: readonly EgressAllowance[];
  /** Attributes known at synth time (cluster, region, cloud), inserted before detection. */
  readonly clusterAttributes: Readonly<Record<string, string>>;
  readonly cardinality: Pick<CardinalityConfig, 'urlTemplates' | 'dropAttributes'>;
  /** Processors listed last in every pipeline (redaction), defined by another fragment. @default none */
  readonly redaction?: readonly string[];
  /** Where each signal goes once enriched: exporters or connectors other fragments define. */
  readonly forward: Readonly<Record<Signal, readonly string[]>>;
}

/**
 * The gateway's OTLP intake, one `<signal>/in` pipeline per signal: Kubernetes metadata (by pod
 * UID, IP or connection), the cluster's attributes, the platform's detected ones, and the
 * cardinality guard when configured, then redaction when on.
 */
export function intakeFragment(inputs: IntakeInputs): GatewayFragment {
  const cardinality = cardinalityTransform(inputs.cardinality);
  const processors = ['k8s_attributes', 'resource/cluster', 'resource_detection', ...(cardinality ? ['transform/cardinality'] : []), ...(inputs.redaction ?? [])];
  return {
    name: 'intake',
    receivers: { otlp: otlpReceiver() },
    processors: {
      // Agents already enriched what they forward; this catches data sent straight to the gateway.
      k8s_attributes: k8sAttributesProcessor(),
      // Never override: attributes set by the application or the agent are more specific.
      resource_detection: { detectors: [...inputs.detectors], timeout: '5s', override: false },
      'resource/cluster': insertAttributes(inputs.clusterAttributes),
      ...(cardinality ? { 'transform/cardinality': cardinality } : {}),
    },
    pipelines: Object.fromEntries(SIGNALS.map((signal) => [`${signal}/in`, { receivers: ['otlp'], processors, exporters: [...inputs.forward[signal]] }])),
    rbac: K8S_ATTRIBUTES_RULES,
    egressAllowances: inputs.detectionEgress,
  };
}

/** Span attributes holding a URL or its path (https://opentelemetry.io/docs/specs/semconv/http/http-spans/). */
const URL_ATTRIBUTES = ['url.full', 'url.path', 'http.url', 'http.target'];

/** The cardinality guard: URL paths to route templates, dropped attributes. Undefined when unused. */
export function cardinalityTransform({ urlTemplates, dropAttributes }: Pick<CardinalityConfig, 'urlTemplates' | 'dropAttributes'>): object | undefined {
  if (!urlTemplates.length && !dropAttributes.length) return undefined;
  const q = (v: string) => JSON.stringify(v);
  const drop = (path: string) => dropAttributes.map((a) => `delete_key(${path}, ${q(a)})`);
  return {
    error_mode: 'ignore',
    // Client spans carry the whole URL, server spans the path; each in the current semantic
    // convention and the old one (`http.url`, `http.target`): rewrite all four.
    trace_statements: [
      ...urlTemplates.flatMap((t) => URL_ATTRIBUTES.map((attr) => `replace_pattern(span.attributes[${q(attr)}], ${q(t.pattern)}, ${q(t.template)})`)),
      ...drop('span.attributes'),
    ],
    log_statements: drop('log.attributes'),
    metric_statements: drop('datapoint.attributes'),
  };
}
