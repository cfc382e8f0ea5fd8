// The one registry of transports. Order = the order of tables and charts.
import { pipe, unixSeqpacket, unixStream } from './fd-family.js';
import { shm, shmSpin } from './shm.js';
import { dbusDaemon, dbusDaemonLibdbus, dbusDaemonMemfd } from './dbus-daemon.js';
import { dbusBroker, dbusBrokerLibdbus, dbusBrokerMemfd } from './dbus-broker.js';
import { dbusP2p } from './dbus-p2p.js';
import { binder } from './binder.js';
import { nullTransport } from './null.js';
import { fifo } from './fifo.js';
import { eventfd } from './eventfd.js';
import { posixMq } from './posix-mq.js';
import { sysvMsg } from './sysv-msg.js';
import { tcp } from './tcp.js';
import { udp } from './udp.js';
import { ioUring, ioUringMsgRing } from './io-uring.js';
import { kdbus, kdbusMemfd } from './kdbus.js';
import type { Transport } from './types.js';

export const TRANSPORTS: readonly Transport[] = [pipe, unixStream, unixSeqpacket, shm, shmSpin, nullTransport, fifo, tcp, udp, ioUring, posixMq, sysvMsg, eventfd, ioUringMsgRing, dbusP2p, dbusDaemon, dbusDaemonMemfd, dbusDaemonLibdbus, dbusBroker, dbusBrokerMemfd, dbusBrokerLibdbus, binder, kdbus, kdbusMemfd];

export function findTransport(name: string): Transport | undefined {
  return TRANSPORTS.find((t) => t.name === name);
}

export const TRANSPORT_NAMES = TRANSPORTS.map((t) => t.name);
