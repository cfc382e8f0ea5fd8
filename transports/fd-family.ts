// SPDX-License-Identifier: MIT
// pipe, unix-stream, unix-seqpacket: kernel primitives every Linux has; nothing to set up. One native transport
// (native/transports/fdstream.c) with the primitive as its variant. The channel is created by the harness (pipe2 /
// socketpair) and inherited by the peer, so no socket file ever exists on disk. Broadcast: one channel per
// subscriber, the publisher writes once per interested subscriber.
import type { Transport } from './types.js';

function always(variant: string, order: number, description: string): Transport {
  return {
    name: variant,
    native: 'fdstream',
    variant,
    order,
    description,
    workloads: ['rpc', 'broadcast'],
    async probe() {
      return { available: true, version: 'kernel' };
    },
  };
}

export const pipe = always('pipe', 10, 'a pipe per direction (lmbench lat_pipe style)');
export const unixStream = always('unix-stream', 11, 'AF_UNIX SOCK_STREAM socketpair');
export const unixSeqpacket = always('unix-seqpacket', 12, 'AF_UNIX SOCK_SEQPACKET socketpair (messages over 64 KiB as several records)');

export const transports = [pipe, unixStream, unixSeqpacket];
