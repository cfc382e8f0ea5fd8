// SPDX-License-Identifier: MIT
// io-uring: the unix-stream exchange (a socketpair per pair / per subscriber) driven through io_uring (liburing):
// one io_uring_enter per round trip and side, one for a whole fan-out. io-uring-msg-ring: shm's mailbox woken
// with IORING_OP_MSG_RING (a CQE posted into the receiver's ring) instead of a futex. Availability is checked at
// run time by the native side (io_uring_setup may be refused: io_uring_disabled, seccomp; MSG_RING needs 5.18).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Probe, Transport } from './types.js';

/** Reads /proc/sys/kernel/io_uring_disabled (Linux 6.6+): 0 on, 1 only for io_uring_group, 2 off. */
export function ioUringSysctl(read: (p: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  try {
    const n = Number(read('/proc/sys/kernel/io_uring_disabled').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export function ioUringProbe(disabled: number | undefined, release: string): Probe {
  if (disabled === 2)
    return { available: false, reason: 'io_uring is disabled on this machine (/proc/sys/kernel/io_uring_disabled = 2; sysctl kernel.io_uring_disabled=0)' };
  // 1: only members of kernel.io_uring_group (or CAP_SYS_ADMIN); the native probe has already tried io_uring_setup
  return { available: true, version: `kernel ${release}` };
}

export const ioUring: Transport = {
  name: 'io-uring',
  native: 'io-uring',
  order: 16,
  description: 'the unix-stream exchange through io_uring (liburing): send + recv in one io_uring_enter',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return ioUringProbe(ioUringSysctl(), os.release());
  },
};

export const ioUringMsgRing: Transport = {
  name: 'io-uring-msg-ring',
  native: 'io-uring-msg-ring',
  order: 23,
  description: 'shm mailbox / ring woken with IORING_OP_MSG_RING (CQE posted into the receiver ring) instead of futex',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return ioUringProbe(ioUringSysctl(), os.release());
  },
};

export const transports = [ioUring, ioUringMsgRing];
