// SPDX-License-Identifier: MIT
// zeromq: libzmq (Debian's libzmq3-dev). RPC: REQ/REP over an ipc:// endpoint in the run's private 0700 directory
// (the socket file is created 0600). Broadcast: XPUB/SUB with subscription prefixes, so filtering happens in libzmq:
// uninterested subscribers subscribe to a topic that is never sent. No daemon: setup() only hands the native side
// the directory for its endpoints. See native/transports/zeromq.c.
import { nativeProbe, output } from './dbus-bus.js';
import type { Probe, Transport } from './types.js';

let libVersion: Promise<string> | undefined;

/** "libzmq 4.3.4": the version the native part was built against (pkg-config, as at build time). */
export function zmqVersion(): Promise<string> {
  libVersion ??= output('pkg-config', ['--modversion', 'libzmq']).then((out) => `libzmq ${out?.trim() || '?'}`);
  return libVersion;
}

/** sun_path holds 108 bytes including the NUL; our endpoint is <dir>/zmq-<channel id>. */
export const IPC_PATH_MAX = 107;
/** Longest channel id the native side invents ("Zmq_P<pid>_C<counter>"), with room to spare. */
const ENDPOINT_NAME_ROOM = '/zmq-Zmq_P4194304_C18446744073709551615'.length;

export function endpointSkipReason(dir: string | undefined): string | undefined {
  if (dir && dir.length + ENDPOINT_NAME_ROOM > IPC_PATH_MAX)
    return `the run directory ${dir} is too long for an ipc:// endpoint (AF_UNIX paths hold ${IPC_PATH_MAX} bytes); set TMPDIR to a shorter path`;
  return undefined;
}

export const zeromq: Transport = {
  name: 'zeromq',
  native: 'zeromq',
  order: 60,
  description: 'libzmq REQ/REP over ipc:// for RPC; PUB/SUB with subscription prefixes (filtering in libzmq)',
  workloads: ['rpc', 'broadcast'],
  async probe(): Promise<Probe> {
    return nativeProbe('zeromq') ?? { available: true, version: await zmqVersion() };
  },
  async setup(ctx) {
    const reason = endpointSkipReason(ctx.dir);
    if (reason) throw new Error(reason);
    return { address: ctx.dir, version: await zmqVersion() };
  },
};

export const transports = [zeromq];
