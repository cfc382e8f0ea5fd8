// SPDX-License-Identifier: MIT
// iceoryx: Eclipse iceoryx 2.0 zero-copy publish/subscribe through shared memory (Debian's libiceoryx-binding-c-dev,
// libiceoryx-posh-dev and the iox-roudi daemon from the `iceoryx` package). RPC is a request/response pair of topics;
// broadcast uses a control and a data topic (uninterested subscribers do not subscribe to data). See
// native/transports/iceoryx.c.
//
// RouDi, iceoryx's daemon, is started privately by setup() with our own config (mempools sized for ipcbench's
// messages, written 0600 in the run's 0700 directory) and its CPU is charged to every case like a bus daemon's.
// What iceoryx 2.0 does not let us make private, and how we live with it:
// - Its names are compiled in: the socket /tmp/roudi, the locks /tmp/roudi.lock and /tmp/iox-unique-roudi.lock, the
//   shared memory /dev/shm/iceoryx_mgmt and /dev/shm/<group>, and a socket /tmp/<runtime name> per registered
//   process. There is no domain id in 2.0, so only one RouDi can run per machine: setup() waits (up to
//   serializeTimeoutMs()) while another RouDi holds the lock, and says so. RouDi creates them owner+group
//   read/write (0660), not 0600; our own runtime sockets are created 0600.
// - A process registers with RouDi once, for its whole life (no unregister call in the C binding), and RouDi
//   SIGTERMs every still-registered process when it is stopped. Stopping RouDi while the harness lives would
//   therefore signal the harness itself. So RouDi lives as long as the harness process: the harness stops it while
//   exiting, right after the iceoryx runtime has unregistered (an atexit handler in the native part), and waits for
//   it; a small supervisor (sh) watching our pid does it instead when the harness is killed. Several runs in
//   one process share that RouDi; teardown() keeps it for the next setup().
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanEnv, formatBytes, nativeProbe, output, which } from './dbus-bus.js';
import type { Probe, SetupContext, Transport, TransportEnv } from './types.js';

/** Fixed in iceoryx 2.0 (IOX_UDS_SOCKET_PATH_PREFIX + "roudi"). */
export const ROUDI_SOCKET = '/tmp/roudi';
/** How long setup() waits for another run's RouDi (one per machine) before giving up; $IPCBENCH_ICEORYX_WAIT_MS. */
export function serializeTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.IPCBENCH_ICEORYX_WAIT_MS);
  return Number.isInteger(v) && v >= 0 ? v : 120_000;
}
/** RouDi reserves and initialises ~80 MB of shared memory: seconds on a loaded machine. */
export const START_TIMEOUT_MS = 60_000;

/** Largest message (header included) by default; $IPCBENCH_ICEORYX_MAX_MSG raises it (more shared memory). */
export function maxMessage(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.IPCBENCH_ICEORYX_MAX_MSG);
  return Number.isInteger(v) && v >= 64 ? v : 1024 * 1024;
}

/** Room for the chunk header, our 8-byte user header and alignment, above the message. */
const CHUNK_OVERHEAD = 128;

/**
 * RouDi's config: one segment with a mempool per size class (x4 steps up to maxMsg). Counts cover the chunks in
 * flight (a subscriber queue of 16, one held per receiver, RPC pairs), fewer for the big ones.
 */
export function roudiConfig(maxMsg: number): string {
  const pools: string[] = [];
  let size = 256;
  for (;;) {
    const last = size >= maxMsg;
    const chunk = Math.ceil((Math.min(size, maxMsg) + CHUNK_OVERHEAD) / 8) * 8;
    const count = chunk <= 64 * 1024 + CHUNK_OVERHEAD ? 256 : chunk <= 1024 * 1024 + CHUNK_OVERHEAD ? 48 : 24;
    pools.push(`[[segment.mempool]]\nsize = ${chunk}\ncount = ${count}\n`);
    if (last) break;
    size *= 4;
  }
  return `# ipcbench: private RouDi for one benchmark process\n[general]\nversion = 1\n\n[[segment]]\n\n${pools.join('\n')}`;
}

export function iceoryxSkipReason(c: { size: number }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const max = maxMessage(env);
  if (c.size > max)
    return `message of ${formatBytes(c.size)} exceeds the largest mempool chunk of the private RouDi (${formatBytes(max)}; set IPCBENCH_ICEORYX_MAX_MSG to raise it)`;
  return undefined;
}

/** "2.0.3": the iceoryx headers the native part was built against (/usr/include/iceoryx/v<version>). */
export function headerVersion(base = '/usr/include/iceoryx'): string | undefined {
  try {
    const v = readdirSync(base)
      .filter((d) => /^v\d+\.\d+\.\d+$/.test(d))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    return v.length ? v[v.length - 1].slice(1) : undefined;
  } catch {
    return undefined;
  }
}

