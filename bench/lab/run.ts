// SPDX-License-Identifier: MIT
// `ipcbench lab run`: the same `ipcbench run` inside the lab VM; its result files come back to the host.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunOptions } from '../options.js';
import { type ResultDocument, readResultFile } from '../result.js';
import { buildKdbus } from '../module/build.js';
import { ModuleError } from '../module/kernel-info.js';
import { DEFAULT_BINDER_DEVICES, MAX_BINDER_DEVICES } from '../module/load.js';
import type { AccelChoice } from './accel.js';
import { type BootResult, GUEST_RESULTS_DIR, bootLab } from './boot.js';
import { type KernelId, LabError, type LabVariant, repoRoot } from './config.js';
import { type LabKernel, ensureLabKernel } from './kernels.js';

/** POSIX shell single-quoting: safe for any argument. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command init runs: node from the host (same absolute path), the same CLI, results into the share. */
export function guestRunCommand(runArgs: readonly string[], opts: { node?: string; repo?: string; out?: string } = {}): string {
  const node = opts.node ?? process.execPath;
  const cli = join(opts.repo ?? repoRoot(), 'dist', 'bench', 'cli.js');
  const out = opts.out ?? GUEST_RESULTS_DIR;
  return [node, cli, 'run', ...runArgs, '--out', out].map(shellQuote).join(' ');
}

/** Options the host side owns and must not forward into the VM. */
export function stripHostOnlyArgs(args: readonly string[]): { forward: string[]; out?: string } {
  const forward: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-o' || a === '--out') {
      out = args[++i];
      continue;
    }
    const eq = /^--out=(.*)$/.exec(a);
    if (eq) {
      out = eq[1];
      continue;
    }
    forward.push(a);
  }
  return { forward, out };
}

/**
 * Copy the result files of the VM's run into the host's results directory without overwriting: a run id
 * that already exists gets a "-lab" suffix.
 */
export function collectResults(from: string, to: string): string[] {
  mkdirSync(to, { recursive: true });
  const copied: string[] = [];
  for (const f of readdirSync(from)) {
    if (!f.endsWith('.json') || f.startsWith('.')) continue;
    const src = join(from, f);
    if (!statSync(src).isFile()) continue;
    let dest = join(to, f);
    for (let n = 1; existsSync(dest); n++) dest = join(to, f.replace(/\.json$/, `-lab${n > 1 ? n : ''}.json`));
    copyFileSync(src, dest);
    chmodSync(dest, 0o644);
    copied.push(dest);
  }
  return copied;
}

/**
 * Build our kdbus module (native/kernel/kdbus) against the lab kernel's module tree (a built tree, or Debian's
 * headers for a stock kernel), so the run inside can load it. A failed build is said and the run goes on
 * without kdbus.
 */
export async function buildKdbusModule(kernel: LabKernel, log?: (line: string) => void, signal?: AbortSignal): Promise<string | undefined> {
  try {
    return (await buildKdbus({ kernelDir: kernel.moduleTree, log, signal })).ko;
  } catch (e) {
    if (!(e instanceof ModuleError)) throw e;
    log?.(`lab: kdbus module not built, kdbus transports will be unavailable in the lab: ${e.message.split('\n')[0]}`);
    return undefined;
  }
}

/** The largest --concurrency / -c value among run arguments (1 when absent). */
export function maxConcurrency(runArgs: readonly string[]): number {
  let max = 1;
  for (let i = 0; i < runArgs.length; i++) {
    const a = runArgs[i]!;
    const value = a === '-c' || a === '--concurrency' ? runArgs[i + 1] : /^--concurrency=(.*)$/.exec(a)?.[1];
    for (const n of (value ?? '').split(',').map(Number)) if (Number.isInteger(n) && n > max) max = n;
  }
  return max;
}

/** Binder devices a run needs without binderfs: one per concurrent pair, twice over so repetitions rotate. */
export function binderDevicesFor(runArgs: readonly string[]): number {
  return Math.min(MAX_BINDER_DEVICES, Math.max(DEFAULT_BINDER_DEVICES, 2 * maxConcurrency(runArgs) + 2));
}

/**
 * The guest command with the kernel transports made available first, through the same `ipcbench module load`
 * a user runs on their own machine: kdbus from the module built for this lab kernel, binder through binderfs
 * (ours) or binder_linux with a device pool (Debian's). A failed load is reported; the run goes on (the
 * transport is then recorded as unavailable). What is there already is not loaded again, and kdbus is tried
 * with a plain insmod first: under TCG each extra start of the CLI costs some 20 s, `module load` is the
 * fallback that says why a load failed.
 */
