/**
 * What a vmselect's own `/metrics` says about its storage nodes (a backend's vmstorage pods, or for
 * the global vmselect every backend's vmselect): `vm_tcpdialer_addr_available{addr}` is 0 while it
 * cannot connect to that address (read off the 1.150 binary; test/fixtures/vmselect holds captures).
 */

const AVAILABLE = /^vm_tcpdialer_addr_available\{([^}]*)\} (\S+)$/;
const ADDR = /(?:^|,\s*)addr="([^"]*)"/;

/** The storage node addresses a vmselect cannot reach, sorted. */
export function unreachableBackends(metricsText: string): string[] {
  const down = new Set<string>();
  for (const line of metricsText.split('\n')) {
    const m = AVAILABLE.exec(line.trim());
    const addr = m ? ADDR.exec(m[1]!)?.[1] : undefined;
    if (addr !== undefined && Number(m![2]) === 0) down.add(addr);
  }
  return [...down].sort();
}
