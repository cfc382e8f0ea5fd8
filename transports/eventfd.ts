// SPDX-License-Identifier: MIT
// eventfd: shm's mailbox and broadcast ring (one copy into receiver-owned shared memory), woken with an eventfd
// instead of a futex: the receiver sleeps in poll() on its eventfd and drains it with read(), the sender writes 1.
// Broadcast keeps shm's wake-up chain (subscriber i wakes subscriber i + 1). See native/transports/shm.c.
import type { Transport } from './types.js';

export const eventfd: Transport = {
  name: 'eventfd',
  native: 'shm',
  variant: 'eventfd',
  order: 22,
  description: 'shm mailbox / ring with eventfd wake-ups (poll + read) instead of futex',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return { available: true, version: 'memfd+eventfd' };
  },
};

export const transports = [eventfd];
