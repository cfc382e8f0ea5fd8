// SPDX-License-Identifier: MIT
// Boot the lab kernel under qemu, run one shell command inside, stream its output, return its exit code.
// KVM is tried first only where it can work, detected by a boot attempt that must reach init within a
// short deadline; otherwise (and on these machines, see docs/lab.md) software emulation (TCG).
// The VM never outlives the call: every qemu runs under timeout(1) in its own process group, which we
// kill on our own deadline, on abort (Ctrl-C) and when node exits.
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { constants, accessSync, appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Accel,
  type Share,
  MARKER_EXIT,
  accelKernelArgs,
  classifySerialLine,
  commandFitsCmdline,
  initPath,
  kernelCmdline,
  qemuArgs,
  variantKernelArgs,
} from './cmdline.js';
import { DEFAULT_KERNEL, type KernelId, LabError, LabInterrupted, type LabVariant, labCacheRoot, repoRoot } from './config.js';
import { tailFile } from './kernel.js';
import { type LabKernel, ensureLabKernel } from './kernels.js';

/** Where init mounts the read-write results share inside the guest. */
export const GUEST_RESULTS_DIR = '/run/ipcbench/results';
export const QEMU = 'qemu-system-x86_64';

export type AccelChoice = 'auto' | Accel;

export interface BootOptions {
  /** Shell command run inside (busybox sh -c). */
  command: string;
  /** Lab kernel id (default ipcbench-6.1, or IPCBENCH_LAB_KERNEL). */
  kernel?: KernelId;
  /** The kernel, already prepared by ensureLabKernel (skips the cache look-up). */
  prepared?: LabKernel;
  variant?: LabVariant;
  /** Whole run, boot included (default 10 minutes). */
  timeoutMs?: number;
  /** Time allowed from qemu start to init's READY marker under TCG (default 120 s; debug variant 300 s). */
  bootTimeoutMs?: number;
  /** Host directory shared read-write at GUEST_RESULTS_DIR (default: a fresh 0700 temp dir, removed after). */
  resultsDir?: string;
  /** More host directories to share read-write (mounted by the command itself by tag). */
  shares?: Share[];
  accel?: AccelChoice;
  cpus?: number;
  memoryMiB?: number;
  /** Each line the command prints (default: stdout). */
  onOutput?: (line: string) => void;
  /** Diagnostics (default: stderr). */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Extra kernel parameters. */
  kernelArgs?: string[];
}

export interface BootResult {
  exitCode: number;
  accel: Accel;
  env: 'lab-kvm' | 'lab-tcg';
  /** qemu start -> READY marker */
  bootMs: number;
  totalMs: number;
  serialLog: string;
  resultsDir: string;
  kernel: LabKernel;
  /** Why this accelerator (for the user: "lab-tcg because ..."). */
  accelReason: string;
}

class BootFailure extends LabError {
  constructor(
    message: string,
    readonly stage: 'boot' | 'run',
    readonly logPath: string,
  ) {
    const tail = tailFile(logPath, 30);
    const hint = failureHint(`${message}\n${tail}`);
    super(`${message}\n--- last lines of the serial log (${logPath}) ---\n${tail}`, hint);
  }
}

function hostBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export interface KvmVerdict {
  bootId: string;
  works: boolean;
  reason: string;
}

function verdictPath(): string {
  return join(labCacheRoot(), 'kvm-verdict.json');
}

function readVerdict(): KvmVerdict | undefined {
  try {
    const v = JSON.parse(readFileSync(verdictPath(), 'utf8')) as KvmVerdict;
    return v.bootId === hostBootId() ? v : undefined;
  } catch {
    return undefined;
  }
}

function writeVerdict(works: boolean, reason: string): void {
  mkdirSync(labCacheRoot(), { recursive: true, mode: 0o700 });
  writeFileSync(verdictPath(), `${JSON.stringify({ bootId: hostBootId(), works, reason })}\n`, { mode: 0o600 });
}

export function kvmUsable(): { usable: boolean; reason: string } {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { usable: false, reason: existsSync('/dev/kvm') ? 'no permission on /dev/kvm' : 'no /dev/kvm' };
  }
  return { usable: true, reason: '' };
}

