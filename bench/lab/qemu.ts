// SPDX-License-Identifier: MIT
// One qemu run of the lab: start the VM with the kernel command line and 9p shares, follow the serial console
// (READY / exit markers, panics), enforce the boot and total deadlines, keep the serial log.
// The VM never outlives the call: every qemu runs under timeout(1) in its own process group, which we
// kill on our own deadline, on abort (Ctrl-C) and when node exits.
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Accel, type Share, accelKernelArgs, classifySerialLine, commandFitsCmdline, initPath, kernelCmdline, qemuArgs } from './cmdline.js';
import { LabError, labCacheRoot, repoRoot } from './config.js';
import { vmStopReason } from './failure-hints.js';
import type { LabKernel } from './kernels.js';

export const QEMU = 'qemu-system-x86_64';
/** Serial logs kept in the cache's logs/ directory. */
export const SERIAL_LOGS_KEPT = 100;

export function requireQemu(): void {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) if (dir && existsSync(join(dir, QEMU))) return;
  throw new LabError(`${QEMU} is not installed`, 'apt-get install qemu-system-x86');
}

export function serialLogPath(): string {
  const dir = join(labCacheRoot(), 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // keep the SERIAL_LOGS_KEPT newest logs (a few KB each; several users' boots share this directory, so a
  // failure's log must survive the boots that follow it)
  const old = readdirSync(dir)
    .filter((f) => f.startsWith('serial-'))
    .sort();
  for (const f of old.slice(0, Math.max(0, old.length - (SERIAL_LOGS_KEPT - 1)))) rmSync(join(dir, f), { force: true });
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

export interface AttemptOptions {
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

export function attempt(a: AttemptOptions): Promise<AttemptResult> {
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
    let closed = false;
    let partial = '';
    let qemuErr = '';
    const timers: NodeJS.Timeout[] = [];

    // Settle only once qemu is gone: the caller removes the results share next (and may boot again), so a VM that
    // was killed (deadline, Ctrl-C) but not yet dead must not outlive the attempt. SIGKILL to the whole group ends
    // it; the bound only guards against a process stuck in the kernel.
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      a.signal?.removeEventListener('abort', onAbort);
      if (child.pid) killGroup(child.pid);
      if (closed || !child.pid) return resolvePromise(r);
      const bound = setTimeout(() => resolvePromise(r), 10_000);
      child.once('close', () => {
        clearTimeout(bound);
        resolvePromise(r);
      });
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
      closed = true;
      if (partial) onLine(partial);
      if (exitCode !== undefined) return finish({ ok: true, exitCode, bootMs: bootMs ?? 0 });
      const why = panic
        ? `the guest kernel panicked: ${panic}`
        : qemuErr.trim()
          ? `qemu failed: ${qemuErr.trim().split('\n').slice(-3).join(' / ')}`
          : vmStopReason(code, sig);
      finish({ ok: false, stage: bootMs === undefined ? 'boot' : 'run', reason: why, bootMs });
    });
  });
}
