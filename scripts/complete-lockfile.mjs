// Adds lock entries for platform-specific optional dependencies that this workplace's npm mirror
// does not carry (rollup's binaries for other platforms), marked with their os/cpu/libc so that
// `npm ci` skips them without fetching. Without them `npm ci` refuses the lock as out of sync.
// Run after any `npm install` that rewrites package-lock.json: `node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const FILE = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(FILE, 'utf8'));
const PLATFORM = /^@rollup\/rollup-(android|darwin|freebsd|linux|openbsd|openharmony|win32)-(arm64|arm|x64|ia32|loong64|ppc64|riscv64|s390x)(?:-(\w+))?$/;
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    const m = PLATFORM.exec(dep);
    if (lock.packages[key] || lock.packages[`${path}/${key}`] || !m) continue;
    const [, os, cpu, abi] = m;
    const libc = abi === 'musl' || abi === 'musleabihf' ? ['musl'] : abi === 'gnu' || abi === 'gnueabihf' ? ['glibc'] : undefined;
    lock.packages[key] = { version, cpu: [cpu], dev: true, license: 'MIT', optional: true, os: [os], ...(libc ? { libc } : {}) };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(FILE, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} lock entries`);
