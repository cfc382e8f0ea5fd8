// shm / shm-spin: Binder-style shared memory. The receiver owns a mapped mailbox, the sender copies once into
// it, futex wake-up; shm-spin polls for 20 us before sleeping. Broadcast: one ring written once, read by all
// subscribers in place, filtering at the receiver. See native/transports/shm.c for the protocol.
import type { Transport } from './types.js';

export const SHM_SPIN_NS = 20_000;

export const shm: Transport = {
  name: 'shm',
  nativeName: 'shm',
  description: 'Binder-style shared memory: one copy into the receiver-owned buffer, futex wake-up',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return { available: true, version: 'memfd+futex' };
  },
};

export const shmSpin: Transport = {
  ...shm,
  name: 'shm-spin',
  nativeName: 'shm-spin',
  description: `shm with a bounded ${SHM_SPIN_NS / 1000} us spin before sleeping`,
  spinNs: SHM_SPIN_NS,
};
