// SPDX-License-Identifier: MIT
// kdbus, kdbus-memfd: the kdbus ABI through raw ioctls (native/transports/kdbus.c) against our own kdbus module
// (native/kernel/kdbus, loaded in the lab kernel) or the original kdbusfs. RPC: one SEND with SYNC_REPLY per call,
// single copy into the receiver's pool, zero-copy receive. Broadcast: one SEND, the kernel fans out to the
// subscribers whose bloom mask matches. kdbus-memfd passes every payload as a sealed memfd by reference.
// kdbus-meta is kdbus with metadata: every receiver asks for the set sd-bus asked for (timestamp, creds, pids,
// auxgroups, names, comms, exe, cmdline, cgroup, caps, seclabel, audit, description), collected by the kernel in
// each SEND. kdbus-name is kdbus RPC addressed to the server's well-known name (DST_NAME), so every call pays the
// kernel's name lookup. The variants differ only in a mode the native side takes (native/transports/kdbus.c).
// The native side makes one bus per channel (BUS_MAKE through <base>/control) and owns it for the channel's life;
// setup() only finds the base directory. See docs/kdbus.md.
import { existsSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { nativeLimit } from '../common/addon.js';
import type { Probe, Transport, TransportEnv } from './types.js';

/** Our module's character-device layout (spec 2.2); the original mounted kdbusfs at /sys/fs/kdbus. */
export const DEFAULT_KDBUS_BASE = '/dev/kdbus';
export const ORIGINAL_KDBUS_BASE = '/sys/fs/kdbus';
/** KDBUS_MSG_MAX_PAYLOAD_VEC_SIZE: the most PAYLOAD_VEC bytes one message may carry (spec 18), from kdbus.c. */
export const kdbusVecMax = (): number => nativeLimit('kdbus', 'payloadVecMax');
/** KDBUS_USER_MAX_BUSES: buses per user (spec 18); the native side makes one bus per channel. From kdbus.c. */
export const kdbusUserMaxBuses = (): number => nativeLimit('kdbus', 'userMaxBuses');

function hasControl(base: string): boolean {
  try {
    const s = statSync(join(base, 'control'));
    return s.isCharacterDevice() || s.isFile(); // char device: ours; regular file: kdbusfs
  } catch {
    return false;
  }
}

/** The base directory to use, or why there is none. IPCBENCH_KDBUS overrides the search. */
export function locateKdbus(env: NodeJS.ProcessEnv = process.env): { base: string } | { reason: string } {
  const override = env.IPCBENCH_KDBUS;
  if (override) {
    if (hasControl(override)) return { base: override };
    return { reason: `no kdbus at ${override} (IPCBENCH_KDBUS): ${join(override, 'control')} is missing` };
  }
  for (const base of [DEFAULT_KDBUS_BASE, ORIGINAL_KDBUS_BASE]) if (hasControl(base)) return { base };
  return { reason: `no kdbus at ${DEFAULT_KDBUS_BASE} (module not loaded; use \`ipcbench lab run\`)` };
}

function kdbusVersion(base: string): string {
  const kind = base === ORIGINAL_KDBUS_BASE ? 'kdbusfs' : existsSync('/sys/module/kdbus') ? 'ipcbench kdbus module' : 'kdbus';
  return `${kind} at ${base}, kernel ${release()}`;
}

/** Why a case cannot run, or undefined. Exported for the tests. */
export function kdbusSkipReason(memfd: boolean, c: { workload: string; size: number; concurrency?: number }): string | undefined {
  if (!memfd && c.size > kdbusVecMax()) return `kdbus copies at most ${kdbusVecMax()} bytes of PAYLOAD_VEC per message; use kdbus-memfd for ${c.size} bytes`;
  if (c.workload === 'rpc' && (c.concurrency ?? 1) > kdbusUserMaxBuses())
    return `every pair gets its own bus and kdbus allows ${kdbusUserMaxBuses()} buses per user`;
  return undefined;
}

/** How the variants differ: one native transport (native/transports/kdbus.c), the variant is a parameter. */
export interface KdbusVariant {
  name: string;
  order: number;
  memfd: boolean;
  workloads: readonly ('rpc' | 'broadcast')[];
  description: string;
}

export const KDBUS_VARIANTS: readonly KdbusVariant[] = [
  {
    name: 'kdbus',
    order: 50,
    memfd: false,
    workloads: ['rpc', 'broadcast'],
    description: 'kdbus ABI: SEND with SYNC_REPLY, single copy into the receiver pool; bloom-matched broadcast; no metadata',
  },
  {
    name: 'kdbus-memfd',
    order: 51,
    memfd: true,
    workloads: ['rpc', 'broadcast'],
    description: 'kdbus ABI with every payload in a sealed memfd passed by reference',
  },
  {
    name: 'kdbus-meta',
    order: 52,
    memfd: false,
    workloads: ['rpc', 'broadcast'],
    description: 'kdbus with the metadata sd-bus requested attached to every message (creds, pids, comms, exe, cmdline, caps, ...)',
  },
  {
    name: 'kdbus-name',
    order: 53,
    memfd: false,
    workloads: ['rpc'],
    description: 'kdbus RPC addressed to a well-known name (DST_NAME): the kernel name lookup on every call',
  },
];

function make(v: KdbusVariant): Transport {
  const { name, memfd, description } = v;
  return {
    name,
    native: 'kdbus',
    variant: name,
    order: v.order,
    description,
    workloads: [...v.workloads],
    async probe(): Promise<Probe> {
      const where = locateKdbus();
      if ('reason' in where) return { available: false, reason: where.reason };
      return { available: true, version: kdbusVersion(where.base) };
    },
    async setup(): Promise<TransportEnv> {
      const where = locateKdbus();
      if ('reason' in where) throw new Error(where.reason);
      return { address: where.base, version: kdbusVersion(where.base), state: where.base };
    },
    check(env) {
      const base = env.state as string | undefined;
      if (base && !hasControl(base)) return `${join(base, 'control')} disappeared (module unloaded?)`;
      return undefined;
    },
    skipReason(c) {
      return kdbusSkipReason(memfd, c);
    },
  };
}

const variant = (n: string) => make(KDBUS_VARIANTS.find((v) => v.name === n)!);
export const kdbus = variant('kdbus');
export const kdbusMemfd = variant('kdbus-memfd');
export const kdbusMeta = variant('kdbus-meta');
export const kdbusName = variant('kdbus-name');

export const transports = [kdbus, kdbusMemfd, kdbusMeta, kdbusName];
