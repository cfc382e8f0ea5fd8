// SPDX-License-Identifier: MIT
// `ipcbench lab run`: the same `ipcbench run` inside the lab VM; its result files come back to the host.
import { execa } from 'execa';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type AccelChoice, type BootResult, GUEST_RESULTS_DIR, bootLab } from './boot.js';
import { LabError, type LabVariant, repoRoot } from './config.js';

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
 * Build our kdbus module (native/kernel/kdbus) against this kernel variant, so the run inside can load it and
 * the kdbus transports are available there. A failed build is said and the run goes on without kdbus.
 */
export async function buildKdbusModule(variant: LabVariant, log?: (line: string) => void): Promise<string | undefined> {
  const script = join(repoRoot(), 'native', 'kernel', 'kdbus', 'build.sh');
  if (!existsSync(script)) return undefined;
  const r = await execa(script, [variant], { cwd: repoRoot(), reject: false, timeout: 15 * 60_000 });
  const ko = r.stdout.trim().split('\n').pop();
  if (r.exitCode === 0 && ko && existsSync(ko)) return ko;
  log?.(
    `lab: kdbus module not built, kdbus transports will be unavailable in the lab: ${String(r.stderr || r.shortMessage || '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ')}`,
  );
  return undefined;
}

/** The guest command with the kdbus module loaded first (a failed insmod is reported; the run goes on). */
export function withModule(command: string, ko: string | undefined): string {
  if (!ko) return command;
  return `insmod ${shellQuote(ko)} || echo 'lab: insmod kdbus.ko failed: kdbus transports unavailable' >&2; ${command}`;
}

export interface LabRunOptions {
  /** Arguments of `ipcbench run` (without --out). */
  runArgs: string[];
  /** Host results directory (default results/). */
  out?: string;
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
  const ko = await buildKdbusModule(o.variant ?? 'default', o.log);
  const share = mkdtempSync(join(tmpdir(), 'ipcbench-lab-results-'));
  try {
    const r = await bootLab({
      command: withModule(guestRunCommand(o.runArgs), ko),
      resultsDir: share,
      variant: o.variant,
      accel: o.accel,
      timeoutMs: o.timeoutMs,
      signal: o.signal,
      onOutput: o.onOutput,
      log: o.log,
    });
    const files = collectResults(share, resolve(o.out ?? 'results'));
    return { ...r, files };
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}
