// SPDX-License-Identifier: MIT
// Shared plumbing of the D-Bus transports (dbus-daemon.ts, dbus-broker.ts, dbus-p2p.ts): finding binaries, asking
// the native build which D-Bus clients it has, starting a bus process that announces its address on a pipe, and
// reaping it. Everything a bus creates lives in SetupContext.dir (0700); the socket is made 0600 as well.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { nativeTransport, NATIVE_DIR } from '../common/addon.js';
import { holdPid } from '../common/emergency.js';
import type { Workload } from '../common/vocabulary.js';
import type { Probe, SetupContext, Transport, TransportEnv } from './types.js';

/** D-Bus specification: an array (our `ay` payload) holds at most 2^26 bytes. */
export const DBUS_ARRAY_MAX = 64 * 1024 * 1024;
/** D-Bus specification: a whole message is at most 2^27 bytes. */
export const DBUS_MESSAGE_MAX = 128 * 1024 * 1024;
/** Headroom for the header fields (path, interface, member, destination, signature) of our messages. */
const HEADER_ROOM = 4096;
/**
 * Bytes a bus may queue per connection (dbus-daemon) or per user (dbus-broker --max-bytes): 1 GiB by default, room
 * for the payload sweep. $IPCBENCH_DBUS_QUEUE_BYTES lowers it to make a bus drop or refuse under flood (the
 * flow-control experiments of docs/dbus.md).
 */
export function queueBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.IPCBENCH_DBUS_QUEUE_BYTES);
  return Number.isInteger(v) && v > 0 ? v : 1024 * 1024 * 1024;
}
/** How long a bus may take to announce its address before setup() gives up. */
export const START_TIMEOUT_MS = 10_000;
/** Grace between SIGTERM and SIGKILL at teardown. */
export const STOP_GRACE_MS = 2_000;

export type DbusClient = 'sd-bus' | 'libdbus';
export type DbusPayload = 'bytes' | 'memfd';

/** The native transport (native/transports/<native>.c) and its variant, by client and payload kind. */
export function nativeFor(client: DbusClient, payload: DbusPayload): { native: string; variant?: string } {
  if (client === 'libdbus') return { native: 'dbus-libdbus' };
  return { native: 'dbus-sdbus', variant: payload === 'memfd' ? 'dbus-sdbus-memfd' : 'dbus-sdbus' };
}

/** native/tools/bus-launch.c: keeps bus daemons from outliving the harness, and talks to dbus-broker's controller. */
export function launcherPath(): string {
  return join(NATIVE_DIR, 'ipcbench-bus-launch');
}

/**
 * Where the bus daemon is: $IPCBENCH_DBUS_DAEMON / $IPCBENCH_DBUS_BROKER when set (a self-built daemon, or the tests'
 * "binary missing" case), else PATH. A missing binary is a reason with the fix, never an exception.
 */
export function locateDaemon(
  name: 'dbus-daemon' | 'dbus-broker',
  env: NodeJS.ProcessEnv = process.env,
  extraDirs: readonly string[] = SBIN_DIRS,
): { path: string } | { reason: string } {
  const variable = name === 'dbus-daemon' ? 'IPCBENCH_DBUS_DAEMON' : 'IPCBENCH_DBUS_BROKER';
  const hint = name === 'dbus-daemon' ? 'apt-get install dbus' : 'apt-get install dbus-broker';
  const override = env[variable];
  if (override) {
    try {
      accessSync(override, constants.X_OK);
      return { path: override };
    } catch {
      return { reason: `${name} not found at ${override} (set by ${variable}; unset it to use the installed one, or ${hint})` };
    }
  }
  const found = which(name, env, extraDirs);
  return found ? { path: found } : { reason: `${name} not installed (${hint})` };
}

/** Where distributions put daemons, often missing from a user's PATH. */
const SBIN_DIRS = ['/usr/sbin', '/sbin'] as const;

/** First executable called `name` on PATH, then in extraDirs. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env, extraDirs: readonly string[] = SBIN_DIRS): string | undefined {
  const dirs = (env.PATH ?? '').split(delimiter).concat(extraDirs);
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** stdout of a short command, or undefined when it fails. */
export function output(file: string, args: string[], timeoutMs = 5_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, env: cleanEnv() }, (err, stdout) => resolve(err ? undefined : String(stdout)));
  });
}

/**
 * The environment for every process we start: without the machine's bus addresses, so that nothing we start can
 * reach (or be mistaken for) the system or session bus.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.DBUS_SYSTEM_BUS_ADDRESS;
  delete env.DBUS_STARTER_ADDRESS;
  delete env.DBUS_STARTER_BUS_TYPE;
  return env;
}

const clientVersions = new Map<DbusClient, Promise<string>>();

/**
 * "sd-bus 252" / "libdbus 1.14.10": the client library the native part was built against (pkg-config, as at build
 * time; on a distribution the headers and the library come from one source package).
 */
