// Machine metadata and preflight warnings: everything that can spoil a number is recorded with it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { collectKernelFacts } from './kernel-facts.js';
import { REPO_ROOT, native } from './native.js';
import { ENVIRONMENTS, type Host } from './result.js';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function cpuModel(): string {
  const info = read('/proc/cpuinfo') ?? '';
  return /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
}

function virtualization(): string {
  try {
    const out = execFileSync('systemd-detect-virt', { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
      .toString()
      .trim();
    if (out) return out;
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString().trim();
    if (out === 'none') return 'none';
  }
  const flags = /^flags\s*:(.*)$/m.exec(read('/proc/cpuinfo') ?? '')?.[1] ?? '';
  if (/\bhypervisor\b/.test(flags)) return `vm (${read('/sys/class/dmi/id/sys_vendor') ?? 'hypervisor flag set'})`;
  return 'none';
}

function gitSha(): string {
  try {
    return execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function currentEnv(): Host['env'] {
  const e = process.env.IPCBENCH_ENV;
  return e && (ENVIRONMENTS as readonly string[]).includes(e) ? (e as Host['env']) : 'host';
}

/** Kernel debug options that slow IPC paths (KASAN, lockdep, ...), when the kernel exposes its config. */
function kernelDebugOptions(): string[] {
  let config = '';
  try {
    config = gunzipSync(readFileSync('/proc/config.gz')).toString();
  } catch {
    config = read(`/boot/config-${os.release()}`) ?? '';
  }
  return ['CONFIG_KASAN', 'CONFIG_PROVE_LOCKING', 'CONFIG_DEBUG_ATOMIC_SLEEP', 'CONFIG_KCSAN', 'CONFIG_DEBUG_KMEMLEAK'].filter((o) =>
    new RegExp(`^${o}=y`, 'm').test(config),
  );
}

export function collectHost(): Host {
  let addon = 'not built';
  try {
    addon = `protocol ${native().protocol}`;
  } catch {
    /* reported by the commands that need it */
  }
  const smt = read('/sys/devices/system/cpu/smt/active');
  return {
    hostname: os.hostname(),
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    onlineCpus: os.availableParallelism(),
    smt: smt === undefined ? 'unknown' : smt === '1' ? 'on' : 'off',
    governor: read('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor') ?? 'none (no cpufreq)',
    kernel: `${os.release()} ${os.version()}`,
    virtualization: virtualization(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    memoryBytes: os.totalmem(),
    node: process.version,
    addon,
    ipcbench: packageVersion(),
    gitSha: gitSha(),
    env: currentEnv(),
    kernelFacts: collectKernelFacts(),
  };
}

/** Conditions that spoil numbers, said loudly (STYLE.md #13). */
export function preflightWarnings(host: Host): string[] {
  const w: string[] = [];
  if (host.loadAverage[0]! > host.onlineCpus * 0.5)
    w.push(`machine is loaded (1-min load average ${host.loadAverage[0]} on ${host.onlineCpus} CPUs): expect noisy numbers`);
  if (host.env === 'lab-tcg') w.push('emulated CPU (qemu TCG): timings show functional behaviour and coarse ordering only, not real latency');
  else if (host.virtualization !== 'none')
    w.push(`running in a virtual machine (${host.virtualization}): cross-core wake-ups can cost 10x more than on bare metal`);
  if (!/performance|none/.test(host.governor)) w.push(`CPU frequency governor is '${host.governor}', not 'performance': latency varies with clock ramp-up`);
  if (host.smt === 'on') w.push('SMT is on: cross-core placement may put both sides on sibling hyperthreads');
  if (host.onlineCpus < 2) w.push('only one CPU: cross-core placement is skipped');
  const dbg = kernelDebugOptions();
  if (dbg.length) w.push(`debug kernel (${dbg.join(', ')}): kernel paths are slower than in a production build`);
  if (!existsSync(`${REPO_ROOT}/native/build/Release`)) w.push('native code is not a Release build');
  return w;
}