/** The fix for a known failure signature in qemu's stderr or the guest's console, if any. */
export function failureHint(text: string): string | undefined {
  if (/virtfs|virtio-9p|9p/i.test(text) && /not a valid device|no option group|not supported|unknown/i.test(text))
    return 'this qemu lacks 9p (virtfs) support: apt-get install qemu-system-x86 (Debian builds it with virtfs)';
  if (/Unable to mount root fs|VFS: Cannot open root device/i.test(text))
    return 'the guest kernel could not mount the host root over 9p: check CONFIG_9P_FS/CONFIG_NET_9P_VIRTIO in scripts/lab/lab.config and rebuild (ipcbench lab build --force)';
  if (/Requested init .* failed|No working init found/i.test(text))
    return 'the guest could not run scripts/lab/init: is /bin/busybox there? apt-get install busybox-static';
  if (/Could not access KVM kernel module|failed to initialize kvm/i.test(text)) return 'KVM is unusable here: use --accel tcg (or IPCBENCH_LAB_ACCEL=tcg)';
  return undefined;
}

function requireBusybox(): void {
  if (!existsSync('/bin/busybox')) throw new LabError('/bin/busybox is missing (the lab init runs on it)', 'apt-get install busybox-static');
}

function requireQemu(): void {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) if (dir && existsSync(join(dir, QEMU))) return;
  throw new LabError(`${QEMU} is not installed`, 'apt-get install qemu-system-x86');
}

function serialLogPath(): string {
  const dir = join(labCacheRoot(), 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // keep the 20 newest logs
  const old = readdirSync(dir)
    .filter((f) => f.startsWith('serial-'))
    .sort();
  for (const f of old.slice(0, Math.max(0, old.length - 19))) rmSync(join(dir, f), { force: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(dir, `serial-${stamp}-${process.pid}.log`);
}

/** Every live qemu of this process, killed when node exits however it exits. */
const live = new Set<number>();
let exitHookInstalled = false;
function track(pgid: number): void {
  live.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) killGroup(p);
  });
}
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // gone already
  }
  live.delete(pgid);
}

interface AttemptOptions {
  accel: Accel;
  kernel: LabKernel;
  command: string;
  resultsDir: string;
  shares: Share[];
  cpus: number;
  memoryMiB: number;
  /** READY must arrive by then. */
  bootDeadlineMs: number;
  totalDeadlineMs: number;
  logPath: string;
  onOutput: (line: string) => void;
  signal?: AbortSignal;
  kernelArgs: string[];
}

export type AttemptResult = { ok: true; exitCode: number; bootMs: number } | { ok: false; stage: 'boot' | 'run'; reason: string; bootMs?: number };

