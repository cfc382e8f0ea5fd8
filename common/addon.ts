// SPDX-License-Identifier: MIT
// The native addon as the rest of the code sees it: where the build lives, its interface, loading it once with
// one clear message when it is missing, and what it says about each native transport (variants, limits). Both
// bench/ and transports/ import this; the validated call wrappers the runner uses are in bench/native.ts.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One native/transports/<name>.c as the addon reports it. */
export interface NativeTransport {
  name: string;
  /** The variants it implements (the Transport's `variant`); empty when it has one. */
  variants: string[];
  broadcast: boolean;
  /** Limits the C side exports (transport.h `struct tp_limit`), by name. */
  limits: Record<string, number>;
  /** Why it cannot run at all (compiled without its headers or packages). */
  unavailable?: string;
}

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

export interface Addon {
  transports(): NativeTransport[];
  prepare(o: { transport: string; variant?: string; maxMsg: number; subscribers?: number; address?: string }): {
    handle: number;
    peers: number[][];
  };
  closePeerFds(handle: number): void;
  abort(handle: number): void;
  release(handle: number): void;
  runRpc(handles: number[], o: { warmupNs: number; durationNs: number; maxOps?: number; seed?: number; cpus: number[] }): Promise<RpcRecord>;
  runBroadcast(
    handle: number,
    o: {
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
  /** The machine's speed on `cpu` now: the shortest of `rounds` timings (ns) of a fixed piece of work. */
  speedProbe(cpu: number, rounds: number): number;
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
    throw new NativeMissingError(`the native part of ipcbench is not built (${file} is missing): run ./scripts/setup, or npm ci`);
  cached = createRequire(import.meta.url)(file) as Addon;
  return cached;
}

/** What the addon says about native/transports/<name>.c, or undefined when it has no such file. */
export function nativeTransport(name: string): NativeTransport | undefined {
  return native()
    .transports()
    .find((t) => t.name === name);
}

/** A limit exported by the C side (never copied into TypeScript); throws when the transport does not export it. */
export function nativeLimit(transport: string, limit: string): number {
  const v = nativeTransport(transport)?.limits[limit];
  if (v === undefined) throw new Error(`native transport ${transport} exports no limit '${limit}'`);
  return v;
}

/** The native transport and variant called `name` (a transport_ops name, or one of its variants). */
export function resolveNative(name: string): { native: string; variant?: string } | undefined {
  for (const t of native().transports()) {
    if (t.variants.includes(name)) return { native: t.name, variant: name };
    if (t.name === name && !t.unavailable) return { native: t.name };
  }
  return undefined;
}
