/**
 * What a vmselect's own `/metrics` says about its storage nodes (a backend's vmstorage pods, or for
 * the global vmselect every backend's vmselect): `vm_tcpdialer_addr_available{addr}` is 0 while it
 * cannot connect to that address (read off the 1.150 binary; test/fixtures/vmselect holds captures).
 */

const ADDR = /(?:^|,\s*)addr="([^"]*)"/;

/**
 * Each `addr` of the 0/1 gauge `metric` in a `/metrics` text, and whether it reads non-zero; only
 * the series whose labels `include` accepts.
 */
export function addressGauge(metricsText: string, metric: string, include: (labels: string) => boolean = () => true): { addr: string; reachable: boolean }[] {
  const series = new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`);
  return metricsText.split('\n').flatMap((line) => {
    const m = series.exec(line.trim());
    const addr = m && include(m[1]!) ? ADDR.exec(m[1]!)?.[1] : undefined;
    return addr ? [{ addr, reachable: Number(m![2]) !== 0 }] : [];
  });
}

/** Each storage node address a vmselect names, and whether it can connect to it. */
export function backendAvailability(metricsText: string): { addr: string; reachable: boolean }[] {
  return addressGauge(metricsText, 'vm_tcpdialer_addr_available');
}

/** The storage node addresses a vmselect cannot reach, sorted. */
export function unreachableBackends(metricsText: string): string[] {
  return [...new Set(backendAvailability(metricsText).filter((b) => !b.reachable).map((b) => b.addr))].sort();
}
