// A minimal Prometheus remote-write 1.0 client for tests: a protobuf `WriteRequest` in a snappy
// block. Debian's Prometheus has no OTLP receiver, so tests push series this way.

export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** [value, timestamp in ms] pairs, oldest first. */
  readonly samples: readonly (readonly [number, number])[];
}

function varint(n: number): number[] {
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

function field(number: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([...varint((number << 3) | 2), ...varint(payload.length)]), payload]);
}

/** prometheus.WriteRequest: timeseries = 1; TimeSeries: labels = 1, samples = 2; Label: name = 1, value = 2; Sample: value = 1 (double), timestamp = 2 (int64). */
export function encodeWriteRequest(series: readonly Series[]): Buffer {
  return Buffer.concat(
    series.map((s) => {
      // Remote write wants labels sorted by name.
      const labels = Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const parts = [
        ...labels.map(([name, value]) => field(1, Buffer.concat([field(1, Buffer.from(name)), field(2, Buffer.from(value))]))),
        ...s.samples.map(([value, ts]) => {
          const double = Buffer.alloc(8);
          double.writeDoubleLE(value);
          return field(2, Buffer.concat([Buffer.from([(1 << 3) | 1]), double, Buffer.from([(2 << 3) | 0, ...varint(ts)])]));
        }),
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
  const res = await fetch(`${prometheusUrl}/api/v1/write`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    body: new Uint8Array(snappyLiteral(encodeWriteRequest(series))),
  });
  const text = await res.text();
  if (res.status !== 204 && res.status !== 200) throw new Error(`remote write: HTTP ${res.status} ${text}`);
}
