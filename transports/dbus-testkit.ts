// SPDX-License-Identifier: MIT
// Helpers shared by the D-Bus transport tests (not a test file itself): a 0700 directory as the runner makes it,
// one short RPC run through the addon and a real peer, and process inspection.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { native, PEER_PATH, resolveNative, type RpcRecord } from '../common/addon.js';
import type { SetupContext } from './types.js';

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
  record: RpcRecord;
  peer: ChildProcess;
  peerExit: Promise<number | null>;
  peerStderr: () => string;
}

/**
 * One RPC channel: prepare, spawn the peer, wait for READY, run. `during` runs while the timed loop is going
 * (to kill things mid-run).
 */
export async function runRpcOnce(
  nativeName: string,
  address: string | undefined,
  o: { size: number; durationMs: number; maxOps?: number; during?: () => void | Promise<void> },
): Promise<RpcRun> {
  const a = native();
  const nat = resolveNative(nativeName);
  if (!nat) throw new Error(`no native transport or variant called ${nativeName}`);
  const ch = a.prepare({ transport: nat.native, variant: nat.variant, maxMsg: o.size, address });
  const fds = ch.peers[0]!;
  const args = ['--transport', nat.native, '--role', 'server', '--max-msg', String(o.size)];
  if (nat.variant) args.push('--variant', nat.variant);
  if (address) args.push('--address', address);
  if (fds.length) args.push('--fds', fds.map((_, i) => String(i + 3)).join(','));
  const peer = spawn(PEER_PATH, args, { stdio: ['ignore', 'pipe', 'pipe', ...fds] });
  let stderr = '';
  peer.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const peerExit = new Promise<number | null>((r) => peer.once('exit', (code) => r(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      peer.stdout!.once('data', () => resolve());
      peer.once('exit', () => reject(new Error(`peer exited before READY: ${stderr}`)));
    });
    a.closePeerFds(ch.handle);
    const run = a.runRpc([ch.handle], {
      warmupNs: 10e6,
      durationNs: o.durationMs * 1e6,
      maxOps: o.maxOps,
      cpus: [-1],
    });
    if (o.during) await o.during();
    // the peer's death must end a wait on a daemon-less transport too: abort like the runner's supervisor does
    const timer = setTimeout(() => a.abort(ch.handle), o.durationMs + 5_000);
    const record = await run;
    clearTimeout(timer);
    return { record, peer, peerExit, peerStderr: () => stderr };
  } finally {
    if (peer.exitCode === null && peer.signalCode === null) {
      const t = setTimeout(() => peer.kill('SIGKILL'), 3_000);
      await peerExit;
      clearTimeout(t);
    }
    a.release(ch.handle);
  }
}
