import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unreachableBackends } from '../src/controller/vm-health.ts';

// The global vmselect's backends as its /metrics tells them: captures of the real vmselect 1.150
// (`-storageNode` a live vmstorage and/or a closed port, after one query); the live check is in
// victoriametrics-global.test.ts.

const capture = (name: string) => readFileSync(new URL(`./fixtures/vmselect/${name}.metrics.txt`, import.meta.url), 'utf8');

describe('unreachableBackends', () => {
  it.each([
    ['every storage node up', capture('all-up'), []],
    ['one of two down', capture('one-backend-down'), ['127.0.0.1:1']],
    ['both down', capture('all-down'), ['127.0.0.1:1', '127.0.0.1:2']],
    ['no dialer series (not a vmselect)', 'vm_app_version{version="vmselect-v1.150.0"} 1\n', []],
    ['other labels around addr, IPv6 address', 'vm_tcpdialer_addr_available{addr="[::1]:8401", name="vmselect"} 0\nvm_tcpdialer_addr_available{name="vmselect", addr="b:8401"} 1\n', ['[::1]:8401']],
  ])('%s', (_, text, expected) => {
    expect(unreachableBackends(text)).toEqual(expected);
  });

  it('reads the availability series, not the dial counters of the same address', () => {
    const text = capture('one-backend-down');
    expect(text).toMatch(/^vm_tcpdialer_errors_total\{name="vmselect", addr="127.0.0.1:1", type="dial"\} [1-9]/m);
    expect(unreachableBackends(text.replace(/^vm_tcpdialer_addr_available.*$/gm, ''))).toEqual([]);
  });
});
