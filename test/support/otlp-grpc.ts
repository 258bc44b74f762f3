import { connect } from 'node:http2';
import { field, varint } from './remote-write.ts';

// A minimal OTLP/gRPC trace exporter for tests, as the gateway's `otlp_grpc` exporter sends to
// Tempo: an ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1) encoded by hand,
// in one gRPC message over HTTP/2. Node has no gRPC client without a dependency.

export interface Span {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits. */
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: 1 | 2 | 3 | 4 | 5;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes?: Readonly<Record<string, string>>;
  /** Status.code: 0 unset, 1 ok, 2 error. */
  readonly status?: 0 | 1 | 2;
}

/** One resource's spans (a ResourceSpans with one ScopeSpans). */
export interface ResourceSpans {
  readonly resource: Readonly<Record<string, string>>;
  readonly spans: readonly Span[];
}

export const str = (n: number, s: string) => field(n, Buffer.from(s));
const bytes = (n: number, hex: string) => field(n, Buffer.from(hex, 'hex'));
export const enumField = (n: number, v: number) => Buffer.from([n << 3, ...varint(v)]);
export function fixed64(n: number, v: bigint): Buffer {
  const b = Buffer.alloc(9);
  b[0] = (n << 3) | 1;
  b.writeBigUInt64LE(v, 1);
  return b;
}
/** KeyValue{key = 1, value = 2: AnyValue{string_value = 1}}, as field `n`. */
export const attributes = (n: number, attrs: Readonly<Record<string, string>> = {}) =>
  Object.entries(attrs).map(([k, v]) => field(n, Buffer.concat([str(1, k), field(2, str(1, v))])));

/** Span: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, start 7, end 8, attributes 9, status 15 (code 3). */
function encodeSpan(s: Span): Buffer {
  return Buffer.concat([
    bytes(1, s.traceId),
    bytes(2, s.spanId),
    ...(s.parentSpanId ? [bytes(4, s.parentSpanId)] : []),
    str(5, s.name),
    enumField(6, s.kind),
    fixed64(7, s.startNs),
    fixed64(8, s.endNs),
    ...attributes(9, s.attributes),
    ...(s.status ? [field(15, enumField(3, s.status))] : []),
  ]);
}

/** ExportTraceServiceRequest: resource_spans 1; ResourceSpans: resource 1 (attributes 1), scope_spans 2; ScopeSpans: scope 1 (name 1), spans 2. */
export function encodeTraces(batches: readonly ResourceSpans[]): Buffer {
  return Buffer.concat(
    batches.map((b) =>
      field(1, Buffer.concat([field(1, Buffer.concat(attributes(1, b.resource))), field(2, Buffer.concat([field(1, str(1, 'o11y-test')), ...b.spans.map((s) => field(2, encodeSpan(s)))]))])),
    ),
  );
}

/** Sends `batches` to an OTLP/gRPC receiver at `host:port`; rejects unless the call ends with grpc-status 0. */
export function exportTraces(endpoint: string, batches: readonly ResourceSpans[]): Promise<void> {
  const body = encodeTraces(batches);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(body.length, 1);
  return new Promise((resolve, reject) => {
    const client = connect(`http://${endpoint}`);
    client.once('error', reject);
    const req = client.request({
      ':method': 'POST',
      ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status: string | undefined;
    let message = '';
    // A trailers-only answer puts grpc-status in the headers.
    const read = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) [status, message] = [String(h['grpc-status']), decodeURIComponent(String(h['grpc-message'] ?? ''))];
    };
    req.on('response', read);
    req.on('trailers', read);
    req.on('data', () => undefined);
    req.once('error', (e) => (client.close(), reject(e)));
    req.once('end', () => {
      client.close();
      if (status === '0') resolve();
      else reject(new Error(`OTLP export to ${endpoint}: grpc-status ${status ?? 'missing'} ${message}`));
    });
    req.end(Buffer.concat([frame, body]));
  });
}
