// SPDX-License-Identifier: MIT
// `ipcbench lab build`: Debian's linux-source tarball -> tinyconfig + our fragments -> bzImage and a
// tree prepared for out-of-tree modules, cached per (source version, config hash, variant).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  type BuiltKernelSpec,
  DEFAULT_KERNEL,
  type KernelId,
  LabError,
  LabInterrupted,
  type LabVariant,
  configHash,
  fragmentPaths,
  kernelDirName,
  kernelPaths,
  kernelSpec,
  labCacheRoot,
  readFragments,
  sourceVersion,
} from './config.js';

export interface KernelBuild {
  bzImage: string;
  /** Kernel tree (configured, built, modules_prepare'd): `make -C <tree> M=<dir> modules`. */
  tree: string;
  dir: string;
  variant: LabVariant;
  kernel: KernelId;
  sourceVersion: string;
  configHash: string;
  /** The kernel release (`uname -r` inside), from the built tree. */
  release: string;
  /** The built tree's .config. */
  config: string;
  /** True when this call built it, false when it came from the cache. */
  built: boolean;
}

export interface EnsureKernelOptions {
  variant?: LabVariant;
  /** An `ipcbench-*` kernel id (default ipcbench-6.1). */
  kernel?: KernelId;
  /** Progress and diagnostics (default: stderr). */
  log?: (line: string) => void;
  /** Live progress line (default: rewritten on stderr when it is a terminal, else every 30 s). */
  progress?: (line: string) => void;
  signal?: AbortSignal;
  /** Rebuild even when cached. */
  force?: boolean;
  jobs?: number;
}

const TAIL_LINES = 40;

/** The last n lines of a file (for error messages). */
export function tailFile(path: string, n = TAIL_LINES): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text
      .split('\n')
      .filter((l, i, a) => l !== '' || i < a.length - 1)
      .slice(-n)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** The source spec of a built (`ipcbench-*`) kernel id. */
export function builtSpec(id: KernelId = DEFAULT_KERNEL): BuiltKernelSpec {
  const spec = kernelSpec(id);
  if (spec.kind !== 'built') throw new LabError(`${id} is a stock kernel: it is downloaded, not built from source`);
  return spec;
}

/** Resolve the cache entry for a variant without building anything. */
export function kernelLocation(variant: LabVariant = 'default', kernel: KernelId = DEFAULT_KERNEL) {
  const spec = builtSpec(kernel);
  const version = sourceVersion(spec.tarball, spec.sourcePackage);
  const hash = configHash(readFragments(variant));
  const dir = join(labCacheRoot(), kernelDirName(version, hash, variant));
  return { version, hash, spec, ...kernelPaths(dir) };
}

/** `uname -r` of a built tree (include/config/kernel.release), or the source version when unknown. */
export function treeRelease(tree: string, fallback: string): string {
  try {
    return readFileSync(join(tree, 'include', 'config', 'kernel.release'), 'utf8').trim() || fallback;
  } catch {
    return fallback;
  }
}

function defaultProgress(): (line: string) => void {
  if (process.stderr.isTTY) return (line) => process.stderr.write(`\r\x1b[K${line}`);
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last >= 30_000) {
      last = now;
      process.stderr.write(`${line}\n`);
    }
  };
}

