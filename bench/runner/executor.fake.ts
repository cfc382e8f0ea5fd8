// SPDX-License-Identifier: MIT
// A scripted executor for the runner's unit tests (not a test file itself): peers and native runs that behave as
// the script says (ready or not, die mid-run, hang, never exit, no report), and a log of what the lifecycle did to
// them, so that tests can assert on supervision without processes, timing or the addon.
import type { BroadcastRecord, NativeLatency, RpcRecord } from '../native.js';
import type { PeerReport, PeerSpec } from '../peers.js';
import type { ProcCpu } from '../procstat.js';
import type { BroadcastRunOptions, ChannelOptions, Executor, PeerExit, PeerHandle, RpcRunOptions } from './executor.js';

export interface PeerScript {
  /** 'die': exits (status 1, saying so) before READY; 'never': stays silent. Default: ready. */
  ready?: 'ok' | 'die' | 'never';
  /** Exits with this status while the native loop runs (the loop then fails or is aborted). */
  dieDuringRun?: number;
  /** With dieDuringRun: the death (status fixed at once) reaches the harness only this much later (a loaded machine). */
  deathSeenAfterMs?: number;
  /** Does not exit after the goodbye. */
  hangAfterBye?: boolean;
  /** Exits after the goodbye with this status (default 0). */
  exitCode?: number;
  /** Sends no REPORT line. */
  noReport?: boolean;
  stderr?: string;
  report?: Partial<PeerReport>;
}

export interface RunScript {
  /** 'hang': the native loop only returns when aborted; 'fail': returns an error record. Default: ok. */
  outcome?: 'ok' | 'hang' | 'fail';
  reason?: string;
  /** With dieDuringRun: the loop sees EOF and fails by itself, as on a pipe (else it waits to be aborted). */
  failsOnPeerDeath?: boolean;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

const ZERO_LATENCY: NativeLatency = { count: 0, min: 0, p50: 1000, p90: 1000, p99: 2000, p999: 2000, max: 3000, mean: 1000, encoded: Buffer.alloc(0) };
const USAGE = { userNs: 1000, sysNs: 1000, vcsw: 1, ivcsw: 0 };

export class FakePeer implements PeerHandle {
  readonly ready: Promise<void>;
  readonly exited: Promise<PeerExit>;
  finished = false;
  killed = false;
  private resolveExit!: (e: PeerExit) => void;

  constructor(
    readonly spec: PeerSpec,
    readonly script: PeerScript,
  ) {
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
    this.ready =
      script.ready === 'die'
        ? tick().then(() => {
            this.exit({ code: 1, signal: undefined });
            throw new Error(this.failure('exited with status 1 before it was ready'));
          })
        : script.ready === 'never'
          ? new Promise<void>(() => {})
          : tick();
    this.ready.catch(() => undefined);
  }

  get stderr(): string {
    return this.script.stderr ?? '';
  }

  /** Dead, but the harness has not heard of it yet (deathSeenAfterMs): a kill cannot change the status any more. */
  dead = false;

  exit(e: PeerExit): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveExit(e);
  }

  /** The harness said goodbye. */
  bye(): void {
    if (!this.script.hangAfterBye) this.exit({ code: this.script.exitCode ?? 0, signal: undefined });
  }

  report(): PeerReport | undefined {
    if (this.script.noReport) return undefined;
    return { role: this.spec.role, pid: 4242, ops: 100, ...USAGE, lost: 0, duplicated: 0, corrupted: 0, late: 0, ...this.script.report };
  }

  failure(what: string): string {
    return `${this.spec.role} peer ${what}${this.stderr ? `: ${this.stderr}` : ''}`;
  }

  describeExit(e: PeerExit): string {
    return this.failure(e.signal ? `was killed by ${e.signal}` : `exited with status ${e.code}`);
  }

  kill(): void {
    if (this.finished || this.dead) return;
    this.killed = true;
    this.exit({ code: undefined, signal: 'SIGKILL' });
  }
}

