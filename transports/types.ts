// The Transport interface (TypeScript side). One transport = one file here exporting `transports` (picked up by
// transports/index.ts because it is here) + one native/transports/<native>.c filling struct transport_ops (picked up
// by binding.gyp because it is there). See CONTRIBUTING.md, "Adding a transport".
import type { CaseShape, Workload } from '../common/vocabulary.js';

export type { CaseShape, Workload };

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
  /** The native transport: native/transports/<native>.c (its transport_ops .name). */
  readonly native: string;
  /** Which of the native transport's variants (its .variants list), when it has several. */
  readonly variant?: string;
  /** A plug-in (bench/plugin-transport.ts): the shared library the harness and the peers load. */
  readonly plugin?: string;
  readonly description: string;
  readonly workloads: readonly Workload[];
  /** Why a workload missing from `workloads` cannot be offered (shown as the skip reason). */
  readonly unsupported?: Partial<Record<Workload, string>>;
  /**
   * The far side lives in the harness itself (null: an in-process echo): the runner starts no peer process, and
   * the client thread's CPU is the whole cost. Faults injected into peers (--fault) cannot apply.
   */
  readonly inProcess?: boolean;
  /** Position in tables and charts (lower first; ties by name): 10s pipes and sockets, 20s shared memory,
   *  30s D-Bus, 40s Binder, 50s kdbus; a transport without one goes last. */
  readonly order?: number;
  /** Workloads where the peer's fault injection (--fault corrupt) cannot corrupt what the checker sees, with the
   *  reason; the conformance test (transports/conformance.test.ts) skips its integrity-fault check for those. */
  readonly noCorruptionInjection?: Partial<Record<Workload, string>>;
  /** A daemon setup() starts that cannot be stopped while the harness process lives, with the reason: teardown()
   *  keeps it (the next setup() reuses it) and the harness stops it while exiting. It must not be a child of the
   *  harness and must be gone once the harness has exited (the transport's own test checks that through the CLI). */
  readonly daemonUntilExit?: string;
  /** Is it usable here, and why not. Must be cheap and must not leave anything behind. */
  probe(): Promise<Probe>;
  /** Start daemons / create the bus. Called once per run before the first case of this transport. */
  setup?(ctx: SetupContext): Promise<TransportEnv>;
  /** Always called (also after errors and on Ctrl-C). Must reap every process setup() started. */
  teardown?(env: TransportEnv): Promise<void>;
  /** A reason when the environment broke (daemon died): the runner tears down and sets up again. */
  check?(env: TransportEnv): string | undefined;
  /** A reason to skip a case (message over the bus limit, broadcast not supported, ...). */
  skipReason?(c: CaseShape, env: TransportEnv): string | undefined;
  /** Extra arguments for the peer executable (e.g. --address is added by the runner from env.address). */
  peerArgs?(env: TransportEnv): string[];
}

/** What a transport module exports: transports/index.ts registers every module in this directory that has it. */
export interface TransportModule {
  transports: readonly Transport[];
}
