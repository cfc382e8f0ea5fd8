// The Transport interface (TypeScript side). One transport = one file here + one native file filling
// struct transport_ops + one line in each registry (transports/index.ts, native/core/registry.c).
import type { Workload } from '../bench/options.js';

export type { Workload };

export interface Probe {
  available: boolean;
  /** Why not, with the fix where there is one: "dbus-broker not installed (apt-get install dbus-broker)". */
  reason?: string;
  version?: string;
}

export interface SetupContext {
  /** A fresh directory, mode 0700, removed after teardown. Put sockets, configs, mounts here. */
  dir: string;
  /** Aborted on Ctrl-C / SIGTERM: stop waiting and return. */
  signal: AbortSignal;
  /** Progress or diagnostics for the user (stderr, above the progress bar). */
  log: (message: string) => void;
}

/** What a transport's setup() produced: daemons, addresses. Passed back to every other hook. */
export interface TransportEnv {
  /** Handed to the native side as tp_params.address (bus socket path, device node, ...). */
  address?: string;
  /** Processes the transport started (bus daemons): their CPU is charged to the case as role "daemon". */
  daemonPids?: number[];
  /** Version of what actually runs (daemon version, kernel module version). */
  version?: string;
  /** Transport-private state. */
  state?: unknown;
}

export interface Transport {
  /** User-facing name (--transports). */
  readonly name: string;
  /** Name in the native registry (native/core/registry.c); usually the same. */
  readonly nativeName: string;
  readonly description: string;
  readonly workloads: readonly Workload[];
  /** Why a workload missing from `workloads` cannot be offered (shown as the skip reason). */
  readonly unsupported?: Partial<Record<Workload, string>>;
  /**
   * The far side lives in the harness itself (null: an in-process echo): the runner starts no peer process, and
   * the client thread's CPU is the whole cost. Faults injected into peers (--fault) cannot apply.
   */
  readonly inProcess?: boolean;
  /** shm-spin style variants: busy-poll this long before sleeping. */
  readonly spinNs?: number;
  /** Is it usable here, and why not. Must be cheap and must not leave anything behind. */
  probe(): Promise<Probe>;
  /** Start daemons / create the bus. Called once per run before the first case of this transport. */
  setup?(ctx: SetupContext): Promise<TransportEnv>;
  /** Always called (also after errors and on Ctrl-C). Must reap every process setup() started. */
  teardown?(env: TransportEnv): Promise<void>;
  /** A reason when the environment broke (daemon died): the runner tears down and sets up again. */
  check?(env: TransportEnv): string | undefined;
  /** A reason to skip a case (message over the bus limit, broadcast not supported, ...). */
  skipReason?(c: { workload: Workload; size: number; subscribers: number; concurrency: number }, env: TransportEnv): string | undefined;
  /** Extra arguments for the peer executable (e.g. --address is added by the runner from env.address). */
  peerArgs?(env: TransportEnv): string[];
}
