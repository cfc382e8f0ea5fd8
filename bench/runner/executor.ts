// SPDX-License-Identifier: MIT
// The executor seam: everything a repetition does to the outside world (native channels, peer processes, the
// timed native loops, CPU samples of daemons) behind one interface, so that the repetition lifecycle
// (repetition.ts) can be tested with a fake (executor.fake.ts) and runs for real with NativeExecutor.
import { native, runBroadcast, runRpc, prepareChannel, type BroadcastRecord, type RpcRecord } from '../native.js';
import { Peer, type PeerReport, type PeerSpec } from '../peers.js';
import { procCpuDelta, readProcCpu, type ProcCpu } from '../procstat.js';
import { holdPid } from '../../common/emergency.js';

export interface PeerExit {
  code: number | undefined;
  signal: string | undefined;
}

/** A started peer process, as the lifecycle sees it (bench/peers.ts Peer is the real one). */
export interface PeerHandle {
  readonly spec: PeerSpec;
  /** Resolves on "READY"; rejects with the reason when it dies or speaks another protocol first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<PeerExit>;
  readonly finished: boolean;
  readonly stderr: string;
  report(): PeerReport | undefined;
  failure(what: string): string;
  describeExit(e: PeerExit): string;
  kill(): void;
}

export type ChannelOptions = Parameters<typeof prepareChannel>[0];
export type RpcRunOptions = Parameters<typeof runRpc>[1];
export type BroadcastRunOptions = Parameters<typeof runBroadcast>[1];

export interface Executor {
  /** A native channel: its handle and the fds each of its peers inherits. */
  prepare(o: ChannelOptions): { handle: number; peers: number[][] };
  /** The harness's copies of the peers' fds, once they have them. */
  closePeerFds(handle: number): void;
  /** Make every native wait on this channel give up (a peer died, the repetition timed out, Ctrl-C). */
  abort(handle: number): void;
  release(handle: number): void;
  startPeer(spec: PeerSpec): PeerHandle;
  runRpc(handles: number[], o: RpcRunOptions): Promise<RpcRecord>;
  runBroadcast(handle: number, o: BroadcastRunOptions): Promise<BroadcastRecord>;
  /** CPU counters of a process that is not ours to wait for (bus daemons), or undefined when it is gone. */
  sampleCpu(pid: number): ProcCpu | undefined;
  /** Ctrl-C: abort every live channel and kill every live peer. */
  stopAll(): void;
  /** ns of a fixed piece of work on `cpu` now (the machine's speed, a covariate of each repetition). */
  speedProbe(cpu: number): number;
}

/** The real executor: the addon and ipcbench-peer processes. Tracks what is live so that stopAll() reaches it. */
export class NativeExecutor implements Executor {
  private readonly handles = new Set<number>();
  private readonly peers = new Set<PeerHandle>();

  prepare(o: ChannelOptions): { handle: number; peers: number[][] } {
    const ch = prepareChannel(o);
    this.handles.add(ch.handle);
    return ch;
  }

  closePeerFds(handle: number): void {
    native().closePeerFds(handle);
  }

  speedProbe(cpu: number): number {
    return native().speedProbe(cpu, 7);
  }

  abort(handle: number): void {
    native().abort(handle);
  }

  release(handle: number): void {
    this.handles.delete(handle);
    native().release(handle);
  }

  startPeer(spec: PeerSpec): PeerHandle {
    const p = new Peer(spec);
    this.peers.add(p);
    const release = holdPid(p.pid);
    void p.exited.then(() => {
      this.peers.delete(p);
      release();
    });
    return p;
  }

  runRpc(handles: number[], o: RpcRunOptions): Promise<RpcRecord> {
    return runRpc(handles, o);
  }

  runBroadcast(handle: number, o: BroadcastRunOptions): Promise<BroadcastRecord> {
    return runBroadcast(handle, o);
  }

  sampleCpu(pid: number): ProcCpu | undefined {
    return readProcCpu(pid);
  }

  stopAll(): void {
    for (const h of this.handles) native().abort(h);
    for (const p of this.peers) p.kill();
  }
}

export { procCpuDelta };
