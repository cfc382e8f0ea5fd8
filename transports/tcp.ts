// SPDX-License-Identifier: MIT
// tcp: one loopback TCP connection per channel (TCP_NODELAY). The harness listens on 127.0.0.1:0 only for the
// instant it takes to connect and accept its own connection, checks the accepted socket is its own, closes the
// listener and hands the accepted socket to the peer: nothing listens while a case runs.
import type { Transport } from './types.js';

export const tcp: Transport = {
  name: 'tcp',
  native: 'tcp',
  order: 14,
  description: 'TCP over loopback (127.0.0.1, TCP_NODELAY), one connection per pair / per subscriber',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return { available: true, version: 'kernel' };
  },
};

export const transports = [tcp];
