// The runner: for each case group, R repetitions interleaved across transports, each repetition in fresh peer
// processes; summaries are medians over repetitions with bootstrap CIs; results are saved after every group.
// One broken transport never aborts the matrix (unless --fail-fast); Ctrl-C stops cleanly, keeping what was measured.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { compressV2, mergeHistograms } from './histogram.js';
import { broadcastCpus, expandMatrix, rpcCpus, type CaseGroup } from './matrix.js';
import { native, prepareChannel, runBroadcast, runRpc, type NativeLatency, type NativeUsage } from './native.js';
import type { RunOptions } from './options.js';
import { allReady, Peer } from './peers.js';
import { procCpuDelta, readProcCpu, type ProcCpu } from './procstat.js';
import { caseLabel, type CaseKey, type CaseResult, type Latency, type ProcessCpu, type Repetition, type ResultDocument, type Summary } from './result.js';
import { bootstrapMedianCI, relativeHalfWidth } from './stats.js';
import { findTransport } from '../transports/index.js';
import type { Transport, TransportEnv } from '../transports/types.js';

export interface RunnerHooks {
  /** A case group is about to start / a repetition finished (progress bars). */
  onProgress?: (done: number, total: number, label: string) => void;
  log?: (message: string) => void;
  /** Called after every group with the document so far (the writer saves it). */
  onSave?: (doc: ResultDocument) => Promise<void>;
}

interface LiveEnv {
  env: TransportEnv;
  dir: string;
}

type RepOutcome = { ok: true; rep: Repetition } | { ok: false; reason: string };

const READY_TIMEOUT_MS = 10_000;
// Under software emulation (lab-tcg) 32 subscribers exiting at once on two emulated CPUs of a busy host can
// take longer than 5 s: give them six times as long there (a real hang still ends the repetition).
const EXIT_GRACE_MS = process.env.IPCBENCH_ENV === 'lab-tcg' ? 30_000 : 5_000;

function latencyFrom(n: NativeLatency): Latency {
  return {
    count: n.count,
    min: n.min,
    p50: n.p50,
    p90: n.p90,
    p99: n.p99,
    p999: n.p999,
    max: n.max,
    mean: n.mean,
    histogram: n.count ? compressV2(n.encoded) : undefined,
  };
}

function usageToCpu(role: ProcessCpu['role'], u: NativeUsage | ProcCpu, pid?: number): ProcessCpu {
  return { role, pid, userNs: u.userNs, sysNs: u.sysNs, vcsw: u.vcsw, ivcsw: u.ivcsw };
}

function cpuPerOp(cpu: ProcessCpu[], ops: number): { total: number; byRole: Record<string, number>; ctx: number } {
  const byRole: Record<string, number> = {};
  let total = 0;
  let ctx = 0;
  for (const c of cpu) {
    const ns = c.userNs + c.sysNs;
    byRole[c.role] = (byRole[c.role] ?? 0) + ns / Math.max(1, ops);
    total += ns;
    ctx += c.vcsw + c.ivcsw;
  }
  return { total: total / Math.max(1, ops), byRole, ctx: ctx / Math.max(1, ops) };
}

/** The metrics summarised over repetitions (median + bootstrap 95% CI); "lower is better" unless noted. */
export const SUMMARY_METRICS: Record<string, (r: Repetition) => number | undefined> = {
  p50: (r) => r.latency.p50,
  p99: (r) => r.latency.p99,
  opsPerSec: (r) => r.opsPerSec,
  mbPerSec: (r) => r.mbPerSec,
  cpuUsPerOp: (r) => r.cpuNsPerOp.total / 1000,
  lastSubscriberP50: (r) => r.lastSubscriber?.p50,
  lastSubscriberP99: (r) => r.lastSubscriber?.p99,
  publishCallP50: (r) => r.publishCall?.p50,
  publisherCpuUsPerOp: (r) => (r.cpuNsPerOp.byRole.publisher === undefined ? undefined : r.cpuNsPerOp.byRole.publisher / 1000),
  deliveredPerSec: (r) => (r.delivery ? r.delivery.delivered / (r.wallNs / 1e9) : undefined),
};

export function summarize(reps: readonly Repetition[], seed = 1): Summary {
  const out: Summary = {};
  for (const [name, pick] of Object.entries(SUMMARY_METRICS)) {
    const values = reps.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (values.length) out[name] = bootstrapMedianCI(values, 0.95, 2000, seed);
  }
  return out;
}