export function clientVersion(client: DbusClient): Promise<string> {
  let v = clientVersions.get(client);
  if (!v) {
    const pkg = client === 'libdbus' ? 'dbus-1' : 'libsystemd';
    v = output('pkg-config', ['--modversion', pkg]).then((out) => `${client} ${out?.trim() || '?'}`);
    clientVersions.set(client, v);
  }
  return v;
}

/** Is this native transport compiled in (its pkg-config package present at build time)? The reason names the package. */
export function nativeProbe(name: string): Probe | undefined {
  try {
    const t = nativeTransport(name);
    if (!t) return { available: false, reason: `ipcbench was built without native/transports/${name}.c (npm run build)` };
    return t.unavailable ? { available: false, reason: t.unavailable } : undefined;
  } catch (err) {
    return { available: false, reason: (err as Error).message };
  }
}

/** skipReason() for byte-array payloads: the spec's array limit binds before any daemon limit. */
export function payloadSkipReason(c: { workload: Workload; size: number }, payload: DbusPayload, busName: string): string | undefined {
  if (payload === 'memfd') return undefined; // only a descriptor travels
  if (c.size > DBUS_ARRAY_MAX)
    return `message of ${formatBytes(c.size)} exceeds ${busName}'s limit: a D-Bus byte array holds at most ${formatBytes(DBUS_ARRAY_MAX)}`;
  if (c.size + HEADER_ROOM > DBUS_MESSAGE_MAX)
    return `message of ${formatBytes(c.size)} exceeds ${busName}'s max_message_size (${formatBytes(DBUS_MESSAGE_MAX)})`;
  return undefined;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** State of a bus process started by setup(), kept in TransportEnv.state. */
export interface BusState {
  child: ChildProcess;
  /** Why the process is gone, once it is. */
  exited?: string;
  /** Resolves when the process has exited (also when it never started). */
  done: Promise<void>;
  socketPath: string;
  /** Other processes to reap (the broker behind its controller). */
  extraPids: number[];
  /** The daemon's name ("dbus-daemon"), for messages. */
  what: string;
}

/**
 * Start `file args` with umask 077 and wait for `lines` lines on the child's fd 3 (a pipe). The bus announces its
 * address (and the launcher its broker's pid) there once it listens: no polling for the socket.
 */
export async function startBusProcess(
  ctx: SetupContext,
  file: string,
  args: string[],
  what: string,
  lines: number,
  socketPath: string,
): Promise<{ state: BusState; lines: string[] }> {
  // umask is per process: set it only around the synchronous fork/exec so the socket is born 0600 (the 0700 dir
  // already keeps others out; this is the second fence the security rules ask for)
  const old = process.umask(0o077);
  let child: ChildProcess;
  try {
    child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: cleanEnv() });
  } finally {
    process.umask(old);
  }
  const release = holdPid(child.pid); // killed on an emergency exit (common/emergency.ts)
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const state: BusState = {
    child,
    socketPath,
    extraPids: [],
    what,
    done: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        release();
        // its last words (the launcher's verdict) may still be in the stderr pipe when 'exit' comes: read them
        // before the reason is written (bounded: a process that inherited the pipe could keep it open)
        void streamEnded(child.stderr!, STDERR_DRAIN_MS).then(() => {
          state.exited = `${what} exited (${signal ?? `code ${code}`})${explain(stderr) ? `: ${explain(stderr)}` : ''}`;
          resolve();
        });
      });
      child.once('error', (err) => {
        state.exited = `${what} could not be started: ${err.message}`;
        resolve();
      });
    }),
  };
  try {
    const got = await readLines(child.stdio[3] as Readable, lines, state, ctx.signal, what);
    return { state, lines: got };
  } catch (err) {
    await stopBusProcess(state);
    throw err;
  }
}

/** How long an exited bus process's stderr may stay open (held by a process that inherited it) before we stop waiting. */
const STDERR_DRAIN_MS = 2_000;

/** Resolves once the stream has ended or closed, or after ms. */
function streamEnded(stream: Readable, ms: number): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stream.off('end', done);
      stream.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stream.once('end', done);
    stream.once('close', done);
  });
}

/**
 * The useful part of a bus's stderr: the launcher's verdict ("dbus-daemon was killed by signal 9") when there is
 * one, else the last lines; dbus-daemon's start-up warning about the fd limit (printed when not privileged to raise
 * it, harmless) is never the reason.
 */
function explain(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/Failed to set fd limit/.test(l));
  const verdict = lines.filter((l) => l.startsWith('ipcbench-bus-launch:'));
  return (verdict.length ? verdict.slice(-1) : lines.slice(-2)).join(' / ');
}

