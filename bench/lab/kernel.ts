// SPDX-License-Identifier: MIT
// `ipcbench lab build`: Debian's linux-source tarball -> tinyconfig + our fragments -> bzImage and a
// tree prepared for out-of-tree modules, cached per (source version, config hash, variant) (kernel-cache.ts).
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type StepOptions, defaultProgress, elapsed, step } from './build-step.js';
import { DEFAULT_KERNEL, type KernelId, LabError, type LabVariant, fragmentPaths, labCacheRoot } from './config.js';
import { kernelLocation, pruneOldKernels, treeRelease } from './kernel-cache.js';
import { acquireLock } from './lock.js';

export interface KernelBuild {
  bzImage: string;
  /** Kernel tree (configured, built, modules_prepare'd, with Module.symvers): `make -C <tree> M=<dir> modules`. */
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

/**
 * `make modules`: writes Module.symvers, the symbols vmlinux exports, which modpost checks an out-of-tree module
 * (our kdbus) against. `make bzImage` leaves only vmlinux.symvers, and from 6.12 modpost refuses to build an
 * external module without Module.symvers (6.1 only warned). The lab configs build no module of their own, so
 * this is mostly a walk of the tree (about a minute).
 */
async function writeModuleSymvers(so: StepOptions, jobs: number): Promise<void> {
  await step('make modules (Module.symvers for out-of-tree modules)', 'make', [`-j${jobs}`, 'modules'], so);
  if (!existsSync(join(so.cwd, 'Module.symvers')))
    throw new LabError(`lab build: make modules succeeded but ${join(so.cwd, 'Module.symvers')} is missing; see ${so.logFile}`);
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
  const symvers = join(loc.tree, 'Module.symvers');
  if (cached() && existsSync(symvers)) return result(false);

  mkdirSync(loc.dir, { recursive: true, mode: 0o700 });
  const release = await acquireLock(loc.lock, log, o.signal);
  try {
    if (cached()) {
      // somebody else built it while we waited, or an entry from before the recipe wrote Module.symvers
      if (!existsSync(symvers)) {
        log(`lab build: writing Module.symvers into the cached ${kernel} ${variant} tree (make modules; built before the recipe did this)`);
        await writeModuleSymvers({ cwd: loc.tree, logFile: loc.buildLog, signal: o.signal }, o.jobs ?? availableParallelism());
      }
      return result(false);
    }
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
    await writeModuleSymvers({ ...so, onLine }, jobs);
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