export class FakeExecutor implements Executor {
  readonly log: string[] = [];
  readonly peers: FakePeer[] = [];
  private next = 1;
  private readonly live = new Set<number>();
  private readonly aborts = new Map<number, () => void>();
  private readonly names = new Map<number, string>();

  constructor(
    private readonly peerScript: (spec: PeerSpec, n: number) => PeerScript = () => ({}),
    private readonly runScript: (channel: string) => RunScript = () => ({}),
  ) {}

  /** Channels prepared and not released. */
  get liveHandles(): number[] {
    return [...this.live];
  }

  prepare(o: ChannelOptions): { handle: number; peers: number[][] } {
    const handle = this.next++;
    this.live.add(handle);
    this.names.set(handle, `${o.transport}${o.variant ? `/${o.variant}` : ''}`);
    this.log.push(`prepare ${this.names.get(handle)} ${o.maxMsg}`);
    return { handle, peers: Array.from({ length: o.subscribers || 1 }, () => [100 + handle]) };
  }

  closePeerFds(handle: number): void {
    this.log.push(`closePeerFds ${handle}`);
  }

  abort(handle: number): void {
    this.log.push(`abort ${handle}`);
    this.aborts.get(handle)?.();
  }

  release(handle: number): void {
    this.log.push(`release ${handle}`);
    this.live.delete(handle);
  }

  startPeer(spec: PeerSpec): FakePeer {
    const p = new FakePeer(spec, this.peerScript(spec, this.peers.length));
    this.peers.push(p);
    return p;
  }

  private async run<R extends { error: number; reason: string }>(handles: number[], ok: () => R): Promise<R> {
    const script = this.runScript(this.names.get(handles[0]!)!);
    const mine = this.peers.filter((p) => !p.finished);
    const failed = (reason: string) => ({ ...ok(), error: -125, reason });
    const aborted = new Promise<R>((resolve) => {
      for (const h of handles) this.aborts.set(h, () => resolve(failed('call: aborted by the harness')));
    });
    await tick();
    const dying = mine.filter((p) => p.script.dieDuringRun !== undefined);
    for (const p of dying) {
      const e = { code: p.script.dieDuringRun, signal: undefined };
      if (p.script.deathSeenAfterMs === undefined) p.exit(e);
      else {
        p.dead = true;
        setTimeout(() => p.exit(e), p.script.deathSeenAfterMs);
      }
    }
    if (dying.length && script.failsOnPeerDeath) return failed('call: peer closed the connection');
    if (dying.length || script.outcome === 'hang') return aborted;
    if (script.outcome === 'fail') return failed(script.reason ?? 'integrity check failed on reply 7: checksum mismatch');
    for (const p of mine) p.bye();
    return ok();
  }

  runRpc(handles: number[], o: RpcRunOptions): Promise<RpcRecord> {
    this.log.push(`runRpc ${handles.join(',')}`);
    return this.run(handles, () => ({
      ops: 1000,
      bytes: 128_000,
      wallNs: 1e7,
      latency: ZERO_LATENCY,
      clientCpu: o.cpus.map(() => USAGE),
      error: 0,
      reason: '',
    }));
  }

  runBroadcast(handle: number, o: BroadcastRunOptions): Promise<BroadcastRecord> {
    this.log.push(`runBroadcast ${handle}`);
    void o;
    return this.run([handle], () => ({
      ops: 100,
      wallNs: 1e7,
      lastSubscriber: ZERO_LATENCY,
      publishCall: ZERO_LATENCY,
      publisherCpu: USAGE,
      lateSends: 0,
      refused: 0,
      error: 0,
      reason: '',
    }));
  }

  sampleCpu(pid: number): ProcCpu | undefined {
    void pid;
    return undefined;
  }

  /** The CPUs speedProbe() was asked about, in order. */
  readonly probedCpus: number[] = [];

  speedProbe(cpu: number): number {
    this.probedCpus.push(cpu);
    return 100_000;
  }

  stopAll(): void {
    this.log.push('stopAll');
    for (const h of this.live) this.abort(h);
    for (const p of this.peers) p.kill();
  }
}
