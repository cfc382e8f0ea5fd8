// SPDX-License-Identifier: MIT
// sysv-msg: System V message queues. One private queue (IPC_PRIVATE, 0600) per channel, multiplexed by message
// type (RPC: 1 = request, 2 = reply; broadcast: type i + 1 for subscriber i). The harness removes it with
// IPC_RMID on close and on every failure path; a watcher thread removes it when a case is aborted, which is what
// wakes a blocked msgrcv. Sizes above msgmax / msgmnb are skipped with the reason.
import { overSysctl, readSysctls } from './kernel-limits.js';
import type { Transport } from './types.js';

export interface SysvLimits {
  /** /proc/sys/kernel/msgmax: largest message */
  msgmax: number;
  /** /proc/sys/kernel/msgmnb: default (and, unprivileged, largest) bytes in one queue */
  msgmnb: number;
}

const MSGMAX = '/proc/sys/kernel/msgmax';
const MSGMNB = '/proc/sys/kernel/msgmnb';
/** Why the transport cannot run at all here. */
const MISSING = 'the kernel has no System V message queues (/proc/sys/kernel/msgmax missing: CONFIG_SYSVIPC)';

export function readSysvLimits(): SysvLimits | undefined {
  return readSysctls({ msgmax: MSGMAX, msgmnb: MSGMNB });
}

export function sysvSkipReason(size: number, limits: SysvLimits | undefined): string | undefined {
  if (!limits) return MISSING;
  return overSysctl(size, limits.msgmax, 'System V message size limit', MSGMAX) ?? overSysctl(size, limits.msgmnb, 'System V queue size', MSGMNB);
}

export const sysvMsg: Transport = {
  name: 'sysv-msg',
  native: 'sysv-msg',
  order: 18,
  description: 'System V message queues (msgsnd / msgrcv), one queue per channel, addressed by message type',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    const l = readSysvLimits();
    if (!l) return { available: false, reason: MISSING };
    return { available: true, version: `kernel (msgmax ${l.msgmax} B)` };
  },
  skipReason(c) {
    return sysvSkipReason(c.size, readSysvLimits());
  },
};

export const transports = [sysvMsg];
