// SPDX-License-Identifier: MIT
// binder: Android's Binder driver through raw ioctls (native/transports/binder.c). RPC: the server is the
// context manager, one sync transaction per call, payload in the transaction buffer. Broadcast: subscribers
// register binder objects with the publisher (the context manager), which sends one one-way transaction per
// interested subscriber. With binderfs every channel gets a fresh device from binder-control.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { nativeLimit } from '../common/addon.js';
import type { CaseShape, Probe, Transport, TransportEnv } from './types.js';

/** binder_alloc maps at most this much per process (BD_MAP_MAX in binder.c); one-way transactions may use half. */
export const binderMapMax = (): number => nativeLimit('binder', 'mapMax');
/** What the native side reserves for the allocator besides the data (BD_SLACK in binder.c). */
const binderSlack = (): number => nativeLimit('binder', 'slack');
export const DEFAULT_BINDERFS = '/dev/binderfs';
/**
 * Without binderfs (Debian's and Ubuntu's binder_linux module) the devices are made when the module loads
 * (devices=binder,ipcbench-binder0,...: `ipcbench module load binder`); each channel takes a free one.
 */
export const BINDER_POOL_PREFIX = 'ipcbench-binder';

export interface BinderLocation {
  /** tp_params.address: a binderfs mount (fresh device per channel) or a device node. */
  address: string;
  /** Can every channel get its own device (binder-control, or a device of a pool)? */
  fresh: boolean;
  /** A pool of pre-created devices: how many (concurrent pairs beyond that are skipped). */
  pool?: number;
}

/** /dev/ipcbench-binder<N> devices (the pool `ipcbench module load binder` creates), in index order. */
export function binderPool(dir = '/dev'): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => ({ n, i: new RegExp(`^${BINDER_POOL_PREFIX}(\\d+)$`).exec(n) }))
    .filter((x): x is { n: string; i: RegExpExecArray } => x.i !== null && isCharDevice(join(dir, x.n)))
    .sort((a, b) => Number(a.i[1]) - Number(b.i[1]))
    .map((x) => join(dir, x.n));
}

function isCharDevice(path: string): boolean {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}

/** Where binder is on this machine, or why it is not. Pure file checks: cheap, leaves nothing behind. */
export function locateBinder(env: NodeJS.ProcessEnv = process.env, fsRoot = '/'): BinderLocation | { reason: string } {
  const at = (p: string) => join(fsRoot, p);
  const override = env.IPCBENCH_BINDER;
  if (override) {
    if (isCharDevice(join(override, 'binder-control'))) return { address: override, fresh: true };
    if (isCharDevice(override)) return { address: override, fresh: isCharDevice(join(override, '..', 'binder-control')) };
    return { reason: `IPCBENCH_BINDER=${override} is neither a binderfs mount nor a binder device` };
  }
  if (isCharDevice(at(join(DEFAULT_BINDERFS, 'binder-control')))) return { address: at(DEFAULT_BINDERFS), fresh: true };
  const pool = binderPool(at('/dev'));
  if (pool.length) return { address: pool.join(','), fresh: true, pool: pool.length };
  for (const dev of ['/dev/binder', '/dev/hwbinder', '/dev/vndbinder']) if (isCharDevice(at(dev))) return { address: at(dev), fresh: false };
  let filesystems = '';
  try {
    filesystems = readFileSync(at('/proc/filesystems'), 'utf8');
  } catch {
    // no /proc: treat as no binder
  }
  if (/\tbinder$/m.test(filesystems)) return { reason: `binderfs is not mounted (as root: ipcbench module load binder)` };
  return { reason: 'no binder in this kernel (as root: ipcbench module load binder, where the kernel ships binder_linux; else ipcbench lab run)' };
}

/** Why a case cannot run on binder, or undefined. Exported for the tests. */
export function binderSkipReason(c: CaseShape, fresh: boolean, pool?: number): string | undefined {
  const mapMax = binderMapMax();
  const mib = `${mapMax / (1 << 20)} MiB`;
  if (c.workload === 'rpc' && c.size + binderSlack() > mapMax)
    return `a ${c.size}-byte message does not fit the receiver's binder mapping (the driver maps at most ${mib} per process)`;
  if (c.workload === 'broadcast' && c.size + binderSlack() > mapMax / 2)
    return `a ${c.size}-byte one-way transaction does not fit: one-way transactions may use only half of the receiver's ${mib} binder mapping`;
  if (c.workload === 'rpc' && c.concurrency > 1 && !fresh)
    return 'concurrent pairs need binderfs (one device per pair: a binder device has exactly one context manager)';
  if (c.workload === 'rpc' && pool !== undefined && c.concurrency > pool)
    return `${c.concurrency} pairs need ${c.concurrency} binder devices and the pool has ${pool} (as root: ipcbench module unload binder && ipcbench module load binder --devices ${c.concurrency * 2 + 2})`;
  return undefined;
}

function binderVersion(where: BinderLocation): string {
  const how = where.pool ? `, binder_linux pool of ${where.pool} devices` : where.fresh ? ', binderfs' : '';
  return `kernel ${release()}${how}`;
}

export const binder: Transport = {
  name: 'binder',
  native: 'binder',
  order: 40,
  description: 'Android Binder (raw ioctls): sync transactions to the context manager; one-way fan-out for broadcast',
  workloads: ['rpc', 'broadcast'],
  async probe(): Promise<Probe> {
    const where = locateBinder();
    if ('reason' in where) return { available: false, reason: where.reason };
    return { available: true, version: binderVersion(where) };
  },
  async setup(): Promise<TransportEnv> {
    const where = locateBinder();
    if ('reason' in where) throw new Error(where.reason);
    return { address: where.address, version: binderVersion(where), state: where };
  },
  check(env) {
    const where = env.state as BinderLocation | undefined;
    const gone = where?.address.split(',').find((a) => !existsSync(a));
    if (gone) return `${gone} disappeared`;
    return undefined;
  },
  skipReason(c, env) {
    const where = env.state as BinderLocation | undefined;
    return binderSkipReason(c, where?.fresh ?? true, where?.pool);
  },
};

export const transports = [binder];
