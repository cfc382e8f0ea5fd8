// SPDX-License-Identifier: MIT
// sysv-msg: System V message queues. One private queue (IPC_PRIVATE, 0600) per channel, multiplexed by message
// type (RPC: 1 = request, 2 = reply; broadcast: type i + 1 for subscriber i). The harness removes it with
// IPC_RMID on close and on every failure path; a watcher thread removes it when a case is aborted, which is what
// wakes a blocked msgrcv. Sizes above msgmax / msgmnb are skipped with the reason.
import { readFileSync } from 'node:fs';
import type { Transport } from './types.js';

export interface SysvLimits {
  /** /proc/sys/kernel/msgmax: largest message */
  msgmax: number;
  /** /proc/sys/kernel/msgmnb: default (and, unprivileged, largest) bytes in one queue */
  msgmnb: number;
}

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export function readSysvLimits(): SysvLimits | undefined {
  const msgmax = readNumber('/proc/sys/kernel/msgmax');
  const msgmnb = readNumber('/proc/sys/kernel/msgmnb');
  return msgmax === undefined || msgmnb === undefined ? undefined : { msgmax, msgmnb };
}

export function sysvSkipReason(size: number, limits: SysvLimits | undefined): string | undefined {
  if (!limits) return 'the kernel has no System V message queues (/proc/sys/kernel/msgmax missing: CONFIG_SYSVIPC)';
  if (size > limits.msgmax)
    return `a ${size}-byte message exceeds the System V message size limit /proc/sys/kernel/msgmax = ${limits.msgmax} bytes (raise it with sysctl kernel.msgmax)`;
  if (size > limits.msgmnb)
    return `a ${size}-byte message exceeds the System V queue size /proc/sys/kernel/msgmnb = ${limits.msgmnb} bytes (raise it with sysctl kernel.msgmnb)`;
  return undefined;
}

export const sysvMsg: Transport = {
  name: 'sysv-msg',
  native: 'sysv-msg',
  order: 18,
  description: 'System V message queues (msgsnd / msgrcv), one queue per channel, addressed by message type',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    const l = readSysvLimits();
    if (!l) return { available: false, reason: 'the kernel has no System V message queues (CONFIG_SYSVIPC)' };
    return { available: true, version: `kernel (msgmax ${l.msgmax} B)` };
  },
  skipReason(c) {
    return sysvSkipReason(c.size, readSysvLimits());
  },
};

export const transports = [sysvMsg];