let versionText: Promise<string> | undefined;
function iceoryxVersion(): Promise<string> {
  versionText ??= output('dpkg-query', ['-W', '-f=${Version}', 'iceoryx']).then((pkg) => {
    const lib = headerVersion() ?? '?';
    return `iceoryx ${lib}${pkg?.trim() ? ` (iox-roudi ${pkg.trim()})` : ''}`;
  });
  return versionText;
}

interface RoudiState {
  pid: number;
  supervisor: ChildProcess;
  logPath: string;
  version: string;
}

/** The RouDi this process started (one per process, see above). */
let current: RoudiState | undefined;

/** Running: not gone, and not a zombie its supervisor has yet to reap (kill(pid, 0) succeeds on those). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Stop a supervisor that never got a usable RouDi: its whole process group (sh, RouDi, tail). */
function killGroup(sup: ChildProcess): void {
  try {
    process.kill(-sup.pid!, 'SIGKILL');
  } catch {
    /* gone */
  }
}

async function logTail(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text
      .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-2)
      .join(' / ');
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The supervisor (sh, own process group): starts RouDi and prints its pid. Normally the harness stops RouDi itself
 * while exiting (native/transports/iceoryx.c, an atexit handler that runs after the iceoryx runtime has
 * unregistered), so the CLI's exit means RouDi is gone. If the harness dies without that (killed), the supervisor,
 * watching our pid, stops RouDi. iox-roudi 2.0.3 aborts at SIGTERM when a registered process is already dead
 * (kill() fails with ESRCH) and then leaves its sockets and shared memory, so both remove what is left under
 * RouDi's own lock (a RouDi started meanwhile holds it and is never touched).
 */
export const ROUDI_LOCK = '/tmp/iox-unique-roudi.lock';
export const ROUDI_LEFTOVERS = ['/tmp/roudi', '/tmp/roudi.lock', '/dev/shm/iceoryx_mgmt'];
const SUPERVISOR = [
  'ulimit -c 0; cd /',
  // detached from us (the outer sh exits at once): RouDi and its watcher are not our children, see daemonUntilExit
  '(',
  'iox-roudi -c "$1" -m off -l warning >"$2" 2>&1 </dev/null & r=$!; echo "$r"; exec >/dev/null',
  // Node closes our pipes while exiting, before its exit handlers have run: watch its pid instead (no polling
  // forks: tail checks once a second)
  'tail --pid="$3" -f /dev/null',
  '(sleep 3; kill -KILL "$r" 2>/dev/null) & k=$!; kill -TERM "$r" 2>/dev/null; wait "$r"; kill "$k" 2>/dev/null',
  // only if RouDi did not remove its lock itself (flock would create it); nobody holds it once ours is dead
  `[ -e ${ROUDI_LOCK} ] && flock -n ${ROUDI_LOCK} rm -f ${ROUDI_LEFTOVERS.join(' ')} "/dev/shm/$(id -gn)" ${ROUDI_LOCK} 2>/dev/null`,
  // runtime files of registered processes that are gone (this one included), as sweepRuntimeFiles() does
  'for f in /tmp/ipcbench-[hp][0-9]*; do p=${f#/tmp/ipcbench-?}; p=${p%.lock}; case $p in *[!0-9]*|"") continue;; esac; [ -O "$f" ] && ! kill -0 "$p" 2>/dev/null && rm -f "$f"; done',
  ') &',
  'exit 0',
].join('\n');

async function startOnce(ctx: SetupContext, roudi: string, config: string, logPath: string): Promise<RoudiState | 'busy'> {
  const old = process.umask(0o077);
  let sup: ChildProcess;
  try {
    // own session and process group: a Ctrl-C at the terminal must not reach RouDi while we are registered with it
    sup = spawn('sh', ['-c', SUPERVISOR.replace('iox-roudi', roudi.replace(/[^\w/.-]/g, '')), 'ipcbench-roudi', config, logPath, String(process.pid)], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: cleanEnv(),
      detached: true,
    });
  } finally {
    process.umask(old);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    let buf = '';
    sup.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const n = Number(buf.split('\n')[0]);
      if (buf.includes('\n') && Number.isInteger(n) && n > 0) resolve(n);
    });
    sup.once('error', reject);
    sup.stdout!.once('end', () => reject(new Error('the RouDi supervisor did not start iox-roudi')));
  });
  sup.stdout!.destroy();
  sup.unref();
  const state: RoudiState = { pid, supervisor: sup, logPath, version: await iceoryxVersion() };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const log = await readFile(logPath, 'utf8').catch(() => '');
    if (log.includes('RouDi is ready for clients')) break;
    if (!alive(pid)) {
      killGroup(sup);
      // read again: RouDi may have written its reason and exited between the read above and the liveness check
      const last = await readFile(logPath, 'utf8').catch(() => '');
      if (/Could not acquire lock|ROUDI_STILL_RUNNING/.test(last)) return 'busy';
      throw new Error(`iox-roudi exited during start-up: ${await logTail(logPath)}`);
    }
    if (ctx.signal.aborted || Date.now() > deadline) {
      // nobody registered yet, so a SIGTERM signals nobody back and lets RouDi remove its files
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 40 && alive(pid); i++) await sleep(50);
      killGroup(sup);
      throw new Error(ctx.signal.aborted ? 'RouDi start interrupted' : `iox-roudi not ready within ${START_TIMEOUT_MS} ms`);
    }
    await sleep(50);
  }
  return state;
}

