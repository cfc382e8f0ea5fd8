// pipe, unix-stream, unix-seqpacket: kernel primitives every Linux has; nothing to set up.
// The channel is created by the harness (pipe2 / socketpair) and inherited by the peer, so no socket file ever
// exists on disk. Broadcast: one channel per subscriber, the publisher writes once per interested subscriber.
import type { Transport } from './types.js';

function always(name: string, description: string): Transport {
  return {
    name,
    nativeName: name,
    description,
    workloads: ['rpc', 'broadcast'],
    async probe() {
      return { available: true, version: 'kernel' };
    },
  };
}

export const pipe = always('pipe', 'a pipe per direction (lmbench lat_pipe style)');
export const unixStream = always('unix-stream', 'AF_UNIX SOCK_STREAM socketpair');
export const unixSeqpacket = always('unix-seqpacket', 'AF_UNIX SOCK_SEQPACKET socketpair (messages over 64 KiB as several records)');
