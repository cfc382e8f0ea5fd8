// The one registry of transports. Order = the order of tables and charts.
import { pipe, unixSeqpacket, unixStream } from './fd-family.js';
import { shm, shmSpin } from './shm.js';
import { dbusDaemon, dbusDaemonLibdbus, dbusDaemonMemfd } from './dbus-daemon.js';
import { dbusBroker, dbusBrokerLibdbus, dbusBrokerMemfd } from './dbus-broker.js';
import { dbusP2p } from './dbus-p2p.js';
import { binder } from './binder.js';
import { kdbus, kdbusMemfd, kdbusMeta, kdbusName } from './kdbus.js';
import type { Transport } from './types.js';

export const TRANSPORTS: readonly Transport[] = [pipe, unixStream, unixSeqpacket, shm, shmSpin, dbusP2p, dbusDaemon, dbusDaemonMemfd, dbusDaemonLibdbus, dbusBroker, dbusBrokerMemfd, dbusBrokerLibdbus, binder, kdbus, kdbusMemfd, kdbusMeta, kdbusName];

export function findTransport(name: string): Transport | undefined {
  return TRANSPORTS.find((t) => t.name === name);
}

export const TRANSPORT_NAMES = TRANSPORTS.map((t) => t.name);
