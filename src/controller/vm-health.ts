/**
 * What a vmselect's own `/metrics` says about its storage nodes (a backend's vmstorage pods, or for
 * the global vmselect every backend's vmselect): `vm_tcpdialer_addr_available{addr}` is 0 while it
 * cannot connect to that address (read off the 1.150 binary; test/fixtures/vmselect holds captures).
 */

const AVAILABLE = /^vm_tcpdialer_addr_available\{([^}]*)\} (\S+)$/;
const ADDR = /(?:^|,\s*)addr="([^"]*)"/;

/** Each storage node address a vmselect names, and whether it can connect to it. */
export function backendAvailability(metricsText: string): { addr: string; reachable: boolean }[] {
  return metricsText.split('\n').flatMap((line) => {
    const m = AVAILABLE.exec(line.trim());
    const addr = m ? ADDR.exec(m[1]!)?.[1] : undefined;
    return addr === undefined ? [] : [{ addr, reachable: Number(m![2]) !== 0 }];
  });
}

/** The storage node addresses a vmselect cannot reach, sorted. */
export function unreachableBackends(metricsText: string): string[] {
  return [...new Set(backendAvailability(metricsText).filter((b) => !b.reachable).map((b) => b.addr))].sort();
}
