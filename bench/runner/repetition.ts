// SPDX-License-Identifier: MIT
// One repetition, written once for every workload: prepare (native channels, fresh peers) -> ready (every peer
// said READY) -> supervise (the timed native loop, watched: a peer that dies aborts the native waits, and the whole
// repetition is bounded by --timeout) -> reap (every peer exits by itself after the goodbye, and reports). The
// workload drivers (bench/workloads/) say what to prepare, what to run and how to build the record; the executor
// (executor.ts) does the work, and a test can replace it.
import type { CaseKey, ProcessCpu, Repetition } from '../result.js';
import type { PeerReport, PeerSpec } from '../peers.js';
import type { Transport, TransportEnv } from '../../transports/types.js';
import { procCpuDelta, type ChannelOptions, type Executor, type PeerHandle } from './executor.js';
import type { ProcCpu } from '../procstat.js';
import { broadcastCpus, rpcCpus } from '../matrix.js';

/** timedOut: the repetition ended by one of its time limits (its environment, e.g. a bus daemon, may be hung). */
export type RepOutcome = { ok: true; rep: Repetition } | { ok: false; reason: string; timedOut?: true };

/** A time limit of the lifecycle ran out (marks the outcome timedOut). */
class LifecycleTimeout extends Error {}

export interface RepetitionTiming {
  warmupMs: number;
  durationMs: number;
  /** Stop each timed loop after this many operations (0 = only the duration bounds it; a test hook). */
  maxOps?: number;
  /** How long past warmupMs + durationMs a repetition may run before its peers are killed. */
  timeoutMs: number;
  /** How long peers may take to say READY. */
  readyTimeoutMs?: number;
  /** How long peers may take to exit after the goodbye. */
  exitGraceMs?: number;
}

export interface RepetitionContext {
  exec: Executor;
  key: CaseKey;
  transport: Transport;
  env: TransportEnv;
  /** 0-based repetition number (seeds the payload). */
  index: number;
  timing: RepetitionTiming;
  seed: number;
  /** Test hook passed to the peers (--fault). */
  fault?: string;
  /** CPUs of this machine (placement). */
  cpus: number;
  /** performance.now() at the start of the run: the origin of the repetition's startMs. */
  originMs?: number;
}

/** A workload's part of a repetition. */
export interface WorkloadPlan<R extends { error: number; reason: string }> {
  channels: ChannelOptions[];
  /** One peer per entry: it inherits the fds of channels[channel]'s peer `slot`. */
  peers: { channel: number; slot: number; spec: Omit<PeerSpec, 'fds'> }[];
  /** The timed native loop over the prepared channels' handles. */
  run(handles: number[]): Promise<R>;
  /** The record, from the native result, the peers' reports (in `peers` order) and the daemons' CPU. */
  finish(rec: R, reports: PeerReport[], daemonCpu: ProcessCpu[]): RepOutcome;
}

export interface WorkloadDriver {
  plan(ctx: RepetitionContext): WorkloadPlan<{ error: number; reason: string }>;
}

const READY_TIMEOUT_MS = 10_000;
// Under software emulation (lab-tcg) 32 subscribers exiting at once on two emulated CPUs of a busy host can
// take longer than 5 s: give them six times as long there (a real hang still ends the repetition).
const EXIT_GRACE_MS = process.env.IPCBENCH_ENV === 'lab-tcg' ? 30_000 : 5_000;

