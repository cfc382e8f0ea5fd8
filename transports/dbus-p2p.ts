// SPDX-License-Identifier: MIT
// dbus-p2p: the sd-bus client and server of dbus-daemon/dbus-broker talking D-Bus directly over a socketpair, with no
// bus daemon at all (anonymous authentication, peer-to-peer mode). Against unix-stream it prices D-Bus marshalling
// and sd-bus itself; against dbus-daemon / dbus-broker it isolates the daemon hop. Broadcast: one connection per
// subscriber, the publisher filters (there is no daemon to do it). Nothing to set up.
import { clientVersion, nativeProbe, payloadSkipReason } from './dbus-bus.js';
import type { Transport } from './types.js';

export const dbusP2p: Transport = {
  name: 'dbus-p2p',
  native: 'dbus-sdbus',
  variant: 'dbus-p2p',
  order: 30,
  description: 'sd-bus peer-to-peer over a socketpair, no daemon (payload as ay)',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return nativeProbe('dbus-sdbus') ?? { available: true, version: `${await clientVersion('sd-bus')}, peer-to-peer` };
  },
  async setup() {
    return { version: `${await clientVersion('sd-bus')}, peer-to-peer` };
  },
  skipReason: (c) => payloadSkipReason(c, 'bytes', 'dbus-p2p'),
};

export const transports = [dbusP2p];
