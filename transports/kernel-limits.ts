// SPDX-License-Identifier: MIT
// The kernel's limits a transport must honour, read where the kernel publishes them (sysctls under /proc/sys, the
// process's rlimits in /proc/self/limits), and the skip reason for a message over one: shared by the message-queue
// transports (posix-mq, sysv-msg), whose availability and skips both follow such limits. Not a transport itself
// (exports no `transports`).
import { readFileSync } from 'node:fs';

/** The numbers in these /proc/sys files, by name; undefined when any is missing (the kernel lacks the feature). */
export function readSysctls<K extends string>(files: Record<K, string>): Record<K, number> | undefined {
  const out = {} as Record<K, number>;
  for (const [name, path] of Object.entries(files) as [K, string][]) {
    let n: number;
    try {
      n = Number(readFileSync(path, 'utf8').trim());
    } catch {
      return undefined;
    }
    if (!Number.isFinite(n)) return undefined;
    out[name] = n;
  }
  return out;
}

/** A soft resource limit by its /proc/self/limits label ("Max msgqueue size"); Infinity when unlimited or unknown. */
export function softRlimit(label: string): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(label));
    const soft = line?.slice(label.length).trim().split(/\s+/)[0];
    if (soft && soft !== 'unlimited' && Number.isFinite(Number(soft))) return Number(soft);
  } catch {
    // unknown: the native side reports the errno if the limit bites
  }
  return Infinity;
}

/**
 * "a 9000-byte message exceeds the <what> /proc/sys/kernel/msgmax = 8192 bytes (raise it with sysctl
 * kernel.msgmax)", or undefined when `size` fits.
 */
export function overSysctl(size: number, limit: number, what: string, file: string): string | undefined {
  if (size <= limit) return undefined;
  const sysctl = file.replace(/^\/proc\/sys\//, '').replace(/\//g, '.');
  return `a ${size}-byte message exceeds the ${what} ${file} = ${limit} bytes (raise it with sysctl ${sysctl})`;
}
