// SPDX-License-Identifier: MIT
// The qemu command line and the guest kernel command line, as pure functions (unit-tested).
import { join } from 'node:path';

export type Accel = 'kvm' | 'tcg';

/** x86's COMMAND_LINE_SIZE is 2048; leave room for what qemu and the kernel add. */
export const KERNEL_CMDLINE_MAX = 1900;

export const MARKER_READY = 'IPCBENCH-LAB-READY';
export const MARKER_EXIT = 'IPCBENCH-LAB-EXIT';

export interface Share {
  /** Host directory. */
  path: string;
  /** 9p mount tag (the guest mounts by tag). */
  tag: string;
  readonly: boolean;
}

export interface GuestSpec {
  /** Absolute host path of scripts/lab/init (seen at the same path inside, the host root is shared). */
  init: string;
  /** The shell command init runs; undefined when it travels as a file in the results share. */
  command?: string;
  env: 'lab-tcg' | 'lab-kvm';
  cwd?: string;
  path?: string;
  /** The lab kernel id (recorded in results as IPCBENCH_LAB_KERNEL). */
  kernelId?: string;
  /** Host path of the kernel's .config (IPCBENCH_KERNEL_CONFIG inside: the kernel facts read it). */
  config?: string;
  /** Stock kernels: host paths bind-mounted over /lib/modules and /boot inside. */
  modulesDir?: string;
  bootDir?: string;
  /** Extra kernel parameters (e.g. "loglevel=7"). */
  extra?: string[];
}

export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Values on the kernel command line must not contain spaces or quotes: base64 has none. */
export function kernelCmdline(g: GuestSpec): string {
  const words = [
    'console=ttyS0',
    // a panic reboots at once, and qemu's -no-reboot turns that into an exit the host sees
    'panic=-1',
    'oops=panic',
    'root=hostroot',
    'rootfstype=9p',
    // cache=loose: the root is read-only for the guest's whole life, so caching is safe and boots faster
    'rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose',
    'ro',
    `init=${g.init}`,
    'loglevel=4',
    // tinyconfig kernels have no entropy hardware besides virtio-rng; do not let getrandom() wait
    'random.trust_cpu=on',
    `ipcbench_env=${g.env}`,
  ];
  if (g.cwd) words.push(`ipcbench_cwd=${b64(g.cwd)}`);
  if (g.path) words.push(`ipcbench_path=${b64(g.path)}`);
  if (g.kernelId) words.push(`ipcbench_kernel=${g.kernelId}`);
  if (g.config) words.push(`ipcbench_config=${b64(g.config)}`);
  if (g.modulesDir) words.push(`ipcbench_modules=${b64(g.modulesDir)}`);
  if (g.bootDir) words.push(`ipcbench_boot=${b64(g.bootDir)}`);
  if (g.command !== undefined) words.push(`ipcbench_cmd=${b64(g.command)}`);
  words.push(...(g.extra ?? []));
  for (const w of words) if (/[\s"']/.test(w)) throw new Error(`kernel command line word must not contain spaces or quotes: ${w}`);
  return words.join(' ');
}

/**
 * Kernel parameters a variant needs. debug: KASAN makes the ACPI interpreter so slow under TCG that
 * evaluating the PCI interrupt routing (_PRT) hits ACPI's 30 s loop timeout three times (~100 s of boot);
 * acpi=noirq routes PCI interrupts from the BIOS tables instead.
 */
export function variantKernelArgs(variant: 'default' | 'debug'): string[] {
  return variant === 'debug' ? ['acpi=noirq'] : [];
}

/**
 * Kernel parameters an accelerator needs. TCG: the guest sees its vCPUs' TSCs drift (they are emulated by
 * separate host threads) and falls back to the HPET, whose every read is an emulated MMIO access; the
 * emulated TSC comes from the host's invariant TSC, so trusting it gives vDSO clock reads (two per measured
 * operation) at no cost in correctness. KVM: kvm-clock is used anyway.
 */
export function accelKernelArgs(accel: Accel): string[] {
  return accel === 'tcg' ? ['tsc=reliable'] : [];
}

/** Would the command fit on the kernel command line, or must it travel as a file? */
export function commandFitsCmdline(g: GuestSpec): boolean {
  return kernelCmdline(g).length <= KERNEL_CMDLINE_MAX;
}

export interface QemuSpec {
  accel: Accel;
  kernel: string;
  /** An initramfs (stock kernels). */
  initrd?: string;
  append: string;
  cpus: number;
  memoryMiB: number;
  shares: Share[];
  qemu?: string;
}

export function qemuArgs(q: QemuSpec): string[] {
  const args = [
    '-no-user-config',
    '-nodefaults',
    // nothing listens: no display, no monitor, no network device
    '-display',
    'none',
    '-monitor',
    'none',
    '-no-reboot',
    '-serial',
    'stdio',
    '-m',
    `${q.memoryMiB}M`,
    '-smp',
    String(q.cpus),
  ];
  if (q.accel === 'kvm') args.push('-accel', 'kvm', '-cpu', 'host');
  // thread=multi: one host thread per vCPU, so -smp 2 really runs two CPUs at once
  else args.push('-accel', 'tcg,thread=multi', '-cpu', 'max');
  args.push('-kernel', q.kernel, '-append', q.append);
  if (q.initrd) args.push('-initrd', q.initrd);
  args.push('-device', 'virtio-rng-pci');
  for (const s of q.shares) {
    if (s.tag.length > 31 || !/^[A-Za-z0-9_-]+$/.test(s.tag)) throw new Error(`bad 9p mount tag: ${s.tag}`);
    if (s.path.includes(',')) throw new Error(`a shared path may not contain a comma (qemu option syntax): ${s.path}`);
    // multidevs=remap: the host root spans several filesystems; remap keeps inode numbers unique
    args.push('-virtfs', `local,path=${s.path},mount_tag=${s.tag},security_model=none,multidevs=remap${s.readonly ? ',readonly=on' : ''}`);
  }
  return args;
}

/** The host's view of the init script. */
export function initPath(repo: string): string {
  return join(repo, 'scripts', 'lab', 'init');
}

export interface SerialEvent {
  kind: 'ready' | 'exit' | 'panic' | 'output' | 'boot';
  line: string;
  code?: number;
}

/**
 * Classify one serial console line. Before READY everything is boot log; between READY and EXIT it is
 * the command's output; a kernel panic can come at any time.
 */
export function classifySerialLine(line: string, afterReady: boolean): SerialEvent {
  const clean = line.replace(/\r$/, '');
  const exit = new RegExp(`^${MARKER_EXIT} (\\d+)\\s*$`).exec(clean);
  if (exit) return { kind: 'exit', line: clean, code: Number(exit[1]) };
  if (clean.startsWith(`${MARKER_READY} `)) return { kind: 'ready', line: clean };
  if (/Kernel panic - not syncing/.test(clean)) return { kind: 'panic', line: clean };
  return { kind: afterReady ? 'output' : 'boot', line: clean };
}
