import { describe, expect, it } from 'vitest';
import { agentConfig } from '../constructs/otel-agent.ts';
import { applyStanzaOperators, type Entry } from './support/stanza.ts';

// Logs → traces for container stdout: the agent's file_log operators lift the trace context out of
// the lines, run through a stanza evaluator that is itself checked on upstream's documented examples.

// W3C Trace Context's example ids (https://www.w3.org/TR/trace-context/#examples-of-http-traceparent-headers).
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('the stanza evaluator, on the examples of contrib pkg/stanza/docs', () => {
  it.each<[string, object[], Entry, Entry | undefined]>([
    [
      'regex_parser.md: parse the field message',
      [{ type: 'regex_parser', parse_from: 'body.message', regex: '^Host=(?P<host>[^,]+), Type=(?P<type>.*)$' }],
      { body: { message: 'Host=127.0.0.1, Type=HTTP' }, attributes: {} },
      { body: { message: 'Host=127.0.0.1, Type=HTTP' }, attributes: { host: '127.0.0.1', type: 'HTTP' } },
    ],
    [
      'regex_parser.md: only if "type" is "hostname" (a failed parse sends the entry on unchanged)',
      [{ type: 'regex_parser', parse_from: 'body.message', regex: '^Host=(?P<host>)$' }],
      { body: { message: 'Key=value', type: 'keypair' }, attributes: {} },
      { body: { message: 'Key=value', type: 'keypair' }, attributes: {} },
    ],
    [
      'types/trace.md: a regex_parser with a trace block',
      [{
        type: 'regex_parser',
        regex: '^TraceID=(?P<trace_id>\\S*) SpanID=(?P<span_id>\\S*) TraceFlags=(?P<trace_flags>\\d*)',
        trace: { trace_id: { parse_from: 'attributes.trace_id' }, span_id: { parse_from: 'attributes.span_id' }, trace_flags: { parse_from: 'attributes.trace_flags' } },
      }],
      { body: `TraceID=${TRACE} SpanID=${SPAN} TraceFlags=01`, attributes: {} },
      { body: `TraceID=${TRACE} SpanID=${SPAN} TraceFlags=01`, attributes: { trace_id: TRACE, span_id: SPAN, trace_flags: '01' }, trace_id: TRACE, span_id: SPAN, trace_flags: '01' },
    ],
    [
      'remove.md: remove a value from attributes',
      [{ type: 'remove', field: 'attributes.otherkey' }],
      { body: { key: 'val' }, attributes: { otherkey: 'val' } },
      { body: { key: 'val' }, attributes: {} },
    ],
  ])('%s', (_, operators, input, output) => {
    expect(applyStanzaOperators(operators, input)).toEqual(output);
  });

  it('refuses an operator it does not model', () => {
    expect(() => applyStanzaOperators([{ type: 'json_parser' }], { body: '{}', attributes: {} })).toThrow(/unsupported operator type json_parser/);
  });
});

describe('the agent lifts the trace context out of container log lines', () => {
  const receivers = (agentConfig({ namespace: 'observability-agent', stackNamespace: 'observability', gateway: { service: 'otel-gateway', port: 4317 } }) as { receivers: Record<string, { operators?: { type: string }[] }> }).receivers;
  const operators = receivers['file_log']!.operators!;
  // What the container parser leaves: the line as the body, file and stream as attributes.
  const attributes = { 'log.iostream': 'stdout', 'log.file.path': '/var/log/pods/shop_checkout-7d4b9_0f3c/checkout/0.log' };
  const lift = (line: string) => {
    const out = applyStanzaOperators(operators.slice(1), { body: line, attributes })!;
    return { trace_id: out.trace_id, span_id: out.span_id, trace_flags: out.trace_flags, attributes: out.attributes };
  };

  it('runs after the container parser', () => {
    expect(operators[0]).toMatchObject({ type: 'container' });
  });

  it.each<[string, string, { trace_id?: string; span_id?: string; trace_flags?: string }]>([
    ['a JSON body (OpenTelemetry field names)', `{"level":"info","msg":"card charged","trace_id":"${TRACE}","span_id":"${SPAN}"}`, { trace_id: TRACE, span_id: SPAN }],
    ['a JSON body, camel case (Java MDC), spaces around the colon', `{"message":"card charged", "traceId" : "${TRACE}", "spanId":"${SPAN}"}`, { trace_id: TRACE, span_id: SPAN }],
    ['logfmt', `level=info msg="card charged" trace_id=${TRACE} span_id=${SPAN}`, { trace_id: TRACE, span_id: SPAN }],
    ['logfmt with quoted values', `level=info trace_id="${TRACE}" span_id="${SPAN}" msg=done`, { trace_id: TRACE, span_id: SPAN }],
    ['a W3C traceparent', `GET /checkout 200 traceparent=00-${TRACE}-${SPAN}-01`, { trace_id: TRACE, span_id: SPAN, trace_flags: '01' }],
    ['a traceparent inside JSON', `{"msg":"incoming","traceparent":"00-${TRACE}-${SPAN}-00"}`, { trace_id: TRACE, span_id: SPAN, trace_flags: '00' }],
    ['a trace id only', `trace_id=${TRACE} msg=queued`, { trace_id: TRACE }],
    ['no trace context', 'GET /healthz 200 1.2ms', {}],
    ['a parent span id is not the span id', `parent_span_id=${SPAN} msg=x`, {}],
    ['a hex string longer than a trace id', `trace_id=${TRACE}00ff msg=x`, {}],
  ])('%s', (_, line, expected) => {
    // The captures are gone: Loki stores the trace context once, as the record's own.
    expect(lift(line)).toEqual({ trace_id: undefined, span_id: undefined, trace_flags: undefined, ...expected, attributes });
  });
});
