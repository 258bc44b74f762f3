// A minimal Prometheus remote-write 1.0 client for tests: a protobuf `WriteRequest` in a snappy
// block. Debian's Prometheus has no OTLP receiver, so tests push series this way.

export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** [value, timestamp in ms] pairs, oldest first. */
  readonly samples: readonly (readonly [number, number])[];
  /** Stored only by a Prometheus with `--enable-feature=exemplar-storage`. */
  readonly exemplars?: readonly Exemplar[];
}

export interface Exemplar {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** In ms. */
  readonly timestamp: number;
}

export function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** A length-delimited protobuf field (wire type 2). */
export function field(number: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([...varint((number << 3) | 2), ...varint(payload.length)]), payload]);
}

/** Label name = 1, value = 2, sorted by name as remote write wants them. */
function encodeLabels(labels: Readonly<Record<string, string>>): Buffer[] {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => field(1, Buffer.concat([field(1, Buffer.from(name)), field(2, Buffer.from(value))])));
}

/** A double (fixed 64-bit) field then an int64 (varint) field: Sample's value = 1, timestamp = 2; Exemplar's value = 2, timestamp = 3. */
function valueAndTimestamp(valueField: number, value: number, ts: number): Buffer {
  const double = Buffer.alloc(8);
  double.writeDoubleLE(value);
  return Buffer.concat([Buffer.from([(valueField << 3) | 1]), double, Buffer.from([((valueField + 1) << 3) | 0, ...varint(ts)])]);
}

/** prometheus.WriteRequest: timeseries = 1; TimeSeries: labels = 1, samples = 2, exemplars = 3; Exemplar: labels = 1, value = 2, timestamp = 3. */
export function encodeWriteRequest(series: readonly Series[]): Buffer {
  return Buffer.concat(
    series.map((s) => {
      const parts = [
        ...encodeLabels(s.labels),
        ...s.samples.map(([value, ts]) => field(2, valueAndTimestamp(1, value, ts))),
        ...(s.exemplars ?? []).map((e) => field(3, Buffer.concat([...encodeLabels(e.labels), valueAndTimestamp(2, e.value, e.timestamp)]))),
      ];
      return field(1, Buffer.concat(parts));
    }),
  );
}

/** A valid snappy block made of literals only (no compression): length varint, then ≤64 KiB literal chunks. */
export function snappyLiteral(data: Buffer): Buffer {
  const chunks: Buffer[] = [Buffer.from(varint(data.length))];
  for (let at = 0; at < data.length; at += 65536) {
    const chunk = data.subarray(at, at + 65536);
    const header = Buffer.from([61 << 2, (chunk.length - 1) & 0xff, (chunk.length - 1) >> 8]);
    chunks.push(header, chunk);
  }
  return Buffer.concat(chunks);
}

/** POSTs series to a Prometheus started with `--web.enable-remote-write-receiver`. */
export async function remoteWrite(prometheusUrl: string, series: readonly Series[]): Promise<void> {
  await postWriteRequest(prometheusUrl, writeRequestBody(series));
}

/** The HTTP body of a remote-write request: encoded once, it can be posted many times (benchmarks). */
export function writeRequestBody(series: readonly Series[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(snappyLiteral(encodeWriteRequest(series)));
}

/** POSTs a {@link writeRequestBody} to `<prometheusUrl>/api/v1/write`. */
export async function postWriteRequest(prometheusUrl: string, body: Uint8Array<ArrayBuffer>): Promise<void> {
  const res = await fetch(`${prometheusUrl}/api/v1/write`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    body,
  });
  const text = await res.text();
  if (res.status !== 204 && res.status !== 200) throw new Error(`remote write: HTTP ${res.status} ${text}`);
}
