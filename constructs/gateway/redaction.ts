import { REDACTION_PROCESSOR, redactionTransform, type RedactionPolicy } from '../../src/redaction/statements.ts';
import type { GatewayFragment } from './fragment.ts';

/**
 * The redaction processor (src/redaction/), defined once; the fragments whose pipelines take
 * telemetry from outside the gateway (OTLP intake, Kubernetes events, other clusters) list it last,
 * before any exporter or connector. Pipelines fed by the gateway's own shards get redacted data.
 */
export function redactionFragment(policy: RedactionPolicy): GatewayFragment {
  return { name: 'redaction', processors: { [REDACTION_PROCESSOR]: redactionTransform(policy) } };
}
