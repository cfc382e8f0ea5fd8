// The addon boundary (sharp's pattern): validate here, in TypeScript, with messages that name the argument;
// the C side trusts its input. Errors thrown by the addon are rethrown with a stack that points at the caller.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NATIVE_DIR = join(REPO_ROOT, 'native', 'build', 'Release');
export const PEER_PATH = join(NATIVE_DIR, 'ipcbench-peer');
export const PINGPONG_PATH = join(NATIVE_DIR, 'ipcbench-pingpong');

export interface NativeLatency {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** Uncompressed HdrHistogram V2 encoding. */
  encoded: Buffer;
}

export interface NativeUsage {
  userNs: number;
  sysNs: number;
  vcsw: number;
  ivcsw: number;
}

export interface RpcRecord {
  ops: number;
  bytes: number;
  wallNs: number;
  latency: NativeLatency;
  clientCpu: NativeUsage[];
  error: number;
  reason: string;
}

export interface BroadcastRecord {
  ops: number;
  wallNs: number;
  lastSubscriber: NativeLatency;
  publishCall: NativeLatency;
  publisherCpu: NativeUsage;
  lateSends: number;
  /** sends the transport had refused and retried (Binder one-way space full) */
  refused: number;
  error: number;
  reason: string;
}

interface Addon {
  transports(): { name: string; broadcast: boolean; unavailable?: string }[];
  prepare(o: { transport: string; maxMsg: number; spinNs?: number; subscribers?: number; address?: string }): {
    handle: number;
    peers: number[][];
  };
  closePeerFds(handle: number): void;
  abort(handle: number): void;
  release(handle: number): void;
  runRpc(
    handles: number[],
    o: { size: number; warmupNs: number; durationNs: number; maxOps?: number; seed?: number; cpus: number[] },
  ): Promise<RpcRecord>;
  runBroadcast(
    handle: number,
    o: {
      size: number;
      interested: boolean[];
      warmupNs: number;
      durationNs: number;
      maxOps?: number;
      rate?: number;
      seed?: number;
      cpu: number;
    },
  ): Promise<BroadcastRecord>;
  histogramFromValues(values: number[]): NativeLatency;
  protocol: number;
  headerSize: number;
}

let cached: Addon | undefined;

export class NativeMissingError extends Error {}

/** Load the addon once; a missing build is one clear message with the fix. */
export function native(): Addon {
  if (cached) return cached;
  const file = join(NATIVE_DIR, 'ipcbench_native.node');
  if (!existsSync(file) || !existsSync(PEER_PATH))
    throw new NativeMissingError(
      `the native part of ipcbench is not built (${file} is missing): run ./scripts/setup, or npm ci`,
    );
  cached = createRequire(import.meta.url)(file) as Addon;
  return cached;
}

export function headerSize(): number {
  return native().headerSize;
}

function rethrow(err: unknown, where: Error): never {
  const e = err instanceof Error ? err : new Error(String(err));
  e.stack = `${e.name}: ${e.message}\n${(where.stack ?? '').split('\n').slice(1).join('\n')}`;
  throw e;
}

export function prepareChannel(o: Parameters<Addon['prepare']>[0]): ReturnType<Addon['prepare']> {
  if (!Number.isInteger(o.maxMsg) || o.maxMsg < headerSize())
    throw new TypeError(`Expected an integer >= ${headerSize()} for maxMsg but received ${o.maxMsg}`);
  const where = new Error();
  try {
    return native().prepare(o);
  } catch (err) {
    rethrow(err, where);
  }
}

export async function runRpc(handles: number[], o: Parameters<Addon['runRpc']>[1]): Promise<RpcRecord> {
  if (handles.length === 0 || o.cpus.length !== handles.length)
    throw new TypeError(`Expected one CPU per channel but received ${o.cpus.length} for ${handles.length}`);
  if (!Number.isInteger(o.size) || o.size < headerSize())
    throw new TypeError(`Expected an integer >= ${headerSize()} for size but received ${o.size}`);
  const where = new Error();
  try {
    return await native().runRpc(handles, o);
  } catch (err) {
    rethrow(err, where);
  }
}

export async function runBroadcast(handle: number, o: Parameters<Addon['runBroadcast']>[1]): Promise<BroadcastRecord> {
  if (!Number.isInteger(o.size) || o.size < headerSize())
    throw new TypeError(`Expected an integer >= ${headerSize()} for size but received ${o.size}`);
  const where = new Error();
  try {
    return await native().runBroadcast(handle, o);
  } catch (err) {
    rethrow(err, where);
  }
}
