import { gzipSync } from 'node:zlib';
import { attributes, enumField, fixed64, str } from './otlp-grpc.ts';
import { field } from './remote-write.ts';

// A minimal OTLP/HTTP metrics exporter for tests, as the collector's `otlp_http` exporter sends by
// default (protobuf, gzip): an ExportMetricsServiceRequest (opentelemetry/proto/collector/metrics/v1)
// encoded by hand. Cumulative temporality only, as counters and histograms are exported.

export type OtlpMetric =
  | { readonly kind: 'sum'; readonly name: string; readonly unit?: string; readonly points: readonly { readonly attributes: Readonly<Record<string, string>>; readonly value: number }[] }
  | {
      readonly kind: 'histogram';
      readonly name: string;
      readonly unit?: string;
      /** Upper bounds; `counts` has one more entry (the +Inf bucket). */
      readonly bounds: readonly number[];
      readonly points: readonly { readonly attributes: Readonly<Record<string, string>>; readonly counts: readonly number[]; readonly sum: number }[];
    };

/** One resource's metrics (a ResourceMetrics with one ScopeMetrics), all points at `timeNs`. */
export interface ResourceMetrics {
  readonly resource: Readonly<Record<string, string>>;
  readonly metrics: readonly OtlpMetric[];
}

const CUMULATIVE = 2;
function double(n: number, v: number): Buffer {
  const b = Buffer.alloc(9);
  b[0] = (n << 3) | 1;
  b.writeDoubleLE(v, 1);
  return b;
}
/** A packed repeated 64-bit field. */
function packed(n: number, values: readonly number[], write: (b: Buffer, v: number, at: number) => void): Buffer {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => write(b, v, i * 8));
  return field(n, b);
}

/**
 * Metric: name 1, unit 3, sum 7 (data_points 1, aggregation_temporality 2, is_monotonic 3), histogram 9
 * (data_points 1, aggregation_temporality 2). NumberDataPoint: start 2, time 3, as_double 4, attributes 7.
 * HistogramDataPoint: start 2, time 3, count 4, sum 5, bucket_counts 6, explicit_bounds 7, attributes 9.
 */
function encodeMetric(m: OtlpMetric, startNs: bigint, timeNs: bigint): Buffer {
  const head = [str(1, m.name), ...(m.unit ? [str(3, m.unit)] : [])];
  const times = [fixed64(2, startNs), fixed64(3, timeNs)];
  if (m.kind === 'sum') {
    const points = m.points.map((p) => field(1, Buffer.concat([...times, double(4, p.value), ...attributes(7, p.attributes)])));
    return Buffer.concat([...head, field(7, Buffer.concat([...points, enumField(2, CUMULATIVE), Buffer.from([(3 << 3) | 0, 1])]))]);
  }
  const points = m.points.map((p) => field(1, Buffer.concat([
    ...times,
    fixed64(4, BigInt(p.counts.reduce((a, b) => a + b, 0))),
    double(5, p.sum),
    packed(6, p.counts, (b, v, at) => b.writeBigUInt64LE(BigInt(v), at)),
    packed(7, m.bounds, (b, v, at) => b.writeDoubleLE(v, at)),
    ...attributes(9, p.attributes),
  ])));
  return Buffer.concat([...head, field(9, Buffer.concat([...points, enumField(2, CUMULATIVE)]))]);
}

/** ExportMetricsServiceRequest: resource_metrics 1; ResourceMetrics: resource 1 (attributes 1), scope_metrics 2; ScopeMetrics: scope 1 (name 1), metrics 2. */
export function encodeMetrics(batches: readonly ResourceMetrics[], startNs: bigint, timeNs: bigint): Buffer {
  return Buffer.concat(batches.map((b) => field(1, Buffer.concat([
    field(1, Buffer.concat(attributes(1, b.resource))),
    field(2, Buffer.concat([field(1, str(1, 'o11y-test')), ...b.metrics.map((m) => field(2, encodeMetric(m, startNs, timeNs)))])),
  ]))));
}

/**
 * POSTs `batches` to `<endpoint>/v1/metrics`, as the collector's `otlp_http` exporter does with a
 * base `endpoint`; rejects unless the answer is 2xx.
 */
export async function exportMetrics(endpoint: string, batches: readonly ResourceMetrics[], startNs: bigint, timeNs: bigint): Promise<void> {
  const res = await fetch(`${endpoint.replace(/\/$/, '')}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
    body: gzipSync(encodeMetrics(batches, startNs, timeNs)),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`OTLP export to ${endpoint}: HTTP ${res.status} ${text}`);
}
