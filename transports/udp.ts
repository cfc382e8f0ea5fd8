// SPDX-License-Identifier: MIT
// udp: one datagram per message over loopback; connected sockets (a connected UDP socket only accepts its
// peer's datagrams). Broadcast: one publisher socket sendto()s every interested subscriber. A message must fit
// one datagram; larger sizes are skipped with the reason.
import type { Transport } from './types.js';

/** 65535 - 20 (IPv4 header) - 8 (UDP header). */
export const UDP_MAX_PAYLOAD = 65_507;

export function udpSkipReason(size: number): string | undefined {
  if (size > UDP_MAX_PAYLOAD)
    return `a ${size}-byte message does not fit one UDP datagram (at most ${UDP_MAX_PAYLOAD} bytes over IPv4); udp sends each message as one datagram`;
  return undefined;
}

export const udp: Transport = {
  name: 'udp',
  native: 'udp',
  order: 15,
  description: 'UDP over loopback, one datagram per message (sizes up to 65507 B)',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return { available: true, version: 'kernel' };
  },
  skipReason(c) {
    return udpSkipReason(c.size);
  },
};

export const transports = [udp];
