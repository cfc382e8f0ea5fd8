// SPDX-License-Identifier: MIT
// `ipcbench module load|unload|status`: our kdbus.ko with insmod; binder through the kernel's binderfs
// (mounted at /dev/binderfs) or Debian/Ubuntu's binder_linux module with a pool of devices
// (devices=binder,ipcbench-binder0,...), since without binderfs the devices exist only as named at load time.
// Every precondition is checked before anything changes, so a refusal leaves the machine as it was.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, rmdirSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import { promisify } from 'node:util';
import { BINDER_POOL_PREFIX, DEFAULT_BINDERFS, binderPool, locateBinder } from '../../transports/binder.js';
import { findKdbusModule, moduleCandidates } from './build.js';
import { ModuleError, type ModulePolicy, loadRefusal, readModulePolicy, readText } from './kernel-info.js';

const run = promisify(execFile);

/** Default pool: enough for 16 concurrent pairs, each repetition on a device the previous one did not use. */
export const DEFAULT_BINDER_DEVICES = 34;
export const MAX_BINDER_DEVICES = 130;

/** binder_linux's devices= value for a pool of n devices ("binder" first: what Android code expects). */
export function binderDevicesParam(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BINDER_DEVICES) throw new ModuleError(`bad --devices ${n}: expected 1 to ${MAX_BINDER_DEVICES}`, undefined, 2);
  return ['binder', ...Array.from({ length: n }, (_, i) => `${BINDER_POOL_PREFIX}${i}`)].join(',');
}

export function moduleLoaded(name: string): boolean {
  return existsSync(`/sys/module/${name}`);
}

/** Built in (no /sys/module/<name>/initstate) rather than a loadable module. */
function builtIn(name: string): boolean {
  return existsSync(`/sys/module/${name}`) && !existsSync(`/sys/module/${name}/initstate`);
}

function binderfsAvailable(): boolean {
  return /\tbinder$/m.test(readText('/proc/filesystems') ?? '');
}

function binderfsMounted(at = DEFAULT_BINDERFS): boolean {
  return (readText('/proc/mounts') ?? '').split('\n').some((l) => l.split(' ')[1] === at && l.split(' ')[2] === 'binder');
}

/**
 * `modprobe -d ROOT` when the kernel's modules are not under /lib/modules but under ROOT/lib/modules
 * (IPCBENCH_MODULES_ROOT: a lab booting Debian's unpacked kernel on a host without /lib/modules).
 */
export function modprobeRoot(env: NodeJS.ProcessEnv = process.env, release = osRelease()): string[] {
  const root = env.IPCBENCH_MODULES_ROOT;
  if (!root || !root.startsWith('/') || existsSync(`/lib/modules/${release}/modules.dep`)) return [];
  return ['-d', root];
}

async function cmd(file: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run(file, args, { encoding: 'utf8', timeout: 60_000 });
    return { ok: true, out: `${r.stdout}${r.stderr}`.trim() };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string; code?: string };
    if (x.code === 'ENOENT') return { ok: false, out: `${file} is not installed (apt-get install kmod)` };
    return { ok: false, out: `${x.stderr ?? ''}${x.stdout ?? ''}`.trim() || x.message };
  }
}

/** Processes that hold a file whose path matches `re` open (from /proc/<pid>/fd; ours are all we can read unless root). */
export function holdersOf(re: RegExp, proc = '/proc'): string[] {
  const found: string[] = [];
  for (const pid of readdirSync(proc).filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue; // gone, or not ours
    }
    const hit = fds.some((fd) => {
      try {
        return re.test(readlinkSync(`${proc}/${pid}/fd/${fd}`));
      } catch {
        return false;
      }
    });
    if (hit) found.push(`${pid} (${(readText(`${proc}/${pid}/comm`) ?? '?').trim()})`);
  }
  return found;
}

/**
 * rmmod, retried while the module is busy for up to `waitMs`: a process that just closed its last device may
 * still be exiting (its files are released after it is reported gone to its parent).
 */
