/**
 * Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity) as the config accepts them
 * for CPU and memory, read into numbers so that a limit can be compared with its request.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** CPU: whole or decimal cores (`2`, `0.5`) or millicores (`250m`). */
export const CPU_PATTERN = '^([0-9]+m|[0-9]+(\\.[0-9]{1,3})?)$';
/** Memory: bytes with a binary (`Ki`…`Ti`) or decimal (`k`…`T`) suffix, or plain bytes. */
export const MEMORY_PATTERN = '^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$';

/** Millicores of a CPU quantity. */
export function cpuMillis(q: string): number {
  const m = new RegExp(CPU_PATTERN).exec(q);
  if (!m) throw new Error(`not a CPU quantity: ${q}`);
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

/** Bytes of a memory quantity. */
export function memoryBytes(q: string): number {
  const m = /^([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit = m[2] ?? '';
  return Number(m[1]) * (BINARY[unit] ?? DECIMAL[unit]!);
}

/** Whole MiB of a memory quantity (rounded down). */
export function memoryMiB(q: string): number {
  return Math.floor(memoryBytes(q) / 2 ** 20);
}
