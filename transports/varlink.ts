// SPDX-License-Identifier: MIT
// varlink: the Varlink protocol (NUL-terminated JSON objects over an AF_UNIX stream), implemented by ipcbench in C
// from the public specification (native/transports/varlink.c): no Varlink library. RPC: org.ipcbench.Echo.Echo with
// the message as a base64 string, one reply. Broadcast: each subscriber calls org.ipcbench.Broadcast.Subscribe with
// "more": true and the publisher (the service) answers every broadcast as a reply with "continues": true, filtering by
// the subscription's parameters. The connections are socketpairs made by the harness, so nothing is set up.
import { nativeProbe } from './dbus-bus.js';
import type { Transport } from './types.js';

export const VARLINK_VERSION = 'varlink (ipcbench implementation)';

export const varlink: Transport = {
  name: 'varlink',
  native: 'varlink',
  order: 61,
  description: 'Varlink: NUL-terminated JSON over AF_UNIX, payload as base64; broadcast as "more" replies',
  workloads: ['rpc', 'broadcast'],
  async probe() {
    return nativeProbe('varlink') ?? { available: true, version: VARLINK_VERSION };
  },
  async setup() {
    return { version: VARLINK_VERSION };
  },
};

export const transports = [varlink];
