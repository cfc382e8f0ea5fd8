// SPDX-License-Identifier: MIT
// null: the floor of floors. The same RPC driver calls an in-process echo (one memcpy, no kernel, no peer
// process): its figures are the harness's own cost per call, the part of every other figure that is not IPC.
import type { Transport } from './types.js';

export const nullTransport: Transport = {
  name: 'null',
  native: 'null',
  order: 1,
  description: 'in-process echo: the RPC driver calling memcpy (the harness floor, no kernel, no peer)',
  workloads: ['rpc'],
  unsupported: { broadcast: 'an in-process echo has no subscriber processes to deliver to and acknowledge' },
  inProcess: true,
  noCorruptionInjection: { rpc: 'an in-process echo has no peer process whose --fault could corrupt the reply' },
  async probe() {
    return { available: true, version: 'in-process' };
  },
};

export const transports = [nullTransport];
