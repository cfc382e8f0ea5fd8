// SPDX-License-Identifier: MIT
// posix-mq: POSIX message queues. The harness creates each queue (0600, mq_msgsize = the case's message size,
// mq_maxmsg = 2) and unlinks its name at once; the peer inherits the queue descriptor, so nothing can be left in
// /dev/mqueue. RPC: a request and a reply queue; broadcast: one queue per subscriber. Sizes above the kernel's
// per-message limit, and cases whose queues would not fit the user's RLIMIT_MSGQUEUE, are skipped with the reason.
import { overSysctl, readSysctls, softRlimit } from './kernel-limits.js';
import type { Transport, Workload } from './types.js';

/** mq_maxmsg of every queue (native/transports/posix-mq.c MQ_DEPTH). */
export const MQ_DEPTH = 2;
/** What the kernel charges per message slot besides its bytes (struct msg_msg + tree node), rounded up. */
const MQ_SLOT_OVERHEAD = 128;

export interface MqLimits {
  /** /proc/sys/fs/mqueue/msgsize_max */
  msgsizeMax: number;
  /** /proc/sys/fs/mqueue/msg_max */
  msgMax: number;
  /** RLIMIT_MSGQUEUE soft limit in bytes (Infinity when unlimited) */
  rlimit: number;
}

const MSGSIZE_MAX = '/proc/sys/fs/mqueue/msgsize_max';
/** Why the transport cannot run at all here. */
const MISSING = 'the kernel has no POSIX message queues (/proc/sys/fs/mqueue missing: CONFIG_POSIX_MQUEUE)';

/** The limits of this machine, or undefined where the kernel has no POSIX queues. */
export function readMqLimits(): MqLimits | undefined {
  const l = readSysctls({ msgsizeMax: MSGSIZE_MAX, msgMax: '/proc/sys/fs/mqueue/msg_max' });
  return l && { ...l, rlimit: softRlimit('Max msgqueue size') };
}

export function mqSkipReason(
  c: { workload: Workload; size: number; subscribers: number; concurrency: number },
  limits: MqLimits | undefined,
): string | undefined {
  if (!limits) return MISSING;
  const tooLarge = overSysctl(c.size, limits.msgsizeMax, 'POSIX queue message size limit', MSGSIZE_MAX);
  if (tooLarge) return tooLarge;
  const queues = c.workload === 'rpc' ? 2 * c.concurrency : c.subscribers;
  const depth = Math.min(MQ_DEPTH, Math.max(1, limits.msgMax));
  const bytes = queues * depth * (c.size + MQ_SLOT_OVERHEAD);
  if (bytes > limits.rlimit)
    return `${queues} queues of ${depth} x ${c.size} bytes need about ${bytes} bytes, above RLIMIT_MSGQUEUE = ${limits.rlimit} bytes (ulimit -q)`;
  return undefined;
}

export const posixMq: Transport = {
  name: 'posix-mq',
  native: 'posix-mq',
  order: 17,
  description: 'POSIX message queues (mq_timedsend / mq_timedreceive), one per direction / per subscriber',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    const l = readMqLimits();
    if (!l) return { available: false, reason: MISSING };
    return { available: true, version: `kernel (msgsize_max ${l.msgsizeMax} B)` };
  },
  skipReason(c) {
    return mqSkipReason(c, readMqLimits());
  },
};

export const transports = [posixMq];