export class Runner {
  private readonly envs = new Map<string, LiveEnv | { failed: string }>();
  private readonly live = new Set<Peer>();
  private readonly liveHandles = new Set<number>();
  private readonly cpus = os.availableParallelism();

  constructor(
    private readonly opts: RunOptions,
    private readonly doc: ResultDocument,
    private readonly signal: AbortSignal,
    private readonly hooks: RunnerHooks = {},
  ) {
    signal.addEventListener('abort', () => this.stopEverything(), { once: true });
  }

  private log(msg: string): void {
    this.hooks.log?.(msg);
  }

  /** Kill every peer and make every native wait give up: used on Ctrl-C. */
  private stopEverything(): void {
    for (const h of this.liveHandles) native().abort(h);
    for (const p of this.live) p.kill();
  }

  async run(): Promise<ResultDocument> {
    const groups = expandMatrix(this.opts, this.doc.host.env);
    const total = groups.reduce((n, g) => n + g.keys.length * this.opts.repetitions, 0);
    let done = 0;
    try {
      for (const group of groups) {
        if (this.signal.aborted) break;
        const results = await this.runGroup(group, (label) => this.hooks.onProgress?.(++done, total, label), (n) => {
          done += n;
        });
        this.doc.cases.push(...results);
        await this.hooks.onSave?.(this.doc);
        if (this.opts.failFast && results.some((r) => r.state === 'errored')) {
          this.log('stopping at the first errored case (--fail-fast)');
          break;
        }
      }
    } finally {
      await this.teardownAll();
    }
    return this.doc;
  }

  private async envFor(t: Transport): Promise<LiveEnv | { failed: string }> {
    const have = this.envs.get(t.name);
    if (have && 'env' in have) {
      const broken = t.check?.(have.env);
      if (!broken) return have;
      this.log(`${t.name}: ${broken}; restarting its environment`);
      await this.teardownOne(t, have);
    } else if (have) return have;
    const dir = await mkdtemp(join(os.tmpdir(), `ipcbench-${t.name}-`)); // mkdtemp creates it 0700
    try {
      const env = t.setup ? await t.setup({ dir, signal: this.signal, log: (m) => this.log(`${t.name}: ${m}`) }) : {};
      const live = { env, dir };
      this.envs.set(t.name, live);
      return live;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      const failed = { failed: `setup failed: ${(err as Error).message}` };
      this.envs.set(t.name, failed);
      return failed;
    }
  }

  private async teardownOne(t: Transport, live: LiveEnv): Promise<void> {
    try {
      await t.teardown?.(live.env);
    } catch (err) {
      this.log(`${t.name}: teardown: ${(err as Error).message}`);
    }
    await rm(live.dir, { recursive: true, force: true });
    this.envs.delete(t.name);
  }

  private async teardownAll(): Promise<void> {
    for (const [name, live] of [...this.envs]) {
      const t = findTransport(name);
      if (t && 'env' in live) await this.teardownOne(t, live);
    }
  }

  private async runGroup(group: CaseGroup, tick: (label: string) => void, skipTicks: (n: number) => void): Promise<CaseResult[]> {
    const states = group.keys.map((key) => ({
      key,
      transport: findTransport(key.transport)!,
      result: { key, state: 'ok', startedAt: new Date().toISOString(), repetitions: [] } as CaseResult,
      done: false,
    }));
    for (const s of states) {
      const reason = await this.skipReason(s.key, s.transport);
      if (reason) {
        s.result.state = reason.state;
        s.result.reason = reason.reason;
        s.done = true;
        skipTicks(this.opts.repetitions);
      }
    }
    for (let r = 0; r < this.opts.repetitions && !this.signal.aborted; r++) {
      for (const s of states) {
        if (s.done || this.signal.aborted) continue;
        const live = await this.envFor(s.transport);
        if ('failed' in live) {
          s.result.state = 'errored';
          s.result.reason = live.failed;
          s.done = true;
          skipTicks(this.opts.repetitions - r);
          continue;
        }
        s.result.transportVersion = live.env.version;
        const outcome = await this.runRepetition(s.key, s.transport, live.env, r);
        tick(caseLabel(s.key));
        if (!outcome.ok) {
          if (this.signal.aborted) break;
          s.result.state = 'errored';
          s.result.reason = `repetition ${r + 1}: ${outcome.reason}`;
          s.done = true;
          skipTicks(this.opts.repetitions - r - 1);
          continue;
        }
        s.result.repetitions.push(outcome.rep);
        const n = s.result.repetitions.length;
        if (n >= this.opts.minRepetitions && n < this.opts.repetitions) {
          const ci = bootstrapMedianCI(s.result.repetitions.map((x) => x.latency.p50), 0.95, 2000, this.opts.seed);
          if (relativeHalfWidth(ci) <= this.opts.ciTarget) {
            s.done = true; // tight enough: stop early
            skipTicks(this.opts.repetitions - n);
          }
        }
      }
    }
    return states.map((s) => {
      if (s.result.repetitions.length) s.result.summary = summarize(s.result.repetitions, this.opts.seed);
      if (s.result.state === 'ok' && s.result.repetitions.length === 0) {
        s.result.state = 'errored';
        s.result.reason = 'interrupted before any repetition finished';
      }
      return s.result;
    });
  }

