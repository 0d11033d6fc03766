/**
 * Keeps `npm ci` working after an `npm install` here. This machine's registry serves only the platform
 * binaries it runs on, so npm leaves other platforms' optional packages (e.g. @swc/core-darwin-arm64) out of
 * package-lock.json, and `npm ci` then calls the lock out of sync. This adds each missing one back as npm
 * would record it (version, os, cpu, libc, optional), which `npm ci` skips on other platforms.
 *
 *   npx tsx scripts/lockfile-platform-stubs.ts      # after any npm install; prints what it added
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Entry = { version?: string; dev?: boolean; optionalDependencies?: Record<string, string> } & Record<
  string,
  unknown
>;
const path = join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(path, 'utf8')) as { packages: Record<string, Entry> };
const OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openbsd', 'sunos', 'aix', 'netbsd', 'openharmony'];
const CPU = ['arm64', 'x64', 'ia32', 'ppc64', 's390x', 'loong64', 'riscv64', 'mips64el', 'arm'];

const added: string[] = [];
for (const parent of Object.values(lock.packages)) {
  for (const [name, range] of Object.entries(parent.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] !== undefined) continue;
    const parts = name.split('/').at(-1)!.split('-');
    const os = OS.find((o) => parts.includes(o));
    const cpu = CPU.find((c) => parts.includes(c) || parts.includes(`${c}eabihf`));
    if (os === undefined || cpu === undefined) continue; // not a platform binary: leave it to npm
    const libc = parts.some((p) => p.startsWith('musl')) ? 'musl' : os === 'linux' ? 'glibc' : undefined;
    lock.packages[key] = {
      version: range.replace(/^[\^~=]/, ''),
      ...(parent.dev === true ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(libc === undefined ? {} : { libc: [libc] }),
    };
    added.push(name);
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(added.length === 0 ? 'package-lock.json already complete\n' : `added ${added.join(', ')}\n`);
