// SPDX-License-Identifier: MIT
// fifo: named pipes. Each channel gets its own 0700 directory under the run's private directory, holding one
// fifo (0600) per direction or per subscriber; the peer opens its ends by name, then the names are unlinked
// (native/transports/fifo.c). The run directory is removed at teardown, so nothing stays on disk.
import type { Transport } from './types.js';

export const fifo: Transport = {
  name: 'fifo',
  native: 'fifo',
  order: 13,
  description: 'named pipes (mkfifo) in the private run directory, one per direction / per subscriber',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return { available: true, version: 'kernel' };
  },
  async setup(ctx) {
    return { address: ctx.dir };
  },
};

export const transports = [fifo];