  private async skipReason(key: CaseKey, t: Transport): Promise<{ state: 'skipped' | 'unavailable'; reason: string } | undefined> {
    const status = this.doc.transports.find((s) => s.name === t.name);
    if (status && !status.available) return { state: 'unavailable', reason: status.reason ?? 'unavailable' };
    if (!t.workloads.includes(key.workload)) return { state: 'skipped', reason: `${t.name} does not implement the ${key.workload} workload` };
    if (key.placement === 'cross-core' && this.cpus < 2) return { state: 'skipped', reason: 'cross-core placement needs at least 2 CPUs' };
    if (key.workload === 'broadcast' && key.uninterested >= key.subscribers)
      return { state: 'skipped', reason: `--uninterested ${key.uninterested} leaves no interested subscriber among ${key.subscribers}` };
    const live = this.envs.get(t.name);
    const env = live && 'env' in live ? live.env : {};
    const skip = t.skipReason?.({ workload: key.workload, size: key.size, subscribers: key.subscribers, concurrency: key.concurrency }, env);
    return skip ? { state: 'skipped', reason: skip } : undefined;
  }

  /** Daemon CPU accounting around a repetition. */
  private daemonSnapshot(env: TransportEnv): Map<number, ProcCpu> {
    const m = new Map<number, ProcCpu>();
    for (const pid of env.daemonPids ?? []) {
      const c = readProcCpu(pid);
      if (c) m.set(pid, c);
    }
    return m;
  }

  private daemonCpu(before: Map<number, ProcCpu>): ProcessCpu[] {
    const out: ProcessCpu[] = [];
    for (const [pid, a] of before) {
      const b = readProcCpu(pid);
      if (b) out.push(usageToCpu('daemon', procCpuDelta(a, b), pid));
    }
    return out;
  }

  private async runRepetition(key: CaseKey, t: Transport, env: TransportEnv, index: number): Promise<RepOutcome> {
    const handles: number[] = [];
    const peers: Peer[] = [];
    try {
      return key.workload === 'rpc'
        ? await this.runRpcRepetition(key, t, env, index, handles, peers)
        : await this.runBroadcastRepetition(key, t, env, index, handles, peers);
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    } finally {
      for (const p of peers) p.kill();
      await Promise.all(peers.map((p) => p.exited));
      for (const p of peers) this.live.delete(p);
      for (const h of handles) {
        this.liveHandles.delete(h);
        native().release(h);
      }
    }
  }

  private startPeer(spec: ConstructorParameters<typeof Peer>[0], peers: Peer[]): Peer {
    const p = new Peer(spec);
    peers.push(p);
    this.live.add(p);
    return p;
  }

  /**
   * Run the native timed loop while watching the peers: a peer that dies early aborts the native waits (pipes
   * and sockets see EOF by themselves; futex-based transports need the flag), and the whole repetition is bounded
   * by --timeout, after which the peers are killed.
   */
  private async supervise<T>(run: Promise<T>, peers: Peer[], handles: number[]): Promise<{ value: T; peerFailure?: string; timedOut: boolean }> {
    let peerFailure: string | undefined;
    let timedOut = false;
    let settled = false;
    const abortAll = () => {
      for (const h of handles) native().abort(h);
    };
    for (const p of peers)
      void p.exited.then((e) => {
        if (settled || (e.code === 0 && !e.signal)) return;
        peerFailure ??= p.describeExit(e);
        abortAll();
      });
    const timer = setTimeout(() => {
      timedOut = true;
      abortAll();
      for (const p of peers) p.kill();
    }, this.opts.warmupMs + this.opts.durationMs + this.opts.timeoutMs);
    try {
      const value = await run;
      return { value, peerFailure, timedOut };
    } finally {
      settled = true;
      clearTimeout(timer);
    }
  }