function elapsed(since: number): string {
  const s = Math.floor((Date.now() - since) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One build per cache entry at a time (the kdbus tests and a user may both ask for the kernel). */
export async function acquireLock(lock: string, log: (l: string) => void, signal?: AbortSignal): Promise<() => void> {
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(readFileSync(lock, 'utf8').trim());
    if (!Number.isInteger(holder) || holder <= 0 || !pidAlive(holder)) {
      rmSync(lock, { force: true }); // stale: its builder died
      continue;
    }
    if (!told) log(`lab build: waiting for another build of this kernel (pid ${holder})`);
    told = true;
    if (signal?.aborted) throw new LabInterrupted('lab build: interrupted while waiting for another build');
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export interface StepOptions {
  cwd: string;
  logFile: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/** Run one build step, appending its output to the build log; reject with the log's tail on failure. */
export function step(what: string, cmd: string, args: string[], o: StepOptions): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const fd = openSync(o.logFile, 'a', 0o600);
    writeSync(fd, `\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let partial = '';
    const onData = (buf: Buffer) => {
      writeSync(fd, buf);
      if (!o.onLine) return;
      const text = partial + buf.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) o.onLine(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // make runs a process tree: kill the whole group on Ctrl-C so no compiler outlives us
    const abort = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    o.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (e) => {
      closeSync(fd);
      o.signal?.removeEventListener('abort', abort);
      reject(new LabError(`lab build: cannot run ${cmd}: ${e.message}`, 'apt-get install build-essential bc bison flex libelf-dev libssl-dev cpio'));
    });
    child.on('close', (code, sig) => {
      closeSync(fd);
      o.signal?.removeEventListener('abort', abort);
      if (code === 0) return resolvePromise();
      if (o.signal?.aborted) return reject(new LabInterrupted(`lab build: interrupted during ${what}`));
      reject(
        new LabError(
          `lab build: ${what} failed (${sig ? `signal ${sig}` : `exit ${code}`}); last lines of ${o.logFile}:\n${tailFile(o.logFile)}`,
          'read the build log above; if a tool is missing: apt-get install build-essential bc bison flex libelf-dev libssl-dev cpio',
        ),
      );
    });
  });
}

/** Every "CONFIG_X=..." / "# CONFIG_X is not set" the fragments ask for that the final .config lacks. */
export function missingOptions(fragmentTexts: readonly string[], finalConfig: string): string[] {
  const have = new Map<string, string>();
  for (const line of finalConfig.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (set) have.set(set[1]!, set[2]!);
  }
  const missing: string[] = [];
  for (const text of fragmentTexts)
    for (const line of text.split('\n')) {
      const set = /^(CONFIG_\w+)=(.*)$/.exec(line.trim());
      const unset = /^# (CONFIG_\w+) is not set$/.exec(line.trim());
      if (set && have.get(set[1]!) !== set[2]) missing.push(`${set[1]}=${set[2]} (got ${have.get(set[1]!) ?? 'unset'})`);
      if (unset && have.has(unset[1]!) && have.get(unset[1]!) !== 'n') missing.push(`${unset[1]} off (got ${have.get(unset[1]!)})`);
    }
  return missing;
}

/**
 * Each cache entry is ~1.6 GB: after a build, keep the newest `keep` entries of the variant (the new one and
 * the previous one, which someone may still be building modules against) and remove older ones that no build
 * holds locked. Returns the removed directories.
 */
export function pruneOldKernels(variant: LabVariant, keep = 2, root = labCacheRoot(), series?: string): string[] {
  const entries = readdirSync(root, { withFileTypes: true })
    // one series' builds never push out another's (6.1.x and 6.12.x entries live side by side)
    .filter((d) => d.isDirectory() && d.name.endsWith(`-${variant}`) && (series === undefined || d.name.startsWith(`${series}.`)))
    .map((d) => kernelPaths(join(root, d.name)))
    .map((p) => ({ p, mtime: existsSync(p.stamp) ? statSync(p.stamp).mtimeMs : statSync(p.dir).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const removed: string[] = [];
  for (const { p } of entries.slice(keep)) {
    if (existsSync(p.lock)) continue;
    rmSync(p.dir, { recursive: true, force: true });
    removed.push(p.dir);
  }
  return removed;
}

/**
 * Make sure the lab kernel for a variant is built; build it (minutes) when the cache has no entry for
 * the current source version and config hash. Safe to call from several processes at once.
 */
export async function ensureKernel(o: EnsureKernelOptions = {}): Promise<KernelBuild> {
  const variant = o.variant ?? 'default';
  const kernel = o.kernel ?? DEFAULT_KERNEL;
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const loc = kernelLocation(variant, kernel);
  const { tarball, sourcePackage, series } = loc.spec;
  const result = (built: boolean): KernelBuild => ({
    bzImage: loc.bzImage,
    tree: loc.tree,
    dir: loc.dir,
    variant,
    kernel,
    sourceVersion: loc.version,
    configHash: loc.hash,
    release: treeRelease(loc.tree, loc.version),
    config: join(loc.tree, '.config'),
    built,
  });
  const cached = () => !o.force && existsSync(loc.stamp) && existsSync(loc.bzImage);
  if (cached()) return result(false);

  mkdirSync(loc.dir, { recursive: true, mode: 0o700 });
  const release = await acquireLock(loc.lock, log, o.signal);
  try {
    if (cached()) return result(false); // somebody else built it while we waited
    const started = Date.now();
    const progress = o.progress ?? defaultProgress();
    const unpacked = join(loc.dir, 'unpacked');
    writeFileSync(
      loc.buildLog,
      `ipcbench lab build ${new Date().toISOString()} kernel=${kernel} variant=${variant} source=${loc.version} config=${loc.hash}\n`,
      { mode: 0o600 },
    );
    rmSync(loc.stamp, { force: true });

    if (!existsSync(unpacked)) {
      if (!existsSync(tarball)) throw new LabError(`lab build: the kernel source ${tarball} is missing`, `apt-get install ${sourcePackage}`);
      rmSync(loc.tree, { recursive: true, force: true });
      mkdirSync(loc.tree, { recursive: true, mode: 0o700 });
      log(`lab build: unpacking ${tarball} (${loc.version}) into ${loc.tree}`);
      progress(`lab build: unpacking kernel source (${elapsed(started)})`);
      await step('unpacking the kernel source', 'tar', ['-xJf', tarball, '-C', loc.tree, '--strip-components=1'], {
        cwd: loc.dir,
        logFile: loc.buildLog,
        signal: o.signal,
      });
      writeFileSync(unpacked, `${loc.version}\n`, { mode: 0o600 });
    }

    const so: StepOptions = { cwd: loc.tree, logFile: loc.buildLog, signal: o.signal };
    progress(`lab build: configuring (${elapsed(started)})`);
    await step('make tinyconfig', 'make', ['tinyconfig'], so);
    const fragments = fragmentPaths(variant);
    await step('merging the config fragments', './scripts/kconfig/merge_config.sh', ['-m', '.config', ...fragments], so);
    await step('make olddefconfig', 'make', ['olddefconfig'], so);
    const missing = missingOptions(
      fragments.map((f) => readFileSync(f, 'utf8')),
      readFileSync(join(loc.tree, '.config'), 'utf8'),
    );
    if (missing.length) log(`lab build: warning: options the fragments ask for but Kconfig did not keep:\n  ${missing.join('\n  ')}`);

    const jobs = o.jobs ?? availableParallelism();
    let compiled = 0;
    let last = '';
    const onLine = (line: string) => {
      const m = /^\s+(CC|LD|AR|AS|HOSTCC|GEN|OBJCOPY|SYNC|CALL|UPD|LDS)\s+(?:\[M\]\s+)?(\S+)/.exec(line);
      if (!m) return;
      compiled++;
      last = m[2]!;
      progress(`lab build (${kernel} ${variant}): ${compiled} steps, ${elapsed(started)}, now ${last}`);
    };
    log(`lab build: compiling the ${kernel} ${variant} kernel with ${jobs} jobs (about ${series === '6.1' ? 6 : 10} minutes on 2 cores; log: ${loc.buildLog})`);
    await step('make bzImage', 'make', [`-j${jobs}`, 'bzImage'], { ...so, onLine });
    await step('make modules_prepare', 'make', [`-j${jobs}`, 'modules_prepare'], { ...so, onLine });
    if (!existsSync(loc.bzImage)) throw new LabError(`lab build: make succeeded but ${loc.bzImage} is missing; see ${loc.buildLog}`);
    writeFileSync(
      loc.stamp,
      `${JSON.stringify({ kernel, variant, sourceVersion: loc.version, configHash: loc.hash, builtAt: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000), bzImageBytes: statSync(loc.bzImage).size }, null, 2)}\n`,
      { mode: 0o600 },
    );
    if (process.stderr.isTTY && !o.progress) process.stderr.write('\r\x1b[K');
    log(`lab build: ${kernel} ${variant} kernel ready in ${elapsed(started)}: ${loc.bzImage}`);
    for (const dir of pruneOldKernels(variant, 2, labCacheRoot(), series)) log(`lab build: removed the outdated kernel build ${dir}`);
    return result(true);
  } finally {
    release();
  }
}
