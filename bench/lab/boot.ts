// SPDX-License-Identifier: MIT
// Boot the lab kernel under qemu, run one shell command inside, stream its output, return its exit code.
// The accelerator choice is accel.ts, one qemu run is qemu.ts; this file ties them to a prepared kernel,
// the results share and the errors a user reads.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccelChoice, chooseAccelAndBoot, kvmUsable, readVerdict, verdictPath, writeVerdict } from './accel.js';
import { type Accel, type Share, MARKER_EXIT, variantKernelArgs } from './cmdline.js';
import { DEFAULT_KERNEL, type KernelId, LabError, LabInterrupted, type LabVariant } from './config.js';
import { failureHint } from './failure-hints.js';
import { tailFile } from './build-step.js';
import { type LabKernel, ensureLabKernel } from './kernels.js';
import { attempt, requireQemu, serialLogPath } from './qemu.js';

/** Where init mounts the read-write results share inside the guest. */
export const GUEST_RESULTS_DIR = '/run/ipcbench/results';

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

function requireBusybox(): void {
  if (!existsSync('/bin/busybox')) throw new LabError('/bin/busybox is missing (the lab init runs on it)', 'apt-get install busybox-static');
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