function delay(ms: number): { promise: Promise<'late'>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Every peer's READY, or the first peer's reason; bounded. */
async function allReady(peers: readonly PeerHandle[], timeoutMs: number): Promise<void> {
  const d = delay(timeoutMs);
  try {
    const r = await Promise.race([Promise.all(peers.map((p) => p.ready)), d.promise]);
    if (r === 'late') throw new LifecycleTimeout(`peers did not become ready within ${timeoutMs} ms`);
  } finally {
    d.cancel();
  }
}

/** What the peers said last on stderr, for a reason that would otherwise only say "timed out". */
function peerSaid(peers: readonly PeerHandle[]): string {
  const said = peers.map((p) => p.stderr.split('\n').filter(Boolean).pop()).find(Boolean);
  return said ? ` (peer said: ${said})` : '';
}

/**
 * Run the native loop while watching the peers: a peer that dies early aborts the native waits (pipes and sockets
 * see EOF by themselves; futex-based transports need the flag), and the whole run is bounded, after which the
 * peers are killed.
 */
async function supervise<T>(
  ctx: RepetitionContext,
  run: Promise<T>,
  peers: readonly PeerHandle[],
  handles: readonly number[],
): Promise<{ value: T; peerFailure?: string; timedOut: boolean }> {
  let peerFailure: string | undefined;
  let timedOut = false;
  let settled = false;
  const abortAll = () => {
    for (const h of handles) ctx.exec.abort(h);
  };
  for (const p of peers)
    void p.exited.then((e) => {
      if (settled || (e.code === 0 && !e.signal)) return;
      peerFailure ??= p.describeExit(e);
      abortAll();
    });
  const t = ctx.timing;
  const timer = setTimeout(
    () => {
      timedOut = true;
      abortAll();
      for (const p of peers) p.kill();
    },
    t.warmupMs + t.durationMs + t.timeoutMs,
  );
  try {
    return { value: await run, peerFailure, timedOut };
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

/**
 * The native side saw the failure first (EOF on a pipe arrives before node hears of the peer's death): find out how
 * the peers ended, so that the reason carries what the peer said and how it died. A moment for the peers to exit by
 * themselves, then the rest are killed and every exit is awaited (the repetition reaps them anyway): a peer that had
 * already died keeps its own status whenever node hears of it (a kill cannot change it), so the story does not
 * depend on how fast a loaded machine reports the death; only the peers killed here are left out of it.
 */
async function withPeerStory(reason: string, known: string | undefined, peers: readonly PeerHandle[]): Promise<string> {
  if (known) return `${reason}; ${known}`;
  const d = delay(1000);
  await Promise.race([Promise.all(peers.map((p) => p.exited)), d.promise]);
  d.cancel();
  const killedHere = new Set<PeerHandle>();
  for (const p of peers) {
    if (p.finished) continue;
    killedHere.add(p);
    p.kill();
  }
  for (const p of peers) {
    const e = await p.exited;
    if (killedHere.has(p) && e.signal === 'SIGKILL') continue;
    if (e.code !== 0 || e.signal) return `${reason}; ${p.describeExit(e)}`;
  }
  return reason;
}

/** After the goodbye every peer exits by itself; give it a moment, then it is killed (and that is an error). */
async function reap(peers: readonly PeerHandle[], graceMs: number): Promise<string | undefined> {
  const d = delay(graceMs);
  const outcome = await Promise.race([Promise.all(peers.map((p) => p.exited)), d.promise]);
  d.cancel();
  if (outcome === 'late') throw new LifecycleTimeout(`a peer did not exit within ${graceMs} ms of the goodbye`);
  for (const p of peers) {
    const e = await p.exited;
    if (e.code !== 0 || e.signal) return p.describeExit(e);
  }
  return undefined;
}

function daemonSnapshot(ctx: RepetitionContext): Map<number, ProcCpu> {
  const m = new Map<number, ProcCpu>();
  for (const pid of ctx.env.daemonPids ?? []) {
    const c = ctx.exec.sampleCpu(pid);
    if (c) m.set(pid, c);
  }
  return m;
}

function daemonCpu(ctx: RepetitionContext, before: Map<number, ProcCpu>): ProcessCpu[] {
  const out: ProcessCpu[] = [];
  for (const [pid, a] of before) {
    const b = ctx.exec.sampleCpu(pid);
    if (b) out.push({ role: 'daemon', pid, ...procCpuDelta(a, b) });
  }
  return out;
}

/** One repetition of one case in fresh peers: always reaps every peer and releases every channel. */
export async function runRepetition(ctx: RepetitionContext, driver: WorkloadDriver): Promise<RepOutcome> {
  // Just before the peers start: the machine's speed on the case's first CPU and the time, covariates for the
  // drift studies (docs/statistics.md, "Off-speed stretches").
  const k = ctx.key;
  const cpu = k.workload === 'rpc' ? rpcCpus(k.placement, 0, ctx.cpus).client : broadcastCpus(k.placement, 0, ctx.cpus).publisher;
  const probeNs = ctx.exec.speedProbe(cpu);
  const startMs = ctx.originMs === undefined ? undefined : Math.round(performance.now() - ctx.originMs);
  const outcome = await measure(ctx, driver);
  if (outcome.ok) Object.assign(outcome.rep, startMs === undefined ? { probeNs } : { startMs, probeNs });
  return outcome;
}

async function measure(ctx: RepetitionContext, driver: WorkloadDriver): Promise<RepOutcome> {
  const handles: number[] = [];
  const peers: PeerHandle[] = [];
  try {
    const plan = driver.plan(ctx);
    const fds: number[][][] = [];
    for (const c of plan.channels) {
      const ch = ctx.exec.prepare(c);
      handles.push(ch.handle);
      fds.push(ch.peers);
    }
    for (const p of plan.peers) peers.push(ctx.exec.startPeer({ ...p.spec, fds: fds[p.channel]![p.slot]! }));
    try {
      await allReady(peers, ctx.timing.readyTimeoutMs ?? READY_TIMEOUT_MS);
    } finally {
      for (const h of handles) ctx.exec.closePeerFds(h);
    }
    const daemons = daemonSnapshot(ctx);
    const { value: rec, peerFailure, timedOut } = await supervise(ctx, plan.run(handles), peers, handles);
    const daemonsCpu = daemonCpu(ctx, daemons);
    if (timedOut)
      return { ok: false, timedOut: true, reason: `timed out after ${ctx.timing.timeoutMs} ms past the planned duration; peers killed${peerSaid(peers)}` };
    if (rec.error) return { ok: false, reason: await withPeerStory(rec.reason, peerFailure, peers) };
    const exitProblem = peerFailure ?? (await reap(peers, ctx.timing.exitGraceMs ?? EXIT_GRACE_MS));
    if (exitProblem) return { ok: false, reason: exitProblem };
    const reports: PeerReport[] = [];
    for (const p of peers) {
      const r = p.report();
      if (!r) return { ok: false, reason: p.failure('sent no report') };
      reports.push(r);
    }
    return plan.finish(rec, reports, daemonsCpu);
  } catch (err) {
    return err instanceof LifecycleTimeout ? { ok: false, timedOut: true, reason: err.message } : { ok: false, reason: (err as Error).message };
  } finally {
    for (const p of peers) p.kill();
    await Promise.all(peers.map((p) => p.exited));
    for (const h of handles) ctx.exec.release(h);
  }
}