async function startRoudi(ctx: SetupContext): Promise<RoudiState> {
  const roudi = which('iox-roudi');
  if (!roudi) throw new Error('iox-roudi not installed (apt-get install iceoryx)');
  try {
    const st = statSync(ROUDI_SOCKET);
    if (st.uid !== process.getuid!()) throw new Error(`${ROUDI_SOCKET} belongs to another user's RouDi; iceoryx 2.0 allows one RouDi per machine`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const config = join(ctx.dir, 'roudi.toml');
  const logPath = join(ctx.dir, 'roudi.log');
  await writeFile(config, roudiConfig(maxMessage()), { mode: 0o600 });
  const deadline = Date.now() + serializeTimeoutMs();
  let told = false;
  for (;;) {
    const got = await startOnce(ctx, roudi, config, logPath);
    if (got !== 'busy') return got;
    if (!told) {
      ctx.log('another RouDi is running on this machine (iceoryx 2.0 allows one per machine): waiting for it to stop');
      told = true;
    }
    if (ctx.signal.aborted) throw new Error('interrupted while waiting for another RouDi to stop');
    if (Date.now() > deadline)
      throw new Error(`another RouDi kept running for ${Math.round(serializeTimeoutMs() / 1000)} s (iceoryx 2.0 allows one per machine)`);
    await sleep(1000);
  }
}

/**
 * Every process that registers with RouDi gets a socket /tmp/<runtime name> and a lock beside it (fixed prefix in
 * iceoryx 2.0); a process removes them when it exits normally, not when it is killed (a crashed or killed peer), and
 * the harness's own are left when Node is killed. native/transports/iceoryx.c names them "ipcbench-h<pid>" (harness)
 * and "ipcbench-p<pid>" (peer); remove ours whose process is gone. The supervisor does the same after we exited.
 */
export function sweepRuntimeFiles(dir = '/tmp', self?: number): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^ipcbench-[hp](\d+)(\.lock)?$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== self && alive(pid)) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (st.uid !== process.getuid!() || !(st.isSocket() || st.isFile())) continue;
      rmSync(path, { force: true });
      removed.push(path);
    } catch {
      /* gone meanwhile */
    }
  }
  return removed;
}

function envOf(s: RoudiState): TransportEnv {
  return { address: `roudi-${s.pid}`, daemonPids: [s.pid], version: `${s.version}, private RouDi`, state: s };
}

export const iceoryx: Transport = {
  name: 'iceoryx',
  native: 'iceoryx',
  order: 62,
  description: 'iceoryx zero-copy pub/sub in shared memory, private RouDi; RPC as a request/response topic pair',
  daemonUntilExit:
    'iceoryx 2.0 registers a process with RouDi for its whole life and RouDi SIGTERMs every registered process when stopped, so the harness stops its RouDi while exiting (right after unregistering), not at teardown',
  workloads: ['rpc', 'broadcast'],
  async probe(): Promise<Probe> {
    const missing = nativeProbe('iceoryx');
    if (missing) return missing;
    if (!which('iox-roudi')) return { available: false, reason: 'iox-roudi not installed (apt-get install iceoryx)' };
    return { available: true, version: await iceoryxVersion() };
  },
  async setup(ctx) {
    if (current && alive(current.pid)) return envOf(current);
    current = await startRoudi(ctx);
    return envOf(current);
  },
  // RouDi outlives the run only until this process exits (see the header); the next setup() reuses it. What
  // killed peers left behind goes now.
  async teardown() {
    sweepRuntimeFiles();
  },
  check(env) {
    const s = env.state as RoudiState | undefined;
    if (!s) return undefined;
    if (!alive(s.pid)) return 'iox-roudi exited';
    return undefined;
  },
  skipReason: (c) => iceoryxSkipReason(c),
};

export const transports = [iceoryx];
