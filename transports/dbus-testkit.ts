// SPDX-License-Identifier: MIT
// Helpers shared by the D-Bus transport tests (not a test file itself): a 0700 directory as the runner makes it,
// one RPC repetition through the runner's own lifecycle with a real peer, and process inspection.
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { native, resolveNative, type RpcRecord } from '../common/addon.js';
import type { CaseKey } from '../common/vocabulary.js';
import type { PeerSpec } from '../bench/peers.js';
import { NativeExecutor, type PeerHandle, type RpcRunOptions } from '../bench/runner/executor.js';
import { runRepetition, type RepOutcome } from '../bench/runner/repetition.js';
import { rpcDriver } from '../bench/workloads/rpc.js';
import type { SetupContext, Transport } from './types.js';

export async function tempContext(tag: string): Promise<SetupContext & { abort: AbortController }> {
  const dir = await mkdtemp(join(os.tmpdir(), `ipcbench-test-${tag}-`)); // mkdtemp: mode 0700, as the runner does
  const abort = new AbortController();
  return { dir, signal: abort.signal, log: () => {}, abort };
}

/** Is the native part built with this D-Bus transport or variant? (tests skip, with the reason, when not) */
export function nativeHas(name: string): boolean {
  try {
    const n = resolveNative(name);
    return n !== undefined && !native().transports().find((t) => t.name === n.native)?.unavailable;
  } catch {
    return false;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie still answers kill(0); it is gone for our purposes (synchronous: alive() is polled)
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

/** Pids of processes whose command line mentions `needle` (leak checks). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = (await readFile(`/proc/${e}/cmdline`)).toString().replace(/\0/g, ' ');
      if (cmd.includes(needle) && alive(Number(e))) out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

export interface RpcRun {
  /** The repetition as the runner would record it (the same lifecycle: bench/runner/repetition.ts). */
  outcome: RepOutcome;
  /** The server peer's exit status. */
  peerExit: Promise<number | undefined>;
}

/**
 * One RPC repetition through the runner's own lifecycle (prepare, ready, supervise, reap) with the real executor.
 * `during` runs while the timed loop is going (to kill things mid-run).
 */
export async function runRpcOnce(
  nativeName: string,
  address: string | undefined,
  o: { size: number; durationMs: number; during?: () => void | Promise<void> },
): Promise<RpcRun> {
  const nat = resolveNative(nativeName);
  if (!nat) throw new Error(`no native transport or variant called ${nativeName}`);
  const transport: Transport = { name: nativeName, ...nat, description: nativeName, workloads: ['rpc'], probe: async () => ({ available: true }) };
  let server: PeerHandle | undefined;
  class Watching extends NativeExecutor {
    override startPeer(spec: PeerSpec): PeerHandle {
      server = super.startPeer(spec);
      return server;
    }
    override runRpc(handles: number[], r: RpcRunOptions): Promise<RpcRecord> {
      const run = super.runRpc(handles, r);
      void o.during?.();
      return run;
    }
  }
  const key: CaseKey = { transport: nativeName, workload: 'rpc', size: o.size, concurrency: 1, subscribers: 0, uninterested: 0, placement: 'unpinned', mode: 'closed', rate: 0, env: 'host' };
  const outcome = await runRepetition(
    { exec: new Watching(), key, transport, env: { address }, index: 0, timing: { warmupMs: 10, durationMs: o.durationMs, timeoutMs: 5_000 }, seed: 1, cpus: os.availableParallelism() },
    rpcDriver,
  );
  if (!server) throw new Error(`no peer was started: ${outcome.ok ? '' : outcome.reason}`);
  return { outcome, peerExit: server.exited.then((e) => e.code) };
}