function readLines(stream: Readable, n: number, state: BusState, signal: AbortSignal, what: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => finish(new Error(`${what} did not announce its address within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onAbort = () => finish(new Error(`${what}: start interrupted`));
    const onData = (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      if (parts.length > n)
        finish(
          undefined,
          parts.slice(0, n).map((s) => s.trim()),
        );
    };
    const onEnd = () => {
      // the pipe closes when the process dies: wait for its exit status to name the reason
      void state.done.then(() => finish(new Error(state.exited ?? `${what} closed its address pipe`)));
    };
    let over = false;
    function finish(err?: Error, lines?: string[]) {
      if (over) return;
      over = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.destroy();
      if (err) reject(err);
      else resolve(lines!);
    }
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}

/** Make sure only the owner can reach the socket (and fail loudly if it is not ours). */
export function lockDownSocket(path: string): void {
  chmodSync(path, 0o600);
  const st = statSync(path);
  if (!st.isSocket()) throw new Error(`${path} is not a socket`);
  if (st.uid !== process.getuid!()) throw new Error(`${path} is not owned by us`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is reaped. Idempotent. */
export async function stopBusProcess(state: BusState): Promise<void> {
  const { child } = state;
  // a stopped daemon would hold SIGTERM pending until the launcher's grace runs out: kill it at once
  for (const pid of state.extraPids) {
    if (!/^[Tt]$/.test(procState(pid) ?? '')) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  if (!state.exited && child.pid !== undefined) {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await state.done;
    clearTimeout(t);
  }
  // the broker behind the launcher dies with it (PR_SET_PDEATHSIG); make sure, without waiting forever
  for (const pid of state.extraPids) {
    for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
  }
  await rm(state.socketPath, { force: true });
}

export function busState(env: TransportEnv): BusState | undefined {
  return env.state as BusState | undefined;
}

/** The scheduler state of a process from /proc/PID/stat ('R', 'S', 'T' stopped, 'Z', ...), or undefined when gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** A bus daemon that is stopped (SIGSTOP, a debugger): it cannot answer, nor honour SIGTERM. */
function stoppedDaemon(env: TransportEnv): number | undefined {
  return env.daemonPids?.find((pid) => /^[Tt]$/.test(procState(pid) ?? ''));
}

/**
 * check(): a dead bus, or a stopped one, is a broken environment (the runner tears down and sets up again, and
 * adds this to the reason of a repetition that timed out on it).
 */
export function checkBus(env: TransportEnv): string | undefined {
  const s = busState(env);
  if (s?.exited) return s.exited;
  // the daemon can be gone (or a zombie of its launcher) before the launcher's 'exit' event has reached us: `exited`
  // alone would then call a dead bus healthy and hand it to the next repetition
  const gone = env.daemonPids?.find((pid) => /^[ZX]?$/.test(procState(pid) ?? ''));
  if (gone !== undefined) return `${s?.what ?? 'the bus daemon'} (pid ${gone}) exited`;
  const stopped = stoppedDaemon(env);
  if (stopped !== undefined) return `${s?.what ?? 'the bus daemon'} (pid ${stopped}) is stopped and does not answer`;
  return undefined;
}

/** Stop the bus a transport's setup() started (the same for both daemons). */
export async function stopBus(env: TransportEnv): Promise<void> {
  const s = busState(env);
  if (s) await stopBusProcess(s);
}

/** What differs between the two bus daemons; everything else about a bus transport is shared. */
export interface BusFlavour {
  daemon: 'dbus-daemon' | 'dbus-broker';
  /** The daemon binary's version, or why it cannot be used. */
  daemonVersion(bin: string): Promise<{ version: string } | { reason: string }>;
  /** Extra requirements checked after the client's (e.g. the broker launcher needs sd-bus). */
  extraProbe?(): Probe | undefined;
  start(ctx: SetupContext): Promise<TransportEnv>;
}

export function busTransport(f: BusFlavour, name: string, client: DbusClient, payload: DbusPayload, description: string, order?: number): Transport {
  const nat = nativeFor(client, payload);
  return {
    name,
    ...nat,
    order,
    description,
    noCorruptionInjection:
      payload === 'memfd'
        ? { rpc: 'the server echoes the sealed memfd it received (zero copy), so corrupting its private mapping never reaches the client' }
        : undefined,
    workloads: ['rpc', 'broadcast'],
    async probe() {
      const where = locateDaemon(f.daemon);
      if ('reason' in where) return { available: false, reason: where.reason };
      const missing = nativeProbe(nat.native) ?? f.extraProbe?.();
      if (missing) return missing;
      const v = await f.daemonVersion(where.path);
      if ('reason' in v) return { available: false, reason: v.reason };
      return { available: true, version: `${v.version}, ${await clientVersion(client)}` };
    },
    async setup(ctx) {
      const env = await f.start(ctx);
      return { ...env, version: `${env.version ?? `${f.daemon} ?`}, ${await clientVersion(client)}` };
    },
    teardown: stopBus,
    check: checkBus,
    skipReason: (c) => payloadSkipReason(c, payload, f.daemon),
  };
}