async function rmmodWhenFree(name: string, waitMs: number): Promise<{ ok: boolean; out: string }> {
  const until = Date.now() + waitMs;
  for (;;) {
    const r = await cmd('rmmod', [name]);
    if (r.ok || !/busy|in use/i.test(r.out) || Date.now() >= until) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function waitFor(path: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (existsSync(path)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return existsSync(path);
}

export interface LoadOptions {
  /** binder: devices in the pool when binder_linux is loaded here (default 34). */
  devices?: number;
  /** kdbus: a module file instead of the cached build. */
  ko?: string;
  policy?: ModulePolicy;
  log?: (line: string) => void;
}

/** Load our kdbus module. Returns what happened, in one line. */
export async function loadKdbus(o: LoadOptions = {}): Promise<string> {
  if (moduleLoaded('kdbus')) return `kdbus: already loaded (/dev/kdbus/control ${existsSync('/dev/kdbus/control') ? 'present' : 'missing'})`;
  const refusal = loadRefusal(o.policy ?? readModulePolicy(), 'kdbus');
  if (refusal) throw refusal;
  const release = osRelease();
  const ko = o.ko ?? findKdbusModule(release);
  if (!ko)
    throw new ModuleError(
      `no kdbus.ko built for this kernel (${release}); looked in ${moduleCandidates(release).join(', ')}`,
      'ipcbench module build kdbus (as your user; needs the kernel headers)',
    );
  if (!existsSync(ko)) throw new ModuleError(`${ko} does not exist`, undefined, 2);
  const r = await cmd('insmod', [ko]);
  if (!r.ok) {
    const why = /Key was rejected|Required key not available/i.test(r.out)
      ? ' (the kernel wants a signed module: see ipcbench module status)'
      : /Invalid module format|Exec format error/i.test(r.out)
        ? ' (built for another kernel or compiler: ipcbench module build kdbus --force)'
        : '';
    throw new ModuleError(`insmod ${ko} failed: ${r.out}${why}`);
  }
  if (!(await waitFor('/dev/kdbus/control', 3000))) return `kdbus: loaded ${ko}, but /dev/kdbus/control did not appear (is devtmpfs mounted on /dev?)`;
  const tainted = readText('/proc/sys/kernel/tainted')?.trim();
  return `kdbus: loaded ${ko}; /dev/kdbus/control is there${tainted && tainted !== '0' ? ` (kernel taint ${tainted}: an unsigned out-of-tree module)` : ''}`;
}

/** Make binder usable: binderfs where the kernel has it, else binder_linux with a pool of devices. */
export async function loadBinder(o: LoadOptions = {}): Promise<string> {
  const devices = o.devices ?? DEFAULT_BINDER_DEVICES;
  const param = binderDevicesParam(devices);
  const where = locateBinder({});
  if ('address' in where && where.fresh) {
    const how = where.pool ? `a pool of ${where.pool} binder_linux devices` : `binderfs at ${where.address}`;
    return `binder: already available (${how})`;
  }
  const policy = o.policy ?? readModulePolicy();
  const refusal = loadRefusal(policy, 'binder', true);
  if (refusal) throw refusal;

  // 1. binderfs (built in, or the module is loaded already): a fresh device per channel, nothing to size
  if (binderfsAvailable()) return mountBinderfs();
  if ((moduleLoaded('binder_linux') || builtIn('binder')) && !binderfsAvailable()) {
    // loaded without our pool (e.g. by Anbox/Waydroid setups, or built in with fixed devices)
    if (builtIn('binder'))
      throw new ModuleError(
        'binder is built into this kernel without binderfs: only the devices of CONFIG_ANDROID_BINDER_DEVICES exist, one context manager each',
        'ipcbench runs binder one pair at a time on /dev/binder here; for concurrent pairs use ipcbench lab run',
      );
    throw new ModuleError(
      'binder_linux is loaded already, but without the ipcbench device pool',
      `ipcbench module unload binder && ipcbench module load binder (loads it with devices=binder,${BINDER_POOL_PREFIX}0,...)`,
    );
  }
  // 2. the distribution's module
  const r = await cmd('modprobe', [...modprobeRoot(), 'binder_linux', `devices=${param}`]);
  if (!r.ok) {
    const missing = /not found|FATAL: Module/i.test(r.out);
    throw new ModuleError(
      `modprobe binder_linux failed: ${r.out}`,
      missing
        ? `this kernel ships no binder_linux module (Ubuntu: apt-get install linux-modules-extra-${osRelease()}; Debian: it is in linux-image-*; Fedora does not build it): use ipcbench lab run`
        : undefined,
    );
  }
  if (binderfsAvailable()) return `binder: loaded binder_linux; ${await mountBinderfs()}`;
  const first = `/dev/${BINDER_POOL_PREFIX}0`;
  if (!(await waitFor(first, 3000))) return `binder: loaded binder_linux, but ${first} did not appear (is devtmpfs mounted on /dev?)`;
  return `binder: loaded binder_linux with ${devices} ipcbench devices (/dev/${BINDER_POOL_PREFIX}0..${devices - 1}) and /dev/binder`;
}

async function mountBinderfs(): Promise<string> {
  if (binderfsMounted()) return `binder: binderfs already mounted at ${DEFAULT_BINDERFS}`;
  mkdirSync(DEFAULT_BINDERFS, { recursive: true, mode: 0o755 });
  const r = await cmd('mount', ['-t', 'binder', 'binder', DEFAULT_BINDERFS]);
  if (!r.ok) {
    try {
      rmdirSync(DEFAULT_BINDERFS);
    } catch {
      // not empty or not ours
    }
    throw new ModuleError(`mount -t binder binder ${DEFAULT_BINDERFS} failed: ${r.out}`);
  }
  return `binder: binderfs mounted at ${DEFAULT_BINDERFS} (a fresh device per channel)`;
}

export async function unloadKdbus(policy = readModulePolicy()): Promise<string> {
  if (!moduleLoaded('kdbus')) return 'kdbus: not loaded';
  if (!policy.root) throw new ModuleError('unloading kdbus needs root; nothing was changed', 'sudo ipcbench module unload kdbus');
  const r = await rmmodWhenFree('kdbus', 10_000);
  if (!r.ok)
    throw new ModuleError(
      `rmmod kdbus failed: ${r.out}`,
      /in use/i.test(r.out) ? 'a process still holds a kdbus bus (an ipcbench run?): stop it first' : undefined,
    );
  return 'kdbus: unloaded';
}

export async function unloadBinder(policy = readModulePolicy()): Promise<string> {
  const mounted = binderfsMounted();
  const loaded = moduleLoaded('binder_linux');
  if (!mounted && !loaded) return builtIn('binder') ? 'binder: built into this kernel (nothing to unload)' : 'binder: not loaded';
  if (!policy.root) throw new ModuleError('unloading binder needs root; nothing was changed', 'sudo ipcbench module unload binder');
  const done: string[] = [];
  if (mounted) {
    const r = await cmd('umount', [DEFAULT_BINDERFS]);
    if (!r.ok) throw new ModuleError(`umount ${DEFAULT_BINDERFS} failed: ${r.out}`, 'a process still uses a binder device: stop it first');
    try {
      rmdirSync(DEFAULT_BINDERFS);
    } catch {
      // keep a directory that is not empty
    }
    done.push(`unmounted ${DEFAULT_BINDERFS}`);
  }
  if (loaded) {
    const r = await rmmodWhenFree('binder_linux', 10_000);
    if (!r.ok) {
      const busy = /busy|in use/i.test(r.out);
      const holders = busy ? holdersOf(/^\/dev\/(binder|ipcbench-binder\d+|hwbinder|vndbinder)$/) : [];
      throw new ModuleError(
        `rmmod binder_linux failed: ${r.out.split('\n').pop()}${busy ? ` (refcount ${(readText('/sys/module/binder_linux/refcnt') ?? '?').trim()} after 10 s)` : ''}`,
        busy ? `a process still uses a binder device${holders.length ? `: ${holders.join(', ')}` : ''}: stop it first` : undefined,
      );
    }
    done.push('unloaded binder_linux');
  }
  return `binder: ${done.join(', ')}`;
}

export interface ModuleStatus {
  kernel: string;
  root: boolean;
  policy: ModulePolicy;
  /** Can an unsigned module (kdbus.ko) be loaded here, and if not why. */
  unsignedModules: string;
  kdbus: { loaded: boolean; control: boolean; built?: string };
  binder: { available: boolean; how: string; binderfs: boolean; binderLinux: boolean; pool: number };
}

export function moduleStatus(policy = readModulePolicy()): ModuleStatus {
  const refusal = loadRefusal({ ...policy, root: true }, 'kdbus');
  const where = locateBinder({});
  const pool = binderPool().length;
  return {
    kernel: osRelease(),
    root: policy.root,
    policy,
    unsignedModules: refusal ? `refused: ${refusal.message.split('\n')[0]}` : 'allowed (an unsigned module loads and taints the kernel)',
    kdbus: { loaded: moduleLoaded('kdbus'), control: existsSync('/dev/kdbus/control'), built: findKdbusModule() },
    binder: {
      available: 'address' in where,
      how:
        'address' in where
          ? where.pool
            ? `pool of ${where.pool} devices`
            : where.fresh
              ? `binderfs at ${where.address}`
              : `${where.address} (one pair at a time)`
          : where.reason,
      binderfs: binderfsAvailable(),
      binderLinux: moduleLoaded('binder_linux'),
      pool,
    },
  };
}

export function formatStatus(s: ModuleStatus): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return [
    `kernel            ${s.kernel}`,
    `unsigned modules  ${s.unsignedModules}`,
    `kdbus             ${s.kdbus.loaded ? `loaded, /dev/kdbus/control ${s.kdbus.control ? 'present' : 'missing'}` : 'not loaded'}; built for this kernel: ${s.kdbus.built ?? 'no (ipcbench module build kdbus)'}`,
    `binder            ${s.binder.available ? 'available' : 'unavailable'}: ${s.binder.how}`,
    `                  binderfs in this kernel: ${yes(s.binder.binderfs)}; binder_linux loaded: ${yes(s.binder.binderLinux)}`,
    `root              ${yes(s.root)}${s.root ? '' : ' (load and unload need root)'}`,
  ].join('\n');
}