  /**
   * The native side saw the failure first (EOF on a pipe arrives before node hears of the peer's death): give the
   * peers a moment to be reaped so the reason carries what the peer said and how it died.
   */
  private async withPeerStory(reason: string, known: string | undefined, peers: Peer[]): Promise<string> {
    if (known) return `${reason}; ${known}`;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(peers.map((p) => p.exited)),
      new Promise((r) => {
        timer = setTimeout(r, 1000);
      }),
    ]);
    clearTimeout(timer);
    for (const p of peers) {
      if (!p.finished) continue;
      const e = await p.exited;
      if (e.code !== 0 || e.signal) return `${reason}; ${p.describeExit(e)}`;
    }
    return reason;
  }

  /** After the goodbye every peer exits by itself; give it a moment, then it is killed (and that is an error). */
  private async reap(peers: Peer[]): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), EXIT_GRACE_MS);
    });
    const outcome = await Promise.race([Promise.all(peers.map((p) => p.exited)), late]);
    clearTimeout(timer);
    if (outcome === 'late') return `a peer did not exit within ${EXIT_GRACE_MS} ms of the goodbye`;
    for (const p of peers) {
      const e = await p.exited;
      if (e.code !== 0 || e.signal) return p.describeExit(e);
    }
    return undefined;
  }

  private async runRpcRepetition(key: CaseKey, t: Transport, env: TransportEnv, index: number, handles: number[], peers: Peer[]): Promise<RepOutcome> {
    const clientCpus: number[] = [];
    for (let i = 0; i < key.concurrency; i++) {
      const ch = prepareChannel({ transport: t.nativeName, maxMsg: key.size, spinNs: t.spinNs, address: env.address });
      handles.push(ch.handle);
      this.liveHandles.add(ch.handle);
      const cpus = rpcCpus(key.placement, i, this.cpus);
      clientCpus.push(cpus.client);
      this.startPeer(
        {
          transport: t.nativeName,
          role: 'server',
          fds: ch.peers[0]!,
          maxMsg: key.size,
          cpu: cpus.server,
          address: env.address,
          spinNs: t.spinNs,
          fault: this.opts.fault,
          extraArgs: t.peerArgs?.(env),
        },
        peers,
      );
    }
    try {
      await allReady(peers, READY_TIMEOUT_MS);
    } finally {
      for (const h of handles) native().closePeerFds(h);
    }
    const daemons = this.daemonSnapshot(env);
    const { value: rec, peerFailure, timedOut } = await this.supervise(
      runRpc(handles, {
        size: key.size,
        warmupNs: this.opts.warmupMs * 1e6,
        durationNs: this.opts.durationMs * 1e6,
        seed: this.opts.seed + index,
        cpus: clientCpus,
      }),
      peers,
      handles,
    );
    const daemonCpu = this.daemonCpu(daemons);
    if (timedOut) return { ok: false, reason: `timed out after ${this.opts.timeoutMs} ms past the planned duration; peers killed${peers[0]?.stderr ? ` (peer said: ${peers[0].stderr.split('\n').pop()})` : ''}` };
    if (rec.error) return { ok: false, reason: await this.withPeerStory(rec.reason, peerFailure, peers) };
    const exitProblem = peerFailure ?? (await this.reap(peers));
    if (exitProblem) return { ok: false, reason: exitProblem };
    const cpu: ProcessCpu[] = rec.clientCpu.map((u) => usageToCpu('client', u, process.pid));
    for (const p of peers) {
      const r = p.report();
      if (!r) return { ok: false, reason: p.failure('sent no report') };
      cpu.push(usageToCpu('server', r, r.pid));
    }
    cpu.push(...daemonCpu);
    const per = cpuPerOp(cpu, rec.ops);
    const secs = rec.wallNs / 1e9;
    return {
      ok: true,
      rep: {
        index,
        ops: rec.ops,
        bytes: rec.bytes,
        wallNs: rec.wallNs,
        opsPerSec: rec.ops / secs,
        mbPerSec: rec.bytes / secs / 1e6,
        latency: latencyFrom(rec.latency),
        cpu,
        cpuNsPerOp: { total: per.total, byRole: per.byRole },
        ctxSwitchesPerOp: per.ctx,
      },
    };
  }

  private async runBroadcastRepetition(key: CaseKey, t: Transport, env: TransportEnv, index: number, handles: number[], peers: Peer[]): Promise<RepOutcome> {
    const n = key.subscribers;
    // the last K subscribers are the uninterested ones
    const interested = Array.from({ length: n }, (_, i) => i < n - key.uninterested);
    const ch = prepareChannel({ transport: t.nativeName, maxMsg: key.size, spinNs: t.spinNs, subscribers: n, address: env.address });
    handles.push(ch.handle);
    this.liveHandles.add(ch.handle);
    const lateNs = key.mode === 'open' ? Math.round(1e9 / key.rate) : 0;
    for (let i = 0; i < n; i++) {
      this.startPeer(
        {
          transport: t.nativeName,
          role: 'subscriber',
          fds: ch.peers[i]!,
          maxMsg: key.size,
          cpu: broadcastCpus(key.placement, i, this.cpus).subscriber,
          address: env.address,
          spinNs: t.spinNs,
          subscribers: n,
          index: i,
          interested: interested[i]!,
          lateNs,
          fault: i === 0 ? this.opts.fault : undefined,
          extraArgs: t.peerArgs?.(env),
        },
        peers,
      );
    }
    try {
      await allReady(peers, READY_TIMEOUT_MS);
    } finally {
      native().closePeerFds(ch.handle);
    }
    const daemons = this.daemonSnapshot(env);
    const { value: rec, peerFailure, timedOut } = await this.supervise(
      runBroadcast(ch.handle, {
        size: key.size,
        interested,
        warmupNs: this.opts.warmupMs * 1e6,
        durationNs: this.opts.durationMs * 1e6,
        rate: key.mode === 'open' ? key.rate : 0,
        seed: this.opts.seed + index,
        cpu: broadcastCpus(key.placement, 0, this.cpus).publisher,
      }),
      peers,
      handles,
    );
    const daemonCpu = this.daemonCpu(daemons);
    if (timedOut) return { ok: false, reason: `timed out after ${this.opts.timeoutMs} ms past the planned duration; subscribers killed` };
    if (rec.error) return { ok: false, reason: await this.withPeerStory(rec.reason, peerFailure, peers) };
    const exitProblem = peerFailure ?? (await this.reap(peers));
    if (exitProblem) return { ok: false, reason: exitProblem };
    const cpu: ProcessCpu[] = [usageToCpu('publisher', rec.publisherCpu, process.pid)];
    const histograms: string[] = [];
    const delivery = { expected: rec.ops * interested.filter(Boolean).length, delivered: 0, lost: 0, duplicated: 0, corrupted: 0, late: 0, refused: rec.refused };
    for (const p of peers) {
      const r = p.report();
      if (!r) return { ok: false, reason: p.failure('sent no report') };
      cpu.push(usageToCpu('subscriber', r, r.pid));
      if (r.histogram && r.ops) histograms.push(compressV2(Buffer.from(r.histogram, 'base64')));
      delivery.delivered += r.ops;
      delivery.lost += r.lost;
      delivery.duplicated += r.duplicated;
      delivery.corrupted += r.corrupted;
      delivery.late += r.late;
    }
    cpu.push(...daemonCpu);
    const per = cpuPerOp(cpu, rec.ops);
    const secs = rec.wallNs / 1e9;
    const rep: Repetition = {
      index,
      ops: rec.ops,
      bytes: delivery.delivered * key.size,
      wallNs: rec.wallNs,
      opsPerSec: rec.ops / secs,
      mbPerSec: (delivery.delivered * key.size) / secs / 1e6,
      latency: histograms.length ? mergeHistograms(histograms) : { count: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 },
      lastSubscriber: key.mode === 'closed' ? latencyFrom(rec.lastSubscriber) : undefined,
      publishCall: latencyFrom(rec.publishCall),
      delivery,
      cpu,
      cpuNsPerOp: { total: per.total, byRole: per.byRole },
      ctxSwitchesPerOp: per.ctx,
    };
    // the lossless check: every interested subscriber got every broadcast exactly once, intact
    if (delivery.corrupted) return { ok: false, reason: `integrity check failed: ${delivery.corrupted} corrupted message(s) delivered` };
    if (key.mode === 'closed' && (delivery.lost || delivery.duplicated || delivery.delivered !== delivery.expected))
      return {
        ok: false,
        reason: `lossless check failed: expected ${delivery.expected} deliveries, got ${delivery.delivered} (lost ${delivery.lost}, duplicated ${delivery.duplicated})`,
      };
    return { ok: true, rep };
  }
}