function attempt(a: AttemptOptions): Promise<AttemptResult> {
  const env = a.accel === 'kvm' ? 'lab-kvm' : 'lab-tcg';
  const guest = {
    init: initPath(repoRoot()),
    command: a.command,
    env,
    cwd: process.cwd(),
    path: process.env.PATH,
    kernelId: a.kernel.kernel,
    config: a.kernel.config,
    modulesDir: a.kernel.modulesDir,
    bootDir: a.kernel.bootDir,
  } as const;
  let spec: Parameters<typeof kernelCmdline>[0] = { ...guest, extra: [...accelKernelArgs(a.accel), ...a.kernelArgs] };
  const cmdFile = join(a.resultsDir, '.ipcbench-command');
  if (!commandFitsCmdline(spec)) {
    // too long for the kernel command line: init reads it from the results share instead
    writeFileSync(cmdFile, a.command, { mode: 0o600 });
    spec = { ...spec, command: undefined };
  } else rmSync(cmdFile, { force: true });
  const args = qemuArgs({
    accel: a.accel,
    kernel: a.kernel.bzImage,
    initrd: a.kernel.initrd,
    append: kernelCmdline(spec),
    cpus: a.cpus,
    memoryMiB: a.memoryMiB,
    shares: [{ path: '/', tag: 'hostroot', readonly: true }, { path: a.resultsDir, tag: 'results', readonly: false }, ...a.shares],
  });
  appendFileSync(a.logPath, `\n=== ${new Date().toISOString()} ${QEMU} (${env}) ${args.map((x) => (/\s/.test(x) ? `'${x}'` : x)).join(' ')}\n`, {
    mode: 0o600,
  });

  // timeout(1) is the safety net if node itself is killed with SIGKILL: qemu still dies on time
  const hardSeconds = Math.ceil(a.totalDeadlineMs / 1000) + 30;
  const child = spawn('timeout', ['-s', 'KILL', String(hardSeconds), QEMU, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: Ctrl-C reaches us, we decide, we kill the whole group
  });
  if (child.pid) track(child.pid);
  const started = Date.now();

  return new Promise((resolvePromise) => {
    let afterReady = false;
    let bootMs: number | undefined;
    let exitCode: number | undefined;
    let panic = '';
    let settled = false;
    let partial = '';
    let qemuErr = '';
    const timers: NodeJS.Timeout[] = [];

    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      a.signal?.removeEventListener('abort', onAbort);
      if (child.pid) killGroup(child.pid);
      resolvePromise(r);
    };
    const onAbort = () => finish({ ok: false, stage: afterReady ? 'run' : 'boot', reason: 'interrupted', bootMs });
    a.signal?.addEventListener('abort', onAbort, { once: true });
    if (a.signal?.aborted) onAbort();

    timers.push(
      setTimeout(() => {
        if (!afterReady) finish({ ok: false, stage: 'boot', reason: `init did not start within ${Math.round(a.bootDeadlineMs / 1000)} s (hung boot?)` });
      }, a.bootDeadlineMs),
      setTimeout(
        () => finish({ ok: false, stage: afterReady ? 'run' : 'boot', reason: `timed out after ${Math.round(a.totalDeadlineMs / 1000)} s`, bootMs }),
        a.totalDeadlineMs,
      ),
    );

    const onLine = (raw: string) => {
      appendFileSync(a.logPath, `${raw.replace(/\r$/, '')}\n`);
      const ev = classifySerialLine(raw, afterReady);
      if (ev.kind === 'ready') {
        afterReady = true;
        bootMs = Date.now() - started;
      } else if (ev.kind === 'exit') {
        exitCode = ev.code;
        afterReady = false; // what follows is the shutdown
      } else if (ev.kind === 'panic') panic = ev.line;
      else if (ev.kind === 'output') a.onOutput(ev.line);
    };
    // a UTF-8 character may be split between two reads: decode across chunk boundaries
    const decoder = new StringDecoder('utf8');
    child.stdout.on('data', (buf: Buffer) => {
      const lines = (partial + decoder.write(buf)).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    });
    child.stderr.on('data', (buf: Buffer) => {
      qemuErr += buf.toString('utf8');
      appendFileSync(a.logPath, `[qemu stderr] ${buf.toString('utf8')}`);
    });
    child.on('error', (e) => finish({ ok: false, stage: 'boot', reason: `cannot start ${QEMU}: ${e.message}` }));
    child.on('close', (code, sig) => {
      if (partial) onLine(partial);
      if (exitCode !== undefined) return finish({ ok: true, exitCode, bootMs: bootMs ?? 0 });
      const why = panic
        ? `the guest kernel panicked: ${panic}`
        : qemuErr.trim()
          ? `qemu failed: ${qemuErr.trim().split('\n').slice(-3).join(' / ')}`
          : `the VM stopped (${sig ? `signal ${sig}` : `qemu exit ${code}`}) before the command finished`;
      finish({ ok: false, stage: bootMs === undefined ? 'boot' : 'run', reason: why, bootMs });
    });
  });
}

/** What the accelerator decision needs from the host: injectable, so the logic is tested with fakes. */
export interface AccelDeps {
  kvmUsable: () => { usable: boolean; reason: string };
  readVerdict: () => KvmVerdict | undefined;
  writeVerdict: (works: boolean, reason: string) => void;
  /** Boot with this accelerator (the KVM attempt gets a short boot deadline). */
  attempt: (accel: Accel) => Promise<AttemptResult>;
  log: (line: string) => void;
  /** Where the verdict is kept (for messages). */
  verdictFile: string;
}

export interface AccelOutcome {
  accel: Accel;
  result: AttemptResult;
  /** Why this accelerator, in one line (printed by `lab run` / `lab exec`, e.g. "no /dev/kvm"). */
  reason: string;
}

/**
 * KVM or TCG: try KVM when the user allows it and /dev/kvm is usable, unless it already failed since the
 * host booted; a KVM boot that does not reach init in time is a verdict against KVM and the run continues
 * under TCG (`auto`) or fails (`kvm`). A KVM boot that reached init counts as KVM working even if the command
 * then failed.
 */
