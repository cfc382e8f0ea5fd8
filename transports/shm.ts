// SPDX-License-Identifier: MIT
// shm / shm-spin: Binder-style shared memory. The receiver owns a mapped mailbox, the sender copies once into
// it, futex wake-up; shm-spin polls for a bounded time (native/transports/shm.c exports it as the limit spinNs)
// before sleeping. Broadcast: one ring written once, read by all subscribers in place, filtering at the receiver.
// See native/transports/shm.c for the protocol.
import type { Transport } from './types.js';

export const shm: Transport = {
  name: 'shm',
  native: 'shm',
  variant: 'shm',
  order: 20,
  description: 'Binder-style shared memory: one copy into the receiver-owned buffer, futex wake-up',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return { available: true, version: 'memfd+futex' };
  },
};

export const shmSpin: Transport = {
  ...shm,
  name: 'shm-spin',
  variant: 'shm-spin',
  order: 21,
  description: 'shm with a bounded spin (native limit spinNs) before sleeping',
};

export const transports = [shm, shmSpin];