export function withModules(command: string, ko: string | undefined, binderDevices: number, node = process.execPath, repo = repoRoot()): string {
  const cli = [node, join(repo, 'dist', 'bench', 'cli.js')].map(shellQuote).join(' ');
  const steps = [`[ -e /dev/binderfs/binder-control ] || ${cli} module load binder --devices ${binderDevices} || echo 'lab: binder unavailable' >&2`];
  if (ko) {
    const q = shellQuote(ko);
    steps.push(
      `[ -e /dev/kdbus/control ] || { insmod ${q} 2>/dev/null && echo ${shellQuote(`kdbus: loaded ${ko}`)} >&2; } || ${cli} module load kdbus --ko ${q} || echo 'lab: kdbus unavailable' >&2`,
    );
  }
  return `${steps.join('; ')}; ${command}`;
}

export interface LabRunOptions {
  /** Arguments of `ipcbench run` (without --out). */
  runArgs: string[];
  /** Host results directory (default results/). */
  out?: string;
  /** Lab kernel id (default ipcbench-6.1). */
  kernel?: KernelId;
  variant?: LabVariant;
  accel?: AccelChoice;
  timeoutMs?: number;
  signal?: AbortSignal;
  onOutput?: (line: string) => void;
  log?: (line: string) => void;
}

export interface LabRunResult extends BootResult {
  files: string[];
}

export async function labRun(o: LabRunOptions): Promise<LabRunResult> {
  const cli = join(repoRoot(), 'dist', 'bench', 'cli.js');
  if (!existsSync(cli)) throw new LabError(`${cli} is missing`, 'npm run build');
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const kernel = await ensureLabKernel({ kernel: o.kernel, variant: o.variant, log, signal: o.signal });
  const ko = await buildKdbusModule(kernel, log, o.signal);
  const share = mkdtempSync(join(tmpdir(), 'ipcbench-lab-results-'));
  try {
    const r = await bootLab({
      command: withModules(guestRunCommand(o.runArgs), ko, binderDevicesFor(o.runArgs)),
      resultsDir: share,
      kernel: o.kernel,
      prepared: kernel,
      variant: o.variant,
      accel: o.accel,
      timeoutMs: o.timeoutMs,
      signal: o.signal,
      onOutput: o.onOutput,
      log,
    });
    const files = collectResults(share, resolve(o.out ?? 'results'));
    return { ...r, files };
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}

/** RunOptions back to `ipcbench run` arguments (what the guest's CLI parses into the same options). */
export function runOptionsToArgs(r: RunOptions): string[] {
  const list = (xs: readonly (string | number)[]) => xs.join(',');
  const args = [
    '--transports',
    list(r.transports),
    '--workloads',
    list(r.workloads),
    '--sizes',
    list(r.sizes),
    '--broadcast-sizes',
    list(r.broadcastSizes),
    '--placement',
    list(r.placements),
    '--broadcast-placement',
    list(r.broadcastPlacements),
    '--concurrency',
    list(r.concurrency),
    '--subscribers',
    list(r.subscribers),
    '--uninterested',
    String(r.uninterested),
    '--mode',
    r.mode,
    '--rate',
    String(r.rate),
    '--repetitions',
    String(r.repetitions),
    '--budget',
    r.budgetMs > 0 ? `${r.budgetMs}ms` : '0',
    '--min-repetitions',
    String(r.minRepetitions),
    '--ci-target',
    String(r.ciTarget * 100),
    '--duration',
    String(r.durationMs),
    '--warmup',
    String(r.warmupMs),
    '--timeout',
    String(r.timeoutMs),
    '--seed',
    String(r.seed),
  ];
  if (r.failFast) args.push('--fail-fast');
  if (!r.progress) args.push('--no-progress');
  if (r.fault) args.push('--fault', r.fault);
  return args;
}

export interface LabDocumentOptions {
  variant?: LabVariant;
  accel?: AccelChoice;
  timeoutMs?: number;
  signal?: AbortSignal;
  onOutput?: (line: string) => void;
  log?: (line: string) => void;
  /** Host directory for the result file (default: options.out). */
  out?: string;
}

/**
 * The programmatic entry point: run `options` inside the lab on kernel `kernel`, return the validated result
 * document (its file is kept in `out`, default options.out). Throws LabError when the lab itself fails (no
 * qemu, boot failure, timeout) or the run inside wrote no result; a run whose cases errored still returns
 * its document (look at the case states), with `exitCode` telling the guest's exit status.
 */
export async function labRunDocument(
  options: RunOptions,
  kernel: KernelId,
  o: LabDocumentOptions = {},
): Promise<{ document: ResultDocument; file: string; exitCode: number; env: 'lab-tcg' | 'lab-kvm'; accelReason: string; serialLog: string }> {
  const r = await labRun({ ...o, runArgs: runOptionsToArgs(options), out: o.out ?? options.out, kernel });
  if (r.files.length !== 1) throw new LabError(`lab: the run inside wrote ${r.files.length} result files (exit ${r.exitCode}); serial log: ${r.serialLog}`);
  const document = await readResultFile(r.files[0]!);
  return { document, file: r.files[0]!, exitCode: r.exitCode, env: r.env, accelReason: r.accelReason, serialLog: r.serialLog };
}