export async function chooseAccelAndBoot(choice: AccelChoice, d: AccelDeps): Promise<AccelOutcome> {
  if (!['auto', 'kvm', 'tcg'].includes(choice)) throw new LabError(`bad accelerator '${choice}'`, 'use auto, kvm or tcg (IPCBENCH_LAB_ACCEL)');
  let why: string;
  if (choice === 'tcg') why = 'software emulation requested (--accel tcg)';
  else {
    const k = d.kvmUsable();
    const verdict = d.readVerdict();
    if (!k.usable) {
      if (choice === 'kvm') throw new LabError(`KVM requested but unusable: ${k.reason}`, 'use --accel tcg, or give this user access to /dev/kvm');
      why = `KVM unusable: ${k.reason}`;
    } else if (choice === 'auto' && verdict && !verdict.works) {
      why = `KVM failed on this host since its last boot (${verdict.reason}; ${d.verdictFile}); IPCBENCH_LAB_ACCEL=kvm retries it`;
    } else {
      // A real KVM guest reaches init in a second or two; a broken or emulating one takes minutes or crashes.
      const result = await d.attempt('kvm');
      if (result.ok || result.stage === 'run') {
        d.writeVerdict(true, 'booted');
        return { accel: 'kvm', result, reason: 'KVM works: the guest reached init under KVM' };
      }
      if (result.reason === 'interrupted') throw new LabInterrupted();
      d.writeVerdict(false, result.reason);
      if (choice === 'kvm') return { accel: 'kvm', result, reason: `KVM boot failed: ${result.reason}` };
      why = `KVM did not boot (${result.reason})`;
      d.log(`lab: KVM did not work (${result.reason}); falling back to software emulation (TCG) — timings will be emulated`);
    }
  }
  return { accel: 'tcg', result: await d.attempt('tcg'), reason: why };
}

/**
 * Boot the lab, run `command` inside, return its exit code. Throws LabError (with the serial log's
 * tail) when the VM cannot boot, hangs, panics or times out.
 */
export async function bootLab(o: BootOptions): Promise<BootResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  requireQemu();
  requireBusybox();
  const variant = o.variant ?? 'default';
  const kernel = o.prepared ?? (await ensureLabKernel({ kernel: o.kernel ?? DEFAULT_KERNEL, variant, log, signal: o.signal }));
  const ownResults = !o.resultsDir;
  const resultsDir = o.resultsDir ?? mkdtempSync(join(tmpdir(), 'ipcbench-lab-'));
  const logPath = serialLogPath();
  const timeoutMs = o.timeoutMs ?? 600_000;
  const started = Date.now();
  const base = {
    kernel,
    command: o.command,
    resultsDir,
    shares: o.shares ?? [],
    cpus: o.cpus ?? 2,
    memoryMiB: o.memoryMiB ?? 1024,
    logPath,
    onOutput: o.onOutput ?? ((l: string) => process.stdout.write(`${l}\n`)),
    signal: o.signal,
    kernelArgs: [...variantKernelArgs(variant), ...(o.kernelArgs ?? [])],
  };
  const choice: AccelChoice = o.accel ?? ((process.env.IPCBENCH_LAB_ACCEL as AccelChoice | undefined) || 'auto');

  try {
    const {
      accel,
      result,
      reason: accelReason,
    } = await chooseAccelAndBoot(choice, {
      kvmUsable,
      readVerdict,
      writeVerdict,
      log,
      verdictFile: verdictPath(),
      attempt: (accel) =>
        attempt({
          ...base,
          accel,
          bootDeadlineMs: accel === 'kvm' ? 20_000 : (o.bootTimeoutMs ?? (variant === 'debug' ? 300_000 : kernel.kind === 'stock' ? 180_000 : 120_000)),
          totalDeadlineMs: Math.max(1000, timeoutMs - (Date.now() - started)),
        }),
    });
    if (!result.ok) {
      if (result.reason === 'interrupted') throw new LabInterrupted();
      if (accel === 'kvm') throw new BootFailure(`lab: ${accelReason}`, 'boot', logPath);
      throw new BootFailure(`lab: ${result.stage === 'boot' ? 'boot failed' : 'the command did not finish'}: ${result.reason}`, result.stage, logPath);
    }
    return {
      exitCode: result.exitCode,
      accel,
      env: accel === 'kvm' ? 'lab-kvm' : 'lab-tcg',
      bootMs: result.bootMs,
      totalMs: Date.now() - started,
      serialLog: logPath,
      resultsDir,
      kernel,
      accelReason,
    };
  } finally {
    rmSync(join(resultsDir, '.ipcbench-command'), { force: true });
    if (ownResults) rmSync(resultsDir, { recursive: true, force: true });
  }
}

export { MARKER_EXIT };
